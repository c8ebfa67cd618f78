#pragma once
// The gateway of one worker: the application's RequestHandler for that event loop. It owns the
// loop's gateway services (the upstream pool, the SigV4 signer, image targets, the random
// source), dispatches each request by a table of endpoints, and hands every request's outcome
// to the observers (the access log now; budgets, the ledger and metrics later). I/O header.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "aws/sigv4.hpp"
#include "core/batch_sink.hpp"
#include "core/clock.hpp"
#include "core/ledger.hpp"
#include "core/log_format.hpp"
#include "core/outcome.hpp"
#include "server/handler.hpp"
#include "upstream/pool.hpp"

namespace tollbooth {

namespace access {
class Snapshot;
}
namespace limits {
class RedisBudgets;
class RedisClient;
class RedisLimiter;
}  // namespace limits
struct Config;
struct Worker;
class RouteTable;

namespace gateway {

class AccessLog;
class AccessSource;
class Metrics;

class Gateway final : public RequestHandler {
 public:
  // `access_log`: where this worker's access-log lines go; null for no access log. `access_source`:
  // the keys, teams and limiter of the process (app/); it outlives every gateway.
  // `ledger`: where every attempt's ledger row goes (app/ledger_writer); null for none.
  // `log_format`: the access log's lines (text, or one JSON object a line).
  Gateway(Worker& worker, const RouteTable& routes, BatchSink* access_log,
          AccessSource& access_source, LedgerSink* ledger = nullptr,
          LogFormat log_format = LogFormat::text, Metrics* metrics = nullptr);
  ~Gateway() override;

  Awaitable<void> handle(ClientConn& c, const HttpRequest& req) override;
  void finished(const RequestOutcome& outcome) noexcept override;
  std::string error_body(const Error& error) const override;
  void drain_started() noexcept override;
  void stopped() noexcept override;

  // Another observer of every request's outcome (budgets, the ledger, metrics; tests). It must
  // outlive this gateway, and is called on this worker's thread.
  void add_observer(OutcomeObserver& observer) { observers_.push_back(&observer); }

  // The keys and teams in force: this worker's copy of the snapshot, taken again only when the
  // source has a newer one (one atomic load per request otherwise).
  const std::shared_ptr<const access::Snapshot>& snapshot();

  // The rate-limit counters shared through Redis (store.redis), on this worker's own connection;
  // null without Redis (the process's local limiter counts).
  limits::RedisLimiter* redis() noexcept { return redis_.get(); }
  // For an admission that must not outlive the limiter (gateway/caller.hpp).
  std::weak_ptr<limits::RedisLimiter> redis_handle() noexcept { return redis_; }

  // The ledger's writer, or null.
  LedgerSink* ledger() noexcept { return ledger_; }
  // The process's metrics (GET /metrics), or null when they are off.
  const Metrics* metrics() const noexcept { return metrics_; }

  // Budgets shared through Redis (store.redis), on this worker's connection; null without.
  limits::RedisBudgets* redis_budgets() noexcept { return redis_budgets_.get(); }
  std::weak_ptr<limits::RedisBudgets> redis_budgets_handle() noexcept { return redis_budgets_; }

  // A fresh pseudo-random 64-bit value (weighted routing, jitter; not for secrets).
  std::uint64_t random() noexcept;

  Worker& worker;
  const RouteTable& routes;
  const Config& config;
  const Clock& clock;
  AccessSource& access_source;
  UpstreamPool pool;
  aws::Signer signer;  // SigV4 for bedrock routes; per worker, so its key cache needs no lock
  // Connection targets of image origins fetched for bedrock routes with fetch_images.
  std::unordered_map<std::string, std::shared_ptr<const UpstreamTarget>> image_targets;
  // Whether the plan is written out in words for each request (only when the access log is on).
  const bool plan_in_words;

 private:
  std::unique_ptr<AccessLog> access_log_;
  LedgerSink* ledger_ = nullptr;
  Metrics* metrics_ = nullptr;
  std::unique_ptr<OutcomeObserver> ledger_observer_;
  std::vector<OutcomeObserver*> observers_;
  std::unique_ptr<limits::RedisClient> redis_client_;
  std::shared_ptr<limits::RedisLimiter> redis_;          // destroyed before the client it uses
  std::shared_ptr<limits::RedisBudgets> redis_budgets_;  // likewise
  std::shared_ptr<const access::Snapshot> snapshot_;
  std::uint64_t snapshot_generation_ = 0;
  std::uint64_t random_state_;
};

}  // namespace gateway
}  // namespace tollbooth
