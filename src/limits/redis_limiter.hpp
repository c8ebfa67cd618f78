#pragma once
// Rate-limit counters shared by every gateway process through Redis, so that three replicas with
// rpm 10 admit 10 requests a minute, not 30. One RedisLimiter per worker, on that worker's
// RedisClient (one connection each).
//
// The semantics are the local limiter's (access/limiter.hpp), kept exactly:
// - Subjects are "key:<id>" and "team:<id>", each with Limits rpm, tpm, max_parallel (0 =
//   unlimited); a subject with no limit at all is not sent to Redis, and a request none of
//   whose subjects has a limit is admitted without asking Redis.
// - rpm and tpm count in a fixed window of 60 s per (subject, kind), anchored at the first
//   admission after the previous window ended. rpm counts admitted requests; tpm counts
//   reserved tokens, corrected by settle() (actual - reserved, never below 0) only while the
//   window the reservation went into is still open. A tpm window at or over its limit refuses
//   even a reservation of 0; a reservation above the tpm limit itself can never pass (`never`).
// - max_parallel counts requests in flight: a slot taken at admission and given back by
//   release(). A slot lapses by itself kSlotTtlMs after its admission, so the slots of a
//   gateway that crashed (or could not reach Redis to release) come back.
// - Admission is atomic across every subject and kind of the request: either every counter is
//   incremented or none (one Redis function call does the checks and the increments).
// - A refusal names the subject and the limit; retry_after_ms is the time left in that window
//   (max_parallel: kParallelRetryMs). Several over: one that waiting cannot cure, else the
//   longest wait, else the earlier subject.
// - The headers' figures (requests and tokens: limit, remaining, reset) are those of the
//   subject with the fewest remaining (ties: the earlier), after the admission, or as things
//   stand when refused.
//
// When Redis cannot be reached, admit() answers `unavailable` at once, without waiting; the
// caller applies store.redis_failure (fail_open or fail_closed). settle() and release() are
// fire and forget, pipelined with everything else on the connection; while Redis is down they
// are dropped (a reservation then stays counted until its window ends, a slot until it lapses).
#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "access/records.hpp"
#include "limits/redis_client.hpp"
#include "net/asio.hpp"

namespace tollbooth::limits {

inline constexpr std::int64_t kWindowMs = 60'000;
// max_parallel frees up when some request ends, which no window predicts: a short retry.
inline constexpr std::int64_t kParallelRetryMs = 1'000;
// How long a max_parallel slot lives without a release: longer than any request should take.
inline constexpr std::int64_t kSlotTtlMs = 600'000;
// A key and its team, and room for two more levels.
inline constexpr std::size_t kMaxSubjects = 4;

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

// One subject of an admission; `name` must stay valid during the call.
struct Subject {
  std::string_view name;  // "key:<id>" or "team:<id>"
  access::Limits limits;
};

enum class Limit : std::uint8_t { rpm, tpm, max_parallel };
std::string_view limit_name(Limit limit) noexcept;  // "rpm", "tpm", "max_parallel"

// For x-ratelimit-{limit,remaining,reset}-{requests,tokens}; limit 0: no subject limits it.
struct RateInfo {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_ms = 0;  // until its window ends
  bool operator==(const RateInfo&) const = default;
};

// What settle() and release() need to know of an admission: keep it with the request. Indexes
// are positions in the span of subjects given to admit(); pass the same span again.
struct Ticket {
  std::uint64_t slot = 0;     // the request's max_parallel slot id (random, unique enough)
  std::int64_t reserved = 0;  // tokens reserved
  std::uint8_t parallel = 0;  // bit i: subject i holds a slot
  // The end (Redis's clock, ms) of the tpm window subject i's reservation went into; 0: none.
  std::array<std::int64_t, kMaxSubjects> tokens_window{};
};

struct Decision {
  bool admitted = false;
  bool unavailable = false;  // Redis could not be asked (or answered an error): not admitted
  // When refused: which subject (index into the span given to admit) and which limit.
  int refused_subject = -1;
  Limit refused_limit = Limit::rpm;
  std::int64_t retry_after_ms = 0;
  bool never = false;     // the reservation alone exceeds the tpm limit: waiting cannot help
  std::int64_t used = 0;  // requests, tokens or requests in flight before this one
  RateInfo requests;
  RateInfo tokens;
  Ticket ticket;  // when admitted
};

struct RedisLimiterOptions {
  std::int64_t window_ms = kWindowMs;  // only tests change it
  std::int64_t slot_ttl_ms = kSlotTtlMs;
};

class RedisLimiter {
 public:
  // Adds the loading of the function library to the client's setup: construct the limiter
  // before client.start(). The client must outlive the limiter.
  explicit RedisLimiter(RedisClient& client, RedisLimiterOptions options = {});

  // Admits a request for every subject at once (the key first, then its team), or refuses it
  // and changes nothing; `unavailable` at once when the client is not connected. Throws
  // std::invalid_argument for more than kMaxSubjects subjects.
  Awaitable<Decision> admit(std::span<const Subject> subjects, std::int64_t reserve_tokens);

  // Corrects the admission's reservation by (actual - reserved) in each subject's tpm window,
  // if it is still the window the reservation went into and still open. Once per admission,
  // before release. Fire and forget.
  void settle(std::span<const Subject> subjects, const Ticket& ticket, std::int64_t actual_tokens);

  // Gives back the admission's max_parallel slots. Once per admitted request. Fire and forget.
  void release(std::span<const Subject> subjects, const Ticket& ticket);

  RedisClient& client() noexcept { return client_; }

 private:
  void reload_library();

  RedisClient& client_;
  RedisLimiterOptions options_;
  std::mt19937_64 slot_ids_;
  std::int64_t last_error_log_ms_ = 0;
};

// The decision for an admit function's reply (exposed for tests): the refusal to report and
// the headers' figures, computed the way the local limiter does. A reply of the wrong shape is
// `unavailable`.
Decision decide_admission(std::span<const Subject> subjects, std::int64_t reserve_tokens,
                          const RedisReply& reply);

}  // namespace tollbooth::limits
