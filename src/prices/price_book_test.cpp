// Which prices a route gets: the config over the file, the provider's region over none, the
// upstream model id each kind is priced by, and the price in force on a day.
#include "prices/price_book.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "config/config_test_support.hpp"

namespace tollbooth::prices {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Days day(const char* text) {
  return *parse_date(text);
}

// A price file with a history for gpt-5, a regional Bedrock price and one for every region.
std::shared_ptr<const PriceFile> test_file() {
  return std::make_shared<const PriceFile>(parse_price_file(config_test::yaml(R"(
version: 2026-12-01
prices:
  - {kind: openai, model: gpt-5, effective_from: 2025-08-07, input_per_mtok: 1.25, output_per_mtok: 10, source: f1}
  - {kind: openai, model: gpt-5, effective_from: 2027-01-01, input_per_mtok: 1, output_per_mtok: 8, source: f2}
  - {kind: azure, model: gpt-4o, effective_from: 2025-01-01, input_per_mtok: 2.5, output_per_mtok: 10, source: f3}
  - {kind: azure, model: dep-name, effective_from: 2025-01-01, input_per_mtok: 99, output_per_mtok: 99, source: f4}
  - {kind: bedrock, model: anthropic.claude-x, effective_from: 2025-01-01, input_per_mtok: 3, output_per_mtok: 15, source: any-region}
  - {kind: bedrock, model: anthropic.claude-x, region: eu-central-1, effective_from: 2025-01-01, input_per_mtok: 3.5, output_per_mtok: 16, source: frankfurt}
)"),
                                                            "prices.yaml"));
}

struct Priced {
  std::shared_ptr<const Config> config;
  PriceBook book;

  explicit Priced(const char* yaml)
      : config(config_test::load_ok(config_test::yaml(yaml))), book(*config, test_file()) {}

