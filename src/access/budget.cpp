#include "access/budget.hpp"
#include "access/shards.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "core/date.hpp"

namespace tollbooth::access {
namespace {
// No period yet: any period starts after it.
constexpr std::int64_t kNoPeriod = std::numeric_limits<std::int64_t>::min();
}  // namespace

// A subject's figures in the period it is in. Made under its shard's lock, read and changed only
// under it.
struct BudgetSubjectState {
  std::int64_t period_start = kNoPeriod;   // until the first admission or load
  std::int64_t period_end = kNoPeriodEnd;  // of the budget's `per` at the last admission
  // The `per` period_end was worked out for; none after a load() (the period is known, its
  // `per` is not). While an admission's budget has this `per` and its time falls in
  // [period_start, period_end), the period is this one, without calendar arithmetic.
  std::optional<BudgetPeriod> per;
  Money spent = 0;
  Money reserved = 0;
  // Tickets not yet settled that reserved on this state (in this period or an older one): they
  // keep sweep() from freeing it.
  std::int64_t tickets = 0;
  const std::string* name = nullptr;  // the map's key (nodes do not move)
};

namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

std::int64_t day_ms(Days d) noexcept {
  return static_cast<std::int64_t>(d) * kMsPerDay;
}

std::chrono::sys_days to_sys(Days d) noexcept {
  return std::chrono::sys_days(std::chrono::days(d));
}

Days from_sys(std::chrono::sys_days d) noexcept {
  return static_cast<Days>(d.time_since_epoch().count());
}

// The Monday on or before day d. 1970-01-01 (day 0) was a Thursday: three days after a Monday.
Days monday_of(Days d) noexcept {
  std::int64_t since_monday = (static_cast<std::int64_t>(d) + 3) % 7;
  if (since_monday < 0) since_monday += 7;
  return static_cast<Days>(d - since_monday);
}

Days first_of_month(Days d) noexcept {
  std::chrono::year_month_day ymd(to_sys(d));
  return from_sys(std::chrono::sys_days(ymd.year() / ymd.month() / 1));
}

Days first_of_next_month(Days d) noexcept {
  std::chrono::year_month_day ymd(to_sys(d));
  std::chrono::year_month first = ymd.year() / ymd.month();
  first += std::chrono::months(1);
  return from_sys(std::chrono::sys_days(first / 1));
}

std::string_view per_words(BudgetPeriod per) noexcept {
  switch (per) {
    case BudgetPeriod::day: return "a day";
    case BudgetPeriod::week: return "a week";
    case BudgetPeriod::month: return "a month";
    case BudgetPeriod::total: return "in total";
  }
  return "";
}

std::string subject_words(std::string_view subject) {
  std::string out(subject);
  if (auto colon = out.find(':'); colon != std::string::npos) out[colon] = ' ';
  return out;
}

Money saturating_add(Money a, Money b) noexcept {
  Money out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::numeric_limits<Money>::max();
  return out;
}

}  // namespace

std::int64_t period_start_ms(BudgetPeriod per, std::int64_t now_ms) noexcept {
  Days today = days_from_unix_ms(now_ms);
  switch (per) {
    case BudgetPeriod::day: return day_ms(today);
    case BudgetPeriod::week: return day_ms(monday_of(today));
    case BudgetPeriod::month: return day_ms(first_of_month(today));
    case BudgetPeriod::total: return 0;
  }
  return 0;
}

std::int64_t period_end_ms(BudgetPeriod per, std::int64_t now_ms) noexcept {
  Days today = days_from_unix_ms(now_ms);
  switch (per) {
    case BudgetPeriod::day: return day_ms(today + 1);
    case BudgetPeriod::week: return day_ms(monday_of(today) + 7);
    case BudgetPeriod::month: return day_ms(first_of_next_month(today));
    case BudgetPeriod::total: return kNoPeriodEnd;
  }
  return kNoPeriodEnd;
}

