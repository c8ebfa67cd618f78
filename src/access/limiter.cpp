#include "access/limiter.hpp"
#include "access/shards.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace tollbooth::access {

// No window yet. The smallest value, so "start + kWindowMs" cannot overflow and is in the past.
static constexpr std::int64_t kNoWindow = std::numeric_limits<std::int64_t>::min();

struct SubjectState {
  std::int64_t req_start = kNoWindow;
  std::int64_t req_used = 0;
  std::int64_t tok_start = kNoWindow;
  std::int64_t tok_used = 0;
  // Admitted and not yet released; also what keeps sweep() from freeing a state a ticket holds.
  std::int64_t in_flight = 0;
};

namespace {

bool open_at(std::int64_t start, std::int64_t now_ms) noexcept {
  return now_ms < start + kWindowMs;  // kNoWindow + kWindowMs is far in the past
}

// Time until the window ends; never more than a window, even if the clock stepped back.
std::int64_t until_end(std::int64_t start, std::int64_t now_ms) noexcept {
  return std::clamp<std::int64_t>(start + kWindowMs - now_ms, 0, kWindowMs);
}

void tighter(RateInfo& info, std::int64_t limit, std::int64_t used, std::int64_t start,
             std::int64_t now_ms) noexcept {
  if (limit <= 0) return;
  std::int64_t remaining = std::max<std::int64_t>(0, limit - used);
  if (info.limit != 0 && remaining >= info.remaining) return;  // ties: the earlier subject
  info.limit = limit;
  info.remaining = remaining;
  info.reset_ms = open_at(start, now_ms) ? until_end(start, now_ms) : 0;
}

void add_headers(RateHeaders& h, const Limits& limits, const SubjectState& st,
                 std::int64_t now_ms) noexcept {
  bool req_open = open_at(st.req_start, now_ms), tok_open = open_at(st.tok_start, now_ms);
  tighter(h.requests, limits.rpm, req_open ? st.req_used : 0, st.req_start, now_ms);
  tighter(h.tokens, limits.tpm, tok_open ? st.tok_used : 0, st.tok_start, now_ms);
}

bool any_limit(const Limits& l) noexcept {
  return l.rpm > 0 || l.tpm > 0 || l.max_parallel > 0;
}

// Which of two refusals to report: one that waiting cannot cure, else the longer wait (a client
// that waits for the shorter one would only be refused again), else the earlier.
bool worse(const LimitRefusal& a, const LimitRefusal& b) noexcept {
  if (a.never != b.never) return a.never;
  return a.retry_after_ms > b.retry_after_ms;
}

std::string subject_words(std::string_view subject) {
  std::string out(subject);
  if (auto colon = out.find(':'); colon != std::string::npos) out[colon] = ' ';
  return out;
}

}  // namespace

struct Limiter::Shard {
  alignas(64) mutable ShardLock mu;  // own cache line: workers lock different shards at once
  std::unordered_map<std::string, SubjectState, NameHash, NameEq> subjects;
};

std::string_view limit_kind_name(LimitKind kind) noexcept {
  switch (kind) {
    case LimitKind::rpm: return "rpm";
    case LimitKind::tpm: return "tpm";
    case LimitKind::max_parallel: return "max_parallel";
  }
  return "";
}

std::string describe(const LimitRefusal& r) {
  std::string who = subject_words(r.subject);
  switch (r.kind) {
    case LimitKind::rpm:
      return who + " is over its limit of " + std::to_string(r.limit) + " requests per minute";
    case LimitKind::tpm:
      if (r.never) {
        return "the request reserves " + std::to_string(r.requested) + " tokens, more than " + who +
               "'s whole limit of " + std::to_string(r.limit) + " tokens per minute";
      }
      return who + " is over its limit of " + std::to_string(r.limit) + " tokens per minute";
    case LimitKind::max_parallel:
      return who + " already has " + std::to_string(r.used) +
             " requests in flight, its max_parallel limit";
  }
  return who + " is over a limit";
}

