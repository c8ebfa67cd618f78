#pragma once
// Spending budgets of keys and teams: their periods on the UTC calendar, and the local book of
// what each subject has spent and has reserved by requests in flight (docs/money.md, Budgets).
//
// The rules (the shared book in limits/redis_budgets.hpp keeps exactly these):
// - A subject is "key:<id>" or "team:<id>", each with its own Budget; a request is admitted for
//   its key and, if it has one, its team. A subject whose budget is 0 is not counted at all.
// - A period is [period_start_ms, period_end_ms) on UTC calendar boundaries: a day from
//   midnight, a week from Monday 00:00, a month from the 1st 00:00; `total` is one period from
//   0 that never ends. Each period counts from 0 (what the book knows: see load()).
// - Per subject and period the book keeps `spent` (the settled charge) and `reserved` (the
//   worst cases of the requests in flight), integer micro-dollars.
// - A request is admitted when, for every counted subject, spent + reserved + worst <= limit
//   and spent + reserved < limit (a budget used up refuses even a request that may cost 0,
//   as a tpm window at its limit does). Then `worst` is reserved on every subject together;
//   otherwise nothing changes anywhere (all subjects are checked and changed under their
//   shards' locks), so two requests racing for the last dollars cannot both pass.
// - The end of the request settles it: its reservation is released and its actual charge is
//   added to spent, once. When every request settles at most what it reserved, spent never
//   goes above the limit.
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/limiter.hpp"  // kMaxSubjects
#include "access/records.hpp"
#include "core/money.hpp"

namespace tollbooth::access {

// The end of a period that has none (`total`).
inline constexpr std::int64_t kNoPeriodEnd = std::numeric_limits<std::int64_t>::max();

// The start of the period of `per` that contains `now_ms` (Unix ms, UTC): that day's 00:00, the
// Monday 00:00 on or before it, the 1st of its month 00:00; 0 for `total`.
std::int64_t period_start_ms(BudgetPeriod per, std::int64_t now_ms) noexcept;
// The end of that period, exclusive: the next period's start; kNoPeriodEnd for `total`.
std::int64_t period_end_ms(BudgetPeriod per, std::int64_t now_ms) noexcept;

// "$800.00", "$0.000125", "-$3.50": exact, at least two decimals, no trailing zeros after them.
std::string dollars_text(Money micros);

// One subject of an admission. `name` is "key:<id>" or "team:<id>" and must stay valid during
// the call.
struct BudgetSubject {
  std::string_view name;
  Budget budget;
  // name_hash(name), when the caller keeps it (a snapshot's subjects); 0: admit works it out.
  // Any other value puts the subject in the wrong shard and map slot.
  std::size_t name_hash = 0;
};

struct BudgetRefusal {
  std::string_view subject;  // the BudgetSubject's name, as passed to admit
  Budget budget;             // its limit, period and soft threshold
  // Both figures are reported, not their sum alone: `spent` is money really charged, and
  // `reserved` is the worst case of requests still running, most of which they will give back.
  // The check compares their sum; a client told only the sum ("$805 of $800") would believe
  // it had spent money it had not.
  Money spent = 0;
  Money reserved = 0;
  Money requested = 0;  // this request's worst case
  std::int64_t period_start_ms = 0;
  // When the budget resets: its period's end (Unix ms); 0 for a `total` budget, or when `never`.
  std::int64_t resets_at_ms = 0;
  bool never = false;  // the worst case alone is more than the whole limit: no period fits it
};

// The refusal in words, naming the subject, the budget, what is spent and reserved, and when it
// resets: "team research has used its budget of $800.00 a month: $612.40 spent and $187.60
// reserved by requests in flight, and this request may cost up to $1.20; it resets at
// 2026-12-01T00:00:00Z".
std::string describe(const BudgetRefusal& refusal);

// The check of one subject, shared by the local and the shared book: a refusal, or nothing when
// `worst` fits. `spent` and `reserved` are the subject's in the period starting at
// `period_start_ms` (the one `now_ms` is in).
std::optional<BudgetRefusal> check_budget(const BudgetSubject& subject, Money spent, Money reserved,
                                          Money worst, std::int64_t period_start_ms);

// Of two refusals, whether `a` is the one to report rather than `b`: one no wait can cure, else
// the one that resets later (a client that waits for the earlier would be refused again), else
// the earlier subject.
bool worse(const BudgetRefusal& a, const BudgetRefusal& b) noexcept;

// A soft threshold reached by a settle: the caller writes the event. Reported once per subject,
// threshold and period, by the settle whose charge took spent from below the threshold to at or
// above it.
struct SoftCrossing {
  std::string subject;
  Budget budget;  // the limit and threshold (soft_bp) crossed, and the period
  Money spent = 0;
  std::int64_t period_start_ms = 0;
  std::int64_t at_ms = 0;  // the settle's time
  bool operator==(const SoftCrossing&) const = default;
};

// Whether spent going from `before` to `after` reaches the budget's soft threshold
// (after / limit >= soft_bp / 10000, compared exactly) for the first time.
bool crosses_soft(const Budget& budget, Money before, Money after) noexcept;

// A subject's figures, for tests and reports.
struct BudgetState {
  std::string subject;
  std::int64_t period_start_ms = 0;
  Money spent = 0;
  Money reserved = 0;
  bool operator==(const BudgetState&) const = default;
};

class BudgetBook;
struct BudgetSubjectState;

// One admitted request's reservation. Move-only; settled exactly once: by settle(), or by its
// destructor with a charge of 0, so no reservation is ever left behind (a client that left, an
// upstream that failed, an exception). A ticket must not outlive its BudgetBook. A
// default-constructed, moved-from or settled ticket holds nothing.
class BudgetTicket {
 public:
  BudgetTicket() = default;
  BudgetTicket(BudgetTicket&& other) noexcept;
  BudgetTicket& operator=(BudgetTicket&& other) noexcept;
  BudgetTicket(const BudgetTicket&) = delete;
  BudgetTicket& operator=(const BudgetTicket&) = delete;
  ~BudgetTicket();

