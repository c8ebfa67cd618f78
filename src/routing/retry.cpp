#include "routing/retry.hpp"

#include <algorithm>

namespace tollbooth::routing {

RetryPolicy RetryPolicy::from(const RoutingConfig& config) noexcept {
  RetryPolicy p;
  p.attempts = config.attempts;
  p.base_ms = config.backoff.count();
  p.max_backoff_ms = config.max_backoff.count();
  p.deadline_ms = config.deadline.count();
  return p;
}

std::int64_t backoff_ms(const RetryPolicy& policy, std::uint32_t attempts_made,
                        std::uint64_t random, std::optional<std::int64_t> retry_after_ms) noexcept {
  std::int64_t ceiling = std::max<std::int64_t>(policy.base_ms, 0);
  // Doubling stops at the cap, so large attempt numbers cannot overflow.
  for (std::uint32_t i = 1; i < attempts_made && ceiling < policy.max_backoff_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_backoff_ms);
  std::int64_t wait = 0;
  if (ceiling > 0) {
    auto span = static_cast<std::uint64_t>(policy.jitter == Jitter::full ? ceiling : ceiling / 2);
    auto jitter = static_cast<std::int64_t>(random % (span + 1));
    wait = policy.jitter == Jitter::full ? jitter : ceiling - ceiling / 2 + jitter;
  }
  if (retry_after_ms && *retry_after_ms > wait) wait = *retry_after_ms;
  return wait;
}

RetryDecision next_attempt(const RetryPolicy& policy, const AttemptOutcome& outcome,
                           std::uint64_t random) noexcept {
  if (outcome.first_byte_sent) return {RetryVerdict::after_first_byte, 0};
  if (!is_retryable_status(outcome.status)) return {RetryVerdict::not_retryable, 0};
  if (outcome.attempts_made >= policy.attempts) return {RetryVerdict::budget_exhausted, 0};
  std::int64_t wait = backoff_ms(policy, outcome.attempts_made, random, outcome.retry_after_ms);
  // Waiting only to start an attempt at the deadline is pointless: it would time out at once.
  if (outcome.elapsed_ms + wait >= policy.deadline_ms) {
    return {RetryVerdict::deadline_exceeded, wait};
  }
  return {RetryVerdict::retry, wait};
}

bool is_retryable_status(int status) noexcept {
  switch (status) {
    case 0:
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504: return true;
    default: return false;
  }
}

std::int64_t attempt_timeout_ms(const RetryPolicy& policy, std::int64_t route_timeout_ms,
                                std::int64_t elapsed_ms) noexcept {
  return std::max<std::int64_t>(0, std::min(route_timeout_ms, policy.deadline_ms - elapsed_ms));
}

}  // namespace tollbooth::routing
