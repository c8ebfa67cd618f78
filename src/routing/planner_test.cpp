#include "routing/planner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/test_world.hpp"

namespace tollbooth::routing {
namespace {

using testing::caps;
using testing::day;
using ::testing::ElementsAre;
using testing::kCommitments;
using testing::kTwoClouds;
using testing::on;
using testing::World;

constexpr const char* kAfterLaunch = "2027-03-01";  // Bedrock open, licence running

TEST(Planner, PrimaryTakesAPlainRequest) {
  World w(kTwoClouds);
  Plan plan = w.plan_for("gpt-5", on(kAfterLaunch));
  EXPECT_THAT(w.order(plan), ElementsAre("azure-east", "bedrock-us", "bedrock-eu", "openai"));
  EXPECT_EQ(plan.candidates()[0].placed_by, Placement::first_refusal);
  EXPECT_EQ(plan.candidates()[1].placed_by, Placement::ordered);
  EXPECT_TRUE(plan.rejected().empty());
}

TEST(Planner, VisionRequestSkipsPrimaryThatLacksVision) {
  World w(kTwoClouds);
  Plan plan = w.plan_for("gpt-5", on(kAfterLaunch, caps({Capability::vision})));
  EXPECT_THAT(w.order(plan), ElementsAre("bedrock-us", "bedrock-eu", "openai"));
  const Rejection* azure = w.rejection(plan, "azure-east");
  ASSERT_NE(azure, nullptr);
  EXPECT_EQ(azure->rule, Rule::lacks_capability);
  EXPECT_EQ(azure->capabilities, caps({Capability::vision}));
}

TEST(Planner, CapabilityThePrimaryDeclinesGoesElsewhere) {
  World w(kTwoClouds);
  Plan plan = w.plan_for("gpt-5", on(kAfterLaunch, caps({Capability::responses_api})));
  EXPECT_THAT(w.order(plan), ElementsAre("bedrock-us", "bedrock-eu", "openai"));
  const Rejection* azure = w.rejection(plan, "azure-east");
  ASSERT_NE(azure, nullptr);
  EXPECT_EQ(azure->rule, Rule::declined_capability);
  EXPECT_EQ(w.catalog.contracts()[azure->contract].name, "microsoft");
}

TEST(Planner, ADeclinedModelGoesElsewhere) {
  std::string yaml = kTwoClouds;
  yaml.replace(yaml.find("declines: [responses_api]"), 25, "declines: [gpt-5]");
  World w(yaml);
  Plan plan = w.plan_for("gpt-5", on(kAfterLaunch));
  EXPECT_THAT(w.order(plan), ElementsAre("bedrock-us", "bedrock-eu", "openai"));
  EXPECT_EQ(w.rejection(plan, "azure-east")->rule, Rule::declined_model);
}

TEST(Planner, BeforeAvailableFromTheSecondCloudIsIneligible) {
  World w(kTwoClouds);
  Plan plan = w.plan_for("gpt-5", on("2026-11-30", caps({Capability::vision})));
  EXPECT_THAT(w.order(plan), ElementsAre("openai"));
  const Rejection* bedrock = w.rejection(plan, "bedrock-us");
  ASSERT_NE(bedrock, nullptr);
  EXPECT_EQ(bedrock->rule, Rule::before_available_from);
  EXPECT_EQ(bedrock->date, day("2026-12-01"));
  // The window is inclusive: on the day itself it is eligible.
  plan = w.plan_for("gpt-5", on("2026-12-01", caps({Capability::vision})));
  EXPECT_THAT(w.order(plan), ElementsAre("bedrock-us", "bedrock-eu", "openai"));
}

TEST(Planner, AfterLicenseUntilThePrimaryIsIneligible) {
  World w(kTwoClouds);
  EXPECT_THAT(w.order(w.plan_for("gpt-5", on("2032-12-31")))[0], "azure-east");  // last day
  Plan plan = w.plan_for("gpt-5", on("2033-01-01"));
  EXPECT_THAT(w.order(plan), ElementsAre("bedrock-us", "bedrock-eu", "openai"));
  const Rejection* azure = w.rejection(plan, "azure-east");
  ASSERT_NE(azure, nullptr);
  EXPECT_EQ(azure->rule, Rule::after_license_until);
  EXPECT_EQ(azure->date, day("2032-12-31"));
}

TEST(Planner, PrimaryBreakerOpenGoesToSecondCloudThenBackAfterTheProbeSucceeds) {
  World w(kTwoClouds);
  BreakerConfig breaker;
  breaker.failures = 3;
  breaker.cooldown = std::chrono::seconds(30);
  Health health(w.catalog.route_count(), breaker);
  RouteId azure = w.id("gpt-5", "azure-east");
  PlanInput in = on(kAfterLaunch);
  in.now_ms = 1'000'000;
  for (int i = 0; i < 3; ++i) health.record_failure(azure, in.now_ms);

  Plan plan = w.plan_for("gpt-5", in, &health);
  EXPECT_THAT(w.order(plan), ElementsAre("bedrock-us", "bedrock-eu", "openai"));
  EXPECT_EQ(w.rejection(plan, "azure-east")->rule, Rule::breaker_open);
  EXPECT_EQ(w.rejection(plan, "azure-east")->open_until_ms, 1'030'000);

  in.now_ms = 1'030'000;  // cooldown over: the primary is planned again, as the probe
  plan = w.plan_for("gpt-5", in, &health);
  EXPECT_EQ(w.order(plan)[0], "azure-east");
  ASSERT_EQ(health.admit(azure, in.now_ms), Admission::probe);
  // While the probe is out, other requests do not pile onto the primary.
  EXPECT_EQ(w.order(w.plan_for("gpt-5", in, &health))[0], "bedrock-us");
  health.record_success(azure, in.now_ms + 200, 200'000);

  plan = w.plan_for("gpt-5", in, &health);
  EXPECT_EQ(w.order(plan)[0], "azure-east");
  EXPECT_EQ(health.admit(azure, in.now_ms + 300), Admission::go);
}

TEST(Planner, SingleRouteModelWithOpenBreakerFailsFastWithRetryAfter) {
  World w(R"(
billing: {unpriced: allow}
providers:
  openai: {kind: openai, base_url: https://api.openai.com/v1}
models:
  gpt-4o: {routes: [{provider: openai}]}
)");
  BreakerConfig breaker;
  breaker.failures = 1;
  Health health(w.catalog.route_count(), breaker);
  health.record_failure(0, 5'000);
  PlanInput in = on(kAfterLaunch);
  in.now_ms = 6'000;
  Plan plan = w.plan_for("gpt-4o", in, &health);
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(plan.retry_at_ms(), 35'000);  // 503 with Retry-After: 29s
}

TEST(Planner, RegionsNotAllowedForTheCallerAreSkipped) {
  World w(kTwoClouds);
  std::vector<std::string> eu_only = {"eu-*"};
  PlanInput in = on(kAfterLaunch);
  in.allowed_regions = eu_only;
  Plan plan = w.plan_for("gpt-5", in);
  EXPECT_THAT(w.order(plan), ElementsAre("bedrock-eu"));
  EXPECT_EQ(w.rejection(plan, "azure-east")->rule, Rule::region_not_allowed);
  // A residency label matches too; a provider with neither label is never "in" a region.
  std::vector<std::string> us = {"us"};
  in.allowed_regions = us;
  EXPECT_THAT(w.order(w.plan_for("gpt-5", in)), ElementsAre("azure-east", "bedrock-us"));
}

TEST(Planner, RequestOverTheContextWindowNeedsLongContext) {
  World w(kTwoClouds);
  PlanInput in = on(kAfterLaunch);
  in.estimated_input_tokens = 390'000;
  in.max_output_tokens = 20'000;
  Plan plan = w.plan_for("gpt-5", in);
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.needs().has(Capability::long_context));
  const Rejection* azure = w.rejection(plan, "azure-east");
  EXPECT_EQ(azure->rule, Rule::over_context_window);
  EXPECT_EQ(azure->tokens, 410'000u);
  in.max_output_tokens = 10'000;  // exactly the window fits
  EXPECT_FALSE(w.plan_for("gpt-5", in).empty());
}

TEST(Planner, ModelWithoutDeclaredCapabilitiesSkipsTheCheckButHonoursLacks) {
  World w(R"(
billing: {unpriced: allow}
providers:
  a: {kind: openai, base_url: https://a.example/v1}
  b: {kind: openai, base_url: https://b.example/v1}
models:
  m:
    routes:
      - {provider: a, lacks: [vision]}
      - {provider: b}
)");
  Plan plan = w.plan_for("m", on(kAfterLaunch, caps({Capability::reasoning, Capability::tools})));
  EXPECT_THAT(w.order(plan), ElementsAre("a", "b"));
  plan = w.plan_for("m", on(kAfterLaunch, caps({Capability::vision})));
  EXPECT_THAT(w.order(plan), ElementsAre("b"));
}

TEST(Planner, FirstRefusalComesFirstWhateverTheStrategy) {
  World w(R"(
providers:
  azure: {kind: openai, base_url: https://azure.example/v1}
  cheap: {kind: openai, base_url: https://cheap.example/v1}
models:
  m:
    strategy: least_cost
    routes:
      - {provider: cheap}
      - {provider: azure}
contracts:
  primary: {providers: [azure], first_refusal: true}
prices:
  - {provider: cheap, model: m, input_per_mtok: 0.5, output_per_mtok: 1}
  - {provider: azure, model: m, input_per_mtok: 5, output_per_mtok: 10}
)");
  Plan plan = w.plan_for("m", on(kAfterLaunch));
  EXPECT_THAT(w.order(plan), ElementsAre("azure", "cheap"));
  EXPECT_EQ(plan.candidates()[0].placed_by, Placement::first_refusal);
  EXPECT_EQ(plan.candidates()[1].placed_by, Placement::least_cost);
}

constexpr const char* kPricedTwice = R"(
providers:
  bedrock: {kind: openai, base_url: https://bedrock.example/v1}
  openai: {kind: openai, base_url: https://api.openai.com/v1}
models:
  gpt-5:
    strategy: least_cost
    routes:
      - {provider: openai}
      - {provider: bedrock}
prices:
  - {provider: openai, model: gpt-5, input_per_mtok: 1.25, output_per_mtok: 10}
  - {provider: bedrock, model: gpt-5, input_per_mtok: BEDROCK_IN, output_per_mtok: 10}
)";

std::string priced(const char* bedrock_input) {
  std::string yaml = kPricedTwice;
  return yaml.replace(yaml.find("BEDROCK_IN"), 10, bedrock_input);
}

TEST(Planner, LeastCostPicksTheCheaperRouteAndChangesWhenPricesChange) {
  PlanInput in = on(kAfterLaunch);
  in.estimated_input_tokens = 10'000;
  in.max_output_tokens = 1'000;
  World cheaper_bedrock(priced("1.10"));
  EXPECT_THAT(cheaper_bedrock.order(cheaper_bedrock.plan_for("gpt-5", in)),
              ElementsAre("bedrock", "openai"));
  World dearer_bedrock(priced("1.40"));
  EXPECT_THAT(dearer_bedrock.order(dearer_bedrock.plan_for("gpt-5", in)),
              ElementsAre("openai", "bedrock"));
}

TEST(Planner, LeastCostCountsTheContractDiscount) {
  std::string yaml =
      priced("1.40") + "contracts:\n  aws: {providers: [bedrock], discount_percent: 20}\n";
  World w(yaml);  // 1.40 - 20% = 1.12 < 1.25
  PlanInput in = on(kAfterLaunch);
  in.estimated_input_tokens = 10'000;
  EXPECT_THAT(w.order(w.plan_for("gpt-5", in)), ElementsAre("bedrock", "openai"));
}

TEST(Planner, LeastCostComparesThePriceInForceOnTheRequestsDay) {
  // Bedrock's price drops below OpenAI's on 2027-06-01.
  std::string yaml = priced("1.40") +
                     "  - {provider: bedrock, model: gpt-5, effective_from: 2027-06-01, "
                     "input_per_mtok: 1.10, output_per_mtok: 10}\n";
  World w(yaml);
  PlanInput in = on("2027-05-31");
  in.estimated_input_tokens = 10'000;
  EXPECT_THAT(w.order(w.plan_for("gpt-5", in)), ElementsAre("openai", "bedrock"));
  in.today = day("2027-06-01");
  EXPECT_THAT(w.order(w.plan_for("gpt-5", in)), ElementsAre("bedrock", "openai"));
}

constexpr const char* kHalfPriced = R"(
providers:
  azure: {kind: openai, base_url: https://azure.example/v1}
  openai: {kind: openai, base_url: https://api.openai.com/v1}
models:
  m:
    strategy: least_cost
    routes:
      - {provider: azure}
      - {provider: openai}
prices:
  - {provider: openai, model: m, effective_from: 2027-01-01, input_per_mtok: 1, output_per_mtok: 2}
)";

TEST(Planner, WithUnpricedRefuseARouteWithoutAPriceInForceIsNotEligible) {
  World w(kHalfPriced);  // billing.unpriced: refuse is the default
  Plan plan = w.plan_for("m", on("2027-01-01"));
  EXPECT_THAT(w.order(plan), ElementsAre("openai"));
  const Rejection* azure = w.rejection(plan, "azure");
  ASSERT_NE(azure, nullptr);
  EXPECT_EQ(azure->rule, Rule::unpriced);
  EXPECT_EQ(azure->date, day("2027-01-01"));
  EXPECT_FALSE(plan.refused_for_price());  // a route is left

  // The day before openai's first price: nothing is priced, and that alone empties the plan.
  plan = w.plan_for("m", on("2026-12-31"));
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(w.rejection(plan, "openai")->rule, Rule::unpriced);
  EXPECT_TRUE(plan.refused_for_price());
  EXPECT_EQ(plan.retry_at_ms(), 0);
}

TEST(Planner, EarlierRulesWinOverUnpriced) {
  std::string yaml = kHalfPriced;
  yaml.replace(yaml.find("{provider: azure}"), 17, "{provider: azure, lacks: [vision]}");
  World w(yaml);
  Plan plan = w.plan_for("m", on("2027-01-01", caps({Capability::vision})));
  EXPECT_EQ(w.rejection(plan, "azure")->rule, Rule::lacks_capability);
}

TEST(Planner, WithUnpricedAllowARouteWithoutAPriceIsServedAfterThePricedOnes) {
  World w("billing: {unpriced: allow}\n" + std::string(kHalfPriced));
  Plan plan = w.plan_for("m", on("2027-01-01"));
  EXPECT_THAT(w.order(plan), ElementsAre("openai", "azure"));  // least_cost: unpriced last
  EXPECT_TRUE(plan.rejected().empty());
  plan = w.plan_for("m", on("2026-12-31"));
  EXPECT_THAT(w.order(plan), ElementsAre("azure", "openai"));  // neither priced: file order
}

TEST(Planner, WeightedOrderFollowsTheRandomValueAndKeepsEveryRoute) {
  World w(R"(
billing: {unpriced: allow}
providers:
  a: {kind: openai, base_url: https://a.example/v1}
  b: {kind: openai, base_url: https://b.example/v1}
models:
  m:
    strategy: weighted
    routes:
      - {provider: a, weight: 3}
      - {provider: b, weight: 1}
)");
  int a_first = 0;
  for (std::uint64_t r = 0; r < 4000; ++r) {
    PlanInput in = on(kAfterLaunch);
    in.random = r;
    Plan plan = w.plan_for("m", in);
    ASSERT_EQ(plan.candidates().size(), 2u);
    EXPECT_EQ(plan.candidates()[0].placed_by, Placement::weighted);
    if (w.order(plan)[0] == "a") ++a_first;
  }
  EXPECT_NEAR(a_first / 4000.0, 0.75, 0.04);
}

// kCommitments on 2027-01-04: targets microsoft $400, bedrock-marketplace $200.
constexpr const char* kDay4 = "2027-01-04";
constexpr Money kDollar = 1'000'000;

// `yaml` with its first `from` replaced by `to`.
std::string edited(std::string yaml, std::string_view from, std::string_view to) {
  return yaml.replace(yaml.find(from), from.size(), to);
}

TEST(Planner, CommitmentBurnSendsTrafficToTheContractFurthestBehind) {
  World w(kCommitments);
  w.burn({{"microsoft", 350 * kDollar}, {"bedrock-marketplace", 20 * kDollar}});
  Plan plan = w.plan_for("gpt-5", on(kDay4));
  // bedrock $180 behind, microsoft $50 behind, then the routes without a commitment (on
  // schedule) in file order.
  EXPECT_THAT(w.order(plan), ElementsAre("bedrock-us", "azure-east", "openai", "elsewhere"));
  for (const Candidate& c : plan.candidates()) EXPECT_EQ(c.placed_by, Placement::commitment_burn);
  EXPECT_EQ(plan.burned(0), 20 * kDollar);  // what the planner read, kept
  EXPECT_EQ(plan.burned(1), 350 * kDollar);
  EXPECT_EQ(plan.burned(2), kBurnUnknown);  // openai: no contract

  // microsoft falls further behind than bedrock: it takes the traffic.
  w.burn({{"microsoft", 100 * kDollar}, {"bedrock-marketplace", 20 * kDollar}});
  EXPECT_THAT(w.order(w.plan_for("gpt-5", on(kDay4))),
              ElementsAre("azure-east", "bedrock-us", "openai", "elsewhere"));
  // A plan keeps the figures that decided it, whatever the table says since.
  EXPECT_EQ(plan.burned(1), 350 * kDollar);
}

TEST(Planner, CommitmentBurnPutsAContractAheadOfScheduleAfterRoutesWithoutOne) {
  World w(kCommitments);
  w.burn({{"microsoft", 401 * kDollar}, {"bedrock-marketplace", 200 * kDollar}});
  // microsoft is $1 ahead; bedrock exactly on schedule ties with the uncommitted routes.
  EXPECT_THAT(w.order(w.plan_for("gpt-5", on(kDay4))),
              ElementsAre("openai", "elsewhere", "bedrock-us", "azure-east"));
}

TEST(Planner, CommitmentBurnCountsAContractPastItsPeriodAsNotBehind) {
  World w(kCommitments);
  w.burn({{"microsoft", 0}, {"bedrock-marketplace", 0}});
  // The last day of the period: both far behind, microsoft the furthest.
  EXPECT_THAT(w.order(w.plan_for("gpt-5", on("2027-01-10"))),
              ElementsAre("azure-east", "bedrock-us", "openai", "elsewhere"));
  // The day after: no commitment in force, so file order.
  EXPECT_THAT(w.order(w.plan_for("gpt-5", on("2027-01-11"))),
              ElementsAre("openai", "elsewhere", "azure-east", "bedrock-us"));
  // Only bedrock's period still runs: it alone is behind.
  World later(edited(kCommitments, "{usd: 500, from: 2027-01-01, to: 2027-01-10}",
                     "{usd: 500, from: 2027-01-01, to: 2027-01-20}"));
  later.burn({});
  EXPECT_THAT(later.order(later.plan_for("gpt-5", on("2027-01-11"))),
              ElementsAre("bedrock-us", "openai", "elsewhere", "azure-east"));
}

TEST(Planner, CommitmentBurnWithTheBurnUnknownOrdersAsIfNothingWasBurned) {
  World w(kCommitments);  // no store read
  Plan plan = w.plan_for("gpt-5", on(kDay4));
  // Targets $400 and $200: microsoft is the furthest behind.
  EXPECT_THAT(w.order(plan), ElementsAre("azure-east", "bedrock-us", "openai", "elsewhere"));
  EXPECT_EQ(plan.burned(0), kBurnUnknown);
}

TEST(Planner, CommitmentBurnTiesKeepFileOrder) {
  World w(edited(kCommitments, "usd: 1000", "usd: 500"));  // the same as bedrock's
  w.burn({{"microsoft", 30 * kDollar}, {"bedrock-marketplace", 30 * kDollar}});
  EXPECT_THAT(w.order(w.plan_for("gpt-5", on(kDay4))),
              ElementsAre("azure-east", "bedrock-us", "openai", "elsewhere"));
}

TEST(Planner, CommitmentBurnWithoutAnyCommitmentIsFileOrder) {
  World w(R"(
billing: {unpriced: allow}
providers:
  a: {kind: openai, base_url: https://a.example/v1}
  b: {kind: openai, base_url: https://b.example/v1}
models:
  m:
    strategy: commitment_burn
    routes:
      - {provider: b}
      - {provider: a}
contracts:
  plain: {providers: [a], discount_percent: 5}
)");
  EXPECT_THAT(w.order(w.plan_for("m", on(kDay4))), ElementsAre("b", "a"));
}

TEST(Planner, CommitmentBurnStillPutsFirstRefusalFirst) {
  std::string yaml = edited(kCommitments, "    providers: [azure-east]\n",
                            "    providers: [azure-east]\n    first_refusal: true\n");
  World w(yaml);
  w.burn({{"microsoft", 399 * kDollar}, {"bedrock-marketplace", 0}});
  Plan plan = w.plan_for("gpt-5", on(kDay4));
  // microsoft is $1 behind, bedrock $200: first refusal wins all the same.
  EXPECT_THAT(w.order(plan), ElementsAre("azure-east", "bedrock-us", "openai", "elsewhere"));
  EXPECT_EQ(plan.candidates()[0].placed_by, Placement::first_refusal);
  EXPECT_EQ(plan.candidates()[1].placed_by, Placement::commitment_burn);
  // The rules still come before the strategy: a contract far behind but out of its licence is
  // not eligible.
  World out(edited(yaml, "    first_refusal: true\n", "    until: 2027-01-03\n"));
  out.burn({});
  plan = out.plan_for("gpt-5", on(kDay4));
  EXPECT_THAT(out.order(plan), ElementsAre("bedrock-us", "openai", "elsewhere"));
  EXPECT_EQ(out.rejection(plan, "azure-east")->rule, Rule::after_until);
}

TEST(Planner, ReusedPlanIsOverwritten) {
  World w(kTwoClouds);
  Plan plan;
  routing::plan(w.catalog, *w.catalog.find("gpt-5"), on("2026-01-01", caps({Capability::vision})),
                nullptr, plan);
  EXPECT_EQ(plan.candidates().size(), 1u);
  routing::plan(w.catalog, *w.catalog.find("gpt-5"), on(kAfterLaunch), nullptr, plan);
  EXPECT_EQ(plan.candidates().size(), 4u);
  EXPECT_TRUE(plan.rejected().empty());
}

TEST(Planner, AConversationThatLivesAtOneProviderIsServedOnlyThere) {
  World w(kTwoClouds);
  PlanInput in = on(kAfterLaunch);
  in.pinned_provider = "bedrock-eu";
  Plan plan = w.plan_for("gpt-5", in);
  EXPECT_THAT(w.order(plan), ElementsAre("bedrock-eu"));
  for (const char* other : {"azure-east", "bedrock-us", "openai"}) {
    const Rejection* r = w.rejection(plan, other);
    ASSERT_NE(r, nullptr) << other;
    EXPECT_EQ(r->rule, Rule::conversation_elsewhere) << other;
  }
  EXPECT_EQ(plan.pinned_provider(), "bedrock-eu");
}

TEST(Planner, APinnedConversationStillMeetsTheOtherRules) {
  World w(kTwoClouds);
  PlanInput in = on("2026-11-30");  // before the second cloud's available_from
  in.pinned_provider = "bedrock-us";
  Plan plan = w.plan_for("gpt-5", in);
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(w.rejection(plan, "bedrock-us")->rule, Rule::before_available_from);
  EXPECT_EQ(w.rejection(plan, "openai")->rule, Rule::conversation_elsewhere);
}

}  // namespace
}  // namespace tollbooth::routing
