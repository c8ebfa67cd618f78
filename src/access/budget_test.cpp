#include "access/budget.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/date.hpp"

namespace tollbooth::access {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::int64_t at(const char* instant) {
  auto ms = parse_instant(instant);
  if (!ms) throw std::runtime_error(std::string("bad instant in test: ") + instant);
  return *ms;
}

constexpr Money usd(double dollars) {
  return static_cast<Money>(dollars * 1'000'000 + 0.5);  // test literals only: whole cents
}

Budget monthly(Money limit, std::int32_t soft_bp = 0) {
  return {limit, BudgetPeriod::month, soft_bp};
}
Budget daily(Money limit, std::int32_t soft_bp = 0) {
  return {limit, BudgetPeriod::day, soft_bp};
}

// ---- periods ----

TEST(BudgetPeriods, ADayRunsFromMidnightToMidnightUtc) {
  EXPECT_EQ(period_start_ms(BudgetPeriod::day, at("2026-12-01T00:00:00Z")),
            at("2026-12-01T00:00:00Z"));
  EXPECT_EQ(period_start_ms(BudgetPeriod::day, at("2026-12-01T23:59:59.999Z")),
            at("2026-12-01T00:00:00Z"));
  EXPECT_EQ(period_end_ms(BudgetPeriod::day, at("2026-12-01T23:59:59.999Z")),
            at("2026-12-02T00:00:00Z"));
  // The end is the next day's start: the instant belongs to the next day.
  EXPECT_EQ(period_start_ms(BudgetPeriod::day, at("2026-12-02T00:00:00Z")),
            at("2026-12-02T00:00:00Z"));
  // An offset is only another way of writing the instant: the day is UTC's.
  EXPECT_EQ(period_start_ms(BudgetPeriod::day, at("2026-12-01T20:00:00-05:00")),
            at("2026-12-02T00:00:00Z"));
  // Before 1970 too (floor, not truncation).
  EXPECT_EQ(period_start_ms(BudgetPeriod::day, -1), -86'400'000);
  EXPECT_EQ(period_end_ms(BudgetPeriod::day, -1), 0);
}

TEST(BudgetPeriods, AWeekStartsOnMonday) {
  // 2026-11-30 is a Monday, 2026-12-06 a Sunday.
  for (const char* inside :
       {"2026-11-30T00:00:00Z", "2026-12-01T12:00:00Z", "2026-12-06T23:59:59.999Z"}) {
    EXPECT_EQ(period_start_ms(BudgetPeriod::week, at(inside)), at("2026-11-30T00:00:00Z"))
        << inside;
    EXPECT_EQ(period_end_ms(BudgetPeriod::week, at(inside)), at("2026-12-07T00:00:00Z")) << inside;
  }
  EXPECT_EQ(period_start_ms(BudgetPeriod::week, at("2026-12-07T00:00:00Z")),
            at("2026-12-07T00:00:00Z"));
  // Across a year's end: 2027-01-01 is a Friday of the week that began on 2026-12-28.
  EXPECT_EQ(period_start_ms(BudgetPeriod::week, at("2027-01-01T08:00:00Z")),
            at("2026-12-28T00:00:00Z"));
  // 1970-01-01 was a Thursday: its week began on Monday 1969-12-29.
  EXPECT_EQ(period_start_ms(BudgetPeriod::week, 0), -3 * 86'400'000);
  EXPECT_EQ(period_end_ms(BudgetPeriod::week, 0), 4 * 86'400'000);
}

TEST(BudgetPeriods, AMonthRunsFromTheFirstToTheFirstWhateverItsLength) {
  struct Case {
    const char* inside;
    const char* start;
    const char* end;
  };
  for (const Case& c : {
           Case{"2026-12-15T10:00:00Z", "2026-12-01", "2027-01-01"},      // into the next year
           Case{"2027-02-28T23:59:59.999Z", "2027-02-01", "2027-03-01"},  // 28 days
           Case{"2028-02-29T12:00:00Z", "2028-02-01", "2028-03-01"},      // leap year: 29
           Case{"2100-02-28T12:00:00Z", "2100-02-01", "2100-03-01"},      // not a leap year
           Case{"2000-02-29T00:00:00Z", "2000-02-01", "2000-03-01"},      // divisible by 400
           Case{"2026-04-30T23:59:59.999Z", "2026-04-01", "2026-05-01"},  // 30 days
           Case{"2026-01-31T00:00:00Z", "2026-01-01", "2026-02-01"},      // 31 days
           Case{"2026-03-01T00:00:00Z", "2026-03-01", "2026-04-01"},      // the first instant
       }) {
    EXPECT_EQ(period_start_ms(BudgetPeriod::month, at(c.inside)), at(c.start)) << c.inside;
    EXPECT_EQ(period_end_ms(BudgetPeriod::month, at(c.inside)), at(c.end)) << c.inside;
  }
}

TEST(BudgetPeriods, TotalIsOnePeriodThatNeverEnds) {
  EXPECT_EQ(period_start_ms(BudgetPeriod::total, at("2026-12-15T10:00:00Z")), 0);
  EXPECT_EQ(period_end_ms(BudgetPeriod::total, at("2026-12-15T10:00:00Z")), kNoPeriodEnd);
}

TEST(BudgetWords, DollarsAreExact) {
  EXPECT_EQ(dollars_text(800'000'000), "$800.00");
  EXPECT_EQ(dollars_text(812'500'000), "$812.50");
  EXPECT_EQ(dollars_text(125), "$0.000125");
  EXPECT_EQ(dollars_text(1'000'010), "$1.00001");
  EXPECT_EQ(dollars_text(0), "$0.00");
  EXPECT_EQ(dollars_text(-3'500'000), "-$3.50");
}

// ---- admission ----

TEST(BudgetBook, AdmitsWhileTheWorstCaseFitsThenRefusesNamingTheBudget) {
  BudgetBook book;
  const std::int64_t now = at("2026-11-20T10:00:00Z");
  BudgetSubject key{"key:ci-bot", monthly(usd(1.00))};
  BudgetAdmission a = book.admit({&key, 1}, usd(0.40), now);
  ASSERT_TRUE(a.admitted);
  EXPECT_EQ(a.ticket.reserved_micros(), usd(0.40));
  BudgetAdmission b = book.admit({&key, 1}, usd(0.60), now);  // exactly to the limit
  ASSERT_TRUE(b.admitted);
  BudgetAdmission c = book.admit({&key, 1}, 1, now);  // one micro-dollar over
  ASSERT_FALSE(c.admitted);
  EXPECT_FALSE(c.ticket);
  EXPECT_EQ(c.refusal.subject, "key:ci-bot");
  EXPECT_EQ(c.refusal.budget, monthly(usd(1.00)));
  EXPECT_EQ(c.refusal.spent, 0);
  EXPECT_EQ(c.refusal.reserved, usd(1.00));
  EXPECT_EQ(c.refusal.requested, 1);
  EXPECT_EQ(c.refusal.period_start_ms, at("2026-11-01T00:00:00Z"));
  EXPECT_EQ(c.refusal.resets_at_ms, at("2026-12-01T00:00:00Z"));
  EXPECT_FALSE(c.refusal.never);

  // The first cost $0.25, the second was cut short at $0.10: $0.65 comes back.
  a.ticket.settle(usd(0.25), now);
  b.ticket.settle(usd(0.10), now);
  EXPECT_THAT(book.snapshot(),
              ElementsAre(BudgetState{"key:ci-bot", at("2026-11-01"), usd(0.35), 0}));
  BudgetAdmission d = book.admit({&key, 1}, usd(0.70), now);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(describe(d.refusal),
            "key ci-bot has used its budget of $1.00 a month: $0.35 spent and $0.00 reserved by "
            "requests in flight, and this request may cost up to $0.70; it resets at "
            "2026-12-01T00:00:00Z");
  EXPECT_TRUE(book.admit({&key, 1}, usd(0.65), now).admitted);
}

TEST(BudgetBook, ABudgetUsedUpRefusesEvenARequestThatMayCostNothing) {
  BudgetBook book;
  const std::int64_t now = at("2026-11-20T10:00:00Z");
  BudgetSubject key{"key:k", daily(usd(1.00))};
  BudgetAdmission a = book.admit({&key, 1}, usd(1.00), now);
  ASSERT_TRUE(a.admitted);
  EXPECT_FALSE(book.admit({&key, 1}, 0, now).admitted);
  a.ticket.settle(usd(1.00), now);
  BudgetAdmission zero = book.admit({&key, 1}, 0, now);
  EXPECT_FALSE(zero.admitted);
  EXPECT_EQ(zero.refusal.spent, usd(1.00));
  EXPECT_EQ(zero.refusal.resets_at_ms, at("2026-11-21T00:00:00Z"));
}

TEST(BudgetBook, AWorstCaseAboveTheWholeLimitCanNeverPass) {
  BudgetBook book;
  BudgetSubject team{"team:research", Budget{usd(5.00), BudgetPeriod::total, 0}};
  BudgetAdmission r = book.admit({&team, 1}, usd(5.01), at("2026-11-20T10:00:00Z"));
  ASSERT_FALSE(r.admitted);
  EXPECT_TRUE(r.refusal.never);
  EXPECT_EQ(r.refusal.resets_at_ms, 0);
  EXPECT_EQ(describe(r.refusal),
            "this request may cost up to $5.01, more than team research's whole budget of $5.00 "
            "in total");
  EXPECT_THAT(book.snapshot(), IsEmpty());
  // A total budget that is used up does not reset, and says so.
  BudgetAdmission all = book.admit({&team, 1}, usd(5.00), at("2026-11-20T10:00:00Z"));
  ASSERT_TRUE(all.admitted);
  BudgetAdmission more = book.admit({&team, 1}, 1, at("2030-01-01T00:00:00Z"));
  ASSERT_FALSE(more.admitted);
  EXPECT_THAT(describe(more.refusal), ::testing::EndsWith("; it does not reset"));
}

TEST(BudgetBook, KeyAndTeamBothApplyAndARefusalChangesNeither) {
  BudgetBook book;
  const std::int64_t now = at("2026-11-20T10:00:00Z");
  // The key has $10 a month; its team $3 a day, of which another key took $2.50.
  BudgetSubject other[] = {{"key:other", Budget{}}, {"team:t", daily(usd(3.00))}};
  BudgetAdmission taken = book.admit(other, usd(2.50), now);
  ASSERT_TRUE(taken.admitted);
  BudgetSubject both[] = {{"key:k", monthly(usd(10.00))}, {"team:t", daily(usd(3.00))}};
  BudgetAdmission refused = book.admit(both, usd(1.00), now);
  ASSERT_FALSE(refused.admitted);
  EXPECT_EQ(refused.refusal.subject, "team:t");
  EXPECT_EQ(refused.refusal.reserved, usd(2.50));
  // The key's reservation was not made: nothing of the refused request is counted anywhere.
  // The key without a budget ("key:other") is not counted at all.
  EXPECT_THAT(book.snapshot(), ElementsAre(BudgetState{"team:t", at("2026-11-20"), 0, usd(2.50)}));
  // The key's own budget refuses too once it is the tighter one.
  BudgetAdmission fits = book.admit(both, usd(0.50), now);
  ASSERT_TRUE(fits.admitted);
  fits.ticket.settle(usd(0.50), now);
  BudgetSubject tight[] = {{"key:k", monthly(usd(0.60))}, {"team:t", daily(usd(3.00))}};
  BudgetAdmission by_key = book.admit(tight, usd(0.20), now);
  ASSERT_FALSE(by_key.admitted);
  EXPECT_EQ(by_key.refusal.subject, "key:k");
}

TEST(BudgetBook, WhenBothRefuseTheOneThatResetsLaterIsReported) {
  BudgetBook book;
  const std::int64_t now = at("2026-11-20T10:00:00Z");
  BudgetSubject both[] = {{"key:k", daily(usd(1.00))}, {"team:t", monthly(usd(1.00))}};
  BudgetAdmission all = book.admit(both, usd(1.00), now);
  ASSERT_TRUE(all.admitted);
  BudgetAdmission r = book.admit(both, usd(0.10), now);
  ASSERT_FALSE(r.admitted);
  // Waiting for the key's day to end would not help: the team's month is used up too.
  EXPECT_EQ(r.refusal.subject, "team:t");
  EXPECT_EQ(r.refusal.resets_at_ms, at("2026-12-01T00:00:00Z"));
}

TEST(BudgetBook, ARaisedLimitTakesEffectOnTheNextAdmissionAndSpentIsKept) {
  BudgetBook book;
  const std::int64_t now = at("2026-11-20T10:00:00Z");
  BudgetSubject key{"key:k", monthly(usd(1.00))};
  BudgetAdmission a = book.admit({&key, 1}, usd(1.00), now);
  ASSERT_TRUE(a.admitted);
  a.ticket.settle(usd(0.90), now);
  EXPECT_FALSE(book.admit({&key, 1}, usd(0.20), now).admitted);
  key.budget.limit_micros = usd(2.00);
  BudgetAdmission b = book.admit({&key, 1}, usd(1.10), now);
  ASSERT_TRUE(b.admitted);
  EXPECT_THAT(book.snapshot(),
              ElementsAre(BudgetState{"key:k", at("2026-11-01"), usd(0.90), usd(1.10)}));
  // Lowered below what is spent: refused, and nothing is forgotten.
  key.budget.limit_micros = usd(0.50);
  BudgetAdmission c = book.admit({&key, 1}, 0, now);
  ASSERT_FALSE(c.admitted);
  EXPECT_EQ(c.refusal.spent, usd(0.90));
}

// ---- settling ----

TEST(BudgetBook, ATicketNeverSettledReleasesItsReservationWhenDestroyed) {
  BudgetBook book;
  const std::int64_t now = at("2026-11-20T10:00:00Z");
  BudgetSubject both[] = {{"key:k", monthly(usd(1.00))}, {"team:t", monthly(usd(1.00))}};
  {
    BudgetAdmission a = book.admit(both, usd(0.80), now);
    ASSERT_TRUE(a.admitted);
    EXPECT_FALSE(book.admit(both, usd(0.30), now).admitted);
    // The client left, the upstream failed, an exception unwound: nobody settled.
  }
  EXPECT_THAT(book.snapshot(), ElementsAre(BudgetState{"key:k", at("2026-11-01"), 0, 0},
                                           BudgetState{"team:t", at("2026-11-01"), 0, 0}));
  // Moved tickets are settled once, by their last holder; assigning over a ticket releases it.
  BudgetTicket kept;
  {
    BudgetAdmission a = book.admit(both, usd(0.30), now);
    ASSERT_TRUE(a.admitted);
    kept = std::move(a.ticket);
    EXPECT_FALSE(a.ticket);
  }
  EXPECT_EQ(book.snapshot()[0].reserved, usd(0.30));
  BudgetAdmission b = book.admit(both, usd(0.20), now);
  kept = std::move(b.ticket);
  EXPECT_EQ(book.snapshot()[0].reserved, usd(0.20));
  kept.settle(usd(0.05), now);
  EXPECT_FALSE(kept);
  EXPECT_THAT(kept.settle(usd(0.05), now), IsEmpty());  // a second settle does nothing
  EXPECT_THAT(book.snapshot(), ElementsAre(BudgetState{"key:k", at("2026-11-01"), usd(0.05), 0},
                                           BudgetState{"team:t", at("2026-11-01"), usd(0.05), 0}));
}

TEST(BudgetBook, APeriodThatEndedGivesWayToAFreshOne) {
  BudgetBook book;
  FakeClock clock(at("2026-11-30T23:59:00Z"));
  BudgetSubject key{"key:k", daily(usd(1.00))};
  BudgetAdmission spent = book.admit({&key, 1}, usd(0.70), clock.unix_ms());
  ASSERT_TRUE(spent.admitted);
  spent.ticket.settle(usd(0.70), clock.unix_ms());
  // A request admitted a few seconds before midnight, still running after it.
  BudgetAdmission late = book.admit({&key, 1}, usd(0.30), clock.unix_ms());
  ASSERT_TRUE(late.admitted);
  EXPECT_FALSE(book.admit({&key, 1}, usd(0.01), clock.unix_ms()).admitted);

  clock.advance(std::chrono::seconds(60));  // 2026-12-01T00:00:00Z: a new day
  BudgetAdmission fresh = book.admit({&key, 1}, usd(1.00), clock.unix_ms());
  ASSERT_TRUE(fresh.admitted) << describe(fresh.refusal);
  EXPECT_THAT(book.snapshot(), ElementsAre(BudgetState{"key:k", at("2026-12-01"), 0, usd(1.00)}));
  // The late request settles now: its charge counts in the day it was admitted in (it was
  // checked against that day's budget), not in the new day, which never reserved for it.
  late.ticket.settle(usd(0.30), clock.unix_ms());
  EXPECT_THAT(book.snapshot(), ElementsAre(BudgetState{"key:k", at("2026-12-01"), 0, usd(1.00)}));
  fresh.ticket.settle(usd(0.40), clock.unix_ms());
  EXPECT_THAT(book.snapshot(), ElementsAre(BudgetState{"key:k", at("2026-12-01"), usd(0.40), 0}));
}

// A subject remembers its period's bounds between admissions (no calendar arithmetic while
// the time stays inside them), for the `per` they were worked out for: a budget changed from
// a month to a day mid-month counts from that day's midnight at once, and the last
// millisecond of a day still counts in it.
TEST(BudgetBook, TheRememberedPeriodHoldsOnlyForItsPerAndUntilItsEnd) {
  BudgetBook book;
  BudgetSubject key{"key:k", monthly(usd(1.00))};
  BudgetAdmission a = book.admit({&key, 1}, usd(0.70), at("2026-11-20T10:00:00Z"));
  ASSERT_TRUE(a.admitted);
  a.ticket.settle(usd(0.70), at("2026-11-20T10:00:00Z"));
  EXPECT_FALSE(book.admit({&key, 1}, usd(0.40), at("2026-11-20T11:00:00Z")).admitted);

  key.budget.per = BudgetPeriod::day;  // the same limit, now a day's
  BudgetAdmission b = book.admit({&key, 1}, usd(0.40), at("2026-11-20T11:00:00Z"));
  ASSERT_TRUE(b.admitted) << describe(b.refusal);
  b.ticket.settle(usd(0.40), at("2026-11-20T11:00:00Z"));
  EXPECT_THAT(book.snapshot(), ElementsAre(BudgetState{"key:k", at("2026-11-20"), usd(0.40), 0}));
  BudgetAdmission last = book.admit({&key, 1}, usd(0.60), at("2026-11-20T23:59:59.999Z"));
  ASSERT_TRUE(last.admitted);
  last.ticket.settle(usd(0.60), at("2026-11-20T23:59:59.999Z"));
  BudgetAdmission refused = book.admit({&key, 1}, usd(0.01), at("2026-11-20T23:59:59.999Z"));
  ASSERT_FALSE(refused.admitted);
  EXPECT_EQ(refused.refusal.resets_at_ms, at("2026-11-21T00:00:00Z"));
  EXPECT_TRUE(book.admit({&key, 1}, usd(1.00), at("2026-11-21T00:00:00Z")).admitted);
}

TEST(BudgetBook, ASettleAfterMidnightWithNoAdmissionSinceCountsInItsOwnDay) {
  BudgetBook book;
  FakeClock clock(at("2026-11-30T23:59:00Z"));
  BudgetSubject key{"key:k", daily(usd(1.00), 5000)};
  BudgetAdmission late = book.admit({&key, 1}, usd(0.60), clock.unix_ms());
  ASSERT_TRUE(late.admitted);
  clock.advance(std::chrono::minutes(2));
  auto crossings = late.ticket.settle(usd(0.60), clock.unix_ms());
  EXPECT_THAT(book.snapshot(), ElementsAre(BudgetState{"key:k", at("2026-11-30"), usd(0.60), 0}));
  ASSERT_EQ(crossings.size(), 1u);
  EXPECT_EQ(crossings[0].period_start_ms, at("2026-11-30"));  // the day it counted in
  EXPECT_EQ(crossings[0].at_ms, clock.unix_ms());
  // The next admission is in the new day, from 0.
  EXPECT_TRUE(book.admit({&key, 1}, usd(1.00), clock.unix_ms()).admitted);
}

TEST(BudgetBook, ASoftThresholdIsReportedOncePerPeriodBySettleThatCrossesIt) {
  BudgetBook book;
  FakeClock clock(at("2026-11-20T10:00:00Z"));
  BudgetSubject both[] = {{"key:k", daily(usd(10.00))}, {"team:t", daily(usd(1.00), 8000)}};
  auto spend = [&](Money charge) {
    BudgetAdmission a = book.admit(both, charge, clock.unix_ms());
    EXPECT_TRUE(a.admitted);
    return a.ticket.settle(charge, clock.unix_ms());
  };
  EXPECT_THAT(spend(usd(0.50)), IsEmpty());
  EXPECT_THAT(spend(usd(0.29)), IsEmpty());  // $0.79: below 80 %
  auto crossed = spend(usd(0.01));           // $0.80: exactly 80 % reaches it
  EXPECT_THAT(crossed, ElementsAre(SoftCrossing{"team:t", daily(usd(1.00), 8000), usd(0.80),
                                                at("2026-11-20"), clock.unix_ms()}));
  EXPECT_THAT(spend(usd(0.10)), IsEmpty());  // already past it: not again
  EXPECT_THAT(spend(usd(0.10)), IsEmpty());  // $1.00: the hard limit is no soft event

  clock.advance(std::chrono::hours(24));  // the next day: again, once
  EXPECT_THAT(spend(usd(0.70)), IsEmpty());
  auto next_day = spend(usd(0.20));
  ASSERT_EQ(next_day.size(), 1u);
  EXPECT_EQ(next_day[0].spent, usd(0.90));
  EXPECT_EQ(next_day[0].period_start_ms, at("2026-11-21"));
  EXPECT_THAT(spend(usd(0.05)), IsEmpty());
}

TEST(BudgetBook, LoadSeedsSpentFromTheLedgerWithoutEverLoweringIt) {
  BudgetBook book;
  const std::int64_t now = at("2026-11-20T10:00:00Z");
  book.load("team:t", at("2026-11-01"), usd(0.95));
  BudgetSubject team{"team:t", monthly(usd(1.00), 9000)};
  BudgetAdmission r = book.admit({&team, 1}, usd(0.10), now);
  ASSERT_FALSE(r.admitted);
  EXPECT_EQ(r.refusal.spent, usd(0.95));
  // A loaded figure already past the soft threshold is not reported again after a restart.
  BudgetAdmission a = book.admit({&team, 1}, usd(0.05), now);
  ASSERT_TRUE(a.admitted);
  EXPECT_THAT(a.ticket.settle(usd(0.01), now), IsEmpty());
  // The same period again: the larger figure stays (the settle above is not in that ledger).
  book.load("team:t", at("2026-11-01"), usd(0.90));
  EXPECT_EQ(book.snapshot()[0].spent, usd(0.96));
  // An older period is ignored; a newer one replaces it.
  book.load("team:t", at("2026-10-01"), usd(5.00));
  EXPECT_EQ(book.snapshot()[0].spent, usd(0.96));
  book.load("team:t", at("2026-12-01"), usd(0.10));
  EXPECT_THAT(book.snapshot(), ElementsAre(BudgetState{"team:t", at("2026-12-01"), usd(0.10), 0}));
}

TEST(BudgetBook, SweepForgetsOnlyEndedPeriodsWithNothingInFlight) {
  BudgetBook book;
  FakeClock clock(at("2026-11-20T10:00:00Z"));
  BudgetSubject done{"key:done", daily(usd(1.00))}, running{"key:running", daily(usd(1.00))},
      total{"key:total", Budget{usd(1.00), BudgetPeriod::total, 0}};
  book.admit({&done, 1}, usd(0.10), clock.unix_ms()).ticket.settle(usd(0.10), clock.unix_ms());
  book.admit({&total, 1}, usd(0.10), clock.unix_ms()).ticket.settle(usd(0.10), clock.unix_ms());
  BudgetAdmission held = book.admit({&running, 1}, usd(0.10), clock.unix_ms());
  BudgetSubject refused{"key:refused", daily(usd(1.00))};
  EXPECT_FALSE(book.admit({&refused, 1}, usd(2.00), clock.unix_ms()).admitted);
  EXPECT_EQ(book.sweep(clock.unix_ms()), 1u);  // the refused one: nothing of it was counted
  clock.advance(std::chrono::hours(24));
  EXPECT_EQ(book.sweep(clock.unix_ms()), 1u);
  std::vector<std::string> left;
  for (const auto& s : book.snapshot()) left.push_back(s.subject);
  EXPECT_THAT(left, ElementsAre("key:running", "key:total"));
  held.ticket.settle(usd(0.10), clock.unix_ms());
  EXPECT_EQ(book.sweep(clock.unix_ms()), 1u);
}

// Many workers racing for one team's last dollars: the invariant the anchors break.
TEST(BudgetBook, ConcurrentRequestsNeverSpendPastTheTeamBudget) {
  BudgetBook book;
  const std::int64_t now = at("2026-11-20T10:00:00Z");
  const Money limit = usd(1.00);
  constexpr int kThreads = 8, kPerThread = 2'000;
  std::atomic<Money> charged{0};
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      std::string key = "key:k" + std::to_string(t % 3);
      for (int i = 0; i < kPerThread; ++i) {
        BudgetSubject both[] = {{key, monthly(usd(0.50))}, {"team:t", monthly(limit, 5000)}};
        Money worst = static_cast<Money>(rng() % 2'000) + 1;  // up to $0.002
        BudgetAdmission a = book.admit(both, worst, now);
        if (!a.admitted) {
          ++refused;
          continue;
        }
        ++admitted;
        switch (rng() % 3) {
          case 0: break;  // the client left: the destructor releases with charge 0
          case 1: {
            Money actual = static_cast<Money>(rng() % (worst + 1));  // at most the reservation
            charged += actual;
            a.ticket.settle(actual, now);
            break;
          }
          default: {
            charged += worst;
            a.ticket.settle(worst, now);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(admitted.load(), 0);
  EXPECT_GT(refused.load(), 0) << "the budget was never reached: the test proves nothing";
  Money team_spent = 0, keys_spent = 0;
  for (const BudgetState& s : book.snapshot()) {
    EXPECT_EQ(s.reserved, 0) << s.subject << ": a reservation was left behind";
    if (s.subject == "team:t") {
      team_spent = s.spent;
    } else {
      EXPECT_LE(s.spent, usd(0.50)) << s.subject;
      keys_spent += s.spent;
    }
  }
  EXPECT_LE(team_spent, limit);
  // Every settled micro-dollar is counted, once, on the team and on its key.
  EXPECT_EQ(team_spent, charged.load());
  EXPECT_EQ(keys_spent, charged.load());
}

TEST(BudgetBook, ASubjectWithoutABudgetIsNotCounted) {
  BudgetBook book;
  BudgetSubject none[] = {{"key:k", Budget{}}, {"team:t", Budget{0, BudgetPeriod::day, 8000}}};
  BudgetAdmission a = book.admit(none, usd(1'000'000.00), at("2026-11-20T10:00:00Z"));
  ASSERT_TRUE(a.admitted);
  EXPECT_THAT(a.ticket.settle(usd(5.00), at("2026-11-20T10:00:00Z")), IsEmpty());
  EXPECT_THAT(book.snapshot(), IsEmpty());
  BudgetSubject too_many[kMaxSubjects + 1] = {};
  EXPECT_THROW(book.admit(too_many, 0, 0), std::invalid_argument);
}

}  // namespace
}  // namespace tollbooth::access