char* write_reset(char* p, std::int64_t ms) noexcept {
  if (ms <= 0) {
    std::memcpy(p, "0s", 2);
    return p + 2;
  }
  if (ms < 1000) {
    p = std::to_chars(p, p + 24, ms).ptr;
    std::memcpy(p, "ms", 2);
    return p + 2;
  }
  // Three digits of milliseconds after the point, Go's trailing zeros trimmed (59.5s, not
  // 59.500s); none when they are all zero.
  auto fraction = [](char* q, std::int64_t frac) noexcept {
    if (frac == 0) return q;
    *q++ = '.';
    q[0] = static_cast<char>('0' + frac / 100);
    q[1] = static_cast<char>('0' + frac / 10 % 10);
    q[2] = static_cast<char>('0' + frac % 10);
    return q + (frac % 100 == 0 ? 1 : frac % 10 == 0 ? 2 : 3);
  };
  if (ms < 60'000) {  // a window's reset, on every limited request: no division but these
    const std::int64_t s = ms / 1000;
    if (s >= 10) *p++ = static_cast<char>('0' + s / 10);
    *p++ = static_cast<char>('0' + s % 10);
    p = fraction(p, ms % 1000);
    *p++ = 's';
    return p;
  }
  std::int64_t h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
  if (h > 0) {
    p = std::to_chars(p, p + 24, h).ptr;
    *p++ = 'h';
  }
  if (h > 0 || m > 0) {
    p = std::to_chars(p, p + 24, m).ptr;
    *p++ = 'm';
  }
  p = std::to_chars(p, p + 24, s).ptr;
  p = fraction(p, frac);
  *p++ = 's';
  return p;
}

void append_reset(std::string& out, std::int64_t ms) {
  char buf[kMaxResetChars];
  out.append(buf, write_reset(buf, ms));
}

std::string format_reset(std::int64_t ms) {
  std::string out;
  append_reset(out, ms);
  return out;
}

// ---- Ticket ----

Ticket::Ticket(Ticket&& other) noexcept
    : limiter_(other.limiter_),
      slots_(other.slots_),
      n_(other.n_),
      settled_(other.settled_),
      reserved_(other.reserved_) {
  other.limiter_ = nullptr;
  other.n_ = 0;
}

Ticket& Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    limiter_ = other.limiter_;
    slots_ = other.slots_;
    n_ = other.n_;
    settled_ = other.settled_;
    reserved_ = other.reserved_;
    other.limiter_ = nullptr;
    other.n_ = 0;
  }
  return *this;
}

void Ticket::settle(std::int64_t actual_tokens, std::int64_t now_ms) noexcept {
  if (limiter_) limiter_->settle(*this, actual_tokens, now_ms);
}

void Ticket::release() noexcept {
  if (limiter_) limiter_->release(*this);
}

void Ticket::finish(std::int64_t actual_tokens, std::int64_t now_ms) noexcept {
  if (limiter_) limiter_->finish(*this, actual_tokens, now_ms);
}

// ---- Limiter ----

Limiter::Limiter() : shards_(std::make_unique<Shard[]>(kShards)) {}
Limiter::~Limiter() = default;

Limiter::Shard& Limiter::shard_for(std::string_view name, std::uint32_t& index) const {
  static_assert((kShards & (kShards - 1)) == 0, "kShards must be a power of two");
  index = shard_index(name, kShards);
  return shards_[index];
}