  explicit operator bool() const noexcept { return book_ != nullptr; }
  Money reserved_micros() const noexcept { return reserved_; }

  // BudgetBook::settle on this ticket.
  std::vector<SoftCrossing> settle(Money actual_charge_micros, std::int64_t now_ms);

 private:
  friend class BudgetBook;
  struct Slot {
    BudgetSubjectState* state = nullptr;  // pinned (not swept) until settled
    std::uint32_t shard = 0;
    std::int64_t period_start = 0;  // the period the reservation went into
    Budget budget;                  // as it was at admission, for the soft threshold
  };
  BudgetBook* book_ = nullptr;
  std::array<Slot, kMaxSubjects> slots_{};
  std::uint8_t n_ = 0;
  Money reserved_ = 0;
};

struct BudgetAdmission {
  bool admitted = false;
  BudgetTicket ticket;    // when admitted
  BudgetRefusal refusal;  // when not
};

// One per process, shared by every worker thread (like the Limiter): subjects in kShards shards,
// each a lock and a hash map; an admission locks the shards of its subjects in index order.
class BudgetBook {
 public:
  static constexpr std::size_t kShards = 64;

  BudgetBook();
  ~BudgetBook();
  BudgetBook(const BudgetBook&) = delete;
  BudgetBook& operator=(const BudgetBook&) = delete;

  // Reserves `worst_case_micros` (negative counts as 0) on every subject with a budget at once,
  // or refuses and changes nothing. When several subjects refuse, the worse refusal (above) is
  // reported. A subject's period is the one of its budget's `per` that contains now_ms; a
  // period that has ended gives way to the next, from 0. The budget as passed is the one in
  // force: a limit raised takes effect on the next admission, and spent is kept. Throws
  // std::invalid_argument for more than kMaxSubjects subjects.
  BudgetAdmission admit(std::span<const BudgetSubject> subjects, Money worst_case_micros,
                        std::int64_t now_ms);

  // Releases the ticket's reservation and adds the actual charge (negative counts as 0) to
  // spent, on every subject, exactly once per ticket (later calls do nothing). A charge settled
  // after its period ended counts in the period it was reserved in: the period the request was
  // admitted (and checked) in; the next period never saw its reservation, so it gets neither
  // the release nor the charge. Returns the soft thresholds this settle crossed; now_ms is
  // only their time.
  std::vector<SoftCrossing> settle(BudgetTicket& ticket, Money actual_charge_micros,
                                   std::int64_t now_ms) noexcept;

  // Seeds a subject's spent for the period starting at period_start_ms, at start-up, from the
  // ledger (the caller sums it from the store). It never lowers what the book counts: the same
  // period keeps the larger of the two figures (charges settled here and not yet in the
  // ledger stay counted); an older period than the book's is ignored; a newer one replaces it.
  // Only subjects with a budget are counted, so a budget set on a subject that had none (or a
  // `per` changed mid-period) starts from what the book knows: the caller loads its period.
  void load(std::string_view subject, std::int64_t period_start_ms, Money spent);

  // Every subject's current figures, sorted by subject.
  std::vector<BudgetState> snapshot() const;

  // Forgets subjects with no request in flight whose period ended before now_ms (or that were
  // only ever refused); returns how many. Call it now and then so subjects seen once do not stay in
  // memory.
  std::size_t sweep(std::int64_t now_ms);

 private:
  struct Shard;
  Shard& shard_for(std::string_view name, std::uint32_t& index) const;

  std::unique_ptr<Shard[]> shards_;
};

}  // namespace tollbooth::access
