#pragma once
// Rate-limit counters shared by every gateway process through Redis, so that three replicas with
// rpm 10 admit 10 requests a minute, not 30. One RedisLimiter per worker, on that worker's
// RedisClient (one connection each).
//
// The rules are the local limiter's (access/limiter.hpp; docs/architecture.md, "Rate-limit
// windows"), kept exactly, and so are the types: the same subjects, refusals and header figures,
// so the gateway renders a refusal and the x-ratelimit-* headers the same way whichever limiter
// counted. In short: fixed 60 s windows per (subject, kind) opened by the first admission after
// the previous one ended; rpm counts admissions, tpm reserved tokens (settled within the same
// window only, never below 0); max_parallel counts requests in flight; a request is admitted for
// every subject and kind at once or not at all (one Redis function call checks and increments);
// a subject with no limit is not sent, and a request with none is admitted without Redis.
//
// What is Redis's own: a max_parallel slot lapses by itself kSlotTtlMs after its admission, so
// the slots of a gateway that crashed (or whose releases overflowed kMaxPending) come back; and
// every time (windows, slots) is the Redis server's clock, not a gateway's.
//
// When Redis cannot be reached, admit() answers `unavailable` at once, without waiting; the
// caller applies store.redis_failure (fail_open or fail_closed). settle() and release() are
// fire and forget, pipelined with everything else on the connection. What cannot be sent
// waits in a queue (at most max_pending, the oldest dropped first) and is sent as soon as the
// connection is ready again, so a Redis stall or restart does not hold the key's max_parallel
// slots until they lapse:
// - a release not sent, or sent on a connection that dropped before it was answered (ZREM of
//   one slot id: running it twice is harmless);
// - a settle not sent (it runs in the window it names only, so late is still exact). A settle
//   that was sent and went unanswered is not sent again: it may have run, and a correction
//   must not count twice. Its reservation then stays counted until its window ends;
// - the slot of an admission that was sent but whose answer was lost (the connection dropped
//   as overdue, or a malformed or error reply): Redis may have run the function and taken the
//   slot, so the slot id is released whether or not it did. Its rpm and tpm counts, if they
//   were made, stay until their windows end (undoing them could undo what did not happen).
#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "access/limiter.hpp"
#include "access/records.hpp"
#include "limits/redis_client.hpp"
#include "net/asio.hpp"

namespace tollbooth::limits {

// How long a max_parallel slot lives without a release: longer than any request should take.
inline constexpr std::int64_t kSlotTtlMs = 600'000;
// How many releases and settles may wait for Redis to come back (per limiter, i.e. per worker;
// about 100 bytes each). Beyond it the oldest are dropped with a warning: their slots lapse by
// themselves, their reservations with their windows.
inline constexpr std::size_t kMaxPending = 100'000;

// The Redis function library (Redis 7 FUNCTION), loaded with FUNCTION LOAD REPLACE on every
// connection. The version is part of the library's and every function's name: a change to the
// code is a new version, so gateways of two versions can share one Redis during a rolling
// upgrade, each calling its own functions.
inline constexpr std::string_view kLibraryName = "tollbooth_v1";
inline constexpr std::string_view kAdmitFunction = "tollbooth_admit_v1";
inline constexpr std::string_view kSettleFunction = "tollbooth_settle_v1";
inline constexpr std::string_view kReleaseFunction = "tollbooth_release_v1";
// The library's Lua source ("#!lua name=tollbooth_v1" first).
std::string_view library_code() noexcept;

// One subject of an admission: name ("key:<id>", "team:<id>", valid during the call) and limits.
using Subject = access::LimitSubject;

// What settle() and release() need to know of an admission: keep it with the request. Indexes
// are positions in the span of subjects given to admit(); pass the same span again.
struct Ticket {
  std::uint64_t slot = 0;     // the request's max_parallel slot id (random, unique enough)
  std::int64_t reserved = 0;  // tokens reserved
  std::uint8_t parallel = 0;  // bit i: subject i holds a slot
  // The end (Redis's clock, ms) of the tpm window subject i's reservation went into; 0: none.
  std::array<std::int64_t, access::kMaxSubjects> tokens_window{};
};

struct Decision {
  bool admitted = false;
  bool unavailable = false;  // Redis could not be asked (or answered an error): not admitted
  // When refused: which subject (an index into the span given to admit) and why; the refusal's
  // `subject` views that subject's name. access::describe(refusal) says it in words.
  int refused_subject = -1;
  access::LimitRefusal refusal;
  // After the admission, or as things stand when refused.
  access::RateHeaders headers;
  Ticket ticket;  // when admitted
};

struct RedisLimiterOptions {
  std::int64_t window_ms = access::kWindowMs;  // only tests change it
  std::int64_t slot_ttl_ms = kSlotTtlMs;
  std::size_t max_pending = kMaxPending;  // only tests change it
};

class RedisLimiter {
 public:
  // Adds the loading of the function library to the client's setup: construct the limiter
  // before client.start(). The client must outlive the limiter.
  explicit RedisLimiter(RedisClient& client, RedisLimiterOptions options = {});
  ~RedisLimiter();
  RedisLimiter(const RedisLimiter&) = delete;
  RedisLimiter& operator=(const RedisLimiter&) = delete;

  // Admits a request for every subject at once (the key first, then its team), or refuses it
  // and changes nothing; `unavailable` at once when the client is not connected. Throws
  // std::invalid_argument for more than access::kMaxSubjects subjects.
  Awaitable<Decision> admit(std::span<const Subject> subjects, std::int64_t reserve_tokens);

  // Corrects the admission's reservation by (actual - reserved) in each subject's tpm window,
  // if it is still the window the reservation went into and still open. Once per admission,
  // before release. Fire and forget; queued while Redis is away (see above).
  void settle(std::span<const Subject> subjects, const Ticket& ticket, std::int64_t actual_tokens);

  // Gives back the admission's max_parallel slots. Once per admitted request. Fire and forget;
  // queued while Redis is away, and again when its answer is lost (see above).
  void release(std::span<const Subject> subjects, const Ticket& ticket);

  // Releases and settles waiting for the connection to be ready (for tests and metrics).
  std::size_t pending() const noexcept;

  RedisClient& client() noexcept { return client_; }

 private:
  // The queue of commands waiting for Redis; shared with the completions of the releases in
  // flight, which may outlive the limiter.
  struct Pending;

  void reload_library();

  RedisClient& client_;
  RedisLimiterOptions options_;
  std::mt19937_64 slot_ids_;
  std::int64_t last_error_log_ms_ = 0;
  std::shared_ptr<Pending> pending_;
};

// The decision for an admit function's reply (exposed for tests): the refusal to report and
// the headers' figures, computed the way the local limiter does. A reply of the wrong shape is
// `unavailable`.
Decision decide_admission(std::span<const Subject> subjects, std::int64_t reserve_tokens,
                          const RedisReply& reply);

}  // namespace tollbooth::limits
