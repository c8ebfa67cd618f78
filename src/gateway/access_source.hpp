#pragma once
// What the gateway needs from outside to decide who may ask (implemented by app/, which owns
// the store): the current snapshot of keys and teams, the process's rate limiter, and a way to
// run admin API calls on the store's own thread, so no event loop ever waits on the database.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/budget.hpp"
#include "access/limiter.hpp"
#include "core/stored_response.hpp"

namespace tollbooth {
namespace access {
class Snapshot;
}

namespace gateway {

struct AdminRequest {
  std::string method;
  std::string path;  // after /admin/v1
  std::string query;
  std::string body;
  std::string actor;  // "admin_key" or "key:<id>", for the audit log
};

struct AdminResponse {
  int status = 500;
  std::string body;   // JSON
  std::string allow;  // a 405's Allow header value
};

// What a lookup of kept Responses API responses found (AccessSource::find_response).
using ResponseLookup = KeptConversation;

class AccessSource {
 public:
  virtual ~AccessSource() = default;

  // Grows whenever snapshot() would return a new one; a worker compares it (one relaxed load)
  // before taking the snapshot again.
  virtual std::uint64_t generation() const noexcept = 0;
  virtual std::shared_ptr<const access::Snapshot> snapshot() const = 0;

  // The limiter every worker of this process shares (the local one; Redis comes beside it).
  virtual access::Limiter& limiter() noexcept = 0;
  // The budgets every worker of this process shares, their spent seeded from the ledger.
  virtual access::BudgetBook& budgets() noexcept = 0;

  // Sums a key's (team false) or team's charge in the ledger since `since_ms`, on the store's
  // thread, and calls `done` there with it (nullopt when the store cannot be read, or there is
  // none): what a shared budget's period starts from in Redis.
  virtual void charge_since(bool team, std::string id, std::int64_t since_ms,
                            std::function<void(std::optional<std::int64_t>)> done) = 0;

  // Runs an admin API call on the store's thread and calls `done` there, with the snapshot
  // already reloaded when the call changed keys or teams.
  virtual void admin(AdminRequest request, std::function<void(AdminResponse)> done) = 0;

  // ---- kept Responses API responses: on the store's thread, `done` called there once ------
  // Without a store (the default here) nothing is kept and every call fails.
  virtual bool keeps_responses() const noexcept { return false; }
  // Keeps `r` (writes are batched: one transaction for those waiting together); `done(true)`
  // once it is in the store, where any instance sharing it can read it.
  virtual void keep_response(StoredResponse r, std::function<void(bool kept)> done) {
    (void)r;
    done(false);
  }
  // The response `id` of `key`; with `conversation_bytes` > 0 also the responses it continued
  // (ResponseLookup::chain), too_long once their input items and responses pass that many
  // bytes.
  virtual void find_response(std::string key, std::string id, std::size_t conversation_bytes,
                             std::function<void(ResponseLookup)> done) {
    (void)key, (void)id, (void)conversation_bytes;
    done(ResponseLookup{ResponseLookup::Status::store_failed, {}, {}});
  }
  // Deletes the response `id` of `key`: done(true) when it was there, false when not, nullopt
  // when the store failed.
  virtual void delete_response(std::string key, std::string id,
                               std::function<void(std::optional<bool>)> done) {
    (void)key, (void)id;
    done(std::nullopt);
  }
};

}  // namespace gateway
}  // namespace tollbooth
