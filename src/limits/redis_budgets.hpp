#pragma once
// Budgets shared by every gateway process through Redis, so that three replicas under one $800
// team budget spend $800, not $2,400. One RedisBudgets per worker, beside its RedisLimiter, on
// the same RedisClient (one connection each).
//
// The rules are the local book's (access/budget.hpp; docs/money.md, Budgets), kept exactly, and
// so are the types: the same subjects, refusals and soft crossings, so the gateway answers the
// same whichever book counted. In short: per subject and calendar period, `spent` (settled
// charge) and `reserved` (worst cases in flight); a request is admitted when spent + reserved +
// worst <= limit for every subject with a budget, and then reserved on all of them at once (one
// Redis function call checks and reserves); the end of a request releases the reservation and
// adds the actual charge, in the period it was reserved in.
//
// What lives where:
// - The figures: per subject and period, a hash `tb:{<subject>}:budget:<period_start_ms>`
//   (fields `spent`, `reserved`) and a sorted set `...:res` of the reservations in flight,
//   members "<ticket id>:<micro-dollars>", scored by the instant (Redis's clock) each lapses.
//   The period's start, in the key, comes from the gateway's clock (a calendar period must be
//   named before the call); both keys expire kBudgetGraceMs after the period ends (`total`:
//   never), so a late settle still finds its period.
// - A reservation whose request never settles (its gateway crashed, or its release was dropped
//   from a full queue) lapses by itself kReservationTtlMs after its admission: the next
//   admission of that subject finds it past its score, removes it and gives its amount back.
// - A period's hash starts with its `spent` seeded from the store (the ledger's sum for that
//   subject and period, through the SpentLoader): Redis may have been flushed or restarted, or
//   the period be new. Seeding is HSETNX: of two gateways seeding at once, the first wins and
//   the second's figure (the same sum) is ignored. Until seeded, a subject is neither admitted
//   nor refused: admit() seeds it and asks again.
//
// When Redis cannot be reached, admit() answers `unavailable` at once, without waiting; the
// caller applies store.redis_failure (fail_open or fail_closed), as for the rate limits.
// settle() is fire and forget, pipelined with everything else on the connection. What cannot
// be sent waits in a queue (at most max_pending, the oldest dropped first; their reservations
// lapse) and is sent ahead of this worker's next admission or settle once the connection is
// ready again (the next admission therefore sees it applied; the client's one on_ready hook is
// the limiter's):
// - a settle not sent (it names its period, so late is still exact);
// - a release (a settle of charge 0) sent on a connection that dropped before it was answered:
//   it only removes one reservation, so running it twice is harmless;
// - a settle with a charge that was sent and went unanswered is not sent again: it may have
//   run, and a charge must count once. Its reservation lapses; if it did not run, its charge
//   is missing from Redis's figure for the period (the ledger has it, and seeds the next
//   period's figure, or this one's after a flush);
// - the reservation of an admission that was sent but whose answer was lost (the connection
//   dropped, a malformed or error reply): Redis may have made it, so it is released whether or
//   not it was.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "access/budget.hpp"
#include "access/records.hpp"
#include "core/money.hpp"
#include "limits/redis_client.hpp"
#include "net/asio.hpp"

