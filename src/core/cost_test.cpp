// The money of a request, to the micro-dollar: the rounding rule, every token class, and the
// inconsistent counts a hostile or buggy upstream can send.
#include "core/cost.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tollbooth {
namespace {

Usage usage(std::int64_t in, std::int64_t out, std::int64_t cached = 0, std::int64_t written = 0) {
  Usage u;
  u.input_tokens = in;
  u.output_tokens = out;
  u.cached_input_tokens = cached;
  u.cache_write_input_tokens = written;
  u.reported = true;
  return u;
}

// $2.50 in, $10 out, $1.25 cached input per million tokens (gpt-4o's list prices).
constexpr TokenPrices kGpt4o{2'500'000, 10'000'000, 1'250'000, -1};

TEST(Cost, InputAndOutputAtTheirPricesPerMillion) {
  // 1,000 in at $2.50/M = $0.0025 = 2,500 µ$; 500 out at $10/M = $0.005 = 5,000 µ$.
  EXPECT_EQ(token_cost(usage(1'000, 500), kGpt4o), 7'500);
  EXPECT_EQ(token_cost(usage(1'000'000, 1'000'000), kGpt4o), 12'500'000);  // $12.50
  EXPECT_EQ(token_cost(usage(0, 0), kGpt4o), 0);
}

TEST(Cost, CachedAndCacheWriteTokensArePartsOfTheInputAtTheirOwnPrices) {
  // 1,000 input of which 600 cached: 400 × 2.5 + 600 × 1.25 = 1,750 µ$ (not 2,500 + 750).
  EXPECT_EQ(token_cost(usage(1'000, 0, 600), kGpt4o), 1'750);
  // Bedrock-style prices: cache writes cost more than plain input, reads less.
  const TokenPrices claude{3'000'000, 15'000'000, 300'000, 3'750'000};
  // 10,000 input: 2,000 read from cache, 5,000 written to it, 3,000 plain; 100 output.
  // 3,000 × $3 + 2,000 × $0.30 + 5,000 × $3.75 + 100 × $15, per million: 9,000 + 600 +
  // 18,750 + 1,500 µ$.
  EXPECT_EQ(token_cost(usage(10'000, 100, 2'000, 5'000), claude), 29'850);
  // Without their own prices, cached and written tokens cost what input costs.
  const TokenPrices flat{2'000'000, 8'000'000};
  EXPECT_EQ(token_cost(usage(1'000, 0, 600, 200), flat), token_cost(usage(1'000, 0), flat));
}

TEST(Cost, RoundedHalfUpOnceForTheWholeRequest) {
  const TokenPrices cheap{150'000, 600'000};  // $0.15 / $0.60 per million
  // 3 tokens in: 0.45 µ$ -> 0; 4: 0.6 -> 1; 10 out: 6 µ$ exactly.
  EXPECT_EQ(token_cost(usage(3, 0), cheap), 0);
  EXPECT_EQ(token_cost(usage(4, 0), cheap), 1);
  EXPECT_EQ(token_cost(usage(0, 10), cheap), 6);
  // Exactly half a micro-dollar rounds up.
  EXPECT_EQ(token_cost(usage(1, 0), TokenPrices{500'000, 0}), 1);
  EXPECT_EQ(token_cost(usage(1, 0), TokenPrices{499'999, 0}), 0);
  // Once per request: 3 in (0.45) + 3 out (1.8) = 2.25 -> 2, where rounding each class would
  // give 0 + 2 = 2 here but drifts in general; the sum is exact before the one rounding.
  EXPECT_EQ(token_cost(usage(3, 3), cheap), 2);
  EXPECT_EQ(token_cost(usage(5, 1), cheap), 1);  // 0.75 + 0.6 = 1.35 -> 1 (per class: 1 + 1)
}

TEST(Cost, InconsistentCountsAreClampedNotDoubled) {
  // More cached tokens than input: all the input is cached, none counted twice.
  EXPECT_EQ(token_cost(usage(100, 0, 500), kGpt4o), token_cost(usage(100, 0, 100), kGpt4o));
  // Cached + written over the input: the written part is what is left.
  EXPECT_EQ(token_cost(usage(100, 0, 80, 80), TokenPrices{1'000'000, 0, 0, 2'000'000}), 20 * 2);
  EXPECT_EQ(token_cost(usage(-5, -5, -1, -1), kGpt4o), 0);
  EXPECT_EQ(token_cost(usage(10, 10), TokenPrices{-1'000'000, -1'000'000}), 0);
}

TEST(Cost, HugeCountsSaturateInsteadOfOverflowing) {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(token_cost(usage(big, big), TokenPrices{big, big}), std::numeric_limits<Money>::max());
  EXPECT_EQ(token_cost(usage(0, 1'000'000'000'000), TokenPrices{0, 10'000'000}),
            10'000'000'000'000);  // $10M for a trillion tokens, exactly
}

TEST(Cost, PercentOfInBasisPointsRoundedHalfUp) {
  EXPECT_EQ(percent_of(1'000'000, 2'000), 200'000);  // 20 % of $1
  EXPECT_EQ(percent_of(7'500, 1'250), 938);          // 12.5 % of 7,500 µ$ = 937.5 -> 938
  EXPECT_EQ(percent_of(1, 4'999), 0);                // 0.4999 µ$
  EXPECT_EQ(percent_of(1, 5'000), 1);                // 0.5 µ$
  EXPECT_EQ(percent_of(-10, 5'000), 0);
  EXPECT_EQ(percent_of(10, -5'000), 0);
  EXPECT_EQ(percent_of(123'456'789, 10'000), 123'456'789);  // 100 %
}

TEST(Cost, AMillionSmallRequestsSumExactly) {
  // The ledger adds rows: integers, so a million one-micro-dollar requests are $1 exactly.
  const TokenPrices one_micro{1'000'000, 0};  // $1 per million: 1 µ$ a token
  Money total = 0;
  for (int i = 0; i < 1'000'000; ++i) total += token_cost(usage(1, 0), one_micro);
  EXPECT_EQ(total, kMicrosPerDollar);
}

}  // namespace
}  // namespace tollbooth
