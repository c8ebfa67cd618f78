#pragma once
// For routing tests only: a config written as YAML, loaded, and turned into a catalog, plus
// helpers that read a plan the way the tests assert it (route labels in order).
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "routing/burn.hpp"
#include "routing/catalog.hpp"
#include "routing/planner.hpp"

namespace tollbooth::routing::testing {

// Two clouds selling gpt-5 as in CONFIG.md: Azure has first refusal but lacks vision and
// declines responses_api; Bedrock opens on 2026-12-01; OpenAI is the last resort. Unpriced
// routes are allowed: these tests are not about prices.
inline constexpr const char* kTwoClouds = R"(
billing: {unpriced: allow}
providers:
  azure-east:
    kind: azure
    endpoint: https://contoso-east.openai.azure.com
    api_key: test-key
    api_version: 2024-10-21
    region: eastus
    residency: us
  bedrock-us:
    kind: bedrock
    region: us-east-1
    residency: us
  bedrock-eu:
    kind: bedrock
    region: eu-central-1
    residency: eu
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
models:
  gpt-5:
    context_window: 400000
    capabilities: [tools, parallel_tools, vision, json_schema, reasoning, responses_api]
    routes:
      - provider: azure-east
        deployment: gpt5-prod
        lacks: [vision]
      - provider: bedrock-us
        model_id: openai.gpt-5-v1:0
        available_from: 2026-12-01
      - provider: bedrock-eu
        model_id: openai.gpt-5-v1:0
        available_from: 2026-12-01
      - provider: openai
contracts:
  microsoft:
    providers: [azure-east]
    first_refusal: true
    declines: [responses_api]
    license_until: 2032-12-31
  bedrock-marketplace:
    providers: [bedrock-us, bedrock-eu]
    revenue_share: {percent: 20, of: charge, cap_usd: 250000, until: 2030-12-31}
)";

// Three clouds selling gpt-5 under strategy commitment_burn: microsoft has committed $1000 and
// bedrock-marketplace $500 over the same ten days (2027-01-01..2027-01-10, so on 2027-01-04
// their pro-rata targets are $400 and $200); openai has no contract, and elsewhere's contract
// has no commitment.
inline constexpr const char* kCommitments = R"(
billing: {unpriced: allow}
providers:
  azure-east: {kind: openai, base_url: https://azure.example/v1}
  bedrock-us: {kind: openai, base_url: https://bedrock.example/v1}
  openai: {kind: openai, base_url: https://api.openai.com/v1}
  elsewhere: {kind: openai, base_url: https://elsewhere.example/v1}
models:
  gpt-5:
    strategy: commitment_burn
    routes:
      - {provider: openai}
      - {provider: elsewhere}
      - {provider: azure-east}
      - {provider: bedrock-us}
contracts:
  microsoft:
    providers: [azure-east]
    commitment: {usd: 1000, from: 2027-01-01, to: 2027-01-10}
  bedrock-marketplace:
    providers: [bedrock-us]
    commitment: {usd: 500, from: 2027-01-01, to: 2027-01-10}
  other:
    providers: [elsewhere]
)";

// An empty price file: routing tests price routes in their config only, so they do not depend on
// the bundled file's figures.
inline std::shared_ptr<const prices::PriceFile> no_price_file() {
  return std::make_shared<const prices::PriceFile>();
}

struct World {
  // `price_file`: the price file under the config's prices (default: none).
  explicit World(const std::string& yaml,
                 std::shared_ptr<const prices::PriceFile> price_file = no_price_file())
      : config(load_config_string(yaml[0] == '\n' ? yaml.substr(1) : yaml, "test.yaml")),
        prices(*config, std::move(price_file)),
        catalog(*config, prices) {}

  Plan plan_for(std::string_view model, const PlanInput& input,
                const Health* health = nullptr) const {
    Plan out;
    routing::plan(catalog, *catalog.find(model), input, health, out);
    return out;
  }

  std::vector<std::string> order(const Plan& plan) const {
    std::vector<std::string> labels;
    for (const auto& c : plan.candidates()) labels.push_back(catalog.route(c.route).label);
    return labels;
  }

  RouteId id(std::string_view model, std::string_view label) const {
    for (const auto& r : catalog.routes(*catalog.find(model)))
      if (r.label == label) return r.id;
    throw std::runtime_error("no route " + std::string(label));
  }

  // The rejection of route `label`, or nullptr when it was not rejected.
  const Rejection* rejection(const Plan& plan, std::string_view label) const {
    for (const auto& r : plan.rejected())
      if (catalog.route(r.route).label == label) return &r;
    return nullptr;
  }

  // What the store would report: each named contract's burn in its commitment's period (the
  // others: nothing).
  void burn(std::initializer_list<std::pair<const char*, Money>> figures) {
    std::vector<std::string> periods;
    periods.reserve(figures.size());
    std::vector<CommitmentBurn> list;
    for (const auto& [name, burned] : figures) {
      for (const auto& c : catalog.contracts()) {
        if (c.name != name) continue;
        periods.push_back(commitment_period(*c.config->commitment));
        list.push_back(CommitmentBurn{c.name, periods.back(), burned});
      }
    }
    catalog.burn().set_burn(list);
  }

  std::shared_ptr<const Config> config;
  PriceBook prices;
  Catalog catalog;
};

inline Days day(const char* text) {
  return *parse_date(text);
}

inline PlanInput on(const char* date, CapabilitySet needs = {}) {
  PlanInput in;
  in.today = day(date);
  in.needs = needs;
  return in;
}

inline CapabilitySet caps(std::initializer_list<Capability> list) {
  CapabilitySet set;
  for (auto c : list) set.add(c);
  return set;
}

}  // namespace tollbooth::routing::testing
