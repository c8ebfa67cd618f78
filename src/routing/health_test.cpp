#include "routing/health.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace tollbooth::routing {
namespace {

BreakerConfig breaker(std::uint32_t failures = 3) {
  BreakerConfig b;
  b.failures = failures;
  b.error_percent = 50;
  b.min_requests = 10;
  b.window = std::chrono::seconds(30);
  b.cooldown = std::chrono::seconds(10);
  return b;
}

TEST(Health, ConsecutiveFailuresOpenTheBreakerForTheCooldown) {
  Health h(2, breaker(3));
  h.record_failure(0, 1'000);
  h.record_failure(0, 1'001);
  EXPECT_TRUE(h.status(0, 1'002).admits);
  h.record_failure(0, 1'002);
  RouteStatus s = h.status(0, 1'003);
  EXPECT_FALSE(s.admits);
  EXPECT_EQ(s.open_until_ms, 11'002);
  EXPECT_EQ(h.admit(0, 5'000), Admission::refuse);
  EXPECT_TRUE(h.status(1, 1'003).admits);  // other routes are untouched
}

TEST(Health, AReloadCarriesARoutesBreakerAndStreakToItsNewId) {
  Health before(2, breaker(3));
  before.record_failure(1, 1'000);
  before.record_failure(1, 1'001);
  before.record_failure(1, 1'002);  // open until 11'002
  before.record_failure(0, 1'000);
  before.record_failure(0, 1'001);  // one failure short of opening
  before.record_success(0, 1'001, 900);
  before.record_failure(0, 1'002);
  before.record_failure(0, 1'003);
  // The new config put the routes the other way round, and added one.
  Health after(3, breaker(3));
  after.carry(0, before, 1);
  after.carry(2, before, 0);
  EXPECT_FALSE(after.status(0, 5'000).admits);
  EXPECT_EQ(after.status(0, 5'000).open_until_ms, 11'002);
  EXPECT_TRUE(after.status(2, 5'000).admits);
  EXPECT_EQ(after.status(2, 5'000).ttfb_ewma_us, 900);
  after.record_failure(2, 5'000);  // the third in a row, counting those before the reload
  EXPECT_FALSE(after.status(2, 5'001).admits);
  EXPECT_TRUE(after.status(1, 5'001).admits);  // new: nothing to carry
  after.carry(7, before, 0);                   // out of range: nothing happens
  after.carry(1, before, 9);
  EXPECT_TRUE(after.status(1, 5'001).admits);
}

TEST(Health, ASuccessResetsTheStreak) {
  Health h(1, breaker(3));
  h.record_failure(0, 1);
  h.record_failure(0, 2);
  h.record_success(0, 3, 100);
  h.record_failure(0, 4);
  h.record_failure(0, 5);
  EXPECT_TRUE(h.status(0, 6).admits);
}

TEST(Health, ErrorRatioOverMinRequestsOpensTheBreaker) {
  Health h(1, breaker(100));
  for (int i = 0; i < 9; ++i) {
    if (i % 2 == 0)
      h.record_failure(0, i);
    else
      h.record_success(0, i, 100);
  }
  EXPECT_TRUE(h.status(0, 10).admits);  // 5 of 9: not enough requests yet
  h.record_success(0, 10, 100);         // 5 of 10 = 50%, but the last was a success
  EXPECT_TRUE(h.status(0, 11).admits);
  h.record_failure(0, 11);  // 6 of 11 >= 50%
  EXPECT_FALSE(h.status(0, 12).admits);
}

TEST(Health, OldFailuresLeaveTheWindow) {
  Health h(1, breaker(100));
  for (int i = 0; i < 9; ++i) h.record_failure(0, i);
  // 30 s later a new window starts: one more failure is 1 of 1, under min_requests.
  h.record_failure(0, 40'000);
  EXPECT_TRUE(h.status(0, 40'001).admits);
}

TEST(Health, AfterTheCooldownExactlyOneProbeGoes) {
  Health h(1, breaker(1));
  h.record_failure(0, 0);
  EXPECT_TRUE(h.status(0, 10'000).admits);
  EXPECT_EQ(h.admit(0, 10'000), Admission::probe);
  EXPECT_FALSE(h.status(0, 10'001).admits);
  EXPECT_EQ(h.admit(0, 10'001), Admission::refuse);
}

TEST(Health, ProbeSuccessClosesAndProbeFailureReopens) {
  Health h(1, breaker(1));
  h.record_failure(0, 0);
  ASSERT_EQ(h.admit(0, 10'000), Admission::probe);
  h.record_failure(0, 10'500);
  RouteStatus s = h.status(0, 10'600);
  EXPECT_FALSE(s.admits);
  EXPECT_EQ(s.open_until_ms, 20'500);
  ASSERT_EQ(h.admit(0, 20'500), Admission::probe);
  h.record_success(0, 20'700, 150);
  EXPECT_TRUE(h.status(0, 20'701).admits);
  EXPECT_EQ(h.admit(0, 20'701), Admission::go);
}

TEST(Health, AProbeThatNeverReportsFreesItsSlotAfterACooldown) {
  Health h(1, breaker(1));
  h.record_failure(0, 0);
  ASSERT_EQ(h.admit(0, 10'000), Admission::probe);
  EXPECT_EQ(h.admit(0, 19'999), Admission::refuse);
  EXPECT_EQ(h.admit(0, 20'000), Admission::probe);
}

TEST(Health, TimeToFirstByteIsAnExponentialAverage) {
  Health h(1, breaker());
  EXPECT_EQ(h.status(0, 0).ttfb_ewma_us, kNoSamples);
  h.record_success(0, 1, 1'000);
  EXPECT_EQ(h.status(0, 2).ttfb_ewma_us, 1'000);
  h.record_success(0, 3, 6'000);
  EXPECT_EQ(h.status(0, 4).ttfb_ewma_us, 2'000);  // 1000 + (6000-1000)/5
}

TEST(Health, ConcurrentRecordsAreCountedOnce) {
  Health h(1, breaker(1'000'000));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) h.record_success(0, 1, 500);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.status(0, 2).ttfb_ewma_us, 500);
  EXPECT_TRUE(h.status(0, 2).admits);
}

}  // namespace
}  // namespace tollbooth::routing
