#include "routing/explain.hpp"
#include "core/money.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "routing/test_world.hpp"

namespace tollbooth::routing {
namespace {

using testing::caps;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kCommitments;
using testing::kTwoClouds;
using testing::on;
using testing::World;

TEST(Explain, HeaderNamesEveryRouteAndTheRuleThatDecided) {
  World w(kTwoClouds);
  Plan plan = w.plan_for("gpt-5", on("2026-06-01"));
  EXPECT_EQ(plan_header(w.catalog, plan, 0),
            "azure-east=first_refusal;openai=ordered;"
            "bedrock-us=skip:before_available_from(2026-12-01);"
            "bedrock-eu=skip:before_available_from(2026-12-01)");
}

TEST(Explain, HeaderDetailsForCapabilitiesContractsAndBreakers) {
  World w(kTwoClouds);
  Plan plan =
      w.plan_for("gpt-5", on("2027-01-01", caps({Capability::vision, Capability::responses_api})));
  EXPECT_THAT(plan_header(w.catalog, plan, 0),
              HasSubstr("azure-east=skip:lacks_capability(vision)"));
  plan = w.plan_for("gpt-5", on("2027-01-01", caps({Capability::responses_api})));
  EXPECT_THAT(plan_header(w.catalog, plan, 0),
              HasSubstr("azure-east=skip:declined_capability(microsoft:responses_api)"));

  BreakerConfig breaker;
  breaker.failures = 1;
  Health health(w.catalog.route_count(), breaker);
  health.record_failure(w.id("gpt-5", "azure-east"), 1'000);
  PlanInput in = on("2027-01-01");
  in.now_ms = 2'000;
  plan = w.plan_for("gpt-5", in, &health);
  EXPECT_THAT(plan_header(w.catalog, plan, in.now_ms),
              HasSubstr("azure-east=skip:breaker_open(29s)"));
}

TEST(Explain, LinesListEligibleRoutesInOrderThenTheSkippedOnes) {
  World w(kTwoClouds);
  Plan plan = w.plan_for("gpt-5", on("2033-02-01", caps({Capability::vision})));
  EXPECT_THAT(explain_lines(w.catalog, plan, 0),
              ElementsAre("model gpt-5 (strategy ordered, context window 400000)", "needs: vision",
                          "   1. bedrock-us  eligible  ordered  unpriced",
                          "   2. bedrock-eu  eligible  ordered  unpriced",
                          "   3. openai      eligible  ordered  unpriced",
                          "   -  azure-east  skipped   after license_until 2032-12-31 (contract "
                          "microsoft)"));
}

// gpt-5 on Bedrock priced from 2027-01-01 with a 10% contract discount; OpenAI never.
constexpr const char* kPricedLater = R"(
providers:
  bedrock-us: {kind: bedrock, region: us-east-1}
  openai: {kind: openai, base_url: https://api.openai.com/v1}
models:
  gpt-5:
    routes:
      - {provider: bedrock-us, model_id: "us.openai.gpt-5-v1:0"}
      - {provider: openai}
contracts:
  aws: {providers: [bedrock-us], discount_percent: 10}
prices:
  - {provider: bedrock-us, model: gpt-5, effective_from: 2027-01-01, input_per_mtok: 1.25, output_per_mtok: 10}
)";

TEST(Explain, EligibleLinesShowThePriceInForceAfterTheDiscount) {
  World w(kPricedLater);
  Plan plan = w.plan_for("gpt-5", on("2027-01-01"));
  EXPECT_THAT(explain_lines(w.catalog, plan, 0),
              ElementsAre("model gpt-5 (strategy ordered)", "needs: none",
                          "   1. bedrock-us  eligible  ordered  $1.125/$9 per Mtok in/out (10% "
                          "off $1.25/$10) from 2027-01-01",
                          "   -  openai      skipped   unpriced on 2027-01-01: neither prices: "
                          "nor the price file has a price for openai gpt-5 (billing.unpriced: "
                          "refuse)"));
}

TEST(Explain, UnpricedRoutesSayWhyInTheHeaderTheLinesAndTheEnd) {
  World w(kPricedLater);
  Plan plan = w.plan_for("gpt-5", on("2026-12-31"));
  EXPECT_EQ(plan_header(w.catalog, plan, 0),
            "bedrock-us=skip:unpriced(openai.gpt-5-v1:0);openai=skip:unpriced(gpt-5)");
  auto lines = explain_lines(w.catalog, plan, 0);
  EXPECT_THAT(lines, ElementsAre(HasSubstr("model gpt-5"), "needs: none",
                                 "   -  bedrock-us  skipped   unpriced on 2026-12-31: its first "
                                 "price takes effect on 2027-01-01 (billing.unpriced: refuse)",
                                 HasSubstr("openai      skipped   unpriced on 2026-12-31"),
                                 "no eligible route: 503 no_priced_route (price a route, or set "
                                 "billing.unpriced: allow)"));
}

TEST(Explain, CommitmentBurnSaysEachContractsBurnAgainstItsTarget) {
  World w(kCommitments);
  w.burn({{"microsoft", 350'000'000}, {"bedrock-marketplace", 20'500'000}});
  Plan plan = w.plan_for("gpt-5", on("2027-01-04"));
  EXPECT_THAT(
      explain_lines(w.catalog, plan, 0),
      ElementsAre("model gpt-5 (strategy commitment_burn)", "needs: none",
                  "   1. bedrock-us  eligible  commitment_burn  unpriced",
                  "      bedrock-marketplace burned $20.5 of $200 due by 2027-01-04: $179.5 behind",
                  "   2. azure-east  eligible  commitment_burn  unpriced",
                  "      microsoft burned $350 of $400 due by 2027-01-04: $50 behind",
                  "   3. openai      eligible  commitment_burn  unpriced",
                  "      no contract: counts as on schedule",
                  "   4. elsewhere   eligible  commitment_burn  unpriced",
                  "      contract other has no commitment: counts as on schedule"));
  EXPECT_EQ(plan_header(w.catalog, plan, 0),
            "bedrock-us=commitment_burn(bedrock-marketplace:20.5/200);"
            "azure-east=commitment_burn(microsoft:350/400);"
            "openai=commitment_burn(-);elsewhere=commitment_burn(-)");

  w.burn({{"microsoft", 410'000'000}});
  EXPECT_THAT(
      explain_lines(w.catalog, w.plan_for("gpt-5", on("2027-01-04")), 0),
      ::testing::Contains("      microsoft burned $410 of $400 due by 2027-01-04: $10 ahead"));
}

TEST(Explain, CommitmentBurnSaysWhenTheBurnIsUnknownOrThePeriodIsOver) {
  World w(kCommitments);  // no store read
  Plan plan = w.plan_for("gpt-5", on("2027-01-04"));
  auto lines = explain_lines(w.catalog, plan, 0);
  EXPECT_EQ(lines[3],
            "      microsoft burn unknown, $400 due by 2027-01-04: counted as $400 behind");
  EXPECT_THAT(plan_header(w.catalog, plan, 0),
              ::testing::StartsWith("azure-east=commitment_burn(microsoft:?/400);"
                                    "bedrock-us=commitment_burn(bedrock-marketplace:?/200);"));
  plan = w.plan_for("gpt-5", on("2027-01-11"));
  EXPECT_THAT(explain_lines(w.catalog, plan, 0),
              ::testing::Contains("      contract microsoft's commitment runs "
                                  "2027-01-01..2027-01-10: outside it, counts as on schedule"));
  EXPECT_THAT(plan_header(w.catalog, plan, 0),
              HasSubstr("azure-east=commitment_burn(-);bedrock-us=commitment_burn(-)"));
}

TEST(Explain, LogLineCarriesNeedsAndPlan) {
  World w(kTwoClouds);
  Plan plan = w.plan_for("gpt-5", on("2026-06-01", caps({Capability::vision})));
  EXPECT_EQ(plan_log_line(w.catalog, plan, 0),
            "needs=vision plan=openai=ordered;"
            "azure-east=skip:lacks_capability(vision);"
            "bedrock-us=skip:before_available_from(2026-12-01);"
            "bedrock-eu=skip:before_available_from(2026-12-01)");
}

TEST(Explain, ModelFactsJsonHasRoutesWindowsContractsAndPrices) {
  std::string yaml = std::string(kTwoClouds) +
                     "prices:\n  - {provider: bedrock-us, model: gpt-5, input_per_mtok: 1.25, "
                     "output_per_mtok: 10}\n";
  World w(yaml);
  auto facts = boost::json::parse(
      model_facts_json(w.catalog, *w.catalog.find("gpt-5"), testing::day("2026-06-01")));
  EXPECT_EQ(facts.at("context_window"), 400000);
  EXPECT_EQ(facts.at("strategy"), "ordered");
  const auto& routes = facts.at("routes").as_array();
  ASSERT_EQ(routes.size(), 4u);
  const auto& azure = routes[0].as_object();
  EXPECT_EQ(azure.at("provider"), "azure-east");
  EXPECT_EQ(azure.at("until"), "2032-12-31");
  EXPECT_EQ(azure.at("until_rule"), "license_until");
  EXPECT_EQ(azure.at("contract").at("name"), "microsoft");
  EXPECT_EQ(azure.at("contract").at("first_refusal"), true);
  EXPECT_EQ(azure.at("contract").at("declines").as_array()[0], "responses_api");
  EXPECT_TRUE(azure.at("price_usd").is_null());
  EXPECT_TRUE(azure.at("price_history").as_array().empty());
  EXPECT_EQ(azure.at("price_model"), "gpt-5");
  const auto& bedrock = routes[1].as_object();
  EXPECT_EQ(bedrock.at("available_from"), "2026-12-01");
  EXPECT_EQ(bedrock.at("in_window"), false);
  EXPECT_EQ(bedrock.at("price_usd").at("input_per_mtok"), "1.25");
  EXPECT_EQ(bedrock.at("price_usd").at("output_per_mtok"), "10");
  EXPECT_TRUE(bedrock.at("price_usd").at("effective_from").is_null());  // always in force
  EXPECT_EQ(bedrock.at("price_usd").at("source"), "config test.yaml:46");
  EXPECT_FALSE(bedrock.at("price_usd").as_object().contains("cached_input_per_mtok"));
}

TEST(Explain, ModelFactsJsonShowsThePriceInForceAfterTheDiscountAndTheHistory) {
  std::string yaml = std::string(kPricedLater) +
                     "  - {provider: bedrock-us, model: gpt-5, effective_from: 2027-06-01, "
                     "input_per_mtok: 1, output_per_mtok: 8, cached_input_per_mtok: 0.1}\n";
  World w(yaml);
  auto facts = boost::json::parse(
      model_facts_json(w.catalog, *w.catalog.find("gpt-5"), testing::day("2027-06-01")));
  const auto& bedrock = facts.at("routes").as_array()[0];
  EXPECT_EQ(bedrock.at("price_usd").at("input_per_mtok"), "0.9");  // 10% off
  EXPECT_EQ(bedrock.at("price_usd").at("cached_input_per_mtok"), "0.09");
  EXPECT_EQ(bedrock.at("price_usd").at("effective_from"), "2027-06-01");
  EXPECT_EQ(bedrock.at("contract").at("discount_percent"), "10");
  const auto& history = bedrock.at("price_history").as_array();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].at("effective_from"), "2027-01-01");
  EXPECT_EQ(history[0].at("input_per_mtok"), "1.25");  // list prices
  EXPECT_EQ(history[1].at("input_per_mtok"), "1");
}

TEST(Explain, CatalogTextShowsEachRouteWithItsFacts) {
  World w(kTwoClouds);
  std::string text = catalog_text(w.catalog, testing::day("2026-06-01"));
  EXPECT_THAT(text, HasSubstr("gpt-5  strategy ordered, context window 400000"));
  EXPECT_THAT(text, HasSubstr("  bedrock-us  [outside its window on 2026-06-01]\n"));
  EXPECT_THAT(text, HasSubstr("window: ..2032-12-31 (license)  contract: microsoft (first "
                              "refusal)  weight: 1  region: eastus (us)\n      price: unpriced\n"));
}

TEST(Explain, CatalogTextShowsThePriceInForceItsSourceAndTheNextOne) {
  std::string yaml = std::string(kPricedLater) +
                     "  - {provider: bedrock-us, model: gpt-5, effective_from: 2027-06-01, "
                     "input_per_mtok: 1, output_per_mtok: 8}\n";
  World w(yaml);
  EXPECT_THAT(catalog_text(w.catalog, testing::day("2027-02-01")),
              HasSubstr("      price: $1.125/$9 per Mtok in/out (10% off $1.25/$10) from "
                        "2027-01-01\n"
                        "        source: config test.yaml:12\n"
                        "      then from 2027-06-01: $0.9/$7.2 per Mtok in/out\n"
                        "        source: config test.yaml:13\n"));
}

TEST(Explain, UsdIsPrintedExactly) {
  EXPECT_EQ(format_dollars(1'250'000), "1.25");
  EXPECT_EQ(format_dollars(10'000'000), "10");
  EXPECT_EQ(format_dollars(1), "0.000001");
  EXPECT_EQ(format_dollars(-5), "-0.000005");
}

}  // namespace
}  // namespace tollbooth::routing

