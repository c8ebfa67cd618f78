// The flow every front shares (flow.hpp): plan, attempts through the one relay, retries, the
// final answer. Fallback happens only before any byte has gone to the client.
#include "gateway/flow.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "config/config.hpp"
#include "core/text.hpp"
#include "gateway/billing.hpp"
#include "gateway/caller.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/gateway.hpp"
#include "gateway/plan_support.hpp"
#include "gateway/relay.hpp"
#include "gateway/route_table.hpp"
#include "providers/translator.hpp"
#include "providers/upstream_request.hpp"
#include "routing/explain.hpp"
#include "routing/retry.hpp"
#include "server/client_conn.hpp"
#include "upstream/retry_after.hpp"

namespace tollbooth {

namespace http = beast::http;

namespace gateway {
namespace {

// A failed attempt, for the final error and the retry decisions.
struct Tried {
  std::string route;
  Attempt attempt;
};

// The error when no route could serve: 504 when every attempt timed out, 503 when every
// upstream said it was overloaded (429/503), otherwise 502. Names each attempt.
Error no_route_error(const std::string& model, const std::vector<Tried>& tried,
                     std::string& retry_after) {
  bool all_timeout = true, all_busy = true;
  std::string list;
  for (const auto& [name, a] : tried) {
    all_timeout &= a.error().kind == ErrorKind::gateway_timeout;
    all_busy &= a.upstream_status == 429 || a.upstream_status == 503;
    if (!a.retry_after().empty()) retry_after = a.retry_after();
    if (!list.empty()) list += "; ";
    list += name + ": " + a.error().message;
  }
  ErrorKind kind = all_timeout ? ErrorKind::gateway_timeout
                   : all_busy  ? ErrorKind::unavailable
                               : ErrorKind::bad_gateway;
  return make_error(kind,
                    "no route could serve model `" + model + "` (" + std::to_string(tried.size()) +
                        " tried: " + list + ")",
                    {}, "no_route_available");
}

// The longest Retry-After among the failed attempts from `first` on (this round), in ms;
// nullopt when none sent one.
std::optional<std::int64_t> longest_retry_after(const std::vector<Tried>& tried, std::size_t first,
                                                std::int64_t now_ms) {
  std::optional<std::int64_t> longest;
  for (std::size_t i = first; i < tried.size(); ++i) {
    const Tried& t = tried[i];
    if (t.attempt.retry_after().empty()) continue;
    if (auto ms = parse_retry_after(t.attempt.retry_after(), now_ms))
      longest = std::max(longest.value_or(0), static_cast<std::int64_t>(ms->count()));
  }
  return longest;
}

// Feeds an attempt that gave the client no answer to the route's breaker: a failure to fall
// back on counts against it; a refusal before anything was sent (translation) says nothing
// about the route. An answer the client got (served, or broken in band) the relay recorded
// before its last bytes went out.
void record_failure(routing::Health& health, routing::RouteId id, const Attempt& a,
                    std::int64_t now) {
  if (a.end == AttemptEnd::failed_final || (a.end == AttemptEnd::failed && a.error().retryable))
    health.record_failure(id, now);
}

// The backoff between rounds; a client that leaves (or the drain) ends it early.
Awaitable<void> sleep_for(ClientConn& c, std::int64_t ms) {
  Timer timer(c.socket.get_executor());
  timer.expires_after(std::chrono::milliseconds(ms));
  InterruptHook hook(c, timer);
  co_await timer.async_wait(use_nothrow);
}

// One attempt, as the request's outcome keeps it. The message carries the detail (a socket
// error, what the upstream sent): what an operator needs to see why.
void record_attempt(const routing::Catalog& catalog, RequestOutcome& o, routing::RouteId route,
                    const ResolvedRoute& r, const Attempt& a, RequestOutcome::Steady now) {
  o.answer_unrecorded = false;  // billed from o.attempts from now on
  o.answer_charge = -1;
  AttemptRecord& rec = o.attempts.emplace_back();
  rec.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - o.received).count();
  rec.route = route;
  rec.provider = r.provider->name;
  rec.end = a.end;
  rec.upstream_status = a.upstream_status;
  rec.ttfb_us = a.ttfb_us;
  if (a.sent != RequestOutcome::Steady{})
    rec.upstream_us = std::chrono::duration_cast<std::chrono::microseconds>(now - a.sent).count();
  rec.reused_connection = a.reused_connection;
  if (a.usage) rec.usage = *a.usage;
  if (has_usage(rec.usage)) {
    // Billed once, here (or by the relay, for its cost header): every observer reads this.
    rec.bill = a.bill ? *a.bill : attempt_bill_of(bill_attempt(catalog, o, route, rec.usage));
    rec.billed = true;
  }
  if (a.end != AttemptEnd::served && a.end != AttemptEnd::aborted) {
    rec.error = a.error().kind;
    rec.message = a.error().message;
    if (!a.error().detail.empty()) rec.message += ": " + excerpt_client_text(a.error().detail, 200);
  }
}

// Tries the plan's candidates in order; when all failed with something worth retrying, waits
// (exponential backoff with jitter, at least the longest Retry-After) and plans again, within
// the attempt budget and the deadline. Never after the first byte reached the client, never
// after an upstream began answering (AttemptEnd::failed_final, the last of `tried`), and never for
// a client that has gone.
Awaitable<std::vector<Tried>> run_plan(Gateway& g, ClientConn& c, const ResolvedModel& model,
                                       routing::Plan& plan, routing::PlanInput& input,
                                       FrontRequest& front, bool insides) {
  const routing::Catalog& catalog = g.routes.catalog();
  routing::Health& health = g.routes.health();
  const auto policy = routing::RetryPolicy::from(g.config.routing);
  const auto started = g.clock.steady();
  auto elapsed_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(g.clock.steady() - started)
        .count();
  };
  // The upstream head is written into the connection's reused buffer, given back at the end.
  UpstreamRequest ureq;
  ureq.head.swap(c.upstream_head);
  struct GiveBack {
    std::string& from;
    std::string& to;
    ~GiveBack() { to.swap(from); }
  } give_back_head{ureq.head, c.upstream_head};
  std::vector<Tried> tried;
  std::uint32_t attempts = 0;
  for (;;) {
    bool retry_worth = false;
    const std::size_t round_start = tried.size();
    for (const auto& candidate : plan.candidates()) {
      if (c.aborted() != Abort::none) co_return tried;
      if (attempts >= policy.attempts) co_return tried;
      // A half-open breaker lets one probe through; another request holds it right now.
      if (health.admit(candidate.route, g.clock.unix_ms()) == routing::Admission::refuse) continue;
      const ResolvedRoute& r = model.route(candidate.route);
      std::int64_t timeout = routing::attempt_timeout_ms(
          policy, catalog.route(candidate.route).first_byte_timeout.count(), elapsed_ms());
      if (timeout <= 0) co_return tried;
      Attempt a;
      Result<Ok> prepared = Ok{};
      if (front.needs_io(r)) {
        prepared = co_await front.prepare(r);
        if (c.aborted() != Abort::none) co_return tried;
      }
      auto tr =
          prepared ? front.translator_for(r) : Result<Translator*>(std::move(prepared).error());
      if (!tr)
        a = refused(std::move(tr).error());
      else
        a = co_await relay(g, c, r, *tr.value(), ureq, std::chrono::milliseconds(timeout), insides,
                           front.keeper());
      if (a.end == AttemptEnd::aborted) {  // says nothing about the route
        // A stream the client left is billed (its usage, or an estimate of what it got).
        if (a.usage) record_attempt(catalog, c.outcome, candidate.route, r, a, g.clock.steady());
        co_return tried;
      }
      record_failure(health, candidate.route, a, g.clock.unix_ms());
      record_attempt(catalog, c.outcome, candidate.route, r, a, g.clock.steady());
      if (a.end == AttemptEnd::served) {
        if (a.usage) c.outcome.usage = *a.usage;
        co_return tried;
      }
      if (a.end == AttemptEnd::failed_in_band) co_return tried;
      if (a.end == AttemptEnd::failed_final) {
        tried.push_back(Tried{r.provider->name, std::move(a)});
        co_return tried;
      }
      // A refusal before sending (a translation 400) spent no upstream attempt.
      if (a.error().retryable) ++attempts;
      retry_worth |= a.error().retryable;
      tried.push_back(Tried{r.provider->name, std::move(a)});
    }
    if (!retry_worth || tried.empty()) co_return tried;
    // Every candidate failed. Another round goes back to routes that just failed, so it waits
    // for their Retry-After; one longer than max_backoff is the client's to honour instead.
    auto retry_after = longest_retry_after(tried, round_start, g.clock.unix_ms());
    if (retry_after && *retry_after > policy.max_backoff_ms) co_return tried;
    routing::AttemptOutcome outcome;
    outcome.attempts_made = attempts;
    outcome.elapsed_ms = elapsed_ms();
    outcome.status = tried.back().attempt.upstream_status;
    outcome.retry_after_ms = retry_after;
    auto decision = routing::next_attempt(policy, outcome, g.random());
    if (decision.verdict != routing::RetryVerdict::retry) co_return tried;
    co_await sleep_for(c, decision.wait_ms);
    if (c.aborted() != Abort::none) co_return tried;
    // Breakers may have opened meanwhile: plan again.
    input.now_ms = g.clock.unix_ms();
    input.today = utc_day(input.now_ms);
    input.random = g.random();
    routing::plan(catalog, *model.catalog, input, &health, plan);
    if (plan.empty()) co_return tried;
  }
}

// The output tokens a request reserves on its limits and budgets: its maximum, the configured
// default when it sets none, nothing for an answer without output tokens (embeddings).
std::int64_t reserved_output(const Gateway& g, const routing::PlanInput& input) noexcept {
  if (!input.has_output) return 0;
  return input.max_output_tokens ? input.max_output_tokens : g.config.limits.default_output_tokens;
}

}  // namespace

