#include "app/access_service.hpp"

#include <spdlog/spdlog.h>

#include <future>

#include "access/secret.hpp"
#include "access/snapshot.hpp"
#include "admin/admin.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/date.hpp"
#include "core/thread_name.hpp"
#include "store/store.hpp"

namespace tollbooth {

namespace {

constexpr std::int64_t kSweepEveryMs = 60'000;
constexpr std::int64_t kWarnEveryMs = 30'000;

// Keys declared in the config file, with their secret's hash in place of the secret.
std::vector<access::Key> declared_keys(const Config& config) {
  std::vector<access::Key> keys;
  keys.reserve(config.keys.size());
  for (const DeclaredKey& d : config.keys) {
    access::Key key = d.key;
    key.secrets = {access::KeySecret{access::hash_secret(d.secret), access::last4(d.secret), 0, 0}};
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace

std::unique_ptr<Store> open_config_store(const Config& config) {
  StoreConfig sc;
  if (!config.store.postgres_url.empty())
    sc.postgres_url = config.store.postgres_url;
  else
    sc.sqlite_path = config.store.sqlite_path;
  return open_store(sc);
}

AccessService::AccessService(std::shared_ptr<const Config> config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {
  if (config_->auth == AuthMode::keys || config_->store.declared) {
    store_ = open_config_store(*config_);
    std::vector<access::LimiterWindow> saved;
    for (WindowState& w : store_->load_windows(clock_.unix_ms()))
      saved.push_back({std::move(w.subject), std::move(w.kind), w.start_ms, w.used});
    limiter_.restore(saved, clock_.unix_ms());
  }
  reload();
  thread_ = std::thread([this] {
    name_this_thread("tb-store");
    run();
  });
}

AccessService::~AccessService() {
  stop();
}

void AccessService::use_config(std::shared_ptr<const Config> config) {
  std::promise<void> applied;
  std::future<void> done = applied.get_future();
  auto swap = [this, &config, &applied] {
    config_ = std::move(config);
    try {
      reload();
    } catch (const std::exception& e) {
      spdlog::warn("keys and teams could not be reloaded with the new config: {}", e.what());
    }
    applied.set_value();
  };
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    reads_.push_back(swap);
  }
  wake_.notify_one();
  done.wait();
}

std::shared_ptr<const access::Snapshot> AccessService::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

std::string AccessService::store_description() const {
  return store_ ? store_->describe() : std::string();
}

std::size_t AccessService::key_count() const {
  auto s = snapshot();
  return s ? s->keys().size() : 0;
}

void AccessService::reload() {
  std::vector<access::Key> keys = declared_keys(*config_);
  std::vector<access::Team> teams = config_->teams;
  if (store_) {
    // The version first: a write between the two reads is picked up by the next refresh.
    store_version_ = store_->change_version();
    for (access::Key& k : store_->load_keys()) keys.push_back(std::move(k));
    for (access::Team& t : store_->load_teams()) teams.push_back(std::move(t));
  }
  auto next = std::make_shared<const access::Snapshot>(std::move(keys), std::move(teams));
  load_budgets(*next);
  {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(next);
  }
  generation_.fetch_add(1, std::memory_order_release);
}

void AccessService::load_budgets(const access::Snapshot& snapshot) {
  if (!store_) return;
  const std::int64_t now = clock_.unix_ms();
  auto load = [&](bool team, const std::string& id, const access::Budget& budget) {
    if (budget.limit_micros <= 0) return;
    const std::int64_t start = access::period_start_ms(budget.per, now);
    budgets_.load((team ? "team:" : "key:") + id, start, store_->charge_since(team, id, start));
  };
  for (const access::Key& k : snapshot.keys()) load(false, k.id, k.budget);
  for (const access::Team& t : snapshot.teams()) load(true, t.id, t.budget);
}

// GET /admin/v1/budgets: this process's budget book (spent and reserved per budgeted subject in
// its current period). Subjects are "key:<id>"/"team:<id>", whose ids hold no character JSON
// must escape.
gateway::AdminResponse AccessService::budgets_response(const std::string& method) const {
  if (method != "GET")
    return {405,
            R"({"error":{"message":"this endpoint accepts GET","type":"invalid_request_error",)"
            R"("param":null,"code":"method_not_allowed"}})",
            "GET"};
  std::string body = R"({"object":"list","data":[)";
  bool first = true;
  for (const access::BudgetState& b : budgets_.snapshot()) {
    if (!first) body += ',';
    first = false;
    body += R"({"subject":")" + b.subject + R"(","period_start":")" +
            format_instant(b.period_start_ms) + R"(","spent_micros":)" + std::to_string(b.spent) +
            R"(,"reserved_micros":)" + std::to_string(b.reserved) + "}";
  }
  body += "]}";
  return {200, std::move(body), {}};
}

bool AccessService::queue_read(std::function<void()> read) {
  constexpr std::size_t kMaxQueuedReads = 4096;
  std::lock_guard lock(mutex_);
  if (!store_ || stopping_ || reads_.size() >= kMaxQueuedReads) return false;
  reads_.push_back(std::move(read));
  wake_.notify_one();
  return true;
}

void AccessService::charge_since(bool team, std::string id, std::int64_t since_ms,
                                 std::function<void(std::optional<std::int64_t>)> done) {
  auto read = [this, team, id = std::move(id), since_ms, done]() {
    std::optional<std::int64_t> spent;
    try {
      spent = store_->charge_since(team, id, since_ms);
    } catch (const std::exception& e) {
      spdlog::warn("a budget's spend could not be read from the store: {}", e.what());
    }
    done(spent);
  };
  if (!queue_read(std::move(read))) done(std::nullopt);
}

void AccessService::keep_response(StoredResponse r, std::function<void(bool)> done) {
  // A request waits on this write: past this many waiting, it is not kept (and says so)
  // rather than wait behind a store that cannot keep up.
  constexpr std::size_t kMaxWaitingKeeps = 4096;
  {
    std::lock_guard lock(mutex_);
    if (store_ && !stopping_ && keeps_.size() < kMaxWaitingKeeps) {
      keeps_.emplace_back(std::move(r), std::move(done));
      wake_.notify_one();
      return;
    }
  }
  done(false);
}

void AccessService::write_kept(
    std::vector<std::pair<StoredResponse, std::function<void(bool)>>> batch) {
  if (batch.empty()) return;
  std::vector<StoredResponse> rows;
  rows.reserve(batch.size());
  for (auto& [r, done] : batch) rows.push_back(std::move(r));
  bool kept = false;
  try {
    store_->put_responses(rows);
    kept = true;
  } catch (const std::exception& e) {
    spdlog::warn("{} Responses API response(s) could not be kept in the store: {}", rows.size(),
                 e.what());
  }
  for (auto& [r, done] : batch) done(kept);
}

gateway::ResponseLookup AccessService::lookup(const std::string& key, const std::string& id,
                                              std::size_t conversation_bytes) {
  try {
    return find_conversation(*store_, key, id, clock_.unix_ms(), conversation_bytes);
  } catch (const std::exception& e) {
    spdlog::warn("a kept Responses API response could not be read from the store: {}", e.what());
    return gateway::ResponseLookup{gateway::ResponseLookup::Status::store_failed, {}, {}};
  }
}

void AccessService::find_response(std::string key, std::string id, std::size_t conversation_bytes,
                                  std::function<void(gateway::ResponseLookup)> done) {
  auto read = [this, key = std::move(key), id = std::move(id), conversation_bytes, done]() {
    done(lookup(key, id, conversation_bytes));
  };
  if (!queue_read(std::move(read)))
    done(gateway::ResponseLookup{gateway::ResponseLookup::Status::store_failed, {}, {}});
}

void AccessService::delete_response(std::string key, std::string id,
                                    std::function<void(std::optional<bool>)> done) {
  auto write = [this, key = std::move(key), id = std::move(id), done]() {
    std::optional<bool> deleted;
    try {
      deleted = store_->delete_response(key, id, clock_.unix_ms());
    } catch (const std::exception& e) {
      spdlog::warn("a kept Responses API response could not be deleted: {}", e.what());
    }
    done(deleted);
  };
  if (!queue_read(std::move(write))) done(std::nullopt);
}

void AccessService::admin(gateway::AdminRequest request,
                          std::function<void(gateway::AdminResponse)> done) {
  // A store that hangs must not grow the queue without end: past kMaxQueuedAdminCalls the
  // caller hears so at once.
  constexpr std::size_t kMaxQueuedAdminCalls = 1024;
  bool busy = false;
  {
    std::lock_guard lock(mutex_);
    busy = jobs_.size() >= kMaxQueuedAdminCalls;
    if (!stopping_ && !busy) {
      jobs_.emplace_back(std::move(request), std::move(done));
      wake_.notify_one();
      return;
    }
  }
  if (busy) {
    done(gateway::AdminResponse{503,
                                R"({"error":{"message":"too many admin calls are waiting )"
                                R"(for the store; try again shortly","type":)"
                                R"("service_unavailable_error","param":null,)"
                                R"("code":"store_busy"}})",
                                {}});
    return;
  }
  done(gateway::AdminResponse{503,
                              R"({"error":{"message":"the gateway is shutting down",)"
                              R"("type":"service_unavailable_error","param":null,)"
                              R"("code":"gateway_shutdown"}})",
                              {}});
}