Admission Limiter::admit(std::span<const LimitSubject> subjects, std::int64_t reserve_tokens,
                         std::int64_t now_ms) {
  if (subjects.size() > kMaxSubjects) {
    throw std::invalid_argument("Limiter::admit: more subjects than kMaxSubjects");
  }
  reserve_tokens = std::max<std::int64_t>(0, reserve_tokens);

  struct Work {
    const LimitSubject* subject;
    HashedName name;
    Shard* shard;
    std::uint32_t index;
    SubjectState* state;
  };
  std::array<Work, kMaxSubjects> work{};
  std::size_t n = 0;
  for (const LimitSubject& s : subjects) {
    if (!any_limit(s.limits)) continue;
    Work& w = work[n++];
    w.subject = &s;
    w.name = HashedName::of(s.name, s.name_hash);
    w.index = shard_index(w.name, kShards);
    w.shard = &shards_[w.index];
  }

  // Every shard involved is locked once, in index order, so two admissions that share shards
  // cannot deadlock and the check-then-increment below is atomic across the subjects.
  std::array<std::uint32_t, kMaxSubjects> order{};
  for (std::size_t i = 0; i < n; ++i) order[i] = work[i].index;
  std::array<std::unique_lock<ShardLock>, kMaxSubjects> held;
  lock_in_order(order, n, held, [&](std::uint32_t i) -> ShardLock& { return shards_[i].mu; });

  Admission out;
  bool refused = false;
  for (std::size_t i = 0; i < n; ++i) {
    Work& w = work[i];
    auto& map = w.shard->subjects;
    auto it = map.find(w.name);
    if (it == map.end()) it = map.try_emplace(std::string(w.subject->name)).first;
    w.state = &it->second;

    const Limits& lim = w.subject->limits;
    const SubjectState& st = *w.state;
    auto consider = [&](LimitRefusal r) {
      r.subject = w.subject->name;
      if (!refused || worse(r, out.refusal)) out.refusal = r;
      refused = true;
    };
    if (lim.rpm > 0) {
      bool open = open_at(st.req_start, now_ms);
      std::int64_t used = open ? st.req_used : 0;
      if (used + 1 > lim.rpm) {
        consider({{}, LimitKind::rpm, lim.rpm, used, 1, until_end(st.req_start, now_ms), false});
      }
    }
    if (lim.tpm > 0) {
      bool open = open_at(st.tok_start, now_ms);
      std::int64_t used = open ? st.tok_used : 0;
      if (reserve_tokens > lim.tpm) {
        consider({{}, LimitKind::tpm, lim.tpm, used, reserve_tokens, 0, true});
      } else if (used >= lim.tpm || used + reserve_tokens > lim.tpm) {
        consider({{},
                  LimitKind::tpm,
                  lim.tpm,
                  used,
                  reserve_tokens,
                  until_end(st.tok_start, now_ms),
                  false});
      }
    }
    if (lim.max_parallel > 0 && st.in_flight + 1 > lim.max_parallel) {
      consider({{},
                LimitKind::max_parallel,
                lim.max_parallel,
                st.in_flight,
                1,
                kParallelRetryMs,
                false});
    }
  }

  if (refused) {
    for (std::size_t i = 0; i < n; ++i) {
      add_headers(out.headers, work[i].subject->limits, *work[i].state, now_ms);
    }
    return out;
  }

  Ticket& t = out.ticket;
  t.limiter_ = this;
  t.reserved_ = reserve_tokens;
  t.n_ = static_cast<std::uint8_t>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Limits& lim = work[i].subject->limits;
    SubjectState& st = *work[i].state;
    Ticket::Slot& slot = t.slots_[i];
    slot.state = &st;
    slot.shard = work[i].index;
    if (lim.rpm > 0) {
      if (!open_at(st.req_start, now_ms)) {
        st.req_start = now_ms;
        st.req_used = 0;
      }
      st.req_used += 1;
    }
    if (lim.tpm > 0) {
      if (!open_at(st.tok_start, now_ms)) {
        st.tok_start = now_ms;
        st.tok_used = 0;
      }
      st.tok_used += reserve_tokens;
      slot.tokens_counted = true;
      slot.tokens_start = st.tok_start;
    }
    st.in_flight += 1;
    add_headers(out.headers, lim, st, now_ms);
  }
  out.admitted = true;
  return out;
}

namespace {

// Settle's correction of one subject's tpm window (its shard locked): only the window the
// reservation went into, a later window never saw it; a count never goes below 0.
void correct_tokens(SubjectState& st, std::int64_t window_start, std::int64_t delta,
                    std::int64_t now_ms) noexcept {
  if (st.tok_start == window_start && open_at(st.tok_start, now_ms)) {
    st.tok_used = std::max<std::int64_t>(0, st.tok_used + delta);
  }
}

}  // namespace