std::string dollars_text(Money micros) {
  std::string out = micros < 0 ? "-$" : "$";
  std::uint64_t v =
      micros < 0 ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  out += std::to_string(v / kMicrosPerDollar);
  std::string fraction = std::to_string(v % kMicrosPerDollar + kMicrosPerDollar).substr(1);
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  out += '.';
  out += fraction;
  return out;
}

std::string describe(const BudgetRefusal& r) {
  std::string who = subject_words(r.subject);
  std::string budget =
      dollars_text(r.budget.limit_micros) + " " + std::string(per_words(r.budget.per));
  if (r.never) {
    return "this request may cost up to " + dollars_text(r.requested) + ", more than " + who +
           "'s whole budget of " + budget;
  }
  std::string out = who + " has used its budget of " + budget + ": " + dollars_text(r.spent) +
                    " spent and " + dollars_text(r.reserved) +
                    " reserved by requests in flight, and this request may cost up to " +
                    dollars_text(r.requested);
  if (r.resets_at_ms > 0) {
    out += "; it resets at " + format_instant(r.resets_at_ms);
  } else {
    out += "; it does not reset";
  }
  return out;
}

std::optional<BudgetRefusal> check_budget(const BudgetSubject& s, Money spent, Money reserved,
                                          Money worst, std::int64_t period_start) {
  Money limit = s.budget.limit_micros;
  if (limit <= 0) return std::nullopt;
  Money used = saturating_add(spent, reserved);
  worst = std::max<Money>(0, worst);
  bool never = worst > limit;
  if (!never && used < limit && worst <= limit - used) return std::nullopt;
  BudgetRefusal r;
  r.subject = s.name;
  r.budget = s.budget;
  r.spent = spent;
  r.reserved = reserved;
  r.requested = worst;
  r.period_start_ms = period_start;
  r.never = never;
  std::int64_t end = period_end_ms(s.budget.per, period_start);
  r.resets_at_ms = never || end == kNoPeriodEnd ? 0 : end;
  return r;
}

bool worse(const BudgetRefusal& a, const BudgetRefusal& b) noexcept {
  if (a.never != b.never) return a.never;
  // A budget that never resets (total) is the longest wait of all.
  auto wait = [](const BudgetRefusal& r) {
    return r.resets_at_ms == 0 ? kNoPeriodEnd : r.resets_at_ms;
  };
  return wait(a) > wait(b);
}

bool crosses_soft(const Budget& budget, Money before, Money after) noexcept {
  if (budget.limit_micros <= 0 || budget.soft_bp <= 0 || after <= before) return false;
  // spent / limit >= soft_bp / 10000, in 128 bits: no rounding, no overflow.
  using Wide = __int128;
  Wide threshold = Wide{budget.limit_micros} * budget.soft_bp;
  return Wide{before} * 10'000 < threshold && Wide{after} * 10'000 >= threshold;
}

// ---- BudgetTicket ----

BudgetTicket::BudgetTicket(BudgetTicket&& other) noexcept
    : book_(other.book_), slots_(other.slots_), n_(other.n_), reserved_(other.reserved_) {
  other.book_ = nullptr;
  other.n_ = 0;
}

BudgetTicket& BudgetTicket::operator=(BudgetTicket&& other) noexcept {
  if (this != &other) {
    if (book_) book_->settle(*this, 0, 0);
    book_ = other.book_;
    slots_ = other.slots_;
    n_ = other.n_;
    reserved_ = other.reserved_;
    other.book_ = nullptr;
    other.n_ = 0;
  }
  return *this;
}

BudgetTicket::~BudgetTicket() {
  // Never settled (the request ended some way the caller did not settle): release, charge 0.
  if (book_) book_->settle(*this, 0, 0);
}

std::vector<SoftCrossing> BudgetTicket::settle(Money actual_charge_micros, std::int64_t now_ms) {
  if (!book_) return {};
  return book_->settle(*this, actual_charge_micros, now_ms);
}

