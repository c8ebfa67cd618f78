// Who is asking, and whether they may: the key in the Authorization (or api-key) header, its
// scopes, models and regions, its rate limits, and how much of the gateway's insides its errors
// may show. Every endpoint but the health checks passes through identify(); every front checks
// models and admits through the flow, so no path skips a rule.
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>

#include <boost/beast/core/string.hpp>

#include "access/snapshot.hpp"
#include "config/config.hpp"
#include "core/date.hpp"
#include "core/text.hpp"
#include "gateway/access_source.hpp"
#include "gateway/billing.hpp"
#include "gateway/caller.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/gateway.hpp"
#include "gateway/route_table.hpp"
#include "server/client_conn.hpp"

namespace tollbooth::gateway {

namespace http = beast::http;

std::string Caller::actor() const {
  if (principal) return "key:" + principal->key().id;
  return admin_key ? "admin_key" : "anonymous";
}

std::string_view Caller::key_id() const noexcept {
  return principal ? std::string_view(principal->key().id) : std::string_view();
}

std::string_view Caller::team_id() const noexcept {
  return principal && principal->team() ? std::string_view(principal->team()->id)
                                        : std::string_view();
}

namespace {

Error unauthorized(std::string message) {
  return make_error(ErrorKind::unauthorized, std::move(message), {}, "invalid_api_key");
}

bool is_admin_key(const Config& config, std::string_view presented) noexcept {
  const std::string& key = config.server.admin_key;
  return !key.empty() && presented.size() == key.size() &&
         CRYPTO_memcmp(presented.data(), key.data(), key.size()) == 0;
}

// The credential the caller presented: `Authorization: Bearer <key>` (the OpenAI SDKs; the
// scheme in any case, one or more spaces after it, RFC 9110 §11.1) or `api-key: <key>` (the
// Azure SDKs). Several of either header, or both headers with different values, are refused:
// which one counts would be a guess, and a guess at a security boundary is a hole.
std::optional<Error> credential(const HttpRequest& req, std::string_view& out) {
  std::size_t n_auth = req.count(http::field::authorization);
  std::size_t n_api = req.count("api-key");
  if (n_auth > 1 || n_api > 1)
    return unauthorized("several Authorization or api-key headers; send the key once");
  std::string_view bearer;
  if (n_auth == 1) {
    std::string_view h = req[http::field::authorization];
    constexpr std::string_view kBearer = "bearer";
    if (h.size() <= kBearer.size() || !beast::iequals(h.substr(0, kBearer.size()), kBearer) ||
        h[kBearer.size()] != ' ')
      return unauthorized(
          "the Authorization header must be `Bearer <key>`; no other scheme is accepted");
    bearer = h.substr(kBearer.size());
    while (!bearer.empty() && bearer.front() == ' ') bearer.remove_prefix(1);
    while (!bearer.empty() && bearer.back() == ' ') bearer.remove_suffix(1);
  }
  std::string_view api_key;
  if (n_api == 1) api_key = req["api-key"];
  if (n_auth == 1 && n_api == 1 && bearer != api_key)
    return unauthorized("the Authorization and api-key headers hold different keys; send one");
  out = n_auth == 1 ? bearer : api_key;
  if (out.empty())
    return unauthorized(
        "no API key: send one as `Authorization: Bearer <key>` or as an `api-key` header");
  return std::nullopt;
}

std::string refusal_message(access::AuthRefusal r) {
  using access::AuthRefusal;
  switch (r) {
    case AuthRefusal::missing:
      return "no API key: send one as `Authorization: Bearer <key>` or as an `api-key` header";
    case AuthRefusal::malformed:
    case AuthRefusal::unknown: return "Incorrect API key provided: it is not a key of this gateway";
    case AuthRefusal::revoked: return "the API key has been revoked";
    case AuthRefusal::expired: return "the API key has expired";
    case AuthRefusal::rotated_out:
      return "the API key was rotated and its grace time is over; use the new key";
    case AuthRefusal::team_missing: return "the API key's team no longer exists";
  }
  return "Incorrect API key provided";
}

}  // namespace

std::optional<Error> identify(Gateway& g, const HttpRequest& req, access::Scope needed,
                              Caller& caller) {
  std::string_view presented;
  if (g.config.auth == AuthMode::none) {
    // Everyone may use the API; only the admin key unlocks routing details and the admin API.
    caller.admin_key = !g.config.server.admin_key.empty() && !credential(req, presented) &&
                       is_admin_key(g.config, presented);
    caller.scopes = caller.admin_key ? access::kAllScopes : access::kDefaultScopes;
    caller.sees_routing = caller.admin_key;
    caller.sees_insides = true;
  } else {
    if (std::optional<Error> bad = credential(req, presented)) return bad;
    if (is_admin_key(g.config, presented)) {
      caller.admin_key = true;
      caller.scopes = access::kAllScopes;
    } else {
      caller.snapshot = g.snapshot();
      access::AuthResult result =
          g.secret_memo().authenticate(caller.snapshot, presented, g.clock.unix_ms());
      if (!result) return unauthorized(refusal_message(result.refusal()));
      caller.principal = result.principal();
      caller.scopes = caller.principal->scopes();
      caller.regions = caller.principal->allowed_regions();
    }
    caller.sees_routing = caller.may(access::Scope::routing_explain);
    caller.sees_insides = caller.sees_routing;
  }
  // The admin scope allows what a scraper's `metrics` does.
  if (!caller.may(needed) &&
      !(needed == access::Scope::metrics && caller.may(access::Scope::admin))) {
    std::string why = caller.principal
                          ? caller.principal->explain_scope(needed)
                          : "this endpoint needs scope " + std::string(access::scope_name(needed)) +
                                " (the admin key, or a key that holds it)";
    return make_error(ErrorKind::forbidden, std::move(why), {}, "scope_not_allowed");
  }
  return std::nullopt;
}

std::optional<Error> check_model(const Caller& caller, std::string_view model) {
  if (!caller.principal || caller.principal->may_use_model(model)) return std::nullopt;
  return make_error(ErrorKind::forbidden, caller.principal->explain_model(model), "model",
                    "model_not_allowed");
}

namespace {

// Appended to the answer's headers on every request of a limited key: no string of their own.
// Six header lines in one append: written into a buffer with to_chars, because a dozen small
// std::string appends per request were 3,000 instructions (bench/instructions --keys). The
// names are literals at each call, so their copies are a few moves, not calls to memcpy.
//
// A limit is the same number request after request (a key's rpm, its team's tpm), so each
// worker keeps the digits of the last limit it wrote for each kind and copies them while the
// number is the same: to_chars of a long limit was a tenth of a microsecond a request.
struct LimitDigits {
  std::int64_t value = -1;
  std::uint8_t size = 0;
  char text[24] = {};
};

char* write_limit(char* p, std::int64_t limit, LimitDigits& last) noexcept {
  if (limit != last.value) {
    last.size =
        static_cast<std::uint8_t>(std::to_chars(last.text, last.text + 24, limit).ptr - last.text);
    last.value = limit;
  }
  std::memcpy(p, last.text, sizeof last.text);  // a fixed size: one copy, no call
  return p + last.size;
}

template <std::size_t L, std::size_t R, std::size_t T>
char* write_rate_lines(char* p, const char (&limit)[L], const char (&remaining)[R],
                       const char (&reset)[T], const access::RateInfo& info,
                       LimitDigits& last) noexcept {
  if (info.limit == 0) return p;
  std::memcpy(p, limit, L - 1);
  p = write_limit(p + L - 1, info.limit, last);
  std::memcpy(p, remaining, R - 1);
  p = std::to_chars(p + R - 1, p + R - 1 + 24, info.remaining < 0 ? 0 : info.remaining).ptr;
  std::memcpy(p, reset, T - 1);
  p = access::write_reset(p + T - 1, info.reset_ms);
  std::memcpy(p, "\r\n", 2);
  return p + 2;
}

void append_rate_headers(std::string& out, const access::RateHeaders& h) {
  thread_local LimitDigits last_requests, last_tokens;
  // Room for both kinds' lines, and for write_limit's fixed-size copy past the last digit.
  char buf[2 * (3 * 40 + 2 * 24 + access::kMaxResetChars)];
  char* p =
      write_rate_lines(buf, "x-ratelimit-limit-requests: ", "\r\nx-ratelimit-remaining-requests: ",
                       "\r\nx-ratelimit-reset-requests: ", h.requests, last_requests);
  p = write_rate_lines(p, "x-ratelimit-limit-tokens: ", "\r\nx-ratelimit-remaining-tokens: ",
                       "\r\nx-ratelimit-reset-tokens: ", h.tokens, last_tokens);
  out.append(buf, p);
}

}  // namespace

namespace {

Error refusal_error(const access::LimitRefusal& r, std::string& extra_headers) {
  if (!r.never) {
    std::int64_t seconds = (r.retry_after_ms + 999) / 1000;
    extra_headers = "Retry-After: " + std::to_string(seconds < 1 ? 1 : seconds) + "\r\n";
  }
  return make_error(ErrorKind::rate_limited, access::describe(r), {}, "rate_limit_exceeded");
}

}  // namespace

bool counts_in_redis(Gateway& g, const Caller& caller) noexcept {
  return g.redis() && caller.principal && !caller.principal->limit_subjects().empty();
}

std::optional<Error> admit(Gateway& g, ClientConn& c, Caller& caller, std::int64_t tokens,
                           std::string& extra_headers) {
  if (!caller.principal) return std::nullopt;  // the admin key, or auth: none: no limits
  auto subjects = caller.principal->limit_subjects();
  if (subjects.empty()) return std::nullopt;
  caller.admitted_ms = g.clock.unix_ms();
  access::Admission a = g.access_source.limiter().admit(subjects, tokens, caller.admitted_ms);
  append_rate_headers(c.response_headers, a.headers);
  if (a.admitted) {
    caller.ticket = std::move(a.ticket);
    return std::nullopt;
  }
  return refusal_error(a.refusal, extra_headers);
}

namespace {

// Redis could not be asked: store.redis_failure decides. fail_open lets the request through
// uncounted (nullopt); fail_closed is a 503 naming what could not be checked.
std::optional<Error> redis_unreachable(Gateway& g, std::string_view what, std::string_view code,
                                       std::string& extra_headers) {
  if (g.config.store.redis_failure == LimitFailure::fail_open) return std::nullopt;
  extra_headers = "Retry-After: 1\r\n";
  return make_error(ErrorKind::unavailable,
                    std::string(what) +
                        " cannot be checked right now (the shared counters are unreachable); "
                        "try again shortly",
                    {}, std::string(code));
}

}  // namespace

Awaitable<std::optional<Error>> admit_shared(Gateway& g, ClientConn& c, Caller& caller,
                                             std::int64_t tokens, std::string& extra_headers) {
  auto subjects = caller.principal->limit_subjects();
  limits::Decision d = co_await g.redis()->admit(subjects, tokens);
  if (d.unavailable)
    co_return redis_unreachable(g, "rate limits", "rate_limit_unavailable", extra_headers);
  append_rate_headers(c.response_headers, d.headers);
  if (d.admitted) {
    caller.redis = RedisAdmission(g.redis_handle(), subjects, d.ticket);
    co_return std::nullopt;
  }
  co_return refusal_error(d.refusal, extra_headers);
}

namespace {

// What a request asks of its budgets: the key's and team's that are set, and its worst case
// (input estimate and max output at the dearest candidate's price, discount and markup).
struct BudgetAsk {
  std::array<access::BudgetSubject, 2> subjects{};
  std::size_t n = 0;
  std::int64_t now = 0;
  Money worst = 0;