namespace tollbooth::limits {

// How long a reservation lives without a settle: longer than any request should take.
inline constexpr std::int64_t kReservationTtlMs = 600'000;
// How long a period's figures stay in Redis after it ends: room for late settles.
inline constexpr std::int64_t kBudgetGraceMs = 86'400'000;
// Settles waiting for Redis to come back, per worker (about 150 bytes each).
inline constexpr std::size_t kMaxPendingSettles = 100'000;

// The budgets' Redis function library, loaded with FUNCTION LOAD REPLACE on every connection
// beside the rate limits' (tollbooth_v1, unchanged). It is a library of its own so each can
// change without the other: a change to this code is a new version in the library's and every
// function's name, so gateways of two versions can share one Redis during a rolling upgrade.
inline constexpr std::string_view kBudgetLibraryName = "tollbooth_budgets_v1";
inline constexpr std::string_view kBudgetAdmitFunction = "tollbooth_budget_admit_v1";
inline constexpr std::string_view kBudgetSettleFunction = "tollbooth_budget_settle_v1";
inline constexpr std::string_view kBudgetSeedFunction = "tollbooth_budget_seed_v1";
// The library's Lua source ("#!lua name=tollbooth_budgets_v1" first).
std::string_view budget_library_code() noexcept;

// The keys of a subject's period: "tb:{key:k1}:budget:1764547200000" and that plus ":res".
std::string budget_key(std::string_view subject, std::int64_t period_start_ms);

// What settle() needs to know of an admission: keep it with the request. Indexes are positions
// in the span of subjects given to admit(); pass the same span again.
struct RedisBudgetTicket {
  std::uint64_t id = 0;   // the reservation's id (random, unique enough)
  Money reserved = 0;     // the worst case reserved on each counted subject
  std::uint8_t held = 0;  // bit i: subject i has a reservation
  std::array<std::int64_t, access::kMaxSubjects> period_start{};  // the period each went into
  std::array<access::Budget, access::kMaxSubjects> budget{};      // as admitted
};

struct BudgetDecision {
  bool admitted = false;
  bool unavailable = false;  // Redis (or the store, to seed) could not be asked: not admitted
  // When refused: which subject (an index into the span given to admit) and why; the refusal's
  // `subject` views that subject's name. access::describe(refusal) says it in words.
  int refused_subject = -1;
  access::BudgetRefusal refusal;
  // Subjects whose period Redis does not know yet (bit i: subject i): seeded, then asked again.
  std::uint8_t unseeded = 0;
  RedisBudgetTicket ticket;  // when admitted
};

// The spent of a subject in the period [start, end) as the store's ledger has it; nullopt when
// the store could not be read (the admission is then `unavailable`). Called on the worker's
// thread; it must not block it (the store is read on another thread) and must resume on the
// worker's executor.
using SpentLoader = std::function<Awaitable<std::optional<Money>>(
    std::string subject, std::int64_t period_start_ms, std::int64_t period_end_ms)>;

struct RedisBudgetsOptions {
  std::int64_t reservation_ttl_ms = kReservationTtlMs;
  std::int64_t grace_ms = kBudgetGraceMs;
  std::size_t max_pending = kMaxPendingSettles;  // only tests change it
};

class RedisBudgets {
 public:
  // Adds the loading of the function library to the client's setup: construct before
  // client.start(). The client must outlive this. Without a loader, a period Redis does not
  // know starts at 0.
  RedisBudgets(RedisClient& client, SpentLoader loader, RedisBudgetsOptions options = {});
  ~RedisBudgets();
  RedisBudgets(const RedisBudgets&) = delete;
  RedisBudgets& operator=(const RedisBudgets&) = delete;

  // Reserves `worst_case_micros` on every subject with a budget at once, or refuses and
  // changes nothing (the subjects' names must stay valid until it completes); `unavailable` at once
  // when the client is not connected. Each subject's period is the one of its budget containing
  // now_ms (the gateway's clock). A request with no budgeted subject is admitted without Redis.
  // Throws std::invalid_argument for more than access::kMaxSubjects subjects.
  Awaitable<BudgetDecision> admit(std::span<const access::BudgetSubject> subjects,
                                  Money worst_case_micros, std::int64_t now_ms);

  // Releases the admission's reservations and adds the actual charge to each subject's spent,
  // in the period the reservation went into. Once per admitted request (a charge of 0 for a
  // request that ended without one). Fire and forget; queued while Redis is away (see above).
  // A soft threshold it crosses is reported to the hook (exactly one gateway sees a crossing:
  // the one whose settle crossed it, atomically in Redis), with now_ms as its time.
  void settle(std::span<const access::BudgetSubject> subjects, const RedisBudgetTicket& ticket,
              Money actual_charge_micros, std::int64_t now_ms);

  // What `subject` ("team:<id>") has used of its budget in the period starting at
  // period_start_ms, all gateways together: settled spend plus reservations held; 0 for a
  // period Redis does not know yet (no request was admitted in it). nullopt when Redis cannot
  // be asked.
  Awaitable<std::optional<Money>> used(std::string_view subject, std::int64_t period_start_ms);

  // Where soft crossings go (the gateway writes the event); called on the worker's thread.
  void on_soft_crossing(std::function<void(const access::SoftCrossing&)> hook);

  // Settles waiting for the connection to be ready (for tests and metrics).
  std::size_t pending() const noexcept;

  RedisClient& client() noexcept { return client_; }

 private:
  // The queue of settles waiting for Redis, and the crossing hook; shared with the completions
  // of settles in flight, which may outlive this object.
  struct Pending;

  Awaitable<BudgetDecision> admit_once(std::span<const access::BudgetSubject> subjects, Money worst,
                                       std::int64_t now_ms, std::uint64_t id);
  Awaitable<bool> seed(std::span<const access::BudgetSubject> subjects, std::uint8_t unseeded,
                       std::int64_t now_ms);

  RedisClient& client_;
  SpentLoader loader_;
  RedisBudgetsOptions options_;
  std::mt19937_64 ids_;
  std::int64_t last_error_log_ms_ = 0;
  std::shared_ptr<Pending> pending_;
};

// The decision for an admit function's reply (exposed for tests): the refusal to report, the
// subjects to seed, the ticket. `period_start` holds each subject's period (by index into
// `subjects`). A reply of the wrong shape is `unavailable`.
BudgetDecision decide_budget_admission(std::span<const access::BudgetSubject> subjects, Money worst,
                                       std::span<const std::int64_t> period_start,
                                       const RedisReply& reply);

}  // namespace tollbooth::limits