// ---- BudgetBook ----

struct BudgetBook::Shard {
  alignas(64) mutable ShardLock mu;  // own cache line: workers lock different shards at once
  std::unordered_map<std::string, BudgetSubjectState, NameHash, NameEq> subjects;
};

BudgetBook::BudgetBook() : shards_(std::make_unique<Shard[]>(kShards)) {}
BudgetBook::~BudgetBook() = default;

BudgetBook::Shard& BudgetBook::shard_for(std::string_view name, std::uint32_t& index) const {
  static_assert((kShards & (kShards - 1)) == 0, "kShards must be a power of two");
  index = shard_index(name, kShards);
  return shards_[index];
}

BudgetAdmission BudgetBook::admit(std::span<const BudgetSubject> subjects, Money worst_case_micros,
                                  std::int64_t now_ms) {
  if (subjects.size() > kMaxSubjects) {
    throw std::invalid_argument("BudgetBook::admit: more subjects than kMaxSubjects");
  }
  Money worst = std::max<Money>(0, worst_case_micros);

  struct Work {
    const BudgetSubject* subject;
    HashedName name;
    std::uint32_t index;
    Shard* shard;
    BudgetSubjectState* state;
    std::int64_t period_start;  // the period now_ms is in, for this subject's budget
    bool fresh;                 // the state holds an older period: this one starts from 0
    bool cached;                // the state's period_end is this period's, for this `per`
  };
  std::array<Work, kMaxSubjects> work{};
  std::size_t n = 0;
  for (const BudgetSubject& s : subjects) {
    if (s.budget.limit_micros <= 0) continue;  // no budget: not counted at all
    Work& w = work[n++];
    w.subject = &s;
    w.name = HashedName::of(s.name, s.name_hash);
    w.index = shard_index(w.name, kShards);
    w.shard = &shards_[w.index];
  }

  // Every shard involved is locked once, in index order: two admissions that share shards
  // cannot deadlock, and the check-then-reserve below is atomic across the subjects.
  std::array<std::uint32_t, kMaxSubjects> order{};
  for (std::size_t i = 0; i < n; ++i) order[i] = work[i].index;
  std::array<std::unique_lock<ShardLock>, kMaxSubjects> held;
  lock_in_order(order, n, held, [&](std::uint32_t i) -> ShardLock& { return shards_[i].mu; });

  BudgetAdmission out;
  bool refused = false;
  for (std::size_t i = 0; i < n; ++i) {
    Work& w = work[i];
    auto& map = w.shard->subjects;
    auto it = map.find(w.name);
    if (it == map.end()) {
      it = map.try_emplace(std::string(w.subject->name)).first;
      it->second.name = &it->first;
    }
    w.state = &it->second;
    const BudgetSubjectState& st = *w.state;
    w.cached =
        st.per == w.subject->budget.per && st.period_start <= now_ms && now_ms < st.period_end;
    if (w.cached) {
      w.period_start = st.period_start;
      w.fresh = false;
    } else {
      w.period_start = period_start_ms(w.subject->budget.per, now_ms);
      // Only forward: a clock stepped back over a boundary keeps counting in the newer period.
      w.fresh = st.period_start < w.period_start;
      if (!w.fresh) w.period_start = st.period_start;
    }
    Money spent = w.fresh ? 0 : st.spent;
    Money reserved = w.fresh ? 0 : st.reserved;
    if (auto r = check_budget(*w.subject, spent, reserved, worst, w.period_start)) {
      if (!refused || worse(*r, out.refusal)) out.refusal = *r;
      refused = true;
    }
  }
  if (refused) return out;  // nothing was changed

  BudgetTicket& t = out.ticket;
  t.book_ = this;
  t.reserved_ = worst;
  t.n_ = static_cast<std::uint8_t>(n);
  for (std::size_t i = 0; i < n; ++i) {
    Work& w = work[i];
    BudgetSubjectState& st = *w.state;
    if (w.fresh) {
      st.period_start = w.period_start;
      st.spent = 0;
      st.reserved = 0;
    }
    if (!w.cached) {
      st.period_end = period_end_ms(w.subject->budget.per, w.period_start);
      st.per = w.subject->budget.per;
    }
    st.reserved += worst;  // within the limit: checked above
    st.tickets += 1;
    t.slots_[i] = {&st, w.index, w.period_start, w.subject->budget};
  }
  out.admitted = true;
  return out;
}

