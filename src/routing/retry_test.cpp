#include "routing/retry.hpp"

#include <gtest/gtest.h>

namespace tollbooth::routing {
namespace {

RetryPolicy policy(Jitter jitter = Jitter::full) {
  RetryPolicy p;
  p.attempts = 4;
  p.base_ms = 100;
  p.max_backoff_ms = 2'000;
  p.deadline_ms = 10'000;
  p.jitter = jitter;
  return p;
}

constexpr std::uint64_t kMaxRandom = ~std::uint64_t{0};

TEST(Retry, BackoffDoublesUpToTheCap) {
  // With equal jitter and the largest draw the wait is the whole backoff.
  RetryPolicy p = policy(Jitter::equal);
  EXPECT_EQ(backoff_ms(p, 1, 50, std::nullopt), 100);  // 50 + 50 % 51
  EXPECT_EQ(backoff_ms(p, 2, 100, std::nullopt), 200);
  EXPECT_EQ(backoff_ms(p, 3, 200, std::nullopt), 400);
  EXPECT_EQ(backoff_ms(p, 10, 1'000, std::nullopt), 2'000);
  EXPECT_EQ(backoff_ms(p, 1'000'000, 1'000, std::nullopt), 2'000);  // no overflow
}

TEST(Retry, FullJitterStaysWithinZeroAndTheBackoff) {
  RetryPolicy p = policy(Jitter::full);
  for (std::uint64_t r : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{12345}, kMaxRandom}) {
    std::int64_t wait = backoff_ms(p, 3, r, std::nullopt);
    EXPECT_GE(wait, 0);
    EXPECT_LE(wait, 400);
  }
  EXPECT_EQ(backoff_ms(p, 3, 0, std::nullopt), 0);
}

TEST(Retry, EqualJitterWaitsAtLeastHalfTheBackoff) {
  RetryPolicy p = policy(Jitter::equal);
  EXPECT_EQ(backoff_ms(p, 3, 0, std::nullopt), 200);
  EXPECT_LE(backoff_ms(p, 3, kMaxRandom, std::nullopt), 400);
}

TEST(Retry, RateLimitedWithRetryAfterWaitsAtLeastThatLong) {
  AttemptOutcome outcome;
  outcome.attempts_made = 1;
  outcome.elapsed_ms = 300;
  outcome.status = 429;
  outcome.retry_after_ms = 2'000;
  RetryDecision d = next_attempt(policy(), outcome, 12345);
  EXPECT_EQ(d.verdict, RetryVerdict::retry);
  EXPECT_EQ(d.wait_ms, 2'000);  // the backoff (<= 100 ms) is raised to Retry-After
  // Retry-After beyond the cap is still honoured: the server said so.
  outcome.retry_after_ms = 5'000;
  EXPECT_EQ(next_attempt(policy(), outcome, 12345).wait_ms, 5'000);
}

TEST(Retry, RetryAfterPastTheDeadlineStops) {
  AttemptOutcome outcome;
  outcome.elapsed_ms = 8'000;
  outcome.status = 429;
  outcome.retry_after_ms = 3'000;
  EXPECT_EQ(next_attempt(policy(), outcome, 0).verdict, RetryVerdict::deadline_exceeded);
}

TEST(Retry, TheAttemptBudgetCountsEveryRoute) {
  AttemptOutcome outcome;
  outcome.status = 503;
  outcome.attempts_made = 3;
  EXPECT_EQ(next_attempt(policy(), outcome, 0).verdict, RetryVerdict::retry);
  outcome.attempts_made = 4;
  EXPECT_EQ(next_attempt(policy(), outcome, 0).verdict, RetryVerdict::budget_exhausted);
}

TEST(Retry, NeverAfterTheFirstByteNorOnTheRequestsOwnError) {
  AttemptOutcome outcome;
  outcome.status = 502;
  outcome.first_byte_sent = true;
  EXPECT_EQ(next_attempt(policy(), outcome, 0).verdict, RetryVerdict::after_first_byte);
  outcome.first_byte_sent = false;
  outcome.status = 400;
  EXPECT_EQ(next_attempt(policy(), outcome, 0).verdict, RetryVerdict::not_retryable);
  outcome.status = 0;  // connect error or timeout
  EXPECT_EQ(next_attempt(policy(), outcome, 0).verdict, RetryVerdict::retry);
}

TEST(Retry, AttemptTimeoutIsCutToTheDeadline) {
  EXPECT_EQ(attempt_timeout_ms(policy(), 60'000, 1'000), 9'000);
  EXPECT_EQ(attempt_timeout_ms(policy(), 5'000, 1'000), 5'000);
  EXPECT_EQ(attempt_timeout_ms(policy(), 5'000, 12'000), 0);
}

TEST(Retry, PolicyComesFromTheRoutingSection) {
  RoutingConfig config;
  RetryPolicy p = RetryPolicy::from(config);
  EXPECT_EQ(p.attempts, 4u);
  EXPECT_EQ(p.base_ms, 100);
  EXPECT_EQ(p.max_backoff_ms, 2'000);
  EXPECT_EQ(p.deadline_ms, 120'000);
}

}  // namespace
}  // namespace tollbooth::routing
