// auth:, store:, limits:, teams: and keys: as a user writes them, and the mistakes they make.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_test_support.hpp"

namespace tollbooth {
namespace {

using config_test::load_ok;
using config_test::problem;
using config_test::problems_in;
using config_test::yaml;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kBase = R"(
providers:
  p: { kind: openai, base_url: "http://127.0.0.1:1/v1" }
models:
  m: { routes: [ { provider: p } ] }
)";

std::string with(const char* extra) {
  return yaml(kBase) + yaml(extra);
}

const char* secret_env(const char* name) {
  std::string_view n = name;
  if (n == "CI_KEY") return "tk-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
  if (n == "OTHER_KEY") return "tk-ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut";
  if (n == "WEAK_KEY") return "hunter2";
  return "postgresql://u:pw@127.0.0.1/db";
}

TEST(ConfigAccess, DefaultsRequireKeysAndKeepTheStoreBesideTheFile) {
  auto config = load_ok(with(""));
  EXPECT_EQ(config->auth, AuthMode::keys);
  EXPECT_FALSE(config->store.declared);
  EXPECT_EQ(config->store.sqlite_path, "tollbooth.db");
  EXPECT_EQ(config->store.refresh, std::chrono::seconds(1));
  EXPECT_EQ(config->store.responses_retention, std::chrono::hours(24 * 30));
  EXPECT_EQ(config->store.redis_failure, LimitFailure::fail_closed);
  EXPECT_EQ(config->limits.default_output_tokens, 4096u);
  EXPECT_TRUE(config->metrics.enabled);
  EXPECT_TRUE(config->keys.empty());
}

TEST(ConfigAccess, ReadsTeamsAndKeysWithEveryField) {
  auto config = load_ok(with(R"(
auth: keys
store: { postgres: env:DATABASE_URL, redis: env:REDIS_URL, refresh: 250ms, redis_failure: fail_open,
         responses_retention: 7d }
limits: { default_output_tokens: 1000 }
metrics: { enabled: false }
teams:
  research: { scopes: [chat, models], models: ["gpt-4o*"], regions: [us-*], rpm: 600, tpm: 200000, max_parallel: 8 }
keys:
  ci-bot: { secret: env:CI_KEY, team: research, scopes: [chat, "routing:explain"], rpm: 60, expires: 2027-01-01T12:00:00Z }
)"),
                        &secret_env);
  EXPECT_EQ(config->store.postgres_url, "postgresql://u:pw@127.0.0.1/db");
  EXPECT_EQ(config->store.postgres_env, "DATABASE_URL");  // named in the CLI's messages
  EXPECT_EQ(config->store.refresh, std::chrono::milliseconds(250));
  EXPECT_EQ(config->store.responses_retention, std::chrono::hours(24 * 7));
  EXPECT_EQ(config->store.redis_failure, LimitFailure::fail_open);
  EXPECT_EQ(config->limits.default_output_tokens, 1000u);
  EXPECT_FALSE(config->metrics.enabled);
  ASSERT_EQ(config->teams.size(), 1u);
  const access::Team& team = config->teams[0];
  EXPECT_EQ(team.id, "research");
  EXPECT_TRUE(team.from_config);
  EXPECT_EQ(team.scopes,
            access::scope_bit(access::Scope::chat) | access::scope_bit(access::Scope::models));
  EXPECT_EQ(team.models, std::vector<std::string>{"gpt-4o*"});
  EXPECT_EQ(team.regions, std::vector<std::string>{"us-*"});
  EXPECT_EQ(team.limits, (access::Limits{600, 200000, 8}));
  ASSERT_EQ(config->keys.size(), 1u);
  const DeclaredKey& key = config->keys[0];
  EXPECT_EQ(key.key.id, "ci-bot");
  EXPECT_EQ(key.key.team, "research");
  EXPECT_EQ(key.secret, "tk-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG");
  EXPECT_EQ(key.key.scopes, access::scope_bit(access::Scope::chat) |
                                access::scope_bit(access::Scope::routing_explain));
  EXPECT_EQ(key.key.limits.rpm, 60);
  EXPECT_EQ(key.key.expires_ms, 1'798'804'800'000);  // 2027-01-01T12:00:00Z
  // A key without scopes gets the API scopes, not routing:explain or admin.
  auto plain = load_ok(with("keys:\n  k: { secret: env:CI_KEY }\n"), &secret_env);
  EXPECT_EQ(plain->keys[0].key.scopes, access::kDefaultScopes);
}

TEST(ConfigAccess, AuthNoneAndSqlitePathRelativeToTheFile) {
  auto config = load_ok(with("auth: none\nstore: { sqlite: data/t.db }\n"));
  EXPECT_EQ(config->auth, AuthMode::none);
  EXPECT_TRUE(config->store.declared);
  EXPECT_EQ(config->store.sqlite_path, "data/t.db");
}

TEST(ConfigAccess, MistakesAreNamedWithoutShowingSecrets) {
  auto problems = problems_in(with(R"(
auth: maybe
store: { sqlite: a.db, postgres: env:DATABASE_URL, redis_failure: fail_open }
teams:
  "bad name": {}
  ok: { scopes: [chat, sudo], rpm: 0 }
keys:
  key_1: { secret: env:OTHER_KEY }
  first: { secret: env:CI_KEY }
  weak: { secret: env:WEAK_KEY }
  twin: { secret: env:CI_KEY }
  lost: { secret: env:OTHER_KEY, team: nobody, expires: soon }
  nosecret: { team: ok }
)"),
                              &secret_env);
  std::string all = format_problems(problems);
  EXPECT_THAT(all, HasSubstr("auth: unknown value \"maybe\"; expected one of: keys, none"));
  EXPECT_THAT(all, HasSubstr("store.sqlite and store.postgres are both set"));
  EXPECT_THAT(all, HasSubstr("redis_failure applies only with store.redis"));
  EXPECT_THAT(all, HasSubstr("\"bad name\" is not a team name"));
  EXPECT_THAT(all, HasSubstr("unknown scope \"sudo\""));
  EXPECT_THAT(all, HasSubstr("teams.ok.rpm: \"0\" is out of range"));
  EXPECT_THAT(all, HasSubstr("\"key_1\" is not a key name"));
  EXPECT_THAT(all, HasSubstr("keys.weak.secret: the secret does not have the form of a key"));
  EXPECT_THAT(all, HasSubstr("keys.twin.secret: the same secret is given to another key"));
  EXPECT_THAT(all, HasSubstr("team \"nobody\" is not declared under teams:"));
  EXPECT_THAT(all, HasSubstr("\"soon\" is not a date or an instant"));
  EXPECT_THAT(all, HasSubstr("keys.nosecret.secret: missing"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("tk-0123")));
}

TEST(ConfigAccess, ReadsBudgetsExactlyAndTheTeamsMarkup) {
  auto config = load_ok(with(R"(
teams:
  research: { budget: { usd: 500, per: month, soft_percent: 80 }, markup_percent: 12.5 }
  ops: { budget: { usd: 0.10, per: total } }
  plain: {}
keys:
  ci-bot: { secret: env:CI_KEY, team: research, budget: { usd: 49.999999, per: day, soft_percent: 92.25 } }
  weekly: { secret: env:OTHER_KEY, budget: { usd: 7, per: week } }
)"),
                        &secret_env);
  ASSERT_EQ(config->teams.size(), 3u);
  EXPECT_EQ(config->teams[0].budget,
            (access::Budget{500'000'000, access::BudgetPeriod::month, 8000}));
  EXPECT_EQ(config->teams[0].markup_bp, 1250);
  // usd 0.10 is exactly 100 000 micro-dollars (never 0.1 as a binary fraction); no soft
  // threshold unless one is given.
  EXPECT_EQ(config->teams[1].budget, (access::Budget{100'000, access::BudgetPeriod::total, 0}));
  EXPECT_EQ(config->teams[1].markup_bp, 0);
  EXPECT_EQ(config->teams[2].budget, access::Budget{});  // none: not counted
  ASSERT_EQ(config->keys.size(), 2u);
  EXPECT_EQ(config->keys[0].key.budget,
            (access::Budget{49'999'999, access::BudgetPeriod::day, 9225}));
  EXPECT_EQ(config->keys[1].key.budget, (access::Budget{7'000'000, access::BudgetPeriod::week, 0}));
  // per defaults to month.
  auto monthly = load_ok(with("teams:\n  t: { budget: { usd: 1 } }\n"));
  EXPECT_EQ(monthly->teams[0].budget, (access::Budget{1'000'000, access::BudgetPeriod::month, 0}));
}

TEST(ConfigAccess, BudgetMistakesAreNamedWhereTheyAre) {
  auto problems = problems_in(with(R"(
teams:
  a: { budget: { usd: 0 } }
  b: { budget: { usd: 1.0000001, per: year } }
  c: { budget: { per: day, soft_percent: 80 } }
  d: { budget: { usd: 5, soft_percent: 0 } }
  e: { budget: { usd: 5, soft_percent: 100.5 } }
  f: { budget: 500, markup_percent: 1000.01 }
  g: { budget: { usd: 5, hard: true }, markup_percent: -5 }
keys:
  k: { secret: env:CI_KEY, budget: { usd: 1000000001 }, markup_percent: 10 }
)"),
                              &secret_env);
  // Lines count from the file's first line; kBase takes four.
  EXPECT_THAT(problems,
              Contains(problem(6, 23,
                               "teams.a.budget.usd: \"0\" is not a budget; expected US dollars "
                               "more than 0 like 500 or 12.50 (leave budget: out for none)")));
  EXPECT_THAT(problems, Contains(problem(7, 23,
                                         "teams.b.budget.usd: \"1.0000001\" is more precise than "
                                         "6 decimals; expected US dollars more than 0 like 500 "
                                         "or 12.50")));
  std::string all = format_problems(problems);
  EXPECT_THAT(all, HasSubstr("teams.b.budget.per: unknown value \"year\"; expected one of: day, "
                             "week, month, total"));
  EXPECT_THAT(all, HasSubstr("teams.c.budget.usd: missing"));
  EXPECT_THAT(all, HasSubstr("teams.d.budget.soft_percent: \"0\" is out of range; expected a "
                             "percentage from 1 to 100"));
  EXPECT_THAT(all, HasSubstr("teams.e.budget.soft_percent: \"100.5\" is out of range"));
  EXPECT_THAT(all, HasSubstr("teams.f.budget: expected"));
  EXPECT_THAT(all, HasSubstr("teams.f.markup_percent: \"1000.01\" is out of range; expected a "
                             "percentage from 0 to 1000"));
  EXPECT_THAT(all, HasSubstr("teams.g.budget.hard: unknown key"));
  EXPECT_THAT(all, HasSubstr("teams.g.markup_percent: \"-5\" is not a plain decimal number"));
  EXPECT_THAT(all, HasSubstr("keys.k.budget.usd: \"1000000001\" is out of range"));
  // A markup is the team's: a key has none.
  EXPECT_THAT(all, HasSubstr("keys.k.markup_percent: unknown key"));
}

}  // namespace
}  // namespace tollbooth
