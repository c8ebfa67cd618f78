// The catalog side of explain.hpp: what `tollbooth models` prints and the `tollbooth` facts of
// GET /v1/models/{id}.
#include <fmt/format.h>

#include <boost/json.hpp>

#include "core/money.hpp"
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
      {"discount_percent", format_percent(c.config->discount)},
  };
}

boost::json::object prices_json(const TokenPrices& p) {
  boost::json::object out{{"input_per_mtok", format_dollars(p.input_per_mtok)},
                          {"output_per_mtok", format_dollars(p.output_per_mtok)}};
  if (p.cached_input_per_mtok >= 0)
    out["cached_input_per_mtok"] = format_dollars(p.cached_input_per_mtok);
  if (p.cache_write_per_mtok >= 0)
    out["cache_write_per_mtok"] = format_dollars(p.cache_write_per_mtok);
  return out;
}

boost::json::value from_json(Days from) {
  return date_or_null(from, from == kNoStartDate);
}

// The price in force on `today` after the contract's discount, with the day it took effect and
// where it comes from; null when the route has none that day.
boost::json::value price_json(const CatalogRoute& r, Days today) {
  const DatedPrice* p = price_at(r, today);
  if (!p) return nullptr;
  boost::json::object price = prices_json(net_prices(p->prices, r.discount));
  price["effective_from"] = from_json(p->from);
  price["source"] = p->source;
  return price;
}

// Every price of the route, list prices (before the discount), oldest first.
boost::json::array history_json(const CatalogRoute& r) {
  boost::json::array out;
  for (const DatedPrice& p : r.prices) {
    boost::json::object entry = prices_json(p.prices);
    entry["effective_from"] = from_json(p.from);
    entry["source"] = p.source;
    out.push_back(std::move(entry));
  }
  return out;
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
      {"price_model", r.price_model},
      {"price_usd", price_json(r, today)},
      {"price_history", history_json(r)},
      {"weight", r.weight},
      {"region", r.region},
      {"residency", r.residency},
  };
}

// "      price: <in force on today>" and its source, then each price still to come.
std::string price_lines(const CatalogRoute& r, Days today) {
  const DatedPrice* now = price_at(r, today);
  std::string out = fmt::format("      price: {}\n", price_text(r, today));
  if (now) out += fmt::format("        source: {}\n", now->source);
  for (const DatedPrice& p : r.prices) {
    if (p.from <= today) continue;
    TokenPrices net = net_prices(p.prices, r.discount);
    out += fmt::format("      then from {}: ${}/${} per Mtok in/out\n        source: {}\n",
                       format_date(p.from), format_dollars(net.input_per_mtok),
                       format_dollars(net.output_per_mtok), p.source);
  }
  return out;
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
      out += fmt::format(
          "  {}{}\n", r.label,
          in_window(r, today) ? "" : "  [outside its window on " + format_date(today) + "]");
      out += fmt::format("      serves: {}\n", capability_list(r.serves));
      out += fmt::format("      window: {}  contract: {}  weight: {}  region: {}{}\n",
                         window_text(r), contract, r.weight, r.region.empty() ? "-" : r.region,
                         r.residency.empty() ? "" : " (" + r.residency + ")");
      out += price_lines(r, today);
    }
  }
  return out;
}

}  // namespace tollbooth::routing
