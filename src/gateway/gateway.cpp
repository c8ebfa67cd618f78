#include "gateway/gateway.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <random>

#include "access/snapshot.hpp"
#include "api/openai/errors.hpp"
#include "config/config.hpp"
#include "core/text.hpp"
#include "gateway/access_log.hpp"
#include "gateway/access_source.hpp"
#include "gateway/billing.hpp"
#include "gateway/caller.hpp"
#include "gateway/dashboard.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/metrics.hpp"
#include "gateway/route_table.hpp"
#include "gateway/runtime.hpp"
#include "gateway/store_call.hpp"
#include "limits/redis_budgets.hpp"
#include "limits/redis_client.hpp"
#include "limits/redis_limiter.hpp"
#include "server/client_conn.hpp"
#include "server/request_target.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

namespace http = beast::http;

namespace {

constexpr std::string_view kJson = "application/json";

using access::Scope;

using EndpointFn = Awaitable<void> (*)(Gateway&, ClientConn&, const HttpRequest&,
                                       std::string_view path, Caller&);

struct Endpoint {
  http::verb method;  // http::verb::unknown: any method (the handler checks)
  std::string_view path;
  bool prefix;  // `path` is a prefix ("/v1/models/" + id)
  Front front;
  bool open;    // served without a key (health checks)
  Scope scope;  // what the caller's key must hold, unless `open`
  EndpointFn handle;
};

Awaitable<void> healthz(Gateway&, ClientConn& c, const HttpRequest&, std::string_view, Caller&) {
  co_await c.respond(200, kJson, R"({"status":"ok"})");
}

// GET /ui/...: the dashboard's files (gateway/dashboard.hpp), with an ETag so a browser that
// has them gets a 304. The policy headers keep the page from being framed or running any
// script but its own.
Awaitable<void> dashboard(Gateway&, ClientConn& c, const HttpRequest& req, std::string_view path,
                          Caller&) {
  if (path == "/ui") {
    co_await c.respond(308, {}, {}, "Location: /ui/\r\n");
    co_return;
  }
  const DashboardAsset* asset = find_dashboard_asset(path.substr(std::string_view("/ui/").size()));
  if (!asset) {
    co_await c.respond_error(
        make_error(ErrorKind::not_found, "no such dashboard file", {}, "unknown_url"));
    co_return;
  }
  std::string headers;
  headers.reserve(320);
  headers.append("ETag: ").append(asset->etag).append("\r\n");
  headers.append(
      "Cache-Control: no-cache\r\n"
      "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
      "frame-ancestors 'none'; base-uri 'none'; form-action 'none'\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "Referrer-Policy: no-referrer\r\n");
  if (req[http::field::if_none_match] == asset->etag) {
    co_await c.respond(304, {}, {}, headers);
    co_return;
  }
  co_await c.respond(200, asset->content_type, asset->bytes, headers);
}

// GET /metrics: the Prometheus text of every worker's counters (gateway/metrics.hpp).
Awaitable<void> metrics_endpoint(Gateway& g, ClientConn& c, const HttpRequest&, std::string_view,
                                 Caller&) {
  if (!g.metrics()) {
    Error e = make_error(ErrorKind::not_found, "metrics are off (metrics.enabled: false)", {},
                         "metrics_off");
    co_await c.respond_error(e);
    co_return;
  }
  std::string body = g.metrics()->render(g.clock.unix_ms());
  // What each team's budget has left in its period: from this process's budget book, or with
  // store.redis from Redis (every gateway's together; a team Redis cannot be asked about is
  // left out of this scrape). A team with nothing spent or reserved yet this period shows its
  // whole budget.
  body +=
      "# HELP tollbooth_team_budget_remaining_micros What a team's budget has left in its "
      "current period, spend and reservations held taken off, in micro-dollars.\n"
      "# TYPE tollbooth_team_budget_remaining_micros gauge\n";
  const std::shared_ptr<const access::Snapshot> snapshot = g.snapshot();  // across the awaits
  const auto budgets = g.access_source.budgets().snapshot();
  const std::int64_t now = g.clock.unix_ms();
  for (const access::Team& team : snapshot->teams()) {
    if (team.budget.limit_micros <= 0) continue;
    Money used = 0;
    if (limits::RedisBudgets* shared = g.redis_budgets()) {
      const std::string subject = "team:" + team.id;
      const std::optional<Money> in_redis =
          co_await shared->used(subject, access::period_start_ms(team.budget.per, now));
      if (!in_redis) continue;
      used = *in_redis;
    } else {
      for (const access::BudgetState& b : budgets)
        if (b.subject.size() == team.id.size() + 5 && b.subject.starts_with("team:") &&
            b.subject.compare(5, std::string::npos, team.id) == 0)
          used = b.spent + b.reserved;
    }
    body += "tollbooth_team_budget_remaining_micros{team=\"" + team.id + "\"} " +
            std::to_string(team.budget.limit_micros - used) + "\n";
  }
  if (const RuntimeSource* runtime = g.services.runtime) {
    body +=
        "# HELP tollbooth_config_reloads_total Config reloads (SIGHUP, POST /admin/v1/reload), "
        "by result: applied, or refused (the file had problems, or needed a restart).\n"
        "# TYPE tollbooth_config_reloads_total counter\n"
        "tollbooth_config_reloads_total{result=\"applied\"} " +
        std::to_string(runtime->reloads_applied()) +
        "\ntollbooth_config_reloads_total{result=\"refused\"} " +
        std::to_string(runtime->reloads_refused()) +
        "\n# HELP tollbooth_config_generation The config in force: 1 as started, one more for "
        "each applied reload.\n"
        "# TYPE tollbooth_config_generation gauge\n"
        "tollbooth_config_generation " +
        std::to_string(runtime->generation()) + "\n";
  }
  co_await c.respond(200, "text/plain; version=0.0.4; charset=utf-8", body);
}

// POST /admin/v1/reload: the config file loaded again, as SIGHUP does; answered once the new
// config is in force (200), or refused with what `tollbooth check` says of the file (400) or
// the settings only a restart applies (409). Requests in flight finish on the old config.
Awaitable<void> reload_config(Gateway& g, ClientConn& c, const HttpRequest&, std::string_view,
                              Caller& caller) {
  RuntimeSource* runtime = g.services.runtime;
  if (!runtime) {
    co_await c.respond_error(make_error(ErrorKind::unavailable, "this gateway cannot reload"));
    co_return;
  }
  auto call = [runtime](auto done) { runtime->reload(std::move(done)); };
  ReloadOutcome r = co_await on_store_thread<ReloadOutcome>(g, call);
  spdlog::info("config reload asked by {}: {}", caller.actor(),
               r.result == ReloadOutcome::Result::applied ? "applied" : "refused");
  switch (r.result) {
    case ReloadOutcome::Result::applied: {
      std::string body = R"({"object":"config.reload","result":"applied","generation":)" +
                         std::to_string(r.generation) + R"(,"message":)";
      append_json_string(body, r.message);
      body += "}";
      co_await c.respond(200, kJson, body);
      co_return;
    }
    case ReloadOutcome::Result::invalid:
      co_await c.respond_error(
          make_error(ErrorKind::invalid_request, std::move(r.message), {}, "config_invalid"));
      co_return;
    case ReloadOutcome::Result::restart_required:
      co_await c.respond_error(
          make_error(ErrorKind::conflict, std::move(r.message), {}, "restart_required"));
      co_return;
  }
}

Awaitable<void> readyz(Gateway& g, ClientConn& c, const HttpRequest&, std::string_view, Caller&) {
  if (g.worker.draining)
    co_await c.respond(503, kJson, R"({"status":"draining"})");
  else
    co_await c.respond(200, kJson, R"({"status":"ready"})");
}

// The table every request is dispatched by: the first entry whose path matches; a path that
// matches with another method is a 405 naming the allowed one.
constexpr Endpoint kEndpoints[] = {
    {http::verb::post, "/v1/chat/completions", false, Front::chat_completions, false, Scope::chat,
     &chat_completions},
    {http::verb::post, "/v1/responses", false, Front::responses, false, Scope::responses,
     &responses},
    // Open: the refusal says nothing, and a 401 would make Codex retry it for seconds.
    {http::verb::get, "/v1/responses", false, Front::responses, true, Scope::responses,
     &responses_websocket},
    {http::verb::get, "/v1/responses/", true, Front::responses, false, Scope::responses,
     &kept_response},
    {http::verb::delete_, "/v1/responses/", true, Front::responses, false, Scope::responses,
     &kept_response},
    {http::verb::post, "/v1/embeddings", false, Front::embeddings, false, Scope::embeddings,
     &embeddings},
    {http::verb::get, "/v1/models", false, Front::models, false, Scope::models, &models},
    {http::verb::get, "/v1/models/", true, Front::models, false, Scope::models, &models},
    {http::verb::post, "/admin/v1/reload", false, Front::admin, false, Scope::admin,
     &reload_config},
    {http::verb::unknown, "/admin/v1/", true, Front::admin, false, Scope::admin, &admin_api},
    {http::verb::get, "/metrics", false, Front::metrics, false, Scope::metrics, &metrics_endpoint},
    {http::verb::get, "/ui", false, Front::dashboard, true, Scope::admin, &dashboard},
    {http::verb::get, "/ui/", false, Front::dashboard, true, Scope::admin, &dashboard},
    {http::verb::get, "/ui/", true, Front::dashboard, true, Scope::admin, &dashboard},
    {http::verb::get, "/healthz", false, Front::health, true, Scope::chat, &healthz},
    {http::verb::get, "/readyz", false, Front::health, true, Scope::chat, &readyz},
};

bool matches(const Endpoint& e, std::string_view path) noexcept {
  return e.prefix ? path.starts_with(e.path) && path.size() > e.path.size() : path == e.path;
}

}  // namespace

WorkerServices::WorkerServices(Worker& w, AccessSource& access_source, BatchSink* log_sink,
                               LogFormat log_format, const std::string& redis_url)
    : worker(w), pool(w.io.get_executor(), w.clock) {
  if (log_sink)
    access_log = std::make_unique<AccessLog>(*log_sink, w.io.get_executor(), w.clock, log_format);
  if (redis_url.empty()) return;
  // Checked at start-up (app/serve.cpp), so it parses here.
  auto url = limits::parse_redis_url(redis_url);
  redis_client = std::make_unique<limits::RedisClient>(w.io.get_executor(), url.value());
  redis = std::make_shared<limits::RedisLimiter>(*redis_client);
  // A budget's period Redis does not know yet starts from the ledger's figure.
  redis_budgets = std::make_shared<limits::RedisBudgets>(
      *redis_client,
      [&w, &access_source](std::string subject, std::int64_t start,
                           std::int64_t) -> Awaitable<std::optional<Money>> {
        const bool team = subject.starts_with("team:");
        std::string id = subject.substr(team ? 5 : 4);
        // A named lambda holding references: GCC 12 mishandles a temporary with owning
        // captures in a co_await expression.
        auto call = [&access_source, team, &id, start](auto done) {
          access_source.charge_since(team, std::move(id), start, std::move(done));
        };
        std::optional<std::int64_t> spent =
            co_await on_store_thread<std::optional<std::int64_t>>(w, call);
        co_return spent;
      });
  redis_budgets->on_soft_crossing(log_soft_crossing);
  redis_client->start();
}

WorkerServices::~WorkerServices() = default;

void WorkerServices::drain_started() noexcept {
  pool.close_idle();
  if (!redis_client) return;
  // The connection keeps the loop busy: close it once the last session has ended (requests in
  // flight still settle and release through it until then).
  asio::co_spawn(
      worker.io,
      [this]() -> Awaitable<void> {
        Timer wait(worker.io.get_executor());
        while (!worker.sessions.empty()) {
          wait.expires_after(std::chrono::milliseconds(20));
          co_await wait.async_wait(use_nothrow);
        }
        redis_client->stop();
      },
      asio::detached);
}

void WorkerServices::stopped() noexcept {
  if (access_log) access_log->flush();
}

Gateway::Gateway(WorkerServices& s, const RouteTable& r, AccessSource& a, LedgerSink* ledger,
                 Metrics* metrics)
    : services(s),
      worker(s.worker),
      routes(r),
      config(r.config()),
      clock(s.worker.clock),
      access_source(a),
      pool(s.pool),
      signer(s.signer),
      plan_in_words(s.access_log != nullptr),
      ledger_(ledger),
      metrics_(metrics),
      secret_memo_(std::make_unique<access::SecretMemo>()),
      random_state_(std::random_device{}() ^ (static_cast<std::uint64_t>(s.worker.index) << 32)) {
  if (metrics) {
    metrics_shard_ = &metrics->shard(s.worker.index);
    observers_.push_back(metrics_shard_);
  }
  if (ledger) {
    ledger_observer_ = std::make_unique<LedgerObserver>(r.catalog(), *ledger);
    observers_.push_back(ledger_observer_.get());
  }
}

Gateway::~Gateway() {
  // The connections this generation's targets left idle: nobody asks for those targets again.
  for (const UpstreamTarget* t : routes.targets()) pool.forget(*t);
  for (const auto& [origin, t] : image_targets) pool.forget(*t);
}

const std::shared_ptr<const access::Snapshot>& Gateway::snapshot() {
  std::uint64_t generation = access_source.generation();
  if (generation != snapshot_generation_ || !snapshot_) {
    snapshot_ = access_source.snapshot();
    snapshot_generation_ = generation;
  }
  return snapshot_;
}

std::uint64_t Gateway::random() noexcept {
  std::uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ULL);  // splitmix64
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Awaitable<void> Gateway::handle(ClientConn& c, const HttpRequest& req) {
  auto target_path = tollbooth::target_path(req.target());
  if (!target_path) {
    co_await c.respond_error(make_error(ErrorKind::invalid_request,
                                        "the request target must be a path such as "
                                        "/v1/chat/completions, or an http(s) URL"));
    co_return;
  }
  const std::string_view path = *target_path;
  const Endpoint* wrong_method = nullptr;
  for (const Endpoint& e : kEndpoints) {
    if (!matches(e, path)) continue;
    if (e.method != http::verb::unknown && e.method != req.method()) {
      wrong_method = &e;
      continue;
    }
    c.outcome.front = e.front;
    Caller caller;
    if (!e.open) {
      if (auto refused = identify(*this, req, e.scope, caller)) {
        co_await c.respond_error(*refused);
        co_return;
      }
      if (caller.principal) {
        c.outcome.key_id = caller.key_id();
        c.outcome.team = caller.team_id();
        if (const access::Team* team = caller.principal->team())
          c.outcome.markup_bp = team->markup_bp;
      }
    }
    // The request's limits and budget settle before the answer's last bytes go out, so the
    // client's next request sees them; or here, when the handler wrote no end (the client left).
    struct Settle {
      Gateway& g;
      ClientConn& c;
      Caller& caller;
      void run() noexcept { settle(g, c, caller); }
    } settle_at_end{*this, c, caller};
    AnswerEndHook end_hook(c, settle_at_end);
    co_await e.handle(*this, c, req, path, caller);
    c.run_answer_end();
    co_return;
  }
  if (wrong_method) {
    // Every method the path is served with (/v1/responses takes POST and GET).
    std::string methods;
    for (const Endpoint& e : kEndpoints) {
      if (!matches(e, path) || e.method == http::verb::unknown) continue;
      if (!methods.empty()) methods += ", ";
      methods += http::to_string(e.method);
    }
    const std::string allow = "Allow: " + methods + "\r\n";
    c.outcome.front = wrong_method->front;
    co_await c.respond_error(
        make_error(ErrorKind::method_not_allowed, "this endpoint accepts " + methods), allow);
    co_return;
  }
  co_await c.respond_error(
      make_error(ErrorKind::not_found,
                 "no such endpoint: " + excerpt_client_text(req.method_string(), 16) + " " +
                     excerpt_client_text(path, kClientPathExcerptBytes),
                 {}, "unknown_url"));
}

void Gateway::finished(const RequestOutcome& outcome) noexcept {
  // The access log is the worker's; the request's charge is billed with this generation's
  // catalog, whose route ids the outcome carries.
  if (services.access_log) services.access_log->record(outcome, &routes.catalog());
  if (metrics_shard_) metrics_shard_->set_idle_connections(pool.idle_count());
  for (OutcomeObserver* o : observers_) o->on_outcome(outcome);
}

}  // namespace tollbooth::gateway