void AccessService::run() {
  std::int64_t last_sweep = clock_.unix_ms();
  std::int64_t last_refresh = last_sweep;
  std::int64_t last_warning = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, config_->store.refresh, [&] {
      return stopping_ || !jobs_.empty() || !reads_.empty() || !keeps_.empty();
    });
    if (!keeps_.empty()) {
      auto batch = std::move(keeps_);
      keeps_.clear();
      lock.unlock();
      write_kept(std::move(batch));
      lock.lock();
    }
    while (!reads_.empty()) {
      auto read = std::move(reads_.front());
      reads_.pop_front();
      lock.unlock();
      read();
      lock.lock();
    }
    while (!jobs_.empty()) {
      auto [request, done] = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      gateway::AdminResponse response;
      if (request.path == "/budgets" || request.path == "/budgets/") {
        response = budgets_response(request.method);
      } else if (!store_) {
        response = {503,
                    "{\"error\":{\"message\":\"the admin API needs a store (auth: keys, or a "
                    "store: section)\",\"type\":\"service_unavailable_error\",\"param\":null,"
                    "\"code\":\"no_store\"}}",
                    {}};
      } else {
        admin::Call call{request.method, request.path,  request.query,
                         request.body,   request.actor, clock_.unix_ms()};
        admin::Reply reply = admin::handle(*store_, *config_, call);
        if (reply.changed) {
          try {
            reload();
          } catch (const std::exception& e) {
            spdlog::warn("keys and teams could not be reloaded after an admin call: {}", e.what());
          }
        }
        response = {reply.status, std::move(reply.body), std::move(reply.allow)};
      }
      done(std::move(response));
      lock.lock();
    }
    if (stopping_) {
      // Requests may still wait on what was queued before the stop: answer them all.
      auto batch = std::move(keeps_);
      keeps_.clear();
      auto reads = std::move(reads_);
      reads_.clear();
      lock.unlock();
      write_kept(std::move(batch));
      for (auto& read : reads) read();
      break;
    }
    lock.unlock();
    std::int64_t now = clock_.unix_ms();
    // Other processes' changes, once a refresh interval: the loop also wakes for every batch of
    // kept responses and every read, which must not each cost a store round trip.
    if (store_ && now - last_refresh >= config_->store.refresh.count()) {
      last_refresh = now;
      try {
        if (store_->change_version() != store_version_) reload();
      } catch (const std::exception& e) {
        // The snapshot in hand stays in force; the operator hears of it, not every second.
        if (now - last_warning >= kWarnEveryMs) {
          spdlog::warn("the store could not be read ({}); keys and teams stay as they were",
                       e.what());
          last_warning = now;
        }
      }
    }
    if (now - last_sweep >= kSweepEveryMs) {
      limiter_.sweep(now);
      budgets_.sweep(now);
      last_sweep = now;
      if (store_) {
        try {
          if (std::int64_t gone = store_->delete_expired_responses(now))
            spdlog::info("{} kept Responses API response(s) expired and were deleted", gone);
        } catch (const std::exception& e) {
          spdlog::warn("expired Responses API responses could not be deleted: {}", e.what());
        }
      }
    }
    lock.lock();
  }
}

void AccessService::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  if (!store_) return;
  try {
    std::vector<WindowState> windows;
    for (auto& w : limiter_.windows(clock_.unix_ms()))
      windows.push_back({std::move(w.subject), std::move(w.kind), w.start_ms, w.used});
    store_->save_windows(windows);
  } catch (const std::exception& e) {
    spdlog::warn("rate-limit windows could not be saved ({}); a restart refills them", e.what());
  }
}

}  // namespace tollbooth
