#pragma once
// The gateway of one worker and one config generation: dispatches each request by a table of
// endpoints and hands every request's outcome to the observers (the access log, budgets, the
// ledger, metrics). What the worker keeps across reloads (the upstream pool, the SigV4 signer,
// Redis, the access log) is its WorkerServices. I/O header.
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
#include "server/request.hpp"
#include "upstream/pool.hpp"

namespace tollbooth {

namespace access {
class Snapshot;
class SecretMemo;
}  // namespace access
namespace limits {
class RedisBudgets;
class RedisClient;
class RedisLimiter;
}  // namespace limits
class ClientConn;
struct Config;
struct Worker;
class RouteTable;

namespace gateway {

class AccessLog;
class AccessSource;
class Metrics;
class MetricsShard;
class RuntimeSource;

// What a worker keeps across config reloads, shared by the Gateway of every config generation
// it serves: its upstream connections (pooled per connection target: a reload's new targets
// never get the old ones' connections), its SigV4 key cache, its connection to Redis and its
// access log.
struct WorkerServices {
  // `access_log`: where the worker's access-log lines go; null for no access log.
  // `redis_url`: store.redis (checked at start-up), empty for none.
  WorkerServices(Worker& worker, AccessSource& access_source, BatchSink* access_log,
                 LogFormat log_format, const std::string& redis_url);
  ~WorkerServices();
  WorkerServices(const WorkerServices&) = delete;
  WorkerServices& operator=(const WorkerServices&) = delete;

  // The drain began: idle upstream connections close; Redis's once the worker's last session
  // has ended (requests in flight still settle through it until then).
  void drain_started() noexcept;
  // The loop has stopped: the access log's buffered lines go to its sink.
  void stopped() noexcept;

  Worker& worker;
  UpstreamPool pool;
  aws::Signer signer;  // per worker, so its key cache needs no lock
  std::unique_ptr<AccessLog> access_log;
  std::unique_ptr<limits::RedisClient> redis_client;
  std::shared_ptr<limits::RedisLimiter> redis;          // destroyed before the client it uses
  std::shared_ptr<limits::RedisBudgets> redis_budgets;  // likewise
  RuntimeSource* runtime = nullptr;  // the config in force (reloads), when there is one
};

// One worker's gateway for one config generation (its RouteTable): dispatches each request by
// a table of endpoints and hands every request's outcome to the observers. A config reload
// makes a new one for new requests; the requests in flight finish on the one they started on
// (gateway/frontend.hpp).
class Gateway final {
 public:
  // `access_source`: the keys, teams and limiter of the process (app/); it outlives every
  // gateway. `ledger`: where every attempt's ledger row goes (app/ledger_writer); null for none.
  // `metrics`: this config generation's metrics, null when they are off.
  Gateway(WorkerServices& services, const RouteTable& routes, AccessSource& access_source,
          LedgerSink* ledger = nullptr, Metrics* metrics = nullptr);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  Awaitable<void> handle(ClientConn& c, const HttpRequest& req);
  void finished(const RequestOutcome& outcome) noexcept;

  // Another observer of every request's outcome (budgets, the ledger, metrics; tests). It must
  // outlive this gateway, and is called on this worker's thread.
  void add_observer(OutcomeObserver& observer) { observers_.push_back(&observer); }

  // The keys and teams in force: this worker's copy of the snapshot, taken again only when the
  // source has a newer one (one atomic load per request otherwise).
  const std::shared_ptr<const access::Snapshot>& snapshot();
  // This worker's memory of the secrets it found in snapshot() (access::SecretMemo): what
  // authenticates a key's requests.
  access::SecretMemo& secret_memo() noexcept { return *secret_memo_; }

  // The rate-limit counters shared through Redis (store.redis), on this worker's own connection;
  // null without Redis (the process's local limiter counts).
  limits::RedisLimiter* redis() noexcept { return services.redis.get(); }
  // For an admission that must not outlive the limiter (gateway/caller.hpp).
  std::weak_ptr<limits::RedisLimiter> redis_handle() noexcept { return services.redis; }

  // The ledger's writer, or null.
  LedgerSink* ledger() noexcept { return ledger_; }
  // This generation's metrics (GET /metrics), or null when they are off.
  const Metrics* metrics() const noexcept { return metrics_; }

  // Budgets shared through Redis (store.redis), on this worker's connection; null without.
  limits::RedisBudgets* redis_budgets() noexcept { return services.redis_budgets.get(); }
  std::weak_ptr<limits::RedisBudgets> redis_budgets_handle() noexcept {
    return services.redis_budgets;
  }

  // A fresh pseudo-random 64-bit value (weighted routing, jitter; not for secrets).
  std::uint64_t random() noexcept;

  // Requests of this generation not finished yet (the Frontend counts them).
  std::uint32_t in_flight = 0;

  WorkerServices& services;
  Worker& worker;
  const RouteTable& routes;
  const Config& config;
  const Clock& clock;
  AccessSource& access_source;
  UpstreamPool& pool;
  aws::Signer& signer;
  // Connection targets of image origins fetched for bedrock routes with fetch_images (the
  // routes' trust settings: per generation).
  std::unordered_map<std::string, std::shared_ptr<const UpstreamTarget>> image_targets;
  // Whether the plan is written out in words for each request (only when the access log is on).
  const bool plan_in_words;

 private:
  LedgerSink* ledger_ = nullptr;
  Metrics* metrics_ = nullptr;
  MetricsShard* metrics_shard_ = nullptr;  // this worker's, in metrics_
  std::unique_ptr<OutcomeObserver> ledger_observer_;
  std::vector<OutcomeObserver*> observers_;
  std::shared_ptr<const access::Snapshot> snapshot_;
  std::uint64_t snapshot_generation_ = 0;
  std::unique_ptr<access::SecretMemo> secret_memo_;
  std::uint64_t random_state_;
};

}  // namespace gateway
}  // namespace tollbooth