void Limiter::settle(Ticket& ticket, std::int64_t actual_tokens, std::int64_t now_ms) noexcept {
  if (ticket.limiter_ != this || ticket.settled_) return;
  ticket.settled_ = true;
  std::int64_t delta = std::max<std::int64_t>(0, actual_tokens) - ticket.reserved_;
  if (delta == 0) return;
  for (std::size_t i = 0; i < ticket.n_; ++i) {
    const Ticket::Slot& slot = ticket.slots_[i];
    if (!slot.tokens_counted) continue;
    std::lock_guard lock(shards_[slot.shard].mu);
    correct_tokens(*slot.state, slot.tokens_start, delta, now_ms);
  }
}

void Limiter::release(Ticket& ticket) noexcept {
  if (ticket.limiter_ != this) return;
  for (std::size_t i = 0; i < ticket.n_; ++i) {
    const Ticket::Slot& slot = ticket.slots_[i];
    std::lock_guard lock(shards_[slot.shard].mu);
    slot.state->in_flight -= 1;
  }
  ticket.limiter_ = nullptr;
  ticket.n_ = 0;
}

void Limiter::finish(Ticket& ticket, std::int64_t actual_tokens, std::int64_t now_ms) noexcept {
  if (ticket.limiter_ != this) return;
  const bool settle = !ticket.settled_;
  ticket.settled_ = true;
  const std::int64_t delta = std::max<std::int64_t>(0, actual_tokens) - ticket.reserved_;
  for (std::size_t i = 0; i < ticket.n_; ++i) {
    const Ticket::Slot& slot = ticket.slots_[i];
    std::lock_guard lock(shards_[slot.shard].mu);
    if (settle && delta != 0 && slot.tokens_counted)
      correct_tokens(*slot.state, slot.tokens_start, delta, now_ms);
    slot.state->in_flight -= 1;
  }
  ticket.limiter_ = nullptr;
  ticket.n_ = 0;
}

std::vector<LimiterWindow> Limiter::windows(std::int64_t now_ms) const {
  std::vector<LimiterWindow> out;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    for (const auto& [name, st] : shards_[i].subjects) {
      if (open_at(st.req_start, now_ms)) out.push_back({name, "rpm", st.req_start, st.req_used});
      if (open_at(st.tok_start, now_ms)) out.push_back({name, "tpm", st.tok_start, st.tok_used});
    }
  }
  return out;
}

void Limiter::restore(std::span<const LimiterWindow> windows, std::int64_t now_ms) {
  for (const LimiterWindow& w : windows) {
    bool rpm = w.kind == "rpm", tpm = w.kind == "tpm";
    // A start from the future (another host's clock, a corrupt row) is kept only within one
    // window of now, which also keeps start + kWindowMs from overflowing.
    if ((!rpm && !tpm) || w.start_ms > now_ms + kWindowMs || !open_at(w.start_ms, now_ms)) {
      continue;
    }
    std::uint32_t index = 0;
    Shard& shard = shard_for(w.subject, index);
    std::lock_guard lock(shard.mu);
    auto it = shard.subjects.find(std::string_view(w.subject));
    if (it == shard.subjects.end()) it = shard.subjects.try_emplace(w.subject).first;
    SubjectState& st = it->second;
    std::int64_t used = std::max<std::int64_t>(0, w.used);
    if (rpm) {
      st.req_start = w.start_ms;
      st.req_used = used;
    } else {
      st.tok_start = w.start_ms;
      st.tok_used = used;
    }
  }
}

std::size_t Limiter::sweep(std::int64_t now_ms) {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    removed += std::erase_if(shards_[i].subjects, [&](const auto& entry) {
      const SubjectState& st = entry.second;
      return st.in_flight == 0 && !open_at(st.req_start, now_ms) && !open_at(st.tok_start, now_ms);
    });
  }
  return removed;
}

RateHeaders Limiter::peek(std::span<const LimitSubject> subjects, std::int64_t now_ms) const {
  RateHeaders out;
  for (const LimitSubject& s : subjects) {
    if (s.limits.rpm <= 0 && s.limits.tpm <= 0) continue;
    std::uint32_t index = 0;
    Shard& shard = shard_for(s.name, index);
    std::lock_guard lock(shard.mu);
    auto it = shard.subjects.find(s.name);
    add_headers(out, s.limits, it == shard.subjects.end() ? SubjectState{} : it->second, now_ms);
  }
  return out;
}

}  // namespace tollbooth::access
