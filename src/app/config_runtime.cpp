#include "app/config_runtime.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "app/access_service.hpp"
#include "app/config_check.hpp"
#include "config/config.hpp"
#include "core/date.hpp"
#include "core/thread_name.hpp"
#include "gateway/metrics.hpp"
#include "gateway/route_table.hpp"

namespace tollbooth {

bool BurnRelay::wants_burn() const noexcept {
  std::lock_guard lock(mutex_);
  return sink_ && sink_->wants_burn();
}

void BurnRelay::set_burn(std::span<const CommitmentBurn> burn) noexcept {
  std::lock_guard lock(mutex_);
  try {
    last_.clear();
    for (const CommitmentBurn& b : burn)
      last_.push_back(Held{std::string(b.contract), std::string(b.period), b.burned});
  } catch (...) {
    // Out of memory: the next batch tells it again.
  }
  if (sink_) sink_->set_burn(burn);
}

void BurnRelay::point_at(CommitmentBurnSink* sink) noexcept {
  std::lock_guard lock(mutex_);
  sink_ = sink;
  if (!sink_) return;
  std::vector<CommitmentBurn> burn;
  try {
    for (const Held& h : last_) burn.push_back(CommitmentBurn{h.contract, h.period, h.burned});
  } catch (...) {
    return;
  }
  sink_->set_burn(burn);
}

namespace {

void differs(std::string& out, bool changed, const char* name) {
  if (!changed) return;
  if (!out.empty()) out += ", ";
  out += name;
}

}  // namespace

std::string restart_only_changes(const Config& a, const Config& b) {
  std::string out;
  const ServerConfig& s = a.server;
  const ServerConfig& t = b.server;
  // The server and its workers were made with these; the gateway reads the same fields, so
  // they stay one value for the whole process.
  differs(out, s.host != t.host, "server.listen (host)");
  differs(out, s.port != t.port, "server.listen (port)");
  differs(out, s.workers != t.workers, "server.workers");
  differs(out, s.max_body_bytes != t.max_body_bytes, "server.max_body_bytes");
  differs(out, s.max_header_bytes != t.max_header_bytes, "server.max_header_bytes");
  differs(out, s.read_timeout != t.read_timeout, "server.read_timeout");
  differs(out, s.idle_timeout != t.idle_timeout, "server.idle_timeout");
  differs(out, s.drain_timeout != t.drain_timeout, "server.drain_timeout");
  differs(out, s.max_connections != t.max_connections, "server.max_connections");
  differs(out, s.max_response_bytes != t.max_response_bytes, "server.max_response_bytes");
  differs(out, s.max_buffered_bytes != t.max_buffered_bytes, "server.max_buffered_bytes");
  differs(out, s.max_stream_event_bytes != t.max_stream_event_bytes,
          "server.max_stream_event_bytes");
  differs(out, a.auth != b.auth, "auth");
  // The store is opened once (keys, limits, the ledger's connection).
  const StoreSettings& x = a.store;
  const StoreSettings& y = b.store;
  differs(out, x.declared != y.declared, "store");
  differs(out, x.sqlite_path != y.sqlite_path, "store.sqlite");
  differs(out, x.postgres_url != y.postgres_url, "store.postgres");
  differs(out, x.redis_url != y.redis_url, "store.redis");
  differs(out, x.refresh != y.refresh, "store.refresh");
  differs(out, x.responses_retention != y.responses_retention, "store.responses_retention");
  differs(out, x.redis_failure != y.redis_failure, "store.redis_failure");
  differs(out, a.billing.ledger_flush != b.billing.ledger_flush, "billing.ledger.flush_interval");
  differs(out, a.billing.ledger_queue != b.billing.ledger_queue, "billing.ledger.queue_rows");
  return out;
}

ConfigRuntime::ConfigRuntime(std::shared_ptr<const Config> config,
                             std::shared_ptr<RouteTable> routes,
                             std::shared_ptr<gateway::Metrics> metrics, unsigned workers,
                             const Clock& clock)
    : first_(std::move(config)), workers_(workers), clock_(clock), routes_(std::move(routes)) {
  auto runtime = std::make_shared<gateway::Runtime>();
  runtime->generation = 1;
  runtime->routes = routes_;
  runtime->metrics = std::move(metrics);
  current_ = std::move(runtime);
  burn_.point_at(&routes_->commitment_burn());
  thread_ = std::thread([this] {
    name_this_thread("tb-reload");
    run();
  });
}

ConfigRuntime::~ConfigRuntime() {
  stop();
}

std::shared_ptr<const gateway::Runtime> ConfigRuntime::current() const {
  std::lock_guard lock(current_mutex_);
  return current_;
}

void ConfigRuntime::reload(std::function<void(gateway::ReloadOutcome)> done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      waiting_.push_back(std::move(done));
      wake_.notify_one();
      return;
    }
  }
  gateway::ReloadOutcome refused;
  refused.generation = generation();
  refused.message = "the gateway is shutting down";
  done(std::move(refused));
}

