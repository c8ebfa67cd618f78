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

TEST(Catalog, PriceIsTheConfigPriceLessTheContractDiscount) {
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
  - {provider: bedrock, model: m, input_per_mtok: 1.25, output_per_mtok: 10, cached_input_per_mtok: 0.125}
)");
  auto routes = w.catalog.routes(*w.catalog.find("m"));
  ASSERT_TRUE(routes[0].price.has_value());
  EXPECT_EQ(routes[0].price->input_per_mtok, 1'093'750);  // 1.25 × 0.875
  EXPECT_EQ(routes[0].price->output_per_mtok, 8'750'000);
  EXPECT_EQ(routes[0].price->cached_input_per_mtok, 109'375);
  EXPECT_FALSE(routes[1].price.has_value());  // not priced
  EXPECT_EQ(w.catalog.contracts()[routes[0].contract].name, "aws");
}

TEST(Catalog, PriceBookFindsByProviderAndModel) {
  std::vector<PriceConfig> prices = {{"a", "m", 1, 2, std::nullopt}, {"b", "m", 3, 4, 5}};
  PriceBook book(prices);
  ASSERT_NE(book.find("b", "m"), nullptr);
  EXPECT_EQ(book.find("b", "m")->input_per_mtok, 3);
  EXPECT_EQ(book.find("a", "x"), nullptr);
  EXPECT_EQ(book.find("c", "m"), nullptr);
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
