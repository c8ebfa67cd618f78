#pragma once
// When to try again and how long to wait: exponential backoff with jitter, capped, with a
// Retry-After from the upstream as a floor, inside a total attempt budget and a deadline per
// request. Pure: the caller passes the elapsed time and a random value.
//
// The gateway asks after every failed attempt. It never asks after the first byte of an
// answer has reached the client: from then on the answer is that route's, good or bad.
#include <chrono>
#include <cstdint>
#include <optional>

#include "config/config.hpp"

namespace tollbooth::routing {

enum class Jitter : std::uint8_t {
  full,   // uniform in [0, backoff]: spreads synchronized clients best
  equal,  // backoff/2 + uniform in [0, backoff/2]: never much shorter than the backoff
};

struct RetryPolicy {
  std::uint32_t attempts = 4;  // total attempts per request, all routes together
  std::int64_t base_ms = 100;  // backoff before the second attempt (before jitter)
  std::int64_t max_backoff_ms = 2'000;
  std::int64_t deadline_ms = 120'000;
  Jitter jitter = Jitter::full;

  static RetryPolicy from(const RoutingConfig& config) noexcept;
};

enum class RetryVerdict : std::uint8_t {
  retry,              // wait `wait_ms`, then try the next candidate
  budget_exhausted,   // `attempts` reached
  deadline_exceeded,  // the wait (or Retry-After) would end past the deadline
  after_first_byte,   // the answer has started: never fall back
  not_retryable,      // the failure is the request's own (a 4xx other than 408/429)
};

struct RetryDecision {
  RetryVerdict verdict = RetryVerdict::retry;
  std::int64_t wait_ms = 0;
};

struct AttemptOutcome {
  std::uint32_t attempts_made = 1;  // including the one that just failed
  std::int64_t elapsed_ms = 0;      // since the request arrived
  int status = 0;                   // upstream HTTP status; 0 = connect error or timeout
  bool first_byte_sent = false;     // bytes of the answer already went to the client
  // Retry-After of the failed answer in ms (the caller parses seconds or an HTTP-date). Pass
  // it when the next attempt goes to the same route; another route need not wait for it.
  std::optional<std::int64_t> retry_after_ms;
};

// Exponential backoff before attempt number attempts_made + 1: base × 2^(attempts_made-1),
// capped at max_backoff, jittered with `random`, then raised to Retry-After if that is longer.
std::int64_t backoff_ms(const RetryPolicy& policy, std::uint32_t attempts_made,
                        std::uint64_t random, std::optional<std::int64_t> retry_after_ms) noexcept;

RetryDecision next_attempt(const RetryPolicy& policy, const AttemptOutcome& outcome,
                           std::uint64_t random) noexcept;

// Statuses worth another attempt (elsewhere or later): 408, 429, 500, 502, 503, 504, and 0
// (no answer at all).
bool is_retryable_status(int status) noexcept;

// The first-byte timeout for one attempt: the route's own, cut to what is left of the deadline.
std::int64_t attempt_timeout_ms(const RetryPolicy& policy, std::int64_t route_timeout_ms,
                                std::int64_t elapsed_ms) noexcept;

}  // namespace tollbooth::routing
