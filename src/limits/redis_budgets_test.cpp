// The shared budgets: the decision rules and the library's version without Redis; the Lua
// functions against a real Redis, the one scripts/with-redis starts (TOLLBOOTH_TEST_REDIS_URL;
// without it those tests skip).
#include "limits/redis_budgets.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/date.hpp"
#include "limits/redis_client.hpp"
#include "limits/redis_limiter.hpp"
#include "limits/redis_test_support.hpp"
#include "limits/redis_url.hpp"

namespace tollbooth::limits {
namespace {

using namespace std::chrono_literals;
using access::Budget;
using access::BudgetPeriod;
using access::BudgetSubject;

std::int64_t at(const char* instant) {
  return parse_instant(instant).value();
}

constexpr Money kDollar = 1'000'000;

RedisReply integers(std::vector<std::int64_t> values) {
  RedisReply r;
  r.type = RedisReply::Type::array;
  for (auto v : values) {
    RedisReply e;
    e.type = RedisReply::Type::integer;
    e.integer = v;
    r.elements.push_back(e);
  }
  return r;
}

// ---- without Redis ----

TEST(RedisBudgetDecision, AdmittedCarriesTheTicketOfEveryBudgetedSubject) {
  BudgetSubject s[] = {{"key:k", Budget{5 * kDollar, BudgetPeriod::day, 0}},
                       {"key:free", Budget{}},
                       {"team:t", Budget{100 * kDollar, BudgetPeriod::month, 8000}}};
  std::int64_t starts[] = {at("2026-11-20"), 0, at("2026-11-01")};
  // status 1; per budgeted subject: seeded, spent, reserved (after the reservation).
  BudgetDecision d =
      decide_budget_admission(s, 300'000, starts, integers({1, 1, 10, 300'010, 1, 20, 300'000}));
  ASSERT_TRUE(d.admitted);
  EXPECT_FALSE(d.unavailable);
  EXPECT_EQ(d.ticket.held, 0b101);
  EXPECT_EQ(d.ticket.reserved, 300'000);
  EXPECT_EQ(d.ticket.period_start[0], at("2026-11-20"));
  EXPECT_EQ(d.ticket.period_start[2], at("2026-11-01"));
  EXPECT_EQ(d.ticket.budget[2], s[2].budget);
}

TEST(RedisBudgetDecision, ARefusalIsTheLocalBooksOnTheFiguresRedisChecked) {
  BudgetSubject s[] = {{"key:k", Budget{1 * kDollar, BudgetPeriod::day, 0}},
                       {"team:t", Budget{1 * kDollar, BudgetPeriod::month, 0}}};
  std::int64_t starts[] = {at("2026-11-20"), at("2026-11-01")};
  // Both are used up: the team's month resets later, so it is the one reported.
  BudgetDecision d = decide_budget_admission(s, 100'000, starts,
                                             integers({0, 1, 950'000, 0, 1, 400'000, 600'000}));
  ASSERT_FALSE(d.admitted);
  EXPECT_FALSE(d.unavailable);
  EXPECT_EQ(d.refused_subject, 1);
  EXPECT_EQ(d.refusal.subject, "team:t");
  EXPECT_EQ(d.refusal.spent, 400'000);
  EXPECT_EQ(d.refusal.reserved, 600'000);
  EXPECT_EQ(d.refusal.resets_at_ms, at("2026-12-01"));
  EXPECT_EQ(d.unseeded, 0);
  EXPECT_EQ(access::describe(d.refusal),
            "team t has used its budget of $1.00 a month: $0.40 spent and $0.60 reserved by "
            "requests in flight, and this request may cost up to $0.10; it resets at "
            "2026-12-01T00:00:00Z");
  // Refused by the key while the team is not seeded yet: the refusal stands, nothing to seed.
  BudgetDecision by_key =
      decide_budget_admission(s, 100'000, starts, integers({0, 1, 950'000, 0, 0, 0, 0}));
  EXPECT_FALSE(by_key.admitted);
  EXPECT_EQ(by_key.refused_subject, 0);
  EXPECT_EQ(by_key.unseeded, 0);
  // Refused with figures that fit: Redis and this code disagree, so nothing is trusted.
  EXPECT_TRUE(
      decide_budget_admission(s, 100'000, starts, integers({0, 1, 0, 0, 1, 0, 0})).unavailable);
}

TEST(RedisBudgetDecision, SubjectsRedisDoesNotKnowAreToBeSeeded) {
  BudgetSubject s[] = {{"key:k", Budget{1 * kDollar, BudgetPeriod::day, 0}},
                       {"team:t", Budget{1 * kDollar, BudgetPeriod::month, 0}}};
  std::int64_t starts[] = {at("2026-11-20"), at("2026-11-01")};
  BudgetDecision d = decide_budget_admission(s, 100'000, starts, integers({2, 1, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(d.admitted);
  EXPECT_FALSE(d.unavailable);
  EXPECT_EQ(d.unseeded, 0b10);
  // Wrong shapes: too few figures, not integers, an unknown status.
  EXPECT_TRUE(decide_budget_admission(s, 1, starts, integers({1, 1, 0})).unavailable);
  EXPECT_TRUE(decide_budget_admission(s, 1, starts, integers({7, 1, 0, 0, 1, 0, 0})).unavailable);
  RedisReply text;
  text.type = RedisReply::Type::string;
  EXPECT_TRUE(decide_budget_admission(s, 1, starts, text).unavailable);
}

TEST(RedisBudgets, KeysNameTheSubjectAndThePeriod) {
  EXPECT_EQ(budget_key("team:research", at("2026-12-01")),
            "tb:{team:research}:budget:1796083200000");
  EXPECT_EQ(budget_key("key:k", 0), "tb:{key:k}:budget:0");
}

TEST(RedisBudgets, TheFunctionLibraryIsVersioned) {
  std::string_view version = kBudgetLibraryName.substr(kBudgetLibraryName.rfind('_'));
  ASSERT_EQ(version, "_v1");
  for (std::string_view f : {kBudgetAdmitFunction, kBudgetSettleFunction, kBudgetSeedFunction}) {
    EXPECT_TRUE(f.ends_with(version)) << f;
    EXPECT_NE(budget_library_code().find("register_function('" + std::string(f) + "'"),
              std::string_view::npos)
        << f;
  }
  EXPECT_TRUE(
      budget_library_code().starts_with("#!lua name=" + std::string(kBudgetLibraryName) + "\n"));
  // The code this version stands for. A change to the Lua source must come with a new version
  // (every _v1 becomes _v2) so gateways of both can share a Redis during an upgrade; then put
  // the new fingerprint here.
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : budget_library_code()) h = (h ^ c) * 1099511628211ull;
  EXPECT_EQ(h, 9992891259771253336ull)
      << "the Lua library changed: bump its version, then set this fingerprint to " << h;
}

// ---- against Redis ----

using test_support::run;
using test_support::test_redis_url;
using test_support::test_url;
using test_support::unique;

// The store's ledger as the loader sees it: spent per subject, and how often it was asked.
struct Ledger {
  std::map<std::string, Money> spent;
  int asked = 0;
  SpentLoader loader() {
    return
        [this](std::string subject, std::int64_t, std::int64_t) -> Awaitable<std::optional<Money>> {
          ++asked;
          auto it = spent.find(subject);
          co_return it == spent.end() ? Money{0} : it->second;
        };
  }
};

// One gateway worker: an event loop, its connection and its budgets.
struct Worker {
  Worker(RedisUrl url, SpentLoader loader, RedisBudgetsOptions options = {})
      : client(io.get_executor(), std::move(url), RedisClientOptions{}),
        budgets(client, std::move(loader), options) {
    budgets.on_soft_crossing([this](const access::SoftCrossing& c) { crossings.push_back(c); });
    client.start();
  }
  asio::io_context io{1};
  RedisClient client;
  RedisBudgets budgets;
  std::vector<access::SoftCrossing> crossings;

  void connect() {
    run(io, [this]() -> Awaitable<void> {
      bool ready = co_await client.wait_ready(5s);
      EXPECT_TRUE(ready) << "no connection to " << client.describe();
    });
  }
  BudgetDecision admit(std::vector<BudgetSubject> subjects, Money worst, std::int64_t now) {
    BudgetDecision out;
    run(io, [&]() -> Awaitable<void> { out = co_await budgets.admit(subjects, worst, now); });
    return out;
  }
  RedisReply command(RedisCommand cmd) {
    RedisReply out;
    run(io, [&]() -> Awaitable<void> {
      out = co_await client.async_command(std::move(cmd), asio::deferred);
    });
    return out;
  }
  // A period's figure as Redis holds it (-1 when missing). Commands on one connection are
  // answered in order, so this sees every settle sent before it.
  Money figure(std::string_view subject, std::int64_t period_start, const char* field) {
    RedisReply r = command(RedisCommand::of({"HGET", budget_key(subject, period_start), field}));
    return r.type == RedisReply::Type::string ? std::stoll(r.str) : -1;
  }
  void sleep(std::chrono::milliseconds d) {
    run(io, [&]() -> Awaitable<void> {
      Timer t(io.get_executor());
      t.expires_after(d);
      co_await t.async_wait(deferred_nothrow);
    });
  }
};

// A date to come: Redis drops a key whose expiry (a day after its period) has passed.
const std::int64_t kNow = at("2099-11-20T10:00:00Z");
const std::int64_t kDay = at("2099-11-20");
const std::int64_t kMonth = at("2099-11-01");

TEST(RedisBudgets, TwoGatewaysRacingForTheLastDollarsNeverBothPass) {
  REQUIRE_TEST_REDIS();
  const std::string team = unique("team");
  constexpr int kPerWorker = 150;
  std::atomic<int> admitted{0}, refused{0}, other{0};
  std::atomic<Money> charged{0};
  std::latch both_connected(2);
  auto gateway = [&](int seed) {
    Ledger ledger;
    Worker w(test_url(), ledger.loader());
    w.connect();
    both_connected.arrive_and_wait();
    int pending = kPerWorker;
    std::mt19937_64 rng(seed);
    for (int i = 0; i < kPerWorker; ++i) {
      asio::co_spawn(
          w.io.get_executor(),
          [&]() -> Awaitable<void> {
            // $1.00 a month; each request may cost up to a cent.
            BudgetSubject s{team, Budget{kDollar, BudgetPeriod::month, 0}};
            BudgetDecision d = co_await w.budgets.admit({&s, 1}, 10'000, kNow);
            if (d.admitted) {
              ++admitted;
              Money actual = static_cast<Money>(rng() % 10'001);  // at most the reservation
              charged += actual;
              w.budgets.settle({&s, 1}, d.ticket, actual, kNow);
            } else if (!d.unavailable && d.refused_subject == 0) {
              ++refused;
            } else {
              ++other;
            }
            if (--pending == 0) {
              // Every settle was sent before this: its answer comes after theirs.
              RedisCommand ping = RedisCommand::of({"PING"});
              co_await w.client.async_command(std::move(ping), asio::deferred);
              w.client.stop();
            }
          },
          asio::detached);
    }
    w.io.restart();
    w.io.run();
  };
  std::thread a(gateway, 1), b(gateway, 2);
  a.join();
  b.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(admitted.load(), 100);  // settles give back what was not used
  EXPECT_GT(refused.load(), 0);
  Ledger ledger;
  Worker w(test_url(), ledger.loader());
  w.connect();
  Money spent = w.figure(team, kMonth, "spent");
  EXPECT_LE(spent, kDollar);
  EXPECT_EQ(spent, charged.load()) << "every settled micro-dollar counts, once";
  EXPECT_EQ(w.figure(team, kMonth, "reserved"), 0);
}

TEST(RedisBudgets, AdmissionIsAtomicAcrossKeyAndTeamAndSettlesInItsPeriod) {
  REQUIRE_TEST_REDIS();
  Ledger ledger;
  Worker w(test_url(), ledger.loader());
  w.connect();
  const std::string key = unique("key"), team = unique("team");
  std::vector<BudgetSubject> s = {{key, Budget{10 * kDollar, BudgetPeriod::day, 0}},
                                  {team, Budget{kDollar, BudgetPeriod::month, 0}}};
  BudgetDecision a = w.admit(s, 800'000, kNow);
  ASSERT_TRUE(a.admitted) << access::describe(a.refusal);
  BudgetDecision b = w.admit(s, 300'000, kNow);
  ASSERT_FALSE(b.admitted);
  EXPECT_FALSE(b.unavailable);
  EXPECT_EQ(b.refused_subject, 1);
  EXPECT_EQ(b.refusal.reserved, 800'000);
  EXPECT_EQ(b.refusal.resets_at_ms, at("2099-12-01"));
  // The refusal reserved nothing on the key either.
  EXPECT_EQ(w.figure(key, kDay, "reserved"), 800'000);

  // The request ends the next day: its charge still counts in the day and month it was
  // admitted in, and its reservation is given back there.
  w.budgets.settle(s, a.ticket, 650'000, at("2099-11-21T00:05:00Z"));
  EXPECT_EQ(w.figure(key, kDay, "spent"), 650'000);
  EXPECT_EQ(w.figure(key, kDay, "reserved"), 0);
  EXPECT_EQ(w.figure(team, kMonth, "spent"), 650'000);
  EXPECT_EQ(w.figure(key, at("2099-11-21"), "spent"), -1);
  EXPECT_FALSE(w.admit(s, 400'000, kNow).admitted);
  EXPECT_TRUE(w.admit(s, 350'000, kNow).admitted);
  // The period's keys expire a day after it ends; a total budget's never.
  RedisReply expiry = w.command(RedisCommand::of({"PEXPIRETIME", budget_key(key, kDay)}));
  EXPECT_EQ(expiry.integer, at("2099-11-21") + kBudgetGraceMs);
  // A subject without a budget is not counted at all.
  EXPECT_TRUE(w.admit({{unique("key"), Budget{}}}, 1'000 * kDollar, kNow).admitted);
}

TEST(RedisBudgets, APeriodRedisDoesNotKnowIsSeededOnceFromTheStore) {
  REQUIRE_TEST_REDIS();
  const std::string team = unique("team");
  Ledger ledger;
  ledger.spent[team] = 950'000;  // the ledger's sum for the month: Redis was flushed
  Worker w(test_url(), ledger.loader());
  w.connect();
  std::vector<BudgetSubject> s = {{team, Budget{kDollar, BudgetPeriod::month, 0}}};
  BudgetDecision d = w.admit(s, 100'000, kNow);
  ASSERT_FALSE(d.admitted);
  EXPECT_FALSE(d.unavailable);
  EXPECT_EQ(d.refusal.spent, 950'000);
  EXPECT_EQ(ledger.asked, 1);
  EXPECT_TRUE(w.admit(s, 50'000, kNow).admitted);
  EXPECT_EQ(ledger.asked, 1);  // seeded: the store is not asked again

  // Another gateway whose store read came later finds the period seeded: the first figure
  // stands, whatever its own would have been (HSETNX).
  Ledger other_ledger;
  other_ledger.spent[team] = 0;
  Worker other(test_url(), other_ledger.loader());
  other.connect();
  EXPECT_FALSE(other.admit(s, 10'000, kNow).admitted);
  EXPECT_EQ(other_ledger.asked, 0);

  // A store that cannot be read: unavailable (the caller applies redis_failure).
  Worker broken(test_url(),
                [](std::string, std::int64_t, std::int64_t) -> Awaitable<std::optional<Money>> {
                  co_return std::nullopt;
                });
  broken.connect();
  const std::string unread = unique("key");
  EXPECT_TRUE(broken.admit({{unread, Budget{kDollar, BudgetPeriod::day, 0}}}, 1, kNow).unavailable);
  EXPECT_EQ(broken.figure(unread, kDay, "spent"), -1);
}

TEST(RedisBudgets, AReservationNeverSettledLapsesByItself) {
  REQUIRE_TEST_REDIS();
  Ledger ledger;
  Worker w(test_url(), ledger.loader(), RedisBudgetsOptions{.reservation_ttl_ms = 300});
  w.connect();
  const std::string key = unique("key");
  std::vector<BudgetSubject> s = {{key, Budget{kDollar, BudgetPeriod::day, 0}}};
  BudgetDecision first = w.admit(s, kDollar, kNow);  // its gateway stalls: not settled in time
  ASSERT_TRUE(first.admitted);
  EXPECT_FALSE(w.admit(s, 1, kNow).admitted);
  w.sleep(400ms);
  BudgetDecision after = w.admit(s, kDollar, kNow);
  EXPECT_TRUE(after.admitted) << access::describe(after.refusal);
  EXPECT_EQ(w.figure(key, kDay, "reserved"), kDollar);  // only the new one
  // The late settle of the lapsed reservation gives nothing back twice; its charge counts.
  w.budgets.settle(s, first.ticket, 200'000, kNow);
  EXPECT_EQ(w.figure(key, kDay, "reserved"), kDollar);
  EXPECT_EQ(w.figure(key, kDay, "spent"), 200'000);
}

TEST(RedisBudgets, ASoftThresholdIsReportedByTheOneSettleThatCrossesIt) {
  REQUIRE_TEST_REDIS();
  Ledger ledger;
  Worker w(test_url(), ledger.loader());
  w.connect();
  const std::string team = unique("team");
  std::vector<BudgetSubject> s = {{team, Budget{kDollar, BudgetPeriod::month, 8000}}};
  for (Money charge : {700'000, 99'999, 1, 100'000}) {
    BudgetDecision d = w.admit(s, charge, kNow);
    ASSERT_TRUE(d.admitted);
    w.budgets.settle(s, d.ticket, charge, kNow);
    w.figure(team, kMonth, "spent");  // its answer has come
  }
  ASSERT_EQ(w.crossings.size(), 1u);
  EXPECT_EQ(w.crossings[0], (access::SoftCrossing{team, s[0].budget, 800'000, kMonth, kNow}));
}

TEST(RedisBudgets, SettlesDuringAnOutageAreSentBeforeTheNextAdmission) {
  REQUIRE_TEST_REDIS();
  Ledger ledger;
  Worker w(test_url(), ledger.loader(), RedisBudgetsOptions{.max_pending = 2});
  w.connect();
  const std::string key = unique("key");
  std::vector<BudgetSubject> s = {{key, Budget{kDollar, BudgetPeriod::day, 0}}};
  BudgetDecision a = w.admit(s, 400'000, kNow), b = w.admit(s, 300'000, kNow),
                 c = w.admit(s, 300'000, kNow);
  ASSERT_TRUE(a.admitted && b.admitted && c.admitted);

  // The connection is down (a stopped client stands for it): admissions are unavailable at
  // once; settles wait, at most two, the oldest dropped first.
  w.client.stop();
  EXPECT_TRUE(w.admit(s, 1, kNow).unavailable);
  w.budgets.settle(s, a.ticket, 400'000, kNow);  // dropped: its reservation will lapse
  w.budgets.settle(s, b.ticket, 100'000, kNow);
  w.budgets.settle(s, c.ticket, 0, kNow);
  EXPECT_EQ(w.budgets.pending(), 2u);
  w.client.start();
  w.connect();
  // The next admission sends them first, and is checked against them: $0.10 spent, $0.40
  // still reserved by the dropped one.
  BudgetDecision next = w.admit(s, 500'000, kNow);
  EXPECT_TRUE(next.admitted) << access::describe(next.refusal);
  EXPECT_EQ(w.budgets.pending(), 0u);
  EXPECT_EQ(w.figure(key, kDay, "spent"), 100'000);
  EXPECT_EQ(w.figure(key, kDay, "reserved"), 900'000);
}

TEST(RedisBudgets, TheLibraryIsLoadedOnEveryConnection) {
  REQUIRE_TEST_REDIS();
  Ledger ledger;
  Worker w(test_url(), ledger.loader());
  w.connect();
  RedisReply list = w.command(RedisCommand::of(
      {"FUNCTION", "LIST", "LIBRARYNAME", std::string(kBudgetLibraryName), "WITHCODE"}));
  ASSERT_EQ(list.type, RedisReply::Type::array);
  ASSERT_EQ(list.elements.size(), 1u) << "library " << kBudgetLibraryName << " not loaded";
  std::string code;
  const auto& lib = list.elements[0].elements;
  for (std::size_t i = 0; i + 1 < lib.size(); i += 2) {
    if (lib[i].str == "library_code") code = lib[i + 1].str;
  }
  EXPECT_EQ(code, budget_library_code());
  // Deleted under the gateway's feet: that admission is unavailable, the next works.
  ASSERT_TRUE(
      w.command(RedisCommand::of({"FUNCTION", "DELETE", std::string(kBudgetLibraryName)})).ok());
  std::vector<BudgetSubject> s = {{unique("key"), Budget{kDollar, BudgetPeriod::day, 0}}};
  EXPECT_TRUE(w.admit(s, 1, kNow).unavailable);
  EXPECT_TRUE(w.admit(s, 1, kNow).admitted);
}

TEST(RedisBudgets, ShareAConnectionWithTheRateLimits) {
  REQUIRE_TEST_REDIS();
  // A worker's one connection loads both libraries; each calls its own functions.
  asio::io_context io{1};
  RedisClient client(io.get_executor(), test_url());
  RedisLimiter limiter(client);
  RedisBudgets budgets(client, nullptr);
  client.start();
  const std::string key = unique("key");
  access::LimitSubject limited{key, access::Limits{5, 0, 0}};
  BudgetSubject budgeted{key, Budget{kDollar, BudgetPeriod::month, 0}};
  Decision limit;
  BudgetDecision budget;
  run(io, [&]() -> Awaitable<void> {
    EXPECT_TRUE(co_await client.wait_ready(5s));
    limit = co_await limiter.admit({&limited, 1}, 0);
    budget = co_await budgets.admit({&budgeted, 1}, 600'000, kNow);
  });
  EXPECT_TRUE(limit.admitted);
  EXPECT_TRUE(budget.admitted);
  client.stop();
}

}  // namespace
}  // namespace tollbooth::limits
