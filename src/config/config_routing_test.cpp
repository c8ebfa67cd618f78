// The routing keys: model capabilities/strategy/context window, route windows and weights,
// residency, contracts, prices, routing defaults and server.admin_key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "config/config_test_support.hpp"

namespace tollbooth {

namespace {

using namespace config_test;
using std::chrono::milliseconds;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Days day(const char* text) {
  return *parse_date(text);
}

// Two providers and one model; tests append sections (lines 1-10 are fixed).
constexpr const char* kBase = R"(
providers:
  azure: {kind: azure, endpoint: https://a.example, api_key: k, api_version: 2024-10-21}
  bedrock: {kind: bedrock, region: us-east-1, residency: us}
models:
  gpt-5:
    routes:
      - {provider: azure, deployment: gpt5}
      - {provider: bedrock, model_id: openai.gpt-5}
)";

std::string with(const char* extra) {
  return yaml(kBase) + yaml(extra);
}

TEST(ConfigRouting, LoadsEveryRoutingKey) {
  auto config = load_ok(yaml(R"(
server:
  admin_key: env:ADMIN
providers:
  azure: {kind: azure, endpoint: https://a.example, api_key: k, api_version: 2024-10-21}
  bedrock: {kind: bedrock, region: us-east-1, residency: us}
models:
  gpt-5:
    context_window: 400000
    capabilities: [tools, vision, responses_api]
    strategy: least_cost
    routes:
      - provider: azure
        deployment: gpt5
        lacks: [vision]
        weight: 3
        until: 2030-12-31
        timeout: 20s
      - provider: bedrock
        model_id: openai.gpt-5
        available_from: 2026-12-01
contracts:
  microsoft:
    providers: [azure]
    first_refusal: true
    declines: [responses_api, gpt-5]
    available_from: 2025-01-01
    until: 2034-12-31
    license_until: 2032-12-31
    discount_percent: 12.5
    commitment: {usd: 1000000, from: 2026-01-01, to: 2026-12-31}
  aws:
    providers: [bedrock]
    revenue_share: {percent: 20, of: cost, cap_usd: 250000.50, until: 2030-12-31}
prices:
  - {provider: bedrock, model: gpt-5, input_per_mtok: 1.25, output_per_mtok: 10.0, cached_input_per_mtok: 0.125}
routing:
  attempts: 3
  backoff: 50ms
  max_backoff: 1s
  deadline: 60s
  breaker: {failures: 4, error_percent: 40, min_requests: 20, window: 10s, cooldown: 15s}
)"));
  EXPECT_EQ(config->server.admin_key, "dummy-key");
  EXPECT_EQ(config->providers.at("bedrock").residency, "us");
  const ModelConfig& m = config->models[0];
  EXPECT_EQ(m.context_window, 400'000u);
  ASSERT_TRUE(m.capabilities.has_value());
  EXPECT_EQ(capability_list(*m.capabilities), "tools, vision, responses_api");
  EXPECT_EQ(m.strategy, Strategy::least_cost);
  const RouteConfig& azure = m.routes[0];
  EXPECT_EQ(capability_list(azure.lacks), "vision");
  EXPECT_EQ(azure.weight, 3u);
  EXPECT_EQ(azure.available_from, kNoStartDate);
  EXPECT_EQ(azure.until, day("2030-12-31"));
  EXPECT_EQ(azure.timeout, milliseconds(20'000));
  EXPECT_EQ(m.routes[1].available_from, day("2026-12-01"));

  const ContractConfig& ms = config->contracts.at("microsoft");
  EXPECT_EQ(ms.name, "microsoft");
  EXPECT_THAT(ms.providers, ElementsAre("azure"));
  EXPECT_TRUE(ms.first_refusal);
  EXPECT_EQ(capability_list(ms.declines), "responses_api");
  EXPECT_THAT(ms.declined_models, ElementsAre("gpt-5"));
  EXPECT_EQ(ms.available_from, day("2025-01-01"));
  EXPECT_EQ(ms.until, day("2034-12-31"));
  EXPECT_EQ(ms.license_until, day("2032-12-31"));
  EXPECT_EQ(ms.discount, 1'250);  // basis points
  ASSERT_TRUE(ms.commitment.has_value());
  EXPECT_EQ(ms.commitment->usd, 1'000'000 * kMicrosPerDollar);
  EXPECT_EQ(ms.commitment->to, day("2026-12-31"));
  const ContractConfig& aws = config->contracts.at("aws");
  ASSERT_TRUE(aws.revenue_share.has_value());
  EXPECT_EQ(aws.revenue_share->percent, 2'000);
  EXPECT_EQ(aws.revenue_share->of, ShareBase::cost);
  EXPECT_EQ(aws.revenue_share->cap_usd, 250'000'500'000);
  EXPECT_EQ(aws.revenue_share->until, day("2030-12-31"));
  EXPECT_EQ(config->contract_of("bedrock"), &aws);

  ASSERT_EQ(config->prices.size(), 1u);
  EXPECT_EQ(config->prices[0].input_per_mtok, 1'250'000);  // exact, no double on the way
  EXPECT_EQ(config->prices[0].output_per_mtok, 10'000'000);
  EXPECT_EQ(config->prices[0].cached_input_per_mtok, 125'000);

  EXPECT_EQ(config->routing.attempts, 3u);
  EXPECT_EQ(config->routing.backoff, milliseconds(50));
  EXPECT_EQ(config->routing.max_backoff, milliseconds(1'000));
  EXPECT_EQ(config->routing.deadline, milliseconds(60'000));
  EXPECT_EQ(config->routing.breaker.failures, 4u);
  EXPECT_EQ(config->routing.breaker.error_percent, 40u);
  EXPECT_EQ(config->routing.breaker.min_requests, 20u);
  EXPECT_EQ(config->routing.breaker.window, milliseconds(10'000));
  EXPECT_EQ(config->routing.breaker.cooldown, milliseconds(15'000));
}

TEST(ConfigRouting, OmittedRoutingKeysTakeDocumentedDefaults) {
  auto config = load_ok(yaml(kBase));
  const ModelConfig& m = config->models[0];
  EXPECT_FALSE(m.capabilities.has_value());  // declares nothing: capability checks skipped
  EXPECT_EQ(m.context_window, 0u);
  EXPECT_EQ(m.strategy, Strategy::ordered);
  EXPECT_EQ(m.routes[0].weight, 1u);
  EXPECT_TRUE(m.routes[0].lacks.empty());
  EXPECT_EQ(m.routes[0].until, kNoEndDate);
  EXPECT_FALSE(m.routes[0].timeout.has_value());
  EXPECT_TRUE(config->contracts.empty());
  EXPECT_TRUE(config->prices.empty());
  EXPECT_EQ(config->server.admin_key, "");
  EXPECT_EQ(config->routing.attempts, 4u);
  EXPECT_EQ(config->routing.backoff, milliseconds(100));
  EXPECT_EQ(config->routing.max_backoff, milliseconds(2'000));
  EXPECT_EQ(config->routing.deadline, milliseconds(120'000));
  EXPECT_EQ(config->routing.breaker.failures, 5u);
  EXPECT_EQ(config->routing.breaker.error_percent, 50u);
  EXPECT_EQ(config->routing.breaker.min_requests, 10u);
  EXPECT_EQ(config->routing.breaker.cooldown, milliseconds(30'000));
}

TEST(ConfigRouting, UnknownCapabilitySuggestsTheNearestName) {
  std::string text = yaml(kBase);
  text.insert(text.find("    routes:"), "    capabilities: [tools, visoin]\n");
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem(6, 27,
                                  "models.gpt-5.capabilities[1]: unknown capability \"visoin\"; "
                                  "expected one of: tools, parallel_tools, vision, json_schema, "
                                  "json_object, reasoning, responses_api, long_context (did you "
                                  "mean vision?)")));
}

TEST(ConfigRouting, CommitmentBurnIsAStrategyWithOrWithoutCommitments) {
  std::string text = yaml(kBase);
  text.insert(text.find("    routes:"), "    strategy: commitment_burn\n");
  // No contract has a commitment: still accepted (the routes keep file order).
  EXPECT_EQ(load_ok(text)->models[0].strategy, Strategy::commitment_burn);
  auto config = load_ok(text + yaml(R"(
contracts:
  ms: {providers: [azure], commitment: {usd: 1000, from: 2027-01-01, to: 2027-12-31}}
)"));
  EXPECT_EQ(config->models[0].strategy, Strategy::commitment_burn);
  text.replace(text.find("commitment_burn"), 15, "commitment_burm");
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem(6, 15,
                                  "models.gpt-5.strategy: unknown value \"commitment_burm\"; "
                                  "expected one of: ordered, weighted, least_cost, least_latency, "
                                  "commitment_burn (did you mean commitment_burn?)")));
}

TEST(ConfigRouting, RouteKeysAreChecked) {
  std::string text = yaml(kBase);
  text.replace(text.find("deployment: gpt5}"), 17,
               "deployment: gpt5, weight: 0, available_from: 2026-02-30, timeout: 5}");
  auto problems = problems_in(text);
  EXPECT_THAT(problems,
              ElementsAre(problem(7, 53,
                                  "models.gpt-5.routes[0].weight: \"0\" is out of range; "
                                  "expected an integer from 1 to 1000000"),
                          problem(7, 72,
                                  "models.gpt-5.routes[0].available_from: \"2026-02-30\" is not "
                                  "a date; expected a date like 2026-12-01 (YYYY-MM-DD, UTC)"),
                          problem_at_line(7, HasSubstr("timeout: \"5\" has no unit"))));
}

TEST(ConfigRouting, UntilBeforeAvailableFromIsRejected) {
  std::string text = yaml(kBase);
  text.replace(text.find("deployment: gpt5}"), 17,
               "deployment: gpt5, available_from: 2027-01-01, until: 2026-12-31}");
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem(7, 80,
                                  "models.gpt-5.routes[0].until: 2026-12-31 is before "
                                  "available_from 2027-01-01; expected a date on or "
                                  "after it")));
}

TEST(ConfigRouting, AModelHasAtMostSixteenRoutes) {
  std::string text = yaml(kBase);
  std::string extra;
  for (int i = 0; i < 15; ++i)
    extra += "      - {provider: azure, deployment: d" + std::to_string(i) + "}\n";
  text += extra;
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem_at_line(7,
                                          "models.gpt-5.routes: has 17 routes; expected at "
                                          "most 16 per model")));
}

TEST(ConfigRouting, ContractProvidersMustBeDeclaredAndInOneContractOnly) {
  auto problems = problems_in(with(R"(
contracts:
  a: {providers: [azure, azurre]}
  b: {providers: [azure]}
  c: {first_refusal: true}
)"));
  EXPECT_THAT(problems, ElementsAre(problem(10, 26,
                                            "contracts.a.providers[1]: \"azurre\" is not a "
                                            "declared provider"),
                                    problem(11, 19,
                                            "contracts.b.providers[0]: \"azure\" is already in "
                                            "contract a; a provider belongs to at most one "
                                            "contract"),
                                    problem(12, 3,
                                            "contracts.c.providers: missing; expected a list of "
                                            "declared provider names")));
}

TEST(ConfigRouting, DeclinesNamesCapabilitiesOrDeclaredModels) {
  auto problems = problems_in(with(R"(
contracts:
  a: {providers: [azure], declines: [vision, gpt-5, gpt-6]}
)"));
  EXPECT_THAT(problems, ElementsAre(problem_at_line(
                            10, HasSubstr("contracts.a.declines[2]: \"gpt-6\" is neither a "
                                          "capability (tools, parallel_tools, vision, "))));
}

TEST(ConfigRouting, ContractMoneyAndDatesAreChecked) {
  auto problems = problems_in(with(R"(
contracts:
  a:
    providers: [azure]
    discount_percent: 12.345
    license_until: 2025-12-31
    available_from: 2026-01-01
    commitment: {usd: 100, from: 2026-01-01}
    revenue_share: {of: profit}
  b:
    providers: [bedrock]
    discount_percent: 101
    commitment: {usd: 1.5, from: 2026-02-01, to: 2026-01-01}
)"));
  EXPECT_THAT(problems, ElementsAre(problem(12, 23,
                                            "contracts.a.discount_percent: \"12.345\" is more "
                                            "precise than 2 decimals; expected a percentage "
                                            "from 0 to 100 like 20 or 12.5"),
                                    problem(13, 20,
                                            "contracts.a.license_until: 2025-12-31 is before "
                                            "available_from 2026-01-01; expected a date on or "
                                            "after it"),
                                    problem(15, 5,
                                            "contracts.a.commitment.to: missing; expected a "
                                            "date like 2026-01-01"),
                                    problem(16, 5,
                                            "contracts.a.revenue_share.percent: missing; "
                                            "expected a percentage from 0 to 100 like 20 or 12.5"),
                                    problem(16, 25,
                                            "contracts.a.revenue_share.of: unknown value "
                                            "\"profit\"; expected one of: charge, cost"),
                                    problem(19, 23,
                                            "contracts.b.discount_percent: \"101\" is out of "
                                            "range; expected a percentage from 0 to 100 like "
                                            "20 or 12.5"),
                                    problem(20, 50,
                                            "contracts.b.commitment.to: 2026-01-01 is before "
                                            "from 2026-02-01; expected a date on or after it")));
}

TEST(ConfigRouting, UnknownContractKeyListsTheKnownOnes) {
  auto problems = problems_in(with(R"(
contracts:
  a: {providers: [azure], first_refusl: true}
)"));
  EXPECT_THAT(problems, ElementsAre(problem_at_line(
                            10, AllOf(HasSubstr("contracts.a.first_refusl: unknown key; expected "
                                                "one of: providers, first_refusal, declines"),
                                      HasSubstr("(did you mean first_refusal?)")))));
}

TEST(ConfigRouting, PricesAreCheckedAgainstProvidersModelsAndRoutes) {
  auto problems = problems_in(yaml(R"(
providers:
  azure: {kind: azure, endpoint: https://a.example, api_key: k, api_version: 2024-10-21}
  bedrock: {kind: bedrock, region: us-east-1}
models:
  gpt-5: {routes: [{provider: azure, deployment: gpt5}]}
  mini: {routes: [{provider: azure, deployment: mini}]}
  nano: {routes: [{provider: azure, deployment: nano}]}
prices:
  - {provider: azure, model: gpt-6, input_per_mtok: 1, output_per_mtok: 2}
  - {provider: bedrock, model: gpt-5, input_per_mtok: 1, output_per_mtok: 2}
  - {provider: azure, model: mini, input_per_mtok: 1.2345678, output_per_mtok: 2}
  - {provider: azure, model: nano, input_per_mtok: 1}
)"));
  EXPECT_THAT(problems,
              ElementsAre(problem(9, 30, "prices[0].model: \"gpt-6\" is not a declared model"),
                          problem(10, 5,
                                  "prices[1]: no route of model gpt-5 uses provider "
                                  "bedrock; expected a pair that a route serves"),
                          problem(11, 52,
                                  "prices[2].input_per_mtok: \"1.2345678\" is more "
                                  "precise than 6 decimals; expected USD per million "
                                  "tokens like 1.25"),
                          problem(12, 5,
                                  "prices[3].output_per_mtok: missing; expected USD per "
                                  "million tokens like 1.25")));
}

TEST(ConfigRouting, OnePricePerProviderModelAndDay) {
  auto problems = problems_in(with(R"(
prices:
  - {provider: azure, model: gpt-5, input_per_mtok: 1, output_per_mtok: 2}
  - {provider: azure, model: gpt-5, input_per_mtok: 3, output_per_mtok: 4}
  - {provider: bedrock, model: gpt-5, effective_from: 2027-01-01, input_per_mtok: 1, output_per_mtok: 2}
  - {provider: bedrock, model: gpt-5, effective_from: 2027-01-01, input_per_mtok: 3, output_per_mtok: 4}
)"));
  EXPECT_THAT(problems,
              ElementsAre(problem(11, 5,
                                  "prices[1]: a second price for provider azure and model gpt-5 "
                                  "without effective_from (the first is at line 10); keep one, "
                                  "or give each its own effective_from"),
                          problem(13, 5,
                                  "prices[3]: a second price for provider bedrock and model gpt-5 "
                                  "from 2027-01-01 (the first is at line 12); keep one, or give "
                                  "each its own effective_from")));
}

TEST(ConfigRouting, PricesMayBeDatedAndPriceCacheWrites) {
  auto config = load_ok(with(R"(
prices:
  - {provider: bedrock, model: gpt-5, input_per_mtok: 1.25, output_per_mtok: 10}
  - provider: bedrock
    model: gpt-5
    effective_from: 2027-06-01
    input_per_mtok: 1
    cached_input_per_mtok: 0.1
    cache_write_per_mtok: 1.25
    output_per_mtok: 8
)"));
  ASSERT_EQ(config->prices.size(), 2u);
  EXPECT_EQ(config->prices[0].effective_from, kNoStartDate);  // in force from the beginning
  EXPECT_FALSE(config->prices[0].cache_write_per_mtok.has_value());
  EXPECT_EQ(config->prices[0].line, 10);
  EXPECT_EQ(config->prices[1].effective_from, day("2027-06-01"));
  EXPECT_EQ(config->prices[1].cached_input_per_mtok, 100'000);
  EXPECT_EQ(config->prices[1].cache_write_per_mtok, 1'250'000);
  EXPECT_EQ(config->prices[1].line, 11);
}

TEST(ConfigRouting, BillingIsReadWithItsDefaults) {
  auto defaults = load_ok(yaml(kBase));
  EXPECT_EQ(defaults->billing.unpriced, Unpriced::refuse);
  EXPECT_EQ(defaults->billing.on_client_abort, OnClientAbort::finish);
  EXPECT_EQ(defaults->billing.abort_timeout, milliseconds(30'000));
  EXPECT_EQ(defaults->billing.price_catalog, "");
  EXPECT_EQ(defaults->billing.ledger_flush, milliseconds(100));
  EXPECT_EQ(defaults->billing.ledger_queue, 100'000u);

  auto config = load_ok(with(R"(
billing:
  unpriced: allow
  on_client_abort: cancel
  abort_timeout: 5s
  price_catalog: )" TOLLBOOTH_SOURCE_DIR R"(/prices/catalog.yaml
  ledger: {flush_interval: 250ms, queue_rows: 5000}
)"));
  EXPECT_EQ(config->billing.unpriced, Unpriced::allow);
  EXPECT_EQ(config->billing.on_client_abort, OnClientAbort::cancel);
  EXPECT_EQ(config->billing.abort_timeout, milliseconds(5'000));
  EXPECT_EQ(config->billing.price_catalog, TOLLBOOTH_SOURCE_DIR "/prices/catalog.yaml");
  EXPECT_EQ(config->billing.ledger_flush, milliseconds(250));
  EXPECT_EQ(config->billing.ledger_queue, 5'000u);
}

TEST(ConfigRouting, BillingProblemsAreReportedWhereTheyAre) {
  auto problems = problems_in(with(R"(
billing:
  unpriced: free
  abort_timeout: 0s
  price_catalog: no-such-prices.yaml
  ledger: {flush_interval: 100, queue_rows: 0, batch: 5}
  on_abort: cancel
)"));
  EXPECT_THAT(
      problems,
      ElementsAre(problem(10, 13,
                          "billing.unpriced: unknown value \"free\"; expected one of: refuse, "
                          "allow"),
                  problem_at_line(11, HasSubstr("billing.abort_timeout: must be more than 0")),
                  problem(12, 18,
                          "billing.price_catalog: \"no-such-prices.yaml\" does not exist (looked "
                          "at no-such-prices.yaml); expected a path to a price file (see "
                          "prices/README.md)"),
                  problem_at_line(13, HasSubstr("billing.ledger.flush_interval: \"100\" has no "
                                                "unit")),
                  problem_at_line(13, HasSubstr("billing.ledger.queue_rows: \"0\" is out of "
                                                "range")),
                  problem_at_line(13, HasSubstr("billing.ledger.batch: unknown key; expected one "
                                                "of: flush_interval, queue_rows")),
                  problem_at_line(14, HasSubstr("billing.on_abort: unknown key; expected one of: "
                                                "unpriced, on_client_abort, abort_timeout, "
                                                "price_catalog, ledger"))));
}

TEST(ConfigRouting, RoutingDefaultsAreChecked) {
  auto problems = problems_in(with(R"(
routing:
  attempts: 0
  backoff: 500ms
  max_backoff: 100ms
  breaker: {failures: 3, error_percent: 150, windw: 10s}
)"));
  EXPECT_THAT(problems,
              ElementsAre(problem(10, 13,
                                  "routing.attempts: \"0\" is out of range; expected "
                                  "an integer from 1 to 100"),
                          problem(12, 16,
                                  "routing.max_backoff: max_backoff 100ms is less "
                                  "than backoff 500ms; expected max_backoff >= "
                                  "backoff"),
                          problem(13, 41,
                                  "routing.breaker.error_percent: \"150\" is out of "
                                  "range; expected an integer from 1 to 100"),
                          problem_at_line(
                              13, HasSubstr("routing.breaker.windw: unknown key; expected one of: "
                                            "failures, error_percent, min_requests, "
                                            "window, cooldown (did you mean window?)"))));
}

TEST(ConfigRouting, AdminKeyIsASecret) {
  auto problems = problems_in("server: {admin_key: $ADMIN}\n" + yaml(kBase));
  EXPECT_THAT(problems, ElementsAre(problem_at_line(1, HasSubstr("server.admin_key: variables "
                                                                 "are written env:NAME"))));
}

TEST(ConfigRouting, RoutingExampleLoads) {
  auto config = load_config_file(TOLLBOOTH_SOURCE_DIR "/examples/routing.yaml", &dummy_env);
  ASSERT_NE(config->find_model("gpt-5"), nullptr);
  EXPECT_TRUE(config->contracts.at("microsoft").first_refusal);
  EXPECT_FALSE(config->prices.empty());
}

}  // namespace
}  // namespace tollbooth
