#pragma once
// The local rate limiter: one per process, shared by every worker thread. Subjects are
// "key:<id>" and "team:<id>", each with its own Limits (rpm, tpm, max_parallel; 0 = unlimited).
//
// Window semantics (docs/architecture.md, "Rate-limit windows"; a Redis limiter must keep
// exactly these):
// - Each (subject, kind) with kind rpm or tpm has its own fixed window of 60 s, [start,
//   start + 60 s). It starts at the first admission at or after the end of the previous one
//   (not on a minute boundary), with a count of 0. A kind whose limit is 0 is not counted.
// - rpm counts admitted requests (1 each); tpm counts reserved tokens, corrected by settle()
//   while the same window is still open, never below 0.
// - A request is admitted when, for every subject and every limited kind, count + amount <=
//   limit (amount: 1 for rpm, the reservation for tpm), and in-flight + 1 <= max_parallel. A
//   tpm window already at or over its limit refuses even a reservation of 0. Then every count
//   of every subject is incremented together; otherwise none is (all subjects are checked and
//   changed under their shards' locks).
// - A refusal names the subject and the kind; retry_after_ms is the time until that window
//   ends (max_parallel: kParallelRetryMs). Several kinds over: the longest wait is reported.
//   A reservation larger than the tpm limit itself can never pass: `never` is set.
//
// Thread safety: admit, settle, release, windows, restore and sweep may be called from any
// thread at once. Subjects live in kShards shards, each a lock and a hash map, so requests of
// different keys rarely meet on a lock; one admission locks at most one shard per subject.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/records.hpp"

namespace tollbooth::access {

inline constexpr std::int64_t kWindowMs = 60'000;
// max_parallel frees up when some request ends, which no window predicts: a short retry.
inline constexpr std::int64_t kParallelRetryMs = 1'000;
// A key and its team; room for two more levels without changing the ticket's size much.
inline constexpr std::size_t kMaxSubjects = 4;

// One subject of an admission. `name` is "key:<id>" or "team:<id>" and must stay valid during
// the call (a Principal's names live in its Snapshot).
struct LimitSubject {
  std::string_view name;
  Limits limits;
  // name_hash(name), when the caller keeps it (a snapshot's subjects); 0: admit works it out.
  // Any other value puts the subject in the wrong shard and map slot.
  std::size_t name_hash = 0;
};

enum class LimitKind : std::uint8_t { rpm, tpm, max_parallel };
std::string_view limit_kind_name(LimitKind kind) noexcept;  // "rpm", "tpm", "max_parallel"

struct LimitRefusal {
  std::string_view subject;  // the LimitSubject's name, as passed to admit
  LimitKind kind = LimitKind::rpm;
  std::int64_t limit = 0;
  std::int64_t used = 0;            // requests, tokens or requests in flight, before this one
  std::int64_t requested = 0;       // 1, or the tokens reserved
  std::int64_t retry_after_ms = 0;  // 0 when `never`
  bool never = false;               // the reservation alone exceeds the tpm limit
};

// The refusal in words, naming the subject and the rule: "key key_0123 is over its limit of
// 100 requests per minute".
std::string describe(const LimitRefusal& refusal);

// For the x-ratelimit-{limit,remaining,reset}-{requests,tokens} headers: of the subjects that
// limit this kind, the one with the least remaining. limit 0: no subject limits it (no header).
struct RateInfo {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_ms = 0;  // until its window ends
  bool operator==(const RateInfo&) const = default;
};
struct RateHeaders {
  RateInfo requests;
  RateInfo tokens;
};

// A duration as OpenAI writes x-ratelimit-reset-* (Go's time.Duration format, at millisecond
// precision): "0s", "12ms", "1s", "59.5s", "6m0s", "1h2m3.004s". Negative values are "0s".
std::string format_reset(std::int64_t ms);
// The same, appended to `out` (the response's headers) without a string of its own.
void append_reset(std::string& out, std::int64_t ms);
// The same, written at `p` (at most kMaxResetChars bytes); returns the end. For heads built in
// a buffer of their own.
inline constexpr std::size_t kMaxResetChars = 64;
char* write_reset(char* p, std::int64_t ms) noexcept;

class Limiter;
struct SubjectState;

// One admitted request. Move-only; its destructor releases the request's max_parallel slot if
// release() was not called, so every admitted request is released exactly once. A ticket must
// not outlive its Limiter. A default-constructed or moved-from ticket holds nothing.
class Ticket {
 public:
  Ticket() = default;
  Ticket(Ticket&& other) noexcept;
  Ticket& operator=(Ticket&& other) noexcept;
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;
  ~Ticket() { release(); }