namespace tollbooth::routing {
namespace {

TEST(Explain, HeaderStaysOneVisibleAsciiFieldWhateverTheConfigNames) {
  World w(R"(
billing: {unpriced: allow}
providers:
  p:
    kind: openai
    base_url: http://127.0.0.1:1/v1
models:
  m:
    routes:
      - {provider: p, model: "a\r\nx-evil: 1, b"}
      - {provider: p, model: "zz"}
)");
  Plan plan = w.plan_for("m", on("2026-06-01", {}));
  EXPECT_EQ(plan_header(w.catalog, plan, 0), "p/a__x-evil:_1__b=ordered;p/zz=ordered");
}

TEST(Explain, APinnedConversationNamesWhereItLives) {
  World w(kTwoClouds);
  PlanInput in = on("2027-01-01");
  in.pinned_provider = "openai";
  Plan plan = w.plan_for("gpt-5", in);
  EXPECT_THAT(plan_header(w.catalog, plan, 0),
              HasSubstr("azure-east=skip:conversation_elsewhere(openai)"));
  std::string all;
  for (const auto& line : explain_lines(w.catalog, plan, 0)) all += line + "\n";
  EXPECT_THAT(all, HasSubstr("the conversation it continues (previous_response_id) lives at "
                             "provider openai"));
}

}  // namespace
}  // namespace tollbooth::routing