  BudgetAsk(Gateway& g, ClientConn& c, const Caller& caller, const routing::Plan& plan,
            std::int64_t input_tokens, std::int64_t output_tokens) {
    if (!caller.principal) return;
    n = caller.principal->budget_subjects(subjects);
    if (n == 0) return;
    // The limiter's admission a moment before read the clock already.
    now = caller.admitted_ms != 0 ? caller.admitted_ms : g.clock.unix_ms();
    worst = worst_charge(g.routes.catalog(), plan, days_from_unix_ms(now), input_tokens,
                         output_tokens, c.outcome.markup_bp);
  }
};

Error budget_refusal(const access::BudgetRefusal& r, std::int64_t now, std::string& extra_headers) {
  if (!r.never && r.resets_at_ms > now)
    extra_headers = "Retry-After: " + std::to_string((r.resets_at_ms - now + 999) / 1000) + "\r\n";
  return make_error(ErrorKind::rate_limited, access::describe(r), {}, "budget_exceeded");
}

}  // namespace

std::optional<Error> admit_budget(Gateway& g, ClientConn& c, Caller& caller,
                                  const routing::Plan& plan, std::int64_t input_tokens,
                                  std::int64_t output_tokens, std::string& extra_headers) {
  BudgetAsk ask(g, c, caller, plan, input_tokens, output_tokens);
  if (ask.n == 0) return std::nullopt;
  const auto& [subjects, n, now, worst] = ask;
  access::BudgetAdmission a = g.access_source.budgets().admit({subjects.data(), n}, worst, now);
  if (a.admitted) {
    caller.budget = std::move(a.ticket);
    return std::nullopt;
  }
  return budget_refusal(a.refusal, now, extra_headers);
}

Awaitable<std::optional<Error>> admit_budget_shared(Gateway& g, ClientConn& c, Caller& caller,
                                                    const routing::Plan& plan,
                                                    std::int64_t input_tokens,
                                                    std::int64_t output_tokens,
                                                    std::string& extra_headers) {
  BudgetAsk ask(g, c, caller, plan, input_tokens, output_tokens);
  if (ask.n == 0) co_return std::nullopt;
  const auto& subjects = ask.subjects;
  const std::size_t n = ask.n;
  const std::int64_t now = ask.now;
  const Money worst = ask.worst;
  std::span<const access::BudgetSubject> asked(subjects.data(), n);
  limits::BudgetDecision d = co_await g.redis_budgets()->admit(asked, worst, now);
  if (d.admitted) {
    caller.redis_budget =
        RedisBudgetAdmission(g.redis_budgets_handle(), subjects, n, d.ticket, now);
    co_return std::nullopt;
  }
  if (d.unavailable) co_return redis_unreachable(g, "budgets", "budget_unavailable", extra_headers);
  co_return budget_refusal(d.refusal, now, extra_headers);
}

void log_soft_crossing(const access::SoftCrossing& x) {
  spdlog::warn(
      "budget.soft_limit subject={} spent={} limit={} per {} threshold={}.{:02}% period_start={}",
      x.subject, access::dollars_text(x.spent), access::dollars_text(x.budget.limit_micros),
      access::budget_period_name(x.budget.per), x.budget.soft_bp / 100, x.budget.soft_bp % 100,
      format_instant(x.period_start_ms));
}

namespace {

// What the request is charged: every attempt that has usage, billed (the ledger's rows), and
// the answering one when its last bytes are being written before the flow records it.
Money request_charge(Gateway& g, const RequestOutcome& o) noexcept {
  Money total = 0;
  for (const AttemptRecord& a : o.attempts) total += recorded_bill(g.routes.catalog(), o, a).charge;
  if (o.answer_unrecorded && has_usage(o.usage))
    total += o.answer_charge >= 0
                 ? o.answer_charge
                 : bill_attempt(g.routes.catalog(), o, o.answer_route, o.usage).charge;
  return total;
}

void settle_budget(Gateway& g, ClientConn& c, Caller& caller, std::int64_t now) noexcept {
  const Money charge = request_charge(g, c.outcome);
  try {
    if (caller.redis_budget) {
      caller.redis_budget.settle(charge, now);  // its hook logs crossings
      return;
    }
    for (const access::SoftCrossing& x : caller.budget.settle(charge, now)) log_soft_crossing(x);
  } catch (...) {
    // Out of memory: the ticket's destructor releases the reservation.
  }
}

}  // namespace

void settle(Gateway& g, ClientConn& c, Caller& caller) noexcept {
  const bool budget = caller.budget || caller.redis_budget;
  if (!budget && !caller.ticket && !caller.redis) return;
  const std::int64_t now = g.clock.unix_ms();  // one reading for the budgets and the limiter
  if (budget) settle_budget(g, c, caller, now);
  if (!caller.ticket && !caller.redis) return;
  const RequestOutcome& o = c.outcome;
  // Reported usage is what the tokens were; an answer without usage keeps its reservation (it
  // may have cost that much); a request nothing served cost nothing.
  auto actual = [&](std::int64_t reserved) -> std::int64_t {
    if (o.usage.reported) return o.usage.input_tokens + o.usage.output_tokens;
    return o.route.empty() ? 0 : reserved;
  };
  if (caller.redis) {
    try {
      caller.redis.settle(actual(caller.redis.reserved_tokens()));
    } catch (...) {
      // Out of memory queueing the command: the reservation lapses with its window.
    }
    return;
  }
  caller.ticket.finish(actual(caller.ticket.reserved_tokens()), now);
}

Error for_caller(const Caller& caller, Error e) {
  if (caller.sees_insides) return e;
  // The kind, code and param stay (clients branch on them); the message loses the routes,
  // providers and upstream replies it names.
  switch (e.kind) {
    case ErrorKind::bad_gateway:
      e.message = "the model's upstream failed to answer; try again later";
      break;
    case ErrorKind::gateway_timeout:
      e.message = "the model's upstream did not answer in time; try again later";
      break;
    case ErrorKind::unavailable:
      // A missing price is the operator's to fix: waiting will not help.
      if (e.code == "no_priced_route")
        e.message =
            "the model has no price in force and this gateway does not serve unpriced routes "
            "(billing.unpriced: refuse); ask its operator to add one";
      else if (e.code != "budget_unavailable" && e.code != "ledger_backlog")
        e.message = "the model cannot be served right now; try again later";
      break;
    case ErrorKind::invalid_request:
      if (e.code == "capability_not_available")
        e.message =
            "the model cannot serve this request: none of its deployments offers what "
            "the request needs";
      break;
    default: break;
  }
  return e;
}

}  // namespace tollbooth::gateway
