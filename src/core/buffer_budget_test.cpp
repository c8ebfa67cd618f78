#include "core/buffer_budget.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tollbooth {
namespace {

TEST(BufferBudget, ChargesBeyondTheLimitFailAndTakeNothing) {
  BufferBudget budget(100);
  EXPECT_TRUE(budget.try_take(60));
  EXPECT_FALSE(budget.try_take(41));
  EXPECT_EQ(budget.used(), 60u);
  EXPECT_TRUE(budget.try_take(40));
  EXPECT_EQ(budget.used(), 100u);
  budget.give_back(100);
  EXPECT_FALSE(budget.try_take(101)) << "one request larger than the whole budget";
  EXPECT_EQ(budget.used(), 0u);
}

TEST(BufferBudget, AChargeGrowsAndGivesEverythingBackWhenItEnds) {
  BufferBudget budget(1000);
  {
    BufferCharge charge(budget);
    EXPECT_TRUE(charge.hold(300));
    EXPECT_TRUE(charge.hold(200)) << "shrinking is a no-op";
    EXPECT_EQ(budget.used(), 300u);
    EXPECT_TRUE(charge.hold(900));
    EXPECT_FALSE(charge.hold(1001));
    EXPECT_EQ(charge.held(), 900u) << "a failed growth keeps what was held";
    BufferCharge moved = std::move(charge);
    EXPECT_EQ(budget.used(), 900u);
  }
  EXPECT_EQ(budget.used(), 0u);
}

TEST(BufferBudget, ConcurrentChargesNeverOvershoot) {
  BufferBudget budget(1'000);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        if (budget.try_take(7)) {
          EXPECT_LE(budget.used(), 1'000u);
          ++granted;
          budget.give_back(7);
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(budget.used(), 0u);
  EXPECT_GT(granted.load(), 0);
}

}  // namespace
}  // namespace tollbooth
