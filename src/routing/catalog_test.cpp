#include "routing/catalog.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/test_world.hpp"

namespace tollbooth::routing {
namespace {

using testing::caps;
using testing::day;
using testing::kTwoClouds;
using testing::World;

TEST(Catalog, RoutesServeTheModelsCapabilitiesMinusWhatTheyLack) {
  World w(kTwoClouds);
  const CatalogModel* model = w.catalog.find("gpt-5");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->context_window, 400'000u);
  auto routes = w.catalog.routes(*model);
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_FALSE(routes[0].serves.has(Capability::vision));
  EXPECT_TRUE(routes[0].serves.has(Capability::tools));
  EXPECT_TRUE(routes[1].serves.has(Capability::vision));
  EXPECT_FALSE(routes[1].serves.has(Capability::json_object));  // the model does not declare it
}

TEST(Catalog, RouteIdsAreDenseAcrossModels) {
  World w(R"(
providers:
  a: {kind: openai, base_url: https://a.example/v1}
  b: {kind: openai, base_url: https://b.example/v1}
models:
  m1: {routes: [{provider: a}, {provider: b}]}
  m2: {routes: [{provider: b}]}
)");
  ASSERT_EQ(w.catalog.route_count(), 3u);
  for (RouteId id = 0; id < 3; ++id) EXPECT_EQ(w.catalog.route(id).id, id);
  EXPECT_EQ(w.catalog.routes(*w.catalog.find("m2"))[0].id, 2u);
  EXPECT_EQ(w.catalog.route(2).model, 1u);
  EXPECT_EQ(w.catalog.find("m3"), nullptr);
}

TEST(Catalog, WindowIsTheIntersectionOfRouteContractAndLicence) {
  World w(R"(
providers:
  azure: {kind: openai, base_url: https://azure.example/v1}
models:
  m:
    routes:
      - {provider: azure, available_from: 2026-01-01, until: 2035-12-31}
contracts:
  ms: {providers: [azure], available_from: 2026-06-01, until: 2034-01-01, license_until: 2033-12-31}
)");
  const CatalogRoute& r = w.catalog.routes(*w.catalog.find("m"))[0];
  EXPECT_EQ(r.available_from, day("2026-06-01"));
  EXPECT_EQ(r.from_bound, WindowBound::contract);
  EXPECT_EQ(r.until, day("2033-12-31"));
  EXPECT_EQ(r.until_bound, WindowBound::license);
}

TEST(Catalog, RoutesKeepTheirListPriceHistoryAndTheContractDiscount) {
  World w(R"(
providers:
  bedrock: {kind: openai, base_url: https://bedrock.example/v1}
  openai: {kind: openai, base_url: https://api.openai.com/v1}
models:
  m:
    routes: [{provider: bedrock}, {provider: openai}]
contracts:
  aws: {providers: [bedrock], discount_percent: 12.5}
prices:
  - {provider: bedrock, model: m, effective_from: 2027-01-01, input_per_mtok: 1, output_per_mtok: 8}
  - {provider: bedrock, model: m, input_per_mtok: 1.25, output_per_mtok: 10, cached_input_per_mtok: 0.125}
)");
  auto routes = w.catalog.routes(*w.catalog.find("m"));
  ASSERT_EQ(routes[0].prices.size(), 2u);  // oldest first, whatever the file order
  EXPECT_EQ(routes[0].prices[0].from, kNoStartDate);
  EXPECT_EQ(routes[0].prices[0].prices.input_per_mtok, 1'250'000);  // list, before the discount
  EXPECT_EQ(routes[0].prices[0].source, "config test.yaml:11");
  EXPECT_EQ(routes[0].prices[1].from, day("2027-01-01"));
  EXPECT_EQ(routes[0].discount, 1'250);
  TokenPrices net = net_prices(routes[0].prices[0].prices, routes[0].discount);
  EXPECT_EQ(net.input_per_mtok, 1'093'750);  // 1.25 × 0.875
  EXPECT_EQ(net.output_per_mtok, 8'750'000);
  EXPECT_EQ(net.cached_input_per_mtok, 109'375);
  EXPECT_EQ(net.cache_write_per_mtok, -1);  // still "the input price"
  EXPECT_TRUE(routes[1].prices.empty());    // not priced
  EXPECT_EQ(w.catalog.contracts()[routes[0].contract].name, "aws");
}

TEST(Catalog, PriceAtIsThePriceInForceThatDay) {
  World w(R"(
providers:
  openai: {kind: openai, base_url: https://api.openai.com/v1}
models:
  m: {routes: [{provider: openai}]}
prices:
  - {provider: openai, model: m, effective_from: 2025-04-16, input_per_mtok: 10, output_per_mtok: 40}
  - {provider: openai, model: m, effective_from: 2025-06-10, input_per_mtok: 2, output_per_mtok: 8}
)");
  const CatalogRoute& route = w.catalog.routes(*w.catalog.find("m"))[0];
  EXPECT_EQ(price_at(route, day("2025-04-15")), nullptr);  // before the first price
  EXPECT_EQ(price_at(route, day("2025-04-16"))->prices.input_per_mtok, 10'000'000);
  EXPECT_EQ(price_at(route, day("2025-06-09"))->prices.input_per_mtok, 10'000'000);
  EXPECT_EQ(price_at(route, day("2025-06-10"))->prices.input_per_mtok, 2'000'000);  // the day of
  EXPECT_EQ(price_at(route, day("2025-06-11"))->prices.input_per_mtok, 2'000'000);
  EXPECT_EQ(price_at(route, day("2031-01-01"))->from, day("2025-06-10"));
}

TEST(Catalog, RoutesArePricedByTheFileUnderTheConfig) {
  auto file = std::make_shared<prices::PriceFile>(prices::parse_price_file(R"(
version: 2026-12-01
prices:
  - {kind: openai, model: gpt-5, effective_from: 2025-08-07, input_per_mtok: 1.25, output_per_mtok: 10, source: test}
  - {kind: azure, model: gpt-5, effective_from: 2025-08-07, input_per_mtok: 1.30, output_per_mtok: 11, source: test}
)",
                                                                           "prices.yaml"));
  World w(R"(
providers:
  openai: {kind: openai, base_url: https://api.openai.com/v1}
  azure: {kind: azure, endpoint: https://a.example, api_key: k, api_version: 2024-10-21}
models:
  gpt-5: {routes: [{provider: openai}, {provider: azure, deployment: prod}]}
)",
          file);
  auto routes = w.catalog.routes(*w.catalog.find("gpt-5"));
  ASSERT_EQ(routes[0].prices.size(), 1u);
  EXPECT_EQ(routes[0].prices[0].prices.output_per_mtok, 10'000'000);
  ASSERT_EQ(routes[1].prices.size(), 1u);  // azure: by the public name, for want of model:
  EXPECT_EQ(routes[1].prices[0].prices.output_per_mtok, 11'000'000);
  EXPECT_EQ(routes[1].price_model, "gpt-5");
  EXPECT_EQ(w.catalog.unpriced(), Unpriced::refuse);  // the default
}

TEST(Catalog, DiscountRoundsToTheNearestMicroDollar) {
  EXPECT_EQ(discounted(1'000'000, 0), 1'000'000);
  EXPECT_EQ(discounted(1'000'000, 10'000), 0);
  EXPECT_EQ(discounted(3, 5'000), 2);  // 1.5 rounds up
}

TEST(Catalog, RouteTimeoutOverridesTheProviderFirstByteTimeout) {
  World w(R"(
providers:
  a: {kind: openai, base_url: https://a.example/v1, first_byte_timeout: 90s}
models:
  m:
    routes: [{provider: a, timeout: 15s}, {provider: a, model: other}]
)");
  auto routes = w.catalog.routes(*w.catalog.find("m"));
  EXPECT_EQ(routes[0].first_byte_timeout, std::chrono::seconds(15));
  EXPECT_EQ(routes[1].first_byte_timeout, std::chrono::seconds(90));
  // One provider twice in a model: labels tell the routes apart.
  EXPECT_EQ(routes[0].label, "a/m");
  EXPECT_EQ(routes[1].label, "a/other");
}

}  // namespace
}  // namespace tollbooth::routing
