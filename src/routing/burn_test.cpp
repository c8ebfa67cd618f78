#include "routing/burn.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "routing/test_world.hpp"

namespace tollbooth::routing {
namespace {

using testing::day;
using testing::kCommitments;
using testing::World;

constexpr Money kDollar = 1'000'000;

CommitmentConfig commitment(Money usd, const char* from, const char* to) {
  return CommitmentConfig{usd, day(from), day(to)};
}

TEST(Burn, TargetIsProRataThroughTheEndOfTheDay) {
  CommitmentConfig c = commitment(1000 * kDollar, "2027-01-01", "2027-01-10");
  EXPECT_EQ(standing(&c, day("2027-01-01"), 0).target, 100 * kDollar);  // day 1 of 10
  EXPECT_EQ(standing(&c, day("2027-01-04"), 0).target, 400 * kDollar);
  EXPECT_EQ(standing(&c, day("2027-01-10"), 0).target, 1000 * kDollar);  // the last day: all
  // Rounded down to the micro-dollar: $1 over 3 days is 333333, 666666, then 1000000.
  CommitmentConfig third = commitment(kDollar, "2027-01-01", "2027-01-03");
  EXPECT_EQ(standing(&third, day("2027-01-01"), 0).target, 333'333);
  EXPECT_EQ(standing(&third, day("2027-01-02"), 0).target, 666'666);
  EXPECT_EQ(standing(&third, day("2027-01-03"), 0).target, kDollar);
}

TEST(Burn, BehindIsTargetLessBurnedAndNegativeWhenAhead) {
  CommitmentConfig c = commitment(1000 * kDollar, "2027-01-01", "2027-01-10");
  Standing s = standing(&c, day("2027-01-04"), 150 * kDollar);
  EXPECT_TRUE(s.committed);
  EXPECT_EQ(s.behind, 250 * kDollar);
  EXPECT_EQ(standing(&c, day("2027-01-04"), 400 * kDollar + 1).behind, -1);
  // A burn not known counts as nothing burned.
  EXPECT_EQ(standing(&c, day("2027-01-04"), kBurnUnknown).behind, 400 * kDollar);
}

TEST(Burn, OutsideItsPeriodOrWithoutACommitmentAContractIsNotBehind) {
  CommitmentConfig c = commitment(1000 * kDollar, "2027-01-01", "2027-01-10");
  for (const char* d : {"2026-12-31", "2027-01-11"}) {
    Standing s = standing(&c, day(d), 0);
    EXPECT_FALSE(s.committed) << d;
    EXPECT_EQ(s.behind, 0) << d;
    EXPECT_EQ(s.target, 0) << d;
  }
  EXPECT_FALSE(standing(nullptr, day("2027-01-04"), 0).committed);
  EXPECT_EQ(standing(nullptr, day("2027-01-04"), 0).behind, 0);
}

TEST(Burn, TheLargestCommitmentOverTheLongestPeriodIsExact) {
  // $1e9 over a year, and over 8,000 years (usd × days elapsed passes 2^63): exact, and the last
  // day's target is the whole commitment.
  CommitmentConfig c = commitment(1'000'000'000 * kDollar, "2027-01-01", "2027-12-31");
  EXPECT_EQ(standing(&c, day("2027-12-31"), 0).target, 1'000'000'000 * kDollar);
  EXPECT_EQ(standing(&c, day("2027-01-01"), 0).target, 1'000'000'000 * kDollar / 365);
  CommitmentConfig ages = commitment(1'000'000'000 * kDollar, "2000-01-01", "9999-12-31");
  const std::int64_t days = day("9999-12-31") - day("2000-01-01") + 1;
  const std::int64_t elapsed = day("9000-01-01") - day("2000-01-01") + 1;
  EXPECT_EQ(standing(&ages, day("9999-12-31"), 0).target, 1'000'000'000 * kDollar);
  EXPECT_EQ(standing(&ages, day("9000-01-01"), 0).target,
            static_cast<Money>(static_cast<__int128>(1'000'000'000 * kDollar) * elapsed / days));
}

TEST(Burn, TableIsUnknownUntilTheStoreIsReadThenHoldsEachContractsPeriod) {
  World w(kCommitments);
  const BurnTable& table = w.catalog.burn();
  EXPECT_TRUE(table.wants_burn());
  for (int c = 0; c < 3; ++c) EXPECT_EQ(table.burned(c), kBurnUnknown);

  const CommitmentBurn store[] = {
      {"microsoft", "2027-01-01..2027-01-10", 12 * kDollar},
      {"microsoft", "2026-01-01..2026-12-31", 999 * kDollar},  // another period: not this one
      {"nobody", "2027-01-01..2027-01-10", 5 * kDollar},       // not in the config
  };
  w.catalog.burn().set_burn(store);
  auto index = [&](std::string_view name) {
    for (std::size_t i = 0; i < w.catalog.contracts().size(); ++i)
      if (w.catalog.contracts()[i].name == name) return static_cast<int>(i);
    return -1;
  };
  EXPECT_EQ(table.burned(index("microsoft")), 12 * kDollar);
  EXPECT_EQ(table.burned(index("bedrock-marketplace")), 0);  // not listed: nothing burned
  EXPECT_EQ(table.burned(index("other")), 0);                // no commitment

  // Each reading replaces the last one.
  w.catalog.burn().set_burn(std::span(store + 2, 1));
  EXPECT_EQ(table.burned(index("microsoft")), 0);
}

TEST(Burn, NotWantedWithoutACommitmentBurnModelOrWithoutCommitments) {
  std::string other_strategy = kCommitments;
  other_strategy.replace(other_strategy.find("commitment_burn"), 15, "least_cost");
  EXPECT_FALSE(World(other_strategy).catalog.burn().wants_burn());
  std::string no_commitments = kCommitments;
  for (auto at = no_commitments.find("    commitment:"); at != std::string::npos;
       at = no_commitments.find("    commitment:")) {
    no_commitments.erase(at, no_commitments.find('\n', at) + 1 - at);
  }
  EXPECT_FALSE(World(no_commitments).catalog.burn().wants_burn());
}

TEST(Burn, ReadersSeeWholeFiguresWhileTheTableIsReplaced) {
  World w(kCommitments);
  const CommitmentBurn a[] = {{"microsoft", "2027-01-01..2027-01-10", 7 * kDollar}};
  const CommitmentBurn b[] = {{"microsoft", "2027-01-01..2027-01-10", 9 * kDollar}};
  w.catalog.burn().set_burn(a);
  std::thread writer([&] {
    for (int i = 0; i < 20'000; ++i) w.catalog.burn().set_burn(i % 2 ? a : b);
  });
  const BurnTable& table = w.catalog.burn();
  int microsoft = 0;
  while (w.catalog.contracts()[microsoft].name != "microsoft") ++microsoft;
  for (int i = 0; i < 20'000; ++i) {
    Money m = table.burned(microsoft);
    ASSERT_TRUE(m == 7 * kDollar || m == 9 * kDollar) << m;
  }
  writer.join();
}

}  // namespace
}  // namespace tollbooth::routing
