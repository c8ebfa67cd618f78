// The catalog side of explain.hpp: what `tollbooth models` prints and the `tollbooth` facts of
// GET /v1/models/{id}.
#include <fmt/format.h>

#include <boost/json.hpp>

#include "routing/explain.hpp"
#include "routing/strategy.hpp"

namespace tollbooth::routing {
namespace {

boost::json::array capability_array(CapabilitySet set) {
  boost::json::array out;
  for (int i = 0; i < kCapabilityCount; ++i) {
    if (set.has(Capability(i))) out.emplace_back(capability_name(Capability(i)));
  }
  return out;
}

boost::json::value date_or_null(Days d, bool open) {
  if (open) return nullptr;
  return boost::json::value(format_date(d));
}

std::string_view until_rule(WindowBound b) {
  return b == WindowBound::license ? "license_until" : "until";
}

boost::json::value contract_json(const Catalog& catalog, const CatalogRoute& r) {
  if (r.contract < 0) return nullptr;
  const CatalogContract& c = catalog.contracts()[r.contract];
  boost::json::array declines = capability_array(c.config->declines);
  for (const auto& m : c.config->declined_models) declines.emplace_back(m);
  return boost::json::object{
      {"name", c.name},
      {"first_refusal", c.config->first_refusal},
      {"declines", std::move(declines)},
      {"discount_percent", format_usd(Money{c.config->discount} * 100)},
  };
}

boost::json::value price_json(const CatalogRoute& r) {
  if (!r.price) return nullptr;
  boost::json::object price{{"input_per_mtok", format_usd(r.price->input_per_mtok)},
                            {"output_per_mtok", format_usd(r.price->output_per_mtok)}};
  if (r.price->cached_input_per_mtok) {
    price["cached_input_per_mtok"] = format_usd(*r.price->cached_input_per_mtok);
  }
  return price;
}

bool in_window(const CatalogRoute& r, Days today) {
  return today >= r.available_from && today <= r.until;
}

boost::json::object route_json(const Catalog& catalog, const CatalogRoute& r, Days today) {
  return boost::json::object{
      {"route", r.label},
      {"provider", r.provider},
      {"upstream_model", r.upstream_model},
      {"capabilities", capability_array(r.serves)},
      {"available_from", date_or_null(r.available_from, r.available_from == kNoStartDate)},
      {"until", date_or_null(r.until, r.until == kNoEndDate)},
      {"until_rule", r.until == kNoEndDate ? boost::json::value(nullptr)
                                           : boost::json::value(until_rule(r.until_bound))},
      {"in_window", in_window(r, today)},
      {"contract", contract_json(catalog, r)},
      {"price_usd", price_json(r)},
      {"weight", r.weight},
      {"region", r.region},
      {"residency", r.residency},
  };
}

std::string window_text(const CatalogRoute& r) {
  if (r.available_from == kNoStartDate && r.until == kNoEndDate) return "always";
  std::string from = r.available_from == kNoStartDate ? "" : format_date(r.available_from);
  std::string until = r.until == kNoEndDate ? "" : format_date(r.until);
  if (r.until_bound == WindowBound::license) until += " (license)";
  return fmt::format("{}..{}", from, until);
}

}  // namespace

std::string model_facts_json(const Catalog& catalog, const CatalogModel& model, Days today) {
  boost::json::array routes;
  for (const auto& r : catalog.routes(model)) routes.push_back(route_json(catalog, r, today));
  boost::json::object facts{
      {"context_window", model.context_window ? boost::json::value(model.context_window)
                                              : boost::json::value(nullptr)},
      {"capabilities", model.capabilities
                           ? boost::json::value(capability_array(*model.capabilities))
                           : boost::json::value(nullptr)},
      {"strategy", strategy_name(model.strategy)},
      {"routes", std::move(routes)},
  };
  return boost::json::serialize(facts);
}

std::string catalog_text(const Catalog& catalog, Days today) {
  std::string out;
  for (const CatalogModel& model : catalog.models()) {
    out +=
        fmt::format("{}  strategy {}, context window {}, capabilities {}\n", model.name,
                    strategy_name(model.strategy),
                    model.context_window ? fmt::format("{}", model.context_window) : "-",
                    model.capabilities ? capability_list(*model.capabilities) : "(not declared)");
    for (const CatalogRoute& r : catalog.routes(model)) {
      std::string contract = "-";
      if (r.contract >= 0) {
        const CatalogContract& c = catalog.contracts()[r.contract];
        contract = c.name + (c.config->first_refusal ? " (first refusal)" : "");
      }
      std::string price =
          r.price ? fmt::format("${}/${} per Mtok in/out", format_usd(r.price->input_per_mtok),
                                format_usd(r.price->output_per_mtok))
                  : "unpriced";
      out += fmt::format(
          "  {}{}\n", r.label,
          in_window(r, today) ? "" : "  [outside its window on " + format_date(today) + "]");
      out += fmt::format("      serves: {}\n", capability_list(r.serves));
      out +=
          fmt::format("      window: {}  contract: {}  price: {}  weight: {}  region: {}{}\n",
                      window_text(r), contract, price, r.weight, r.region.empty() ? "-" : r.region,
                      r.residency.empty() ? "" : " (" + r.residency + ")");
    }
  }
  return out;
}

}  // namespace tollbooth::routing
