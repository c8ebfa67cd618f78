// The price file: its shape, every problem with its line, duplicate prices, and the bundled
// file itself (it parses, and prices what the brief and the examples need).
#include "prices/price_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config_test_support.hpp"

namespace tollbooth::prices {
namespace {

using config_test::problem;
using config_test::problem_at_line;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<ConfigProblem> problems_in(const std::string& text) {
  try {
    parse_price_file(config_test::yaml(text.c_str()), "prices.yaml");
  } catch (const ConfigError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "expected the price file to be rejected:\n" << text;
  return {};
}

Days day(const char* text) {
  return *parse_date(text);
}

TEST(PriceFile, ReadsEntriesExactlyAndSortsEachHistory) {
  PriceFile file = parse_price_file(config_test::yaml(R"(
version: 2026-12-01
prices:
  - kind: openai
    model: o3
    effective_from: 2025-06-10
    input_per_mtok: 2
    cached_input_per_mtok: 0.50
    output_per_mtok: 8
    source: "https://openai.com/api/pricing/; recorded 2026-12-01"
  - {kind: openai, model: o3, effective_from: 2025-04-16, input_per_mtok: 10, output_per_mtok: 40, source: launch}
  - kind: bedrock
    model: anthropic.claude-sonnet-4-20250514-v1:0
    region: [us-east-1, us-west-2]
    effective_from: 2025-05-22
    input_per_mtok: 3
    cached_input_per_mtok: 0.30
    cache_write_per_mtok: 3.75
    output_per_mtok: 15
    source: bedrock pricing
)"),
                                    "prices.yaml");
  EXPECT_EQ(file.name, "prices.yaml");
  EXPECT_EQ(file.version, day("2026-12-01"));
  ASSERT_EQ(file.entries.size(), 4u);  // the list of two regions is two entries
  const PriceEntry& launch = file.entries[0];
  EXPECT_EQ(launch.kind, ProviderKind::openai);
  EXPECT_EQ(launch.model, "o3");
  EXPECT_EQ(launch.price.from, day("2025-04-16"));  // oldest first, whatever the file order
  EXPECT_EQ(launch.price.prices.cached_input_per_mtok, -1);  // not given: the input price
  EXPECT_EQ(launch.line, 10);
  const PriceEntry& cut = file.entries[1];
  EXPECT_EQ(cut.price.from, day("2025-06-10"));
  EXPECT_EQ(cut.price.prices.input_per_mtok, 2'000'000);
  EXPECT_EQ(cut.price.prices.cached_input_per_mtok, 500'000);
  EXPECT_EQ(cut.price.prices.output_per_mtok, 8'000'000);
  EXPECT_EQ(cut.price.source, "https://openai.com/api/pricing/; recorded 2026-12-01");
  EXPECT_EQ(cut.region, "");
  EXPECT_EQ(file.entries[2].region, "us-east-1");
  EXPECT_EQ(file.entries[3].region, "us-west-2");
  EXPECT_EQ(file.entries[3].price.prices.cache_write_per_mtok, 3'750'000);
  EXPECT_EQ(file.entries[3].price.prices.cached_input_per_mtok, 300'000);
}

TEST(PriceFile, EveryProblemIsReportedWithItsLine) {
  auto problems = problems_in(R"(
version: 2026-12
prices:
  - kind: gcp
    model: gemini
    effective_from: 2025-01-01
    input_per_mtok: 1.2345678
    output_per_mtok: 2
    source: x
  - kind: openai
    model: gpt-5
    input_per_mtok: 1
    output_per_mtok: -2
    souce: typo
)");
  EXPECT_THAT(problems,
              ElementsAre(problem(1, 10,
                                  "version: \"2026-12\" is not a date; expected a date like "
                                  "2026-12-01 (YYYY-MM-DD, UTC)"),
                          problem_at_line(3, HasSubstr("prices[0].kind: unknown value \"gcp\"; "
                                                       "expected one of: openai, azure, bedrock")),
                          problem(6, 21,
                                  "prices[0].input_per_mtok: \"1.2345678\" is more precise than 6 "
                                  "decimals; expected USD per million tokens like 1.25"),
                          problem_at_line(9, HasSubstr("prices[1].effective_from: missing")),
                          problem_at_line(9, HasSubstr("prices[1].source: missing")),
                          problem_at_line(12, HasSubstr("prices[1].output_per_mtok: \"-2\" is "
                                                        "not a plain decimal number")),
                          problem_at_line(13, HasSubstr("prices[1].souce: unknown key; expected "
                                                        "one of: kind, model, region"))));
}

TEST(PriceFile, OnePricePerDayForAModelAndRegion) {
  auto problems = problems_in(R"(
version: 2026-12-01
prices:
  - {kind: openai, model: o3, effective_from: 2025-06-10, input_per_mtok: 2, output_per_mtok: 8, source: a}
  - {kind: openai, model: o3, effective_from: 2025-06-10, input_per_mtok: 3, output_per_mtok: 8, source: b}
  - {kind: azure, model: o3, effective_from: 2025-06-10, input_per_mtok: 2, output_per_mtok: 8, source: c}
  - {kind: bedrock, model: m, region: [us-east-1, us-east-1], effective_from: 2025-01-01, input_per_mtok: 1, output_per_mtok: 1, source: d}
)");
  EXPECT_THAT(problems,
              ElementsAre(problem(4, 5,
                                  "prices[1]: a second price for openai o3 from 2025-06-10 (the "
                                  "first is at line 3); keep one"),
                          problem(6, 5,
                                  "prices[3]: a second price for bedrock m in us-east-1 from "
                                  "2025-01-01 (the first is at line 6); keep one")));
}

auto says(const char* text) {
  return ::testing::Field("message", &ConfigProblem::message, HasSubstr(text));
}

TEST(PriceFile, TheFileNeedsAVersionAndPrices) {
  EXPECT_THAT(problems_in("{}\n"), ElementsAre(says("version: missing"), says("prices: missing")));
  EXPECT_THAT(problems_in("version: 2026-12-01\nprices: [\n"),
              ElementsAre(says("YAML syntax error")));
  EXPECT_THAT(problems_in("- a list\n"),
              ElementsAre(says("expected a mapping with version and prices")));
}

TEST(PriceFile, AMissingFileIsOneProblemNamingIt) {
  try {
    read_price_file("/nonexistent/prices.yaml");
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].file, "/nonexistent/prices.yaml");
    EXPECT_THAT(e.problems()[0].message, HasSubstr("cannot read"));
  }
}

// The bundled file parses (a broken one would fail every start) and holds what it promises.
TEST(BundledPrices, ParseAndPriceTheModelsTheyList) {
  auto file = bundled_price_file();
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->name, kBundledName);
  EXPECT_GE(file->version, day("2026-12-01"));
  auto count = [&](ProviderKind kind, std::string_view model) {
    return std::count_if(file->entries.begin(), file->entries.end(),
                         [&](const PriceEntry& e) { return e.kind == kind && e.model == model; });
  };
  for (const char* model :
       {"gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini",
        "o4-mini", "text-embedding-3-small", "text-embedding-3-large"}) {
    EXPECT_EQ(count(ProviderKind::openai, model), 1) << model;
    EXPECT_EQ(count(ProviderKind::azure, model), 1) << model;
  }
  EXPECT_EQ(count(ProviderKind::openai, "o3"), 2);  // the 2025-06-10 price cut
  for (const char* model :
       {"openai.gpt-oss-120b-1:0", "openai.gpt-oss-20b-1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0",
        "anthropic.claude-3-5-haiku-20241022-v1:0", "amazon.titan-embed-text-v2:0"}) {
    EXPECT_GE(count(ProviderKind::bedrock, model), 1) << model;
  }
  for (const PriceEntry& e : file->entries) {
    EXPECT_THAT(e.price.source, HasSubstr("https://")) << e.model << " at line " << e.line;
    EXPECT_NE(e.price.from, kNoStartDate) << e.model;
  }
}

}  // namespace
}  // namespace tollbooth::prices
