#pragma once
// The config in force for the whole process, and its reload (SIGHUP, POST /admin/v1/reload):
// the file is checked as `tollbooth check` checks it, compared with what only a restart can
// change, and built (routes, credentials, prices) on a thread of its own; only then is the new
// generation published, at once for every worker's new requests. Breakers and latency carry
// over route by route; the limiter, the budgets and the ledger are the process's and carry on
// untouched. A refused reload leaves everything as it was.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/commitment_burn.hpp"
#include "gateway/runtime.hpp"

namespace tollbooth {

struct Config;
class AccessService;

// The store's commitment burn (LedgerStore writes it after every batch), handed to the routes
// of the generation in force; a reload's routes get the last figures at once.
class BurnRelay final : public CommitmentBurnSink {
 public:
  bool wants_burn() const noexcept override;
  void set_burn(std::span<const CommitmentBurn> burn) noexcept override;
  // The routes that get the burn from now on (seeded with the last figures).
  void point_at(CommitmentBurnSink* sink) noexcept;

 private:
  struct Held {
    std::string contract;
    std::string period;
    Money burned;
  };
  mutable std::mutex mutex_;
  CommitmentBurnSink* sink_ = nullptr;
  std::vector<Held> last_;
};

class ConfigRuntime final : public gateway::RuntimeSource {
 public:
  // Generation 1: the config the process started with, its routes and metrics (null when off).
  // `workers`: how many metrics shards a generation needs.
  ConfigRuntime(std::shared_ptr<const Config> config, std::shared_ptr<RouteTable> routes,
                std::shared_ptr<gateway::Metrics> metrics, unsigned workers, const Clock& clock);
  ~ConfigRuntime() override;

  // What else a reload updates: the keys and teams the config declares, the routes' burn.
  void set_access(AccessService* access) noexcept { access_ = access; }
  // The workers a generation's metrics need a shard for, once the server has made them.
  void set_workers(unsigned workers) noexcept { workers_.store(workers); }
  BurnRelay& burn() noexcept { return burn_; }

  std::uint64_t generation() const noexcept override {
    return generation_.load(std::memory_order_acquire);
  }
  std::shared_ptr<const gateway::Runtime> current() const override;
  void reload(std::function<void(gateway::ReloadOutcome)> done) override;
  std::uint64_t reloads_applied() const noexcept override {
    return applied_.load(std::memory_order_relaxed);
  }
  std::uint64_t reloads_refused() const noexcept override {
    return refused_.load(std::memory_order_relaxed);
  }

  // Stops the thread (after finishing a reload under way). Idempotent.
  void stop();

 private:
  void run();
  gateway::ReloadOutcome load();

  const std::shared_ptr<const Config> first_;  // what only a restart changes is compared to it
  std::atomic<unsigned> workers_;
  const Clock& clock_;
  AccessService* access_ = nullptr;
  BurnRelay burn_;
  std::atomic<std::uint64_t> generation_{1};
  std::atomic<std::uint64_t> applied_{0};
  std::atomic<std::uint64_t> refused_{0};
  mutable std::mutex current_mutex_;
  std::shared_ptr<const gateway::Runtime> current_;
  std::shared_ptr<RouteTable> routes_;  // current_'s routes, mutable (for the burn)

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void(gateway::ReloadOutcome)>> waiting_;
  bool stopping_ = false;
  std::thread thread_;
};

// The settings of `next` that differ from `first` and that only a restart applies (server.*
// but admin_key, store.*, auth, the ledger writer's), as "server.port, store.sqlite", or empty.
std::string restart_only_changes(const Config& first, const Config& next);

}  // namespace tollbooth