  explicit operator bool() const noexcept { return limiter_ != nullptr; }
  std::int64_t reserved_tokens() const noexcept { return reserved_; }

  // Limiter::settle, Limiter::release and Limiter::finish on this ticket.
  void settle(std::int64_t actual_tokens, std::int64_t now_ms) noexcept;
  void release() noexcept;
  void finish(std::int64_t actual_tokens, std::int64_t now_ms) noexcept;

 private:
  friend class Limiter;
  struct Slot {
    SubjectState* state = nullptr;  // pinned (not swept) until released
    std::uint32_t shard = 0;
    bool tokens_counted = false;
    std::int64_t tokens_start = 0;  // the tpm window the reservation went into
  };
  Limiter* limiter_ = nullptr;
  std::array<Slot, kMaxSubjects> slots_{};
  std::uint8_t n_ = 0;
  bool settled_ = false;
  std::int64_t reserved_ = 0;
};

struct Admission {
  bool admitted = false;
  Ticket ticket;         // when admitted
  LimitRefusal refusal;  // when not
  RateHeaders headers;   // after this admission (or, when refused, as things stand)
};

// A window as saved across restarts; the fields of store::WindowState.
struct LimiterWindow {
  std::string subject;  // "key:<id>" or "team:<id>"
  std::string kind;     // "rpm" or "tpm"
  std::int64_t start_ms = 0;
  std::int64_t used = 0;
  bool operator==(const LimiterWindow&) const = default;
};

class Limiter {
 public:
  static constexpr std::size_t kShards = 64;

  Limiter();
  ~Limiter();
  Limiter(const Limiter&) = delete;
  Limiter& operator=(const Limiter&) = delete;

  // Admits a request for every subject at once (the key first, then its team), or refuses it
  // and changes nothing. Subjects with all limits 0 are skipped (no lock, no state). Throws
  // std::invalid_argument for more than kMaxSubjects subjects. No allocation except the first
  // time a subject is seen.
  Admission admit(std::span<const LimitSubject> subjects, std::int64_t reserve_tokens,
                  std::int64_t now_ms);

  // Corrects the ticket's reservation by (actual - reserved) in each subject's tpm window, if
  // it is still the window the reservation went into and it is open at now_ms; a count never
  // goes below 0. Once per ticket, before release (later calls do nothing).
  void settle(Ticket& ticket, std::int64_t actual_tokens, std::int64_t now_ms) noexcept;

  // Ends the request's max_parallel slot. The ticket's destructor calls it; later calls do
  // nothing.
  void release(Ticket& ticket) noexcept;

  // settle, then release, locking each subject's shard once for both: how a request ends.
  void finish(Ticket& ticket, std::int64_t actual_tokens, std::int64_t now_ms) noexcept;

  // The open rpm/tpm windows at now_ms, to save on shutdown.
  std::vector<LimiterWindow> windows(std::int64_t now_ms) const;
  // Puts saved windows back at start-up (those still open at now_ms; unknown kinds ignored),
  // replacing any window the subject has, so a restart does not refill anybody's minute.
  void restore(std::span<const LimiterWindow> windows, std::int64_t now_ms);

  // Forgets subjects with no open window and nothing in flight; returns how many. Call it now
  // and then (every minute) so keys seen once do not stay in memory.
  std::size_t sweep(std::int64_t now_ms);

  // The headers for these subjects as things stand, without admitting anything.
  RateHeaders peek(std::span<const LimitSubject> subjects, std::int64_t now_ms) const;

 private:
  struct Shard;
  Shard& shard_for(std::string_view name, std::uint32_t& index) const;

  std::unique_ptr<Shard[]> shards_;
};

}  // namespace tollbooth::access