void ConfigRuntime::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void ConfigRuntime::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // stopping, nothing asked
    // Those asking while a reload runs are answered by the next one, which reads the file as
    // it is by then: one load for all of them.
    auto asking = std::move(waiting_);
    waiting_.clear();
    lock.unlock();
    gateway::ReloadOutcome outcome = load();
    if (outcome.result == gateway::ReloadOutcome::Result::applied) {
      applied_.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("config reloaded from {}: generation {} ({})", first_->source_file,
                   outcome.generation, outcome.message);
    } else {
      refused_.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("config reload refused; generation {} stays in force: {}", outcome.generation,
                   outcome.message);
    }
    for (auto& done : asking) done(outcome);
    lock.lock();
  }
}

gateway::ReloadOutcome ConfigRuntime::load() {
  using Result = gateway::ReloadOutcome::Result;
  gateway::ReloadOutcome out;
  out.generation = generation();
  const Days today = days_from_unix_ms(clock_.unix_ms());
  CheckedConfig checked = check_config_file(first_->source_file, today);
  if (!checked.config) {
    out.result = Result::invalid;
    out.message = "the config was not reloaded: " + checked.problems;
    while (!out.message.empty() && out.message.back() == '\n') out.message.pop_back();
    return out;
  }
  if (std::string changed = restart_only_changes(*first_, *checked.config); !changed.empty()) {
    out.result = Result::restart_required;
    out.message =
        "the config was not reloaded: it changes " + changed + ", which only a restart applies";
    return out;
  }
  std::shared_ptr<RouteTable> routes;
  std::shared_ptr<gateway::Metrics> metrics;
  try {
    routes = std::make_shared<RouteTable>(checked.config);
    routes->carry_health_from(*routes_);
    if (checked.config->metrics.enabled) {
      metrics = std::make_shared<gateway::Metrics>(routes->catalog(), routes->health());
      // Every worker's shard, made before any worker records into it.
      if (const unsigned n = workers_.load(); n > 0) metrics->shard(n - 1);
    }
  } catch (const std::exception& e) {
    out.result = Result::invalid;
    out.message = std::string("the config was not reloaded: ") + e.what();
    return out;
  }
  auto runtime = std::make_shared<gateway::Runtime>();
  runtime->generation = out.generation + 1;
  runtime->routes = routes;
  runtime->metrics = std::move(metrics);
  // The keys and teams the file declares, before new requests plan with the new routes.
  if (access_) access_->use_config(checked.config);
  burn_.point_at(&routes->commitment_burn());
  {
    std::lock_guard lock(current_mutex_);
    current_ = runtime;
    routes_ = std::move(routes);
  }
  generation_.store(runtime->generation, std::memory_order_release);
  out.result = Result::applied;
  out.generation = runtime->generation;
  out.message = checked.summary;
  return out;
}

}  // namespace tollbooth
