#include "access/limiter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tollbooth::access {
namespace {

using ::testing::UnorderedElementsAre;

constexpr std::int64_t kT0 = 1'750'000'000'000;

Limits rpm(std::int64_t n) {
  return {n, 0, 0};
}
Limits tpm(std::int64_t n) {
  return {0, n, 0};
}
Limits parallel(std::int64_t n) {
  return {0, 0, n};
}

TEST(LimiterWindow, RpmAdmitsUpToTheLimitThenRefusesUntilTheWindowEnds) {
  Limiter lim;
  LimitSubject key{"key:k1", rpm(3)};
  for (int i = 0; i < 3; ++i) {
    Admission a = lim.admit({&key, 1}, 0, kT0 + i * 1000);
    ASSERT_TRUE(a.admitted) << i;
    EXPECT_EQ(a.headers.requests.limit, 3);
    EXPECT_EQ(a.headers.requests.remaining, 2 - i);
    EXPECT_EQ(a.headers.requests.reset_ms, 60'000 - i * 1000);  // anchored at the first
  }
  Admission refused = lim.admit({&key, 1}, 0, kT0 + 10'000);
  ASSERT_FALSE(refused.admitted);
  EXPECT_FALSE(refused.ticket);
  EXPECT_EQ(refused.refusal.subject, "key:k1");
  EXPECT_EQ(refused.refusal.kind, LimitKind::rpm);
  EXPECT_EQ(refused.refusal.limit, 3);
  EXPECT_EQ(refused.refusal.retry_after_ms, 50'000);
  EXPECT_FALSE(refused.refusal.never);
  EXPECT_EQ(refused.headers.requests.remaining, 0);
  EXPECT_EQ(describe(refused.refusal), "key k1 is over its limit of 3 requests per minute");
  // One millisecond before the end: still the same window.
  EXPECT_FALSE(lim.admit({&key, 1}, 0, kT0 + 59'999).admitted);
  // At the end the next admission anchors a new window.
  Admission next = lim.admit({&key, 1}, 0, kT0 + 60'000);
  ASSERT_TRUE(next.admitted);
  EXPECT_EQ(next.headers.requests.remaining, 2);
  EXPECT_EQ(next.headers.requests.reset_ms, 60'000);
}

TEST(LimiterWindow, NewWindowStartsAtTheFirstAdmissionAfterTheOldOneEnded) {
  Limiter lim;
  LimitSubject key{"key:k1", rpm(1)};
  ASSERT_TRUE(lim.admit({&key, 1}, 0, kT0).admitted);
  // Nothing for a while after the window ended: the next one starts at kT0 + 95 s, not at a
  // multiple of 60 s from kT0.
  ASSERT_TRUE(lim.admit({&key, 1}, 0, kT0 + 95'000).admitted);
  Admission refused = lim.admit({&key, 1}, 0, kT0 + 120'000);
  ASSERT_FALSE(refused.admitted);
  EXPECT_EQ(refused.refusal.retry_after_ms, 35'000);
  EXPECT_TRUE(lim.admit({&key, 1}, 0, kT0 + 155'000).admitted);
}

TEST(LimiterWindow, TpmCountsReservedTokens) {
  Limiter lim;
  LimitSubject key{"key:k1", tpm(1000)};
  Admission a = lim.admit({&key, 1}, 600, kT0);
  ASSERT_TRUE(a.admitted);
  EXPECT_EQ(a.headers.tokens.limit, 1000);
  EXPECT_EQ(a.headers.tokens.remaining, 400);
  EXPECT_EQ(a.headers.requests.limit, 0);  // rpm unlimited: no request headers
  Admission b = lim.admit({&key, 1}, 401, kT0 + 1);
  ASSERT_FALSE(b.admitted);
  EXPECT_EQ(b.refusal.kind, LimitKind::tpm);
  EXPECT_EQ(b.refusal.used, 600);
  EXPECT_EQ(b.refusal.requested, 401);
  EXPECT_EQ(b.refusal.retry_after_ms, 59'999);
  EXPECT_TRUE(lim.admit({&key, 1}, 400, kT0 + 2).admitted);
  // The window is full: even a reservation of nothing waits.
  Admission c = lim.admit({&key, 1}, 0, kT0 + 3);
  ASSERT_FALSE(c.admitted);
  EXPECT_EQ(c.refusal.kind, LimitKind::tpm);
  EXPECT_EQ(describe(c.refusal), "key k1 is over its limit of 1000 tokens per minute");
}

TEST(LimiterWindow, ReservationLargerThanTheLimitCanNeverPass) {
  Limiter lim;
  LimitSubject key{"key:k1", {5, 1000, 0}};
  Admission a = lim.admit({&key, 1}, 1001, kT0);
  ASSERT_FALSE(a.admitted);
  EXPECT_TRUE(a.refusal.never);
  EXPECT_EQ(a.refusal.kind, LimitKind::tpm);
  EXPECT_EQ(a.refusal.retry_after_ms, 0);
  EXPECT_EQ(describe(a.refusal),
            "the request reserves 1001 tokens, more than key k1's whole limit of 1000 tokens per "
            "minute");
  // Nothing was counted: the rpm window has not even started.
  EXPECT_TRUE(lim.windows(kT0).empty());
}

TEST(LimiterWindow, UnlimitedSubjectsCostNothingAndAreAlwaysAdmitted) {
  Limiter lim;
  LimitSubject key{"key:free", {}};
  for (int i = 0; i < 1000; ++i) {
    Admission a = lim.admit({&key, 1}, 1'000'000, kT0);
    ASSERT_TRUE(a.admitted);
    EXPECT_EQ(a.headers.requests.limit, 0);
    EXPECT_EQ(a.headers.tokens.limit, 0);
  }
  EXPECT_TRUE(lim.windows(kT0).empty());
  EXPECT_EQ(lim.sweep(kT0), 0u);
}

TEST(LimiterParallel, MaxParallelCountsInFlightAndReleaseFreesASlot) {
  Limiter lim;
  LimitSubject key{"key:k1", parallel(2)};
  Admission a = lim.admit({&key, 1}, 0, kT0);
  Admission b = lim.admit({&key, 1}, 0, kT0);
  ASSERT_TRUE(a.admitted && b.admitted);
  Admission c = lim.admit({&key, 1}, 0, kT0);
  ASSERT_FALSE(c.admitted);
  EXPECT_EQ(c.refusal.kind, LimitKind::max_parallel);
  EXPECT_EQ(c.refusal.retry_after_ms, kParallelRetryMs);
  EXPECT_EQ(describe(c.refusal), "key k1 already has 2 requests in flight, its max_parallel limit");
  lim.release(a.ticket);
  EXPECT_FALSE(a.ticket);
  lim.release(a.ticket);  // a second release does nothing
  Admission d = lim.admit({&key, 1}, 0, kT0);
  EXPECT_TRUE(d.admitted);
  EXPECT_FALSE(lim.admit({&key, 1}, 0, kT0).admitted);
}

TEST(LimiterParallel, TicketReleasesWhenDestroyedOrReplaced) {
  Limiter lim;
  LimitSubject key{"key:k1", parallel(1)};
  {
    Admission a = lim.admit({&key, 1}, 0, kT0);
    ASSERT_TRUE(a.admitted);
    EXPECT_FALSE(lim.admit({&key, 1}, 0, kT0).admitted);
  }
  Ticket held;
  {
    Admission a = lim.admit({&key, 1}, 0, kT0);
    ASSERT_TRUE(a.admitted);
    held = std::move(a.ticket);  // moving hands over the slot, the moved-from one is empty
    EXPECT_FALSE(a.ticket);
  }
  EXPECT_TRUE(held);
  EXPECT_FALSE(lim.admit({&key, 1}, 0, kT0).admitted);
  Ticket other = std::move(held);
  EXPECT_FALSE(lim.admit({&key, 1}, 0, kT0).admitted);
  other = Ticket{};  // assigning releases what it held
  Admission again = lim.admit({&key, 1}, 0, kT0);
  ASSERT_TRUE(again.admitted);
  again.ticket.release();
  EXPECT_TRUE(lim.admit({&key, 1}, 0, kT0).admitted);
}

TEST(LimiterAtomic, TeamRefusalLeavesTheKeyUntouched) {
  Limiter lim;
  LimitSubject subjects[] = {{"key:k1", {10, 1000, 5}}, {"team:t", {2, 0, 0}}};
  LimitSubject other_key[] = {{"key:k2", {10, 1000, 5}}, {"team:t", {2, 0, 0}}};
  ASSERT_TRUE(lim.admit(other_key, 100, kT0).admitted);
  ASSERT_TRUE(lim.admit(other_key, 100, kT0).admitted);
  Admission refused = lim.admit(subjects, 300, kT0 + 1);
  ASSERT_FALSE(refused.admitted);
  EXPECT_EQ(refused.refusal.subject, "team:t");
  EXPECT_EQ(refused.refusal.kind, LimitKind::rpm);
  EXPECT_EQ(describe(refused.refusal), "team t is over its limit of 2 requests per minute");
  // k1 has no window: neither its request, nor its tokens, nor a slot were counted.
  for (const LimiterWindow& w : lim.windows(kT0 + 1)) EXPECT_NE(w.subject, "key:k1");
  RateHeaders h = lim.peek({subjects, 1}, kT0 + 1);
  EXPECT_EQ(h.requests.remaining, 10);
  EXPECT_EQ(h.tokens.remaining, 1000);
  LimitSubject k1_only{"key:k1", {10, 1000, 5}};
  std::vector<Admission> held;
  for (int i = 0; i < 5; ++i) {
    held.push_back(lim.admit({&k1_only, 1}, 0, kT0 + 2));
    ASSERT_TRUE(held.back().admitted);  // five slots free: the refusal took none
  }
  EXPECT_EQ(lim.admit({&k1_only, 1}, 0, kT0 + 2).refusal.kind, LimitKind::max_parallel);
}

TEST(LimiterAtomic, KeyRefusalLeavesTheTeamUntouched) {
  Limiter lim;
  LimitSubject subjects[] = {{"key:k1", rpm(1)}, {"team:t", rpm(100)}};
  ASSERT_TRUE(lim.admit(subjects, 0, kT0).admitted);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(lim.admit(subjects, 0, kT0).admitted);
  LimitSubject team{"team:t", rpm(100)};
  EXPECT_EQ(lim.peek({&team, 1}, kT0).requests.remaining, 99);
}

TEST(LimiterAtomic, LongestWaitIsReportedAndHeadersShowTheTighterSubject) {
  Limiter lim;
  LimitSubject team_only{"team:t", rpm(2)};
  ASSERT_TRUE(lim.admit({&team_only, 1}, 0, kT0).admitted);
  LimitSubject subjects[] = {{"key:k1", rpm(5)}, {"team:t", rpm(2)}};
  Admission a = lim.admit(subjects, 0, kT0 + 20'000);
  ASSERT_TRUE(a.admitted);
  // The key has 4 left, the team 0: the team's numbers go into the headers.
  EXPECT_EQ(a.headers.requests.limit, 2);
  EXPECT_EQ(a.headers.requests.remaining, 0);
  EXPECT_EQ(a.headers.requests.reset_ms, 40'000);
  // Both over: the key's window ends at 80 s, the team's at 60 s. Retrying after the team's
  // 30 s would meet the key's refusal, so the key's 50 s is reported.
  LimitSubject tight[] = {{"key:k1", rpm(1)}, {"team:t", rpm(2)}};
  Admission r = lim.admit(tight, 0, kT0 + 30'000);
  ASSERT_FALSE(r.admitted);
  EXPECT_EQ(r.refusal.subject, "key:k1");
  EXPECT_EQ(r.refusal.retry_after_ms, 50'000);
}

TEST(LimiterSettle, CorrectsTheReservationInTheSameWindow) {
  Limiter lim;
  LimitSubject subjects[] = {{"key:k1", tpm(1000)}, {"team:t", tpm(5000)}};
  Admission a = lim.admit(subjects, 500, kT0);
  ASSERT_TRUE(a.admitted);
  EXPECT_EQ(a.ticket.reserved_tokens(), 500);
  lim.settle(a.ticket, 120, kT0 + 5000);
  RateHeaders h = lim.peek({subjects, 1}, kT0 + 5000);
  EXPECT_EQ(h.tokens.remaining, 880);
  EXPECT_EQ(lim.peek({subjects + 1, 1}, kT0 + 5000).tokens.remaining, 4880);
  lim.settle(a.ticket, 10, kT0 + 5000);  // once only
  EXPECT_EQ(lim.peek({subjects, 1}, kT0 + 5000).tokens.remaining, 880);
}

TEST(LimiterSettle, UsingMoreThanReservedCanOverdrawTheWindow) {
  Limiter lim;
  LimitSubject key{"key:k1", tpm(1000)};
  Admission a = lim.admit({&key, 1}, 100, kT0);
  a.ticket.settle(1500, kT0 + 1);
  RateHeaders h = lim.peek({&key, 1}, kT0 + 1);
  EXPECT_EQ(h.tokens.remaining, 0);
  auto w = lim.windows(kT0 + 1);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].used, 1500);
  Admission b = lim.admit({&key, 1}, 0, kT0 + 2);
  EXPECT_FALSE(b.admitted);
}

TEST(LimiterSettle, NeverBelowZeroAndNotInALaterWindow) {
  Limiter lim;
  LimitSubject key{"key:k1", tpm(1000)};
  Admission a = lim.admit({&key, 1}, 300, kT0);
  Admission b = lim.admit({&key, 1}, 200, kT0 + 1);
  // Restored from a save that counted less than this ticket reserved: clamp at 0.
  lim.restore(std::vector<LimiterWindow>{{"key:k1", "tpm", kT0, 100}}, kT0 + 2);
  a.ticket.settle(0, kT0 + 3);
  EXPECT_EQ(lim.windows(kT0 + 3)[0].used, 0);
  // b's window ended; a new one began: b's correction must not touch it.
  Admission c = lim.admit({&key, 1}, 50, kT0 + 60'000);
  ASSERT_TRUE(c.admitted);
  b.ticket.settle(0, kT0 + 60'001);
  EXPECT_EQ(lim.windows(kT0 + 60'001)[0].used, 50);
  // c's window ended at settle time: nothing to correct either.
  c.ticket.settle(1000, kT0 + 120'000);
  EXPECT_TRUE(lim.windows(kT0 + 120'000).empty());
}

TEST(LimiterSettle, AfterReleaseDoesNothing) {
  Limiter lim;
  LimitSubject key{"key:k1", tpm(1000)};
  Admission a = lim.admit({&key, 1}, 300, kT0);
  a.ticket.release();
  a.ticket.settle(0, kT0 + 1);
  EXPECT_EQ(lim.windows(kT0 + 1)[0].used, 300);
}

// finish is how a request ends: settle and release in one pass, each once.
TEST(LimiterSettle, FinishSettlesAndFreesTheSlotOnce) {
  Limiter lim;
  LimitSubject subjects[] = {{"key:k1", {0, 1000, 1}}, {"team:t", tpm(5000)}};
  Admission a = lim.admit(subjects, 500, kT0);
  ASSERT_TRUE(a.admitted);
  EXPECT_FALSE(lim.admit(subjects, 1, kT0 + 1).admitted);  // max_parallel 1 is taken
  a.ticket.finish(120, kT0 + 5000);
  EXPECT_FALSE(a.ticket);
  EXPECT_EQ(lim.peek({subjects, 1}, kT0 + 5000).tokens.remaining, 880);
  EXPECT_EQ(lim.peek({subjects + 1, 1}, kT0 + 5000).tokens.remaining, 4880);
  a.ticket.finish(0, kT0 + 5000);  // nothing more
  a.ticket.settle(0, kT0 + 5000);
  EXPECT_EQ(lim.peek({subjects, 1}, kT0 + 5000).tokens.remaining, 880);
  Admission b = lim.admit(subjects, 10, kT0 + 5001);
  ASSERT_TRUE(b.admitted);  // the slot is free again
  // Settled before: finish only releases.
  b.ticket.settle(20, kT0 + 5002);
  b.ticket.finish(999, kT0 + 5002);
  EXPECT_EQ(lim.peek({subjects, 1}, kT0 + 5002).tokens.remaining, 860);
  EXPECT_TRUE(lim.admit(subjects, 1, kT0 + 5003).admitted);
}

TEST(LimiterExact, SixtyFourThreadsGetExactlyTheLimit) {
  Limiter lim;
  LimitSubject subjects[] = {{"key:hot", {100, 0, 0}}, {"team:hot", {0, 1'000'000, 0}}};
  std::atomic<int> admitted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (int i = 0; i < 20; ++i) {
        Admission a = lim.admit(subjects, 7, kT0 + i);
        if (a.admitted) admitted.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), 100);
  auto w = lim.windows(kT0 + 100);
  ASSERT_EQ(w.size(), 2u);
  for (const LimiterWindow& x : w) {
    // The team counts the tokens of admitted requests only.
    EXPECT_EQ(x.used, x.subject == "key:hot" ? 100 : 700) << x.subject;
  }
}

TEST(LimiterExact, ParallelLimitHoldsUnderContention) {
  Limiter lim;
  LimitSubject subjects[] = {{"key:a", {}}, {"team:shared", parallel(8)}};
  std::atomic<int> in_flight{0}, peak{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        Admission a = lim.admit(subjects, 0, kT0);
        if (!a.admitted) continue;
        int now = in_flight.fetch_add(1) + 1;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        in_flight.fetch_sub(1);
      }  // the ticket releases here
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(peak.load(), 8);
  EXPECT_GE(peak.load(), 1);
  LimitSubject shared{"team:shared", parallel(8)};
  std::vector<Admission> all;
  for (int i = 0; i < 8; ++i) all.push_back(lim.admit({&shared, 1}, 0, kT0));
  for (const Admission& a : all) EXPECT_TRUE(a.admitted);  // every slot came back
}

TEST(LimiterRestore, SavedWindowsSurviveARestart) {
  std::vector<LimiterWindow> saved;
  {
    Limiter before;
    LimitSubject subjects[] = {{"key:k1", {2, 1000, 1}}, {"team:t", {0, 5000, 0}}};
    ASSERT_TRUE(before.admit(subjects, 400, kT0).admitted);
    ASSERT_TRUE(before.admit(subjects, 100, kT0 + 10'000).admitted);  // the first still holds
    // max_parallel 1 and the first ticket is gone (released) by now: admitted.
    saved = before.windows(kT0 + 20'000);
  }
  EXPECT_THAT(saved, UnorderedElementsAre(LimiterWindow{"key:k1", "rpm", kT0, 2},
                                          LimiterWindow{"key:k1", "tpm", kT0, 500},
                                          LimiterWindow{"team:t", "tpm", kT0, 500}));
  Limiter after;
  after.restore(saved, kT0 + 30'000);
  LimitSubject subjects[] = {{"key:k1", {2, 1000, 1}}, {"team:t", {0, 5000, 0}}};
  Admission a = after.admit(subjects, 0, kT0 + 30'000);
  ASSERT_FALSE(a.admitted);  // the restart did not refill the minute
  EXPECT_EQ(a.refusal.kind, LimitKind::rpm);
  EXPECT_EQ(a.refusal.retry_after_ms, 30'000);
  EXPECT_TRUE(after.admit(subjects, 0, kT0 + 60'000).admitted);
}

TEST(LimiterRestore, EndedWindowsAndUnknownKindsAreIgnored) {
  Limiter lim;
  lim.restore(std::vector<LimiterWindow>{{"key:k1", "rpm", kT0, 5},
                                         {"key:k1", "rpd", kT0 + 50'000, 5},
                                         {"key:k2", "rpm", kT0 + 1, 3},
                                         {"key:k3", "rpm", INT64_MAX, 3}},
              kT0 + 60'000);
  auto w = lim.windows(kT0 + 60'000);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], (LimiterWindow{"key:k2", "rpm", kT0 + 1, 3}));
}

TEST(LimiterSweep, ForgetsIdleSubjectsButNotOnesInFlight) {
  Limiter lim;
  LimitSubject a{"key:a", rpm(10)}, b{"key:b", {10, 0, 1}};
  { Admission x = lim.admit({&a, 1}, 0, kT0); }
  Admission held = lim.admit({&b, 1}, 0, kT0);
  EXPECT_EQ(lim.sweep(kT0 + 1), 0u);       // windows still open
  EXPECT_EQ(lim.sweep(kT0 + 60'000), 1u);  // a goes; b is in flight
  held.ticket.settle(0, kT0 + 60'001);     // still safe to touch
  held.ticket.release();
  EXPECT_EQ(lim.sweep(kT0 + 60'001), 1u);
  EXPECT_TRUE(lim.admit({&b, 1}, 0, kT0 + 60'002).admitted);
}

TEST(LimiterSubjects, MoreThanTheMaximumIsAProgrammingError) {
  Limiter lim;
  std::vector<LimitSubject> many(kMaxSubjects + 1, LimitSubject{"key:x", rpm(1)});
  EXPECT_THROW((void)lim.admit(many, 0, kT0), std::invalid_argument);
}

TEST(LimiterReset, FormatsLikeOpenAI) {
  EXPECT_EQ(format_reset(0), "0s");
  EXPECT_EQ(format_reset(-5), "0s");
  EXPECT_EQ(format_reset(1), "1ms");
  EXPECT_EQ(format_reset(12), "12ms");
  EXPECT_EQ(format_reset(999), "999ms");
  EXPECT_EQ(format_reset(1000), "1s");
  EXPECT_EQ(format_reset(1001), "1.001s");
  EXPECT_EQ(format_reset(8640), "8.64s");
  EXPECT_EQ(format_reset(59'500), "59.5s");
  EXPECT_EQ(format_reset(1'010), "1.01s");
  EXPECT_EQ(format_reset(9'100), "9.1s");
  EXPECT_EQ(format_reset(10'000), "10s");
  EXPECT_EQ(format_reset(10'050), "10.05s");
  EXPECT_EQ(format_reset(59'999), "59.999s");
  EXPECT_EQ(format_reset(60'000), "1m0s");
  EXPECT_EQ(format_reset(61'020), "1m1.02s");
  EXPECT_EQ(format_reset(90'500), "1m30.5s");
  EXPECT_EQ(format_reset(360'000), "6m0s");
  EXPECT_EQ(format_reset(3'600'000), "1h0m0s");
  EXPECT_EQ(format_reset(3'723'004), "1h2m3.004s");
}

TEST(LimiterReset, KindNames) {
  EXPECT_EQ(limit_kind_name(LimitKind::rpm), "rpm");
  EXPECT_EQ(limit_kind_name(LimitKind::tpm), "tpm");
  EXPECT_EQ(limit_kind_name(LimitKind::max_parallel), "max_parallel");
}

}  // namespace
}  // namespace tollbooth::access