  std::vector<DatedPrice> history(const char* model, std::size_t route = 0) const {
    const ModelConfig* m = config->find_model(model);
    const RouteConfig& r = m->routes.at(route);
    return book.history(*config->find_provider(r.provider), r, m->name);
  }
};

std::vector<std::string> sources(const std::vector<DatedPrice>& history) {
  std::vector<std::string> out;
  for (const auto& p : history) out.push_back(p.source);
  return out;
}

constexpr const char* kClouds = R"(
providers:
  openai: {kind: openai, base_url: https://api.openai.com/v1}
  azure: {kind: azure, endpoint: https://a.example, api_key: k, api_version: 2024-10-21}
  bedrock-us: {kind: bedrock, region: us-east-1}
  bedrock-eu: {kind: bedrock, region: eu-central-1}
models:
  gpt-5: {routes: [{provider: openai}]}
  gpt-4o: {routes: [{provider: azure, deployment: dep-name}, {provider: azure, deployment: x, model: gpt-4o}]}
  house-4o: {routes: [{provider: azure, deployment: dep-name}, {provider: azure, deployment: y, model: gpt-4o}]}
  claude:
    routes:
      - {provider: bedrock-us, model_id: "us.anthropic.claude-x"}
      - {provider: bedrock-eu, model_id: "eu.anthropic.claude-x"}
      - {provider: bedrock-us, model_id: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.anthropic.claude-x"}
)";

TEST(PriceBook, TheFilePricesARouteByKindAndUpstreamModel) {
  Priced p(kClouds);
  EXPECT_THAT(sources(p.history("gpt-5")), ElementsAre("f1", "f2"));  // oldest first
  // Azure: a deployment's name is its own; the public name, or `model:`, is what it runs.
  EXPECT_THAT(sources(p.history("gpt-4o", 0)), ElementsAre("f3"));
  EXPECT_THAT(sources(p.history("house-4o", 0)), IsEmpty());  // neither "house-4o" nor "dep-name"
  EXPECT_THAT(sources(p.history("house-4o", 1)), ElementsAre("f3"));
}

TEST(PriceBook, TheProvidersRegionWinsOverNoRegion) {
  Priced p(kClouds);
  EXPECT_THAT(sources(p.history("claude", 0)), ElementsAre("any-region"));  // us-east-1: none
  EXPECT_THAT(sources(p.history("claude", 1)), ElementsAre("frankfurt"));
}

TEST(PriceBook, BedrockInferenceProfilesArePricedAsTheirModel) {
  EXPECT_EQ(strip_inference_profile("us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
            "anthropic.claude-3-5-sonnet-20240620-v1:0");
  EXPECT_EQ(strip_inference_profile("apac.amazon.nova-lite-v1:0"), "amazon.nova-lite-v1:0");
  EXPECT_EQ(strip_inference_profile("global.anthropic.claude-x"), "anthropic.claude-x");
  EXPECT_EQ(strip_inference_profile("anthropic.claude-x"), "anthropic.claude-x");
  EXPECT_EQ(strip_inference_profile("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-x"),
            "amazon.titan-x");
  EXPECT_EQ(strip_inference_profile("us.model"), "us.model");  // no model id after the prefix
  Priced p(kClouds);
  EXPECT_THAT(sources(p.history("claude", 2)), ElementsAre("any-region"));
}

TEST(PriceBook, ConfigPricesReplaceTheFileEntirely) {
  std::string yaml = std::string(kClouds) + R"(prices:
  - {provider: openai, model: gpt-5, effective_from: 2026-06-01, input_per_mtok: 0.5, output_per_mtok: 4}
  - {provider: bedrock-eu, model: claude, input_per_mtok: 2, output_per_mtok: 9, cache_write_per_mtok: 2.5}
)";
  Priced p(yaml.c_str());
  auto gpt5 = p.history("gpt-5");
  ASSERT_EQ(gpt5.size(), 1u);  // not merged with the file's two
  EXPECT_EQ(gpt5[0].from, day("2026-06-01"));
  EXPECT_EQ(gpt5[0].source, "config test.yaml:16");
  // The file's history no longer applies, even on days before the config's price.
  EXPECT_EQ(price_in_force(gpt5, day("2026-05-31")), nullptr);
  auto claude_eu = p.history("claude", 1);
  ASSERT_EQ(claude_eu.size(), 1u);
  EXPECT_EQ(claude_eu[0].from, kNoStartDate);
  EXPECT_EQ(claude_eu[0].prices.cache_write_per_mtok, 2'500'000);
  EXPECT_EQ(claude_eu[0].prices.cached_input_per_mtok, -1);
  // Other routes of the same model keep the file's prices.
  EXPECT_THAT(sources(p.history("claude", 0)), ElementsAre("any-region"));
}

TEST(PriceBook, ThePriceInForceIsTheLastOneThatHasBegun) {
  Priced p(kClouds);
  auto history = p.history("gpt-5");
  EXPECT_EQ(price_in_force(history, day("2025-08-06")), nullptr);       // the day before
  EXPECT_EQ(price_in_force(history, day("2025-08-07"))->source, "f1");  // the day of
  EXPECT_EQ(price_in_force(history, day("2026-12-31"))->source, "f1");  // the day before
  EXPECT_EQ(price_in_force(history, day("2027-01-01"))->source, "f2");  // the next
  EXPECT_EQ(price_in_force(history, day("2027-01-02"))->prices.input_per_mtok, 1'000'000);
  EXPECT_EQ(price_in_force({}, day("2027-01-02")), nullptr);
}

TEST(PriceBook, UnpricedRoutesAreListedForCheck) {
  Priced p(kClouds);
  EXPECT_THAT(unpriced_routes(*p.config, p.book, day("2025-06-01")),
              ElementsAre("model gpt-5, route 1 (openai): no price in force on 2025-06-01",
                          "model house-4o, route 1 (azure): no price in force on 2025-06-01"));
}

// The examples and the demo route only to models the bundled file or their own prices: cover.
TEST(PriceBook, EveryRouteOfTheExamplesIsPriced) {
  for (const char* name : {"demo.yaml", "multicloud.yaml", "routing.yaml"}) {
    auto path = std::filesystem::path(TOLLBOOTH_SOURCE_DIR) / "examples" / name;
    auto config = load_config_file(path.string(), &config_test::dummy_env);
    PriceBook book(*config);
    EXPECT_THAT(unpriced_routes(*config, book, day("2026-12-01")), IsEmpty()) << name;
  }
}

}  // namespace
}  // namespace tollbooth::prices
