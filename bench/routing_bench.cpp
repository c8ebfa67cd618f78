// Planning cost: one request against a catalog of 100 models × 5 routes (two contracts, one
// with first refusal, windows, lacks, prices), a random model per iteration, with live health.
// The budget is under 1 µs per plan.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <random>
#include <vector>

#include "config/config.hpp"
#include "routing/burn.hpp"
#include "routing/catalog.hpp"
#include "routing/health.hpp"
#include "routing/planner.hpp"

namespace tb = tollbooth;
namespace tr = tollbooth::routing;

namespace {

constexpr int kModels = 100;
constexpr int kRoutes = 5;

std::string catalog_yaml(tb::Strategy strategy) {
  constexpr std::string_view kStrategies[] = {"ordered", "weighted", "least_cost", "least_latency",
                                              "commitment_burn"};
  std::string y = "providers:\n";
  for (int p = 0; p < kRoutes; ++p) {
    y += fmt::format("  p{}: {{kind: openai, base_url: https://p{}.example/v1, region: {}}}\n", p,
                     p, p % 2 ? "us-east-1" : "eu-west-1");
  }
  y += "models:\n";
  for (int m = 0; m < kModels; ++m) {
    y += fmt::format("  m{}:\n    context_window: 128000\n    strategy: {}\n", m,
                     kStrategies[static_cast<int>(strategy)]);
    y += "    capabilities: [tools, parallel_tools, vision, json_schema, reasoning]\n    routes:\n";
    for (int p = 0; p < kRoutes; ++p) {
      y += fmt::format("      - {{provider: p{}, weight: {}{}{}}}\n", p, p + 1,
                       p == 0 ? ", lacks: [vision]" : "",
                       p == 3 ? ", available_from: 2030-01-01" : "");
    }
  }
  y += "contracts:\n  primary: {providers: [p0], first_refusal: true, declines: [reasoning], "
       "license_until: 2032-12-31}\n  other: {providers: [p1, p2], discount_percent: 10, "
       "commitment: {usd: 500000, from: 2029-01-01, to: 2029-12-31}}\n  third: {providers: [p4], "
       "commitment: {usd: 100000, from: 2029-01-01, to: 2029-12-31}}\n";
  y += "prices:\n";
  for (int m = 0; m < kModels; ++m) {
    for (int p = 0; p < kRoutes; ++p) {
      y += fmt::format(
          "  - {{provider: p{}, model: m{}, input_per_mtok: {}.25, "
          "output_per_mtok: 10}}\n",
          p, m, (p * 7 + m) % 5);
    }
  }
  return y;
}

void plan_bench(benchmark::State& state, tb::Strategy strategy) {
  auto config = tb::load_config_string(catalog_yaml(strategy), "bench.yaml");
  tr::PriceBook prices(*config);
  tr::Catalog catalog(*config, prices);
  tb::BreakerConfig breaker;
  breaker.failures = 1;
  tr::Health health(catalog.route_count(), breaker);
  for (tr::RouteId id = 0; id < catalog.route_count(); ++id) {
    if (id % 7 == 0)
      health.record_failure(id, 1'000);  // some breakers open
    else
      health.record_success(id, 1'000, 100'000 + id * 37);
  }
  // commitment_burn: some burn read from the store.
  const tb::CommitmentBurn burn[] = {{"other", "2029-01-01..2029-12-31", 200'000'000'000},
                                     {"third", "2029-01-01..2029-12-31", 30'000'000'000}};
  catalog.burn().set_burn(burn);
  std::mt19937_64 rng(42);
  std::vector<const tr::CatalogModel*> models(4096);
  std::vector<tb::CapabilitySet> needs(4096);
  for (std::size_t i = 0; i < models.size(); ++i) {
    models[i] = &catalog.models()[rng() % kModels];
    needs[i] = tb::CapabilitySet(static_cast<std::uint16_t>(rng() & 0x27));  // a few needs
  }
  tr::PlanInput in;
  in.today = *tb::parse_date("2029-06-01");
  in.now_ms = 2'000;
  in.estimated_input_tokens = 1'200;
  in.max_output_tokens = 800;
  tr::Plan plan;
  std::size_t i = 0;
  for (auto _ : state) {
    in.needs = needs[i & 4095];
    in.random = i * 0x9e3779b97f4a7c15ull;
    tr::plan(catalog, *models[i & 4095], in, &health, plan);
    benchmark::DoNotOptimize(plan);
    ++i;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

BENCHMARK_CAPTURE(plan_bench, ordered, tb::Strategy::ordered);
BENCHMARK_CAPTURE(plan_bench, weighted, tb::Strategy::weighted);
BENCHMARK_CAPTURE(plan_bench, least_cost, tb::Strategy::least_cost);
BENCHMARK_CAPTURE(plan_bench, least_latency, tb::Strategy::least_latency);
BENCHMARK_CAPTURE(plan_bench, commitment_burn, tb::Strategy::commitment_burn);