Awaitable<void> run_flow(Gateway& g, ClientConn& c, const HttpRequest& req,
                         const ResolvedModel& model, routing::PlanInput input, FrontRequest& front,
                         Caller& caller) {
  // Who may ask, before anything is planned: the model allow-list of the key and its team, then
  // the rate limits (the tokens reserved: the input estimate and the answer's maximum).
  {
    std::optional<Error> refused = check_model(caller, model.model->name);
    std::string extra;
    if (!refused) {
      std::int64_t tokens = std::int64_t{input.estimated_input_tokens} + reserved_output(g, input);
      if (counts_in_redis(g, caller))
        refused = co_await admit_shared(g, c, caller, tokens, extra);
      else
        refused = admit(g, c, caller, tokens, extra);
    }
    if (refused) {
      co_await c.respond_error(*refused, extra);
      co_return;
    }
  }
  input.allowed_regions = caller.regions;
  const routing::Catalog& catalog = g.routes.catalog();
  // The local limiter's admission read the clock a moment ago, with nothing awaited since (a
  // clock read is about 40 ns on a VM); otherwise it is read here.
  input.now_ms = caller.admitted_ms != 0 ? caller.admitted_ms : g.clock.unix_ms();
  input.today = utc_day(input.now_ms);
  input.random = g.random();
  routing::Plan plan;
  routing::plan(catalog, *model.catalog, input, &g.routes.health(), plan);
  if (g.plan_in_words) routing::append_plan_log_line(c.outcome.plan, catalog, plan, input.now_ms);
  if (caller.sees_routing) {
    c.response_headers.append("x-tollbooth-plan: ");
    routing::append_plan_header(c.response_headers, catalog, plan, input.now_ms);
    c.response_headers.append("\r\n");
  }
  const std::string& name = model.model->name;
  if (plan.empty()) {
    std::int64_t retry_after_s = 0;
    Error e = no_eligible_route(catalog, plan, input.now_ms, retry_after_s);
    // A named string, not a temporary in a conditional: GCC 12 destroys such temporaries
    // wrongly across co_await (the gateway aborted with free(): invalid pointer).
    std::string extra;
    if (retry_after_s) extra = "Retry-After: " + std::to_string(retry_after_s) + "\r\n";
    Error shown = for_caller(caller, std::move(e));
    co_await c.respond_error(shown, extra);
    co_return;
  }
  // The budgets: the worst case this plan can cost, reserved against the key's and team's.
  {
    std::string extra;
    const std::int64_t output = reserved_output(g, input);
    std::optional<Error> refused;
    if (g.redis_budgets())
      refused = co_await admit_budget_shared(g, c, caller, plan, input.estimated_input_tokens,
                                             output, extra);
    else
      refused = admit_budget(g, c, caller, plan, input.estimated_input_tokens, output, extra);
    if (refused) {
      co_await c.respond_error(*refused, extra);
      co_return;
    }
  }
  // Billing must keep up: a ledger writer that has fallen a whole queue behind turns new
  // requests away rather than serve what it could not record.
  if (LedgerSink* ledger = g.ledger(); ledger && ledger->backlogged()) {
    Error e = make_error(ErrorKind::unavailable,
                         "the gateway's ledger is behind (billing.ledger.queue_rows rows wait to "
                         "be written); retry shortly",
                         {}, "ledger_backlog");
    co_await c.respond_error(e, "Retry-After: 1\r\n");
    co_return;
  }
  c.watch_for_disconnect();
  std::vector<Tried> tried =
      co_await run_plan(g, c, model, plan, input, front, caller.sees_insides);
  if (c.head_sent) co_return;
  if (c.aborted() == Abort::client_gone) co_return;  // nobody to answer
  if (c.aborted() == Abort::shutdown) {
    co_await c.respond_error(shutdown_error(), "Retry-After: 1\r\n");
    co_return;
  }
  // An upstream began answering and then failed: its error is the answer (never re-sent).
  if (!tried.empty() && tried.back().attempt.end == AttemptEnd::failed_final) {
    const Attempt& last = tried.back().attempt;
    std::string extra;
    if (!last.retry_after().empty())
      extra = "Retry-After: " + std::string(last.retry_after()) + "\r\n";
    Error shown = for_caller(caller, last.error());
    co_await c.respond_error(shown, extra);
    co_return;
  }
  // Every route refused the request itself (a parameter the translated wire cannot carry):
  // that is the client's to fix, so the first refusal is the answer, with its `param`.
  bool all_refused = !tried.empty();
  for (const auto& t : tried) all_refused &= !t.attempt.error().retryable;
  if (all_refused) {
    Error shown = for_caller(caller, tried.front().attempt.error());
    co_await c.respond_error(shown);
    co_return;
  }
  std::string retry_after;
  Error e = tried.empty() ? make_error(ErrorKind::unavailable,
                                       "no route of model `" + name +
                                           "` could be tried: each is busy with a recovery probe "
                                           "or out of time",
                                       {}, "no_route_available")
                          : no_route_error(name, tried, retry_after);
  std::string extra = retry_after.empty() ? "" : "Retry-After: " + retry_after + "\r\n";
  Error shown = for_caller(caller, std::move(e));
  co_await c.respond_error(shown, extra);
}

Result<const ResolvedModel*> find_model(Gateway& g, ClientConn& c,
                                        const openai::ChatInspection& facts, const Caller& caller,
                                        routing::PlanInput& input) {
  auto& o = c.outcome;
  o.model = facts.model;
  o.stream = facts.stream;
  o.needs = facts.needs;
  o.estimated_input_tokens = facts.estimated_input_tokens;
  o.max_output_tokens = facts.max_output_tokens;
  if (auto refused = check_model(caller, facts.model)) return std::move(*refused);
  const ResolvedModel* model = g.routes.find(facts.model);
  if (!model) {
    return make_error(ErrorKind::not_found,
                      "The model `" + excerpt_client_text(facts.model) +
                          "` does not exist or is not served by this gateway",
                      "model", "model_not_found");
  }
  input.needs = facts.needs;
  input.estimated_input_tokens = facts.estimated_input_tokens;
  input.max_output_tokens = facts.max_output_tokens;
  return model;
}

}  // namespace gateway
}  // namespace tollbooth
