#pragma once
// Who may ask, for the whole process: the store (opened at start, when keys are needed), the
// snapshot of keys and teams every worker reads, the shared local rate limiter, and one
// background thread that owns every store call: admin API calls, the refresh that picks up
// changes other processes made (within store.refresh), and saving the limiter's windows at
// shutdown so a restart does not refill them.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "gateway/access_source.hpp"

namespace tollbooth {

struct Config;
class Clock;
class Store;

// Opens the store the config names (PostgreSQL when store.postgres is set, else the SQLite
// file): the access service and the ledger's writer each open their own connection.
std::unique_ptr<Store> open_config_store(const Config& config);

class AccessService final : public gateway::AccessSource {
 public:
  // Opens the configured store when auth is on or a store is declared (throws StoreError or
  // std::runtime_error with a message for the operator), loads the first snapshot and the
  // saved limiter windows, and starts the thread.
  AccessService(std::shared_ptr<const Config> config, const Clock& clock);
  ~AccessService() override;

  std::uint64_t generation() const noexcept override {
    return generation_.load(std::memory_order_acquire);
  }
  std::shared_ptr<const access::Snapshot> snapshot() const override;
  access::Limiter& limiter() noexcept override { return limiter_; }
  access::BudgetBook& budgets() noexcept override { return budgets_; }
  void charge_since(bool team, std::string id, std::int64_t since_ms,
                    std::function<void(std::optional<std::int64_t>)> done) override;
  void admin(gateway::AdminRequest request,
             std::function<void(gateway::AdminResponse)> done) override;
  bool keeps_responses() const noexcept override { return store_ != nullptr; }
  void keep_response(StoredResponse r, std::function<void(bool)> done) override;
  void find_response(std::string key, std::string id, std::size_t conversation_bytes,
                     std::function<void(gateway::ResponseLookup)> done) override;
  void delete_response(std::string key, std::string id,
                       std::function<void(std::optional<bool>)> done) override;

  // A reload's config: the keys and teams it declares replace those of the old one (the store's
  // stay), on the store's thread; returns once the new snapshot is in force. The limiter's
  // windows and the budget book carry on. Store settings are the first config's (a reload that
  // changes them is refused before this).
  void use_config(std::shared_ptr<const Config> config);

  // What the store is, for the start-up log ("sqlite:/path"), or empty without one.
  std::string store_description() const;
  std::size_t key_count() const;

  // Finishes queued admin calls, saves the limiter's windows, stops the thread. After the
  // workers stopped; idempotent.
  void stop();

 private:
  void run();
  void reload();  // on the thread (or in the constructor): store + config -> a new snapshot
  // Seeds the budget book with what each budgeted key and team has spent in its current
  // period, from the ledger (the book keeps the larger of that and what it counted itself).
  void load_budgets(const access::Snapshot& snapshot);
  // Queues a store read or write of kept responses; false (nothing queued) when stopping, with
  // no store, or with too many waiting.
  bool queue_read(std::function<void()> read);
  // Writes the kept responses waiting, in one transaction, and tells each caller.
  void write_kept(std::vector<std::pair<StoredResponse, std::function<void(bool)>>> batch);
  gateway::ResponseLookup lookup(const std::string& key, const std::string& id,
                                 std::size_t conversation_bytes);
  gateway::AdminResponse budgets_response(const std::string& method) const;

  std::shared_ptr<const Config> config_;  // replaced by use_config, on the store's thread
  const Clock& clock_;
  std::unique_ptr<Store> store_;
  access::Limiter limiter_;
  access::BudgetBook budgets_;
  std::atomic<std::uint64_t> generation_{0};
  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const access::Snapshot> snapshot_;
  std::int64_t store_version_ = -1;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<gateway::AdminRequest, std::function<void(gateway::AdminResponse)>>> jobs_;
  // charge_since calls and kept-response reads and deletions, run before admin calls
  std::deque<std::function<void()>> reads_;
  // Responses to keep, written together (a request waits on its write before its answer ends)
  std::vector<std::pair<StoredResponse, std::function<void(bool)>>> keeps_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tollbooth
