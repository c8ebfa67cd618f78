#include "routing/strategy.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

#include "routing/health.hpp"

namespace tollbooth::routing {
namespace {

using ::testing::ElementsAre;

TEST(Strategy, LeastCostOrdersByEstimatedCostAndKeepsConfigOrderOnTies) {
  std::array<Position, 4> order = {0, 1, 2, 3};
  std::array<std::uint64_t, 4> cost = {30, 10, kUnpriced, 10};
  order_least_cost(order, cost);
  EXPECT_THAT(order, ElementsAre(1, 3, 0, 2));  // unpriced last, the two 10s in config order
}

TEST(Strategy, LeastLatencyMeasuresUnsampledRoutesFirstThenFastest) {
  std::array<Position, 4> order = {0, 1, 2, 3};
  std::array<std::int64_t, 4> ttfb = {900, 300, kNoSamples, 500};
  order_least_latency(order, ttfb);
  EXPECT_THAT(order, ElementsAre(2, 1, 3, 0));
}

TEST(Strategy, CommitmentBurnPutsTheContractFurthestBehindFirst) {
  std::array<Position, 4> order = {0, 1, 2, 3};
  std::array<std::int64_t, 4> behind = {50, 300, 120, 7};
  order_commitment_burn(order, behind);
  EXPECT_THAT(order, ElementsAre(1, 2, 0, 3));
}

TEST(Strategy, CommitmentBurnPutsRoutesNotBehindAfterThoseBehindAndBeforeThoseAhead) {
  // 0: no commitment in force (or exactly on schedule); negative: ahead of schedule.
  std::array<Position, 5> order = {0, 1, 2, 3, 4};
  std::array<std::int64_t, 5> behind = {0, -40, 10, 0, -1};
  order_commitment_burn(order, behind);
  EXPECT_THAT(order, ElementsAre(2, 0, 3, 4, 1));
}

TEST(Strategy, CommitmentBurnKeepsConfigOrderOnTies) {
  std::array<Position, 4> order = {0, 1, 2, 3};
  std::array<std::int64_t, 4> behind = {5, 9, 5, 9};
  order_commitment_burn(order, behind);
  EXPECT_THAT(order, ElementsAre(1, 3, 0, 2));
}

TEST(Strategy, CommitmentBurnOverASubsetReadsOnlyItsKeys) {
  std::array<std::int64_t, 4> behind = {1, 1'000, 2, 3};
  std::array<Position, 3> order = {0, 2, 3};  // route 1 was not eligible
  order_commitment_burn(order, behind);
  EXPECT_THAT(order, ElementsAre(3, 2, 0));
}

TEST(Strategy, WeightedIsARepeatablePermutationDrawnByWeight) {
  std::array<std::uint32_t, 3> weights = {1, 1, 8};
  std::array<int, 3> first{};
  for (std::uint64_t r = 0; r < 10'000; ++r) {
    std::array<Position, 3> order = {0, 1, 2};
    order_weighted(order, weights, r);
    std::array<Position, 3> again = {0, 1, 2};
    order_weighted(again, weights, r);
    ASSERT_EQ(order, again);  // same random value, same order
    std::array<Position, 3> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_THAT(sorted, ElementsAre(0, 1, 2));  // nothing lost, nothing twice
    ++first[order[0]];
  }
  EXPECT_NEAR(first[2] / 10'000.0, 0.8, 0.03);
  EXPECT_NEAR(first[0] / 10'000.0, 0.1, 0.02);
}

TEST(Strategy, WeightedOverASubsetUsesOnlyThoseWeights) {
  std::array<std::uint32_t, 4> weights = {1, 1000, 1, 1};
  std::array<Position, 2> order = {0, 3};  // route 1 (heavy) was not eligible
  order_weighted(order, weights, 42);
  std::sort(order.begin(), order.end());
  EXPECT_THAT(order, ElementsAre(0, 3));
}

TEST(Strategy, EstimatedCostWeighsInputAndOutputTokens) {
  TokenPrices price{1'250'000, 10'000'000, -1, -1};  // $1.25 in, $10 out per Mtok
  EXPECT_EQ(estimated_cost(price, 1'000, 100), 1'250'000'000u + 1'000'000'000u);
  // No counts: still compares by price.
  EXPECT_EQ(estimated_cost(price, 0, 0), 11'250'000u);
}

TEST(Strategy, NamesAreTheConfigSpelling) {
  EXPECT_EQ(strategy_name(Strategy::least_latency), "least_latency");
  EXPECT_EQ(strategy_name(Strategy::weighted), "weighted");
  EXPECT_EQ(strategy_name(Strategy::commitment_burn), "commitment_burn");
}

}  // namespace
}  // namespace tollbooth::routing
