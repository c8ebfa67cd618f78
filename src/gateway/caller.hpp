#pragma once
// Who is asking, for one request: decided once in Gateway::handle, before the endpoint runs,
// from the Authorization (or api-key) header, the snapshot of keys and teams, and the config's
// auth mode. The endpoints and the flow read it to check models and regions, to admit the
// request against its rate limits, and to decide how much of the gateway's insides an error
// may show.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/budget.hpp"
#include "access/limiter.hpp"
#include "access/records.hpp"
#include "access/snapshot.hpp"
#include "limits/redis_budgets.hpp"
#include "limits/redis_limiter.hpp"

namespace tollbooth::gateway {

// An admission counted in Redis: released when the request ends, however it ends.
class RedisAdmission {
 public:
  RedisAdmission() = default;
  // `limiter` is the gateway's; the admission gives nothing back once it is gone (a hard stop
  // destroys the gateway before the request frames still suspended on its loop).
  RedisAdmission(std::weak_ptr<limits::RedisLimiter> limiter,
                 std::span<const access::LimitSubject> subjects,
                 const limits::Ticket& ticket) noexcept
      : limiter_(std::move(limiter)), subjects_(subjects), ticket_(ticket), held_(true) {}
  RedisAdmission(const RedisAdmission&) = delete;
  RedisAdmission& operator=(const RedisAdmission&) = delete;
  RedisAdmission& operator=(RedisAdmission&& other) noexcept {
    std::swap(limiter_, other.limiter_);
    std::swap(subjects_, other.subjects_);
    std::swap(ticket_, other.ticket_);
    std::swap(held_, other.held_);
    return *this;
  }
  ~RedisAdmission() {
    if (!held_) return;
    try {
      if (auto limiter = limiter_.lock()) limiter->release(subjects_, ticket_);
    } catch (...) {
      // Out of memory queueing the command: the slot lapses by itself (limits::kSlotTtlMs).
    }
  }
  explicit operator bool() const noexcept { return held_; }
  std::int64_t reserved_tokens() const noexcept { return ticket_.reserved; }
  // Corrects the reservation, then gives the slots back; once.
  void settle(std::int64_t actual_tokens) {
    if (!held_) return;
    held_ = false;
    if (auto limiter = limiter_.lock()) {
      limiter->settle(subjects_, ticket_, actual_tokens);
      limiter->release(subjects_, ticket_);
    }
  }

 private:
  std::weak_ptr<limits::RedisLimiter> limiter_;
  std::span<const access::LimitSubject> subjects_;
  limits::Ticket ticket_;
  bool held_ = false;
};

// A budget reservation held in Redis (store.redis): settled with the request's charge when it
// ends, or with 0 if it ends without settling (an exception), so nothing stays reserved.
class RedisBudgetAdmission {
 public:
  RedisBudgetAdmission() = default;
  RedisBudgetAdmission(std::weak_ptr<limits::RedisBudgets> budgets,
                       const std::array<access::BudgetSubject, 2>& subjects, std::size_t n,
                       const limits::RedisBudgetTicket& ticket, std::int64_t now_ms) noexcept
      : budgets_(std::move(budgets)),
        subjects_(subjects),
        n_(n),
        ticket_(ticket),
        admitted_ms_(now_ms),
        held_(true) {}
  RedisBudgetAdmission(const RedisBudgetAdmission&) = delete;
  RedisBudgetAdmission& operator=(const RedisBudgetAdmission&) = delete;
  RedisBudgetAdmission& operator=(RedisBudgetAdmission&& other) noexcept {
    std::swap(budgets_, other.budgets_);
    std::swap(subjects_, other.subjects_);
    std::swap(n_, other.n_);
    std::swap(ticket_, other.ticket_);
    std::swap(admitted_ms_, other.admitted_ms_);
    std::swap(held_, other.held_);
    return *this;
  }
  ~RedisBudgetAdmission() {
    try {
      settle(0, admitted_ms_);
    } catch (...) {
      // Out of memory queueing the command: the reservation lapses (limits::kReservationTtlMs).
    }
  }
  explicit operator bool() const noexcept { return held_; }
  void settle(Money actual_micros, std::int64_t now_ms) {
    if (!held_) return;
    held_ = false;
    if (auto budgets = budgets_.lock())
      budgets->settle({subjects_.data(), n_}, ticket_, actual_micros, now_ms);
  }

 private:
  std::weak_ptr<limits::RedisBudgets> budgets_;
  std::array<access::BudgetSubject, 2> subjects_{};
  std::size_t n_ = 0;
  limits::RedisBudgetTicket ticket_;
  std::int64_t admitted_ms_ = 0;
  bool held_ = false;
};

struct Caller {
  // Keeps the key and team the principal points into alive for the request's whole life.
  std::shared_ptr<const access::Snapshot> snapshot;
  std::optional<access::Principal>
      principal;           // a virtual key; none for the admin key or auth: none
  bool admin_key = false;  // presented server.admin_key
  access::ScopeSet scopes = 0;
  bool sees_routing = false;  // the plan header and catalog facts (routing:explain)
  bool sees_insides = true;   // error messages naming routes, providers and upstream replies
  // The planner's allowed_regions (empty = every region): the principal's, in the snapshot.
  std::span<const std::string> regions;
  // The rate-limit admission, settled when the request ends: the local limiter's, or Redis's.
  access::Ticket ticket;
  // When the local limiter admitted it (0: it did not): the budgets' time too, and the plan's.
  std::int64_t admitted_ms = 0;
  RedisAdmission redis;
  // The budget reservation (the process's BudgetBook, or Redis's with store.redis), settled
  // with the request's charge.
  access::BudgetTicket budget;
  RedisBudgetAdmission redis_budget;

  bool may(access::Scope s) const noexcept { return (scopes & access::scope_bit(s)) != 0; }
  // Who made an admin call, for the audit log: "admin_key" or "key:<id>".
  std::string actor() const;
  // The key's id, or empty.
  std::string_view key_id() const noexcept;
  std::string_view team_id() const noexcept;
};

}  // namespace tollbooth::gateway