std::vector<SoftCrossing> BudgetBook::settle(BudgetTicket& ticket, Money actual_charge_micros,
                                             std::int64_t now_ms) noexcept {
  std::vector<SoftCrossing> crossings;
  if (ticket.book_ != this) return crossings;
  Money charge = std::max<Money>(0, actual_charge_micros);
  for (std::size_t i = 0; i < ticket.n_; ++i) {
    const BudgetTicket::Slot& slot = ticket.slots_[i];
    std::lock_guard lock(shards_[slot.shard].mu);
    BudgetSubjectState& st = *slot.state;
    // The reservation went into slot.period_start. If the state has moved on to a later period,
    // the reservation and the charge belong to the one that ended (the ledger has the charge
    // with its time), and the current period is not touched.
    if (st.period_start == slot.period_start) {
      st.reserved = std::max<Money>(0, st.reserved - ticket.reserved_);
      Money before = st.spent;
      st.spent = saturating_add(st.spent, charge);
      if (crosses_soft(slot.budget, before, st.spent)) {
        try {
          crossings.push_back({*st.name, slot.budget, st.spent, slot.period_start, now_ms});
        } catch (...) {
          // Out of memory for an event: the money is right, the event is lost.
        }
      }
    }
    st.tickets -= 1;  // last: the state (and its name) may be swept from here on
  }
  ticket.book_ = nullptr;
  ticket.n_ = 0;
  return crossings;
}

void BudgetBook::load(std::string_view subject, std::int64_t period_start, Money spent) {
  std::uint32_t index = 0;
  Shard& shard = shard_for(subject, index);
  std::lock_guard lock(shard.mu);
  auto it = shard.subjects.find(subject);
  if (it == shard.subjects.end()) {
    it = shard.subjects.try_emplace(std::string(subject)).first;
    it->second.name = &it->first;
  }
  BudgetSubjectState& st = it->second;
  spent = std::max<Money>(0, spent);
  if (period_start < st.period_start) return;  // older than what the book counts
  if (period_start > st.period_start) {
    st.period_start = period_start;
    st.period_end = kNoPeriodEnd;  // not known until an admission names the budget's `per`
    st.per.reset();
    st.spent = spent;
    st.reserved = 0;  // reservations in flight went into the older period
    return;
  }
  st.spent = std::max(st.spent, spent);
}

std::vector<BudgetState> BudgetBook::snapshot() const {
  std::vector<BudgetState> out;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    for (const auto& [name, st] : shards_[i].subjects) {
      if (st.period_start == kNoPeriod) continue;  // only ever refused: nothing counted
      out.push_back({name, st.period_start, st.spent, st.reserved});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const BudgetState& a, const BudgetState& b) { return a.subject < b.subject; });
  return out;
}

std::size_t BudgetBook::sweep(std::int64_t now_ms) {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    removed += std::erase_if(shards_[i].subjects, [&](const auto& entry) {
      const BudgetSubjectState& st = entry.second;
      if (st.tickets != 0) return false;
      // Only ever refused (nothing counted), or its period is over (the next starts from 0).
      return st.period_start == kNoPeriod ||
             (st.period_end != kNoPeriodEnd && st.period_end <= now_ms);
    });
  }
  return removed;
}

}  // namespace tollbooth::access
