#include "routing/explain.hpp"
#include "core/money.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "routing/burn.hpp"
#include "routing/strategy.hpp"

namespace tollbooth::routing {
namespace {

std::string_view contract_name(const Catalog& catalog, int index) {
  return index < 0 ? std::string_view("-") : std::string_view(catalog.contracts()[index].name);
}

// "vision+json_schema": the header form of a capability set (no spaces or commas).
std::string capability_tokens(CapabilitySet set) {
  std::string out;
  for (int i = 0; i < kCapabilityCount; ++i) {
    if (!set.has(Capability(i))) continue;
    if (!out.empty()) out += '+';
    out += capability_name(Capability(i));
  }
  return out;
}

std::uint32_t context_window(const Catalog& catalog, const Rejection& r) {
  return catalog.models()[catalog.route(r.route).model].context_window;
}

std::int64_t seconds_left(std::int64_t until_ms, std::int64_t now_ms) {
  return until_ms <= now_ms ? 0 : (until_ms - now_ms + 999) / 1000;
}

// The compact detail in parentheses after a rule name in the header and the log.
std::string rule_detail(const Catalog& catalog, const Plan& plan, const Rejection& r,
                        std::int64_t now_ms) {
  switch (r.rule) {
    case Rule::conversation_elsewhere: return std::string(plan.pinned_provider());
    case Rule::before_available_from:
    case Rule::after_until:
    case Rule::after_license_until: return format_date(r.date);
    case Rule::region_not_allowed: {
      const CatalogRoute& route = catalog.route(r.route);
      return route.region.empty() ? "none" : route.region;
    }
    case Rule::lacks_capability: return capability_tokens(r.capabilities);
    case Rule::over_context_window:
      return fmt::format("{}>{}", r.tokens, context_window(catalog, r));
    case Rule::declined_model: return std::string(contract_name(catalog, r.contract));
    case Rule::declined_capability:
      return fmt::format("{}:{}", contract_name(catalog, r.contract),
                         capability_tokens(r.capabilities));
    case Rule::unpriced: return catalog.route(r.route).price_model;
    case Rule::breaker_open: return fmt::format("{}s", seconds_left(r.open_until_ms, now_ms));
  }
  return {};
}

std::string_view kind_name(const CatalogRoute& route) {
  if (!route.provider_config) return "?";
  switch (route.provider_config->kind) {
    case ProviderKind::openai: return "openai";
    case ProviderKind::azure: return "azure";
    case ProviderKind::bedrock: return "bedrock";
  }
  return "?";
}

// Why a route has no price on `day`: nothing prices it, or its first price is still to come.
std::string unpriced_text(const CatalogRoute& route, Days day) {
  std::string why;
  if (route.prices.empty()) {
    why =
        fmt::format("neither prices: nor the price file has a price for {} {}{}", kind_name(route),
                    route.price_model, route.region.empty() ? "" : " in " + route.region);
  } else {
    why = fmt::format("its first price takes effect on {}", format_date(route.prices.front().from));
  }
  return fmt::format("unpriced on {}: {} (billing.unpriced: refuse)", format_date(day), why);
}

std::string_view bound_name(WindowBound b) {
  switch (b) {
    case WindowBound::route: return "route";
    case WindowBound::contract: return "contract";
    case WindowBound::license: return "license";
    case WindowBound::none: break;
  }
  return "none";
}

// The header's detail for a route placed by commitment_burn, its contract having burned
// `burned` when the plan was made: "contract:burned/target" in USD ("?" for a burn not known),
// or "-" for a route without a commitment in force.
std::string burn_detail(const Catalog& catalog, RouteId id, Money burned, Days day) {
  const CatalogRoute& route = catalog.route(id);
  Standing s = standing(route.commitment, day, burned);
  if (!s.committed) return "-";
  return fmt::format("{}:{}/{}", contract_name(catalog, route.contract),
                     burned == kBurnUnknown ? "?" : format_dollars(burned),
                     format_dollars(s.target));
}

// The lines' text for a candidate of a commitment_burn model: its contract's burn against the
// pro-rata target for the plan's day.
std::string burn_text(const Catalog& catalog, RouteId id, Money burned, Days day) {
  const CatalogRoute& route = catalog.route(id);
  std::string_view contract = contract_name(catalog, route.contract);
  Standing s = standing(route.commitment, day, burned);
  if (!s.committed) {
    if (route.contract < 0) return "no contract: counts as on schedule";
    if (!route.commitment)
      return fmt::format("contract {} has no commitment: counts as on schedule", contract);
    return fmt::format("contract {}'s commitment runs {}: outside it, counts as on schedule",
                       contract, commitment_period(*route.commitment));
  }
  if (burned == kBurnUnknown) {
    return fmt::format("{} burn unknown, ${} due by {}: counted as ${} behind", contract,
                       format_dollars(s.target), format_date(day), format_dollars(s.behind));
  }
  return fmt::format("{} burned ${} of ${} due by {}: ${} {}", contract, format_dollars(burned),
                     format_dollars(s.target), format_date(day),
                     format_dollars(s.behind < 0 ? -s.behind : s.behind),
                     s.behind < 0 ? "ahead" : "behind");
}

}  // namespace

std::string price_text(const CatalogRoute& route, Days day) {
  const DatedPrice* price = price_at(route, day);
  if (!price) return "unpriced";
  TokenPrices net = net_prices(price->prices, route.discount);
  std::string out = fmt::format("${}/${} per Mtok in/out", format_dollars(net.input_per_mtok),
                                format_dollars(net.output_per_mtok));
  if (route.discount != 0) {
    out += fmt::format(" ({}% off ${}/${})", format_percent(route.discount),
                       format_dollars(price->prices.input_per_mtok),
                       format_dollars(price->prices.output_per_mtok));
  }
  if (price->from != kNoStartDate) out += " from " + format_date(price->from);
  return out;
}

std::string format_percent(BasisPoints bp) {
  return format_dollars(Money{bp} * (kMicrosPerDollar / 100));
}

std::string_view placement_name(Placement p) noexcept {
  switch (p) {
    case Placement::first_refusal: return "first_refusal";
    case Placement::ordered: return "ordered";
    case Placement::weighted: return "weighted";
    case Placement::least_cost: return "least_cost";
    case Placement::least_latency: return "least_latency";
    case Placement::commitment_burn: return "commitment_burn";
  }
  return "ordered";
}

std::string_view rule_name(Rule r) noexcept {
  switch (r) {
    case Rule::conversation_elsewhere: return "conversation_elsewhere";
    case Rule::before_available_from: return "before_available_from";
    case Rule::after_until: return "after_until";
    case Rule::after_license_until: return "after_license_until";
    case Rule::region_not_allowed: return "region_not_allowed";
    case Rule::lacks_capability: return "lacks_capability";
    case Rule::over_context_window: return "over_context_window";
    case Rule::declined_model: return "declined_model";
    case Rule::declined_capability: return "declined_capability";
    case Rule::unpriced: return "unpriced";
    case Rule::breaker_open: return "breaker_open";
  }
  return "unknown";
}

std::string rejection_text(const Catalog& catalog, const Plan& plan, const Rejection& r,
                           std::int64_t now_ms) {
  const CatalogRoute& route = catalog.route(r.route);
  std::string_view contract = contract_name(catalog, r.contract);
  switch (r.rule) {
    case Rule::conversation_elsewhere:
      return fmt::format(
          "the conversation it continues (previous_response_id) lives at provider {}",
          plan.pinned_provider());
    case Rule::before_available_from:
      return fmt::format("before available_from {} ({})", format_date(r.date),
                         bound_name(route.from_bound));
    case Rule::after_until:
      return fmt::format("after until {} ({})", format_date(r.date), bound_name(route.until_bound));
    case Rule::after_license_until:
      return fmt::format("after license_until {} (contract {})", format_date(r.date), contract);
    case Rule::region_not_allowed:
      return fmt::format("region {}, residency {}: not allowed for this caller",
                         route.region.empty() ? "(none)" : route.region,
                         route.residency.empty() ? "(none)" : route.residency);
    case Rule::lacks_capability:
      return fmt::format("lacks capability {}", capability_list(r.capabilities));
    case Rule::over_context_window:
      return fmt::format("over context window: {} tokens > {} (route lacks long_context)", r.tokens,
                         context_window(catalog, r));
    case Rule::declined_model: return fmt::format("contract {} declines this model", contract);
    case Rule::declined_capability:
      return fmt::format("contract {} declines capability {}", contract,
                         capability_list(r.capabilities));
    case Rule::unpriced: return unpriced_text(route, r.date);
    case Rule::breaker_open:
      return fmt::format("breaker open for {}s more", seconds_left(r.open_until_ms, now_ms));
  }
  return std::string(rule_name(r.rule));
}

std::vector<std::string> explain_lines(const Catalog& catalog, const Plan& plan,
                                       std::int64_t now_ms) {
  std::vector<std::string> lines;
  const CatalogModel& model = *plan.model();
  std::string window =
      model.context_window ? fmt::format(", context window {}", model.context_window) : "";
  lines.push_back(
      fmt::format("model {} (strategy {}{})", model.name, strategy_name(model.strategy), window));
  lines.push_back(fmt::format("needs: {}", capability_list(plan.needs())));
  std::size_t width = 0;
  for (const auto& r : catalog.routes(model)) width = std::max(width, r.label.size());
  std::size_t placed_width = 0;
  for (const Candidate& c : plan.candidates())
    placed_width = std::max(placed_width, placement_name(c.placed_by).size());
  const bool by_burn = model.strategy == Strategy::commitment_burn;
  int rank = 0;
  for (std::size_t i = 0; i < plan.candidates().size(); ++i) {
    const Candidate& c = plan.candidates()[i];
    const CatalogRoute& route = catalog.route(c.route);
    lines.push_back(fmt::format("  {:>2}. {:<{}}  eligible  {:<{}}  {}", ++rank, route.label, width,
                                placement_name(c.placed_by), placed_width,
                                price_text(route, plan.today())));
    // commitment_burn: why this order, on a line of its own under the route.
    if (by_burn)
      lines.push_back("      " + burn_text(catalog, c.route, plan.burned(i), plan.today()));
  }
  for (const Rejection& r : plan.rejected()) {
    lines.push_back(fmt::format("   -  {:<{}}  skipped   {}", catalog.route(r.route).label, width,
                                rejection_text(catalog, plan, r, now_ms)));
  }
  if (plan.empty()) {
    std::int64_t retry_at = plan.retry_at_ms();
    lines.push_back(retry_at ? fmt::format("no eligible route: 503, Retry-After {}s",
                                           seconds_left(retry_at, now_ms))
                    : plan.refused_for_price()
                        ? "no eligible route: 503 no_priced_route (price a route, or set "
                          "billing.unpriced: allow)"
                        : "no eligible route");
  }
  return lines;
}

void append_plan_header(std::string& out, const Catalog& catalog, const Plan& plan,
                        std::int64_t now_ms) {
  const std::size_t start = out.size();
  for (std::size_t i = 0; i < plan.candidates().size(); ++i) {
    const Candidate& c = plan.candidates()[i];
    if (out.size() > start) out += ';';
    out.append(catalog.route(c.route).label).append("=").append(placement_name(c.placed_by));
    if (c.placed_by == Placement::commitment_burn) {
      out.append("(").append(burn_detail(catalog, c.route, plan.burned(i), plan.today()));
      out.append(")");
    }
  }
  for (const Rejection& r : plan.rejected()) {
    if (out.size() > start) out += ';';
    out.append(catalog.route(r.route).label).append("=skip:").append(rule_name(r.rule));
    out.append("(").append(rule_detail(catalog, plan, r, now_ms)).append(")");
  }
  // Labels and details come from the config (deployment and model names, region labels): keep
  // the value one visible-ASCII header field whatever they hold, and the access log one line.
  for (std::size_t i = start; i < out.size(); ++i) {
    auto u = static_cast<unsigned char>(out[i]);
    if (u < 0x21 || u > 0x7e || out[i] == ',') out[i] = '_';
  }
}

std::string plan_header(const Catalog& catalog, const Plan& plan, std::int64_t now_ms) {
  std::string out;
  append_plan_header(out, catalog, plan, now_ms);
  return out;
}

void append_plan_log_line(std::string& out, const Catalog& catalog, const Plan& plan,
                          std::int64_t now_ms) {
  out.append("needs=");
  if (plan.needs().empty())
    out.append("none");
  else
    out.append(capability_tokens(plan.needs()));
  out.append(" plan=");
  append_plan_header(out, catalog, plan, now_ms);
}

std::string plan_log_line(const Catalog& catalog, const Plan& plan, std::int64_t now_ms) {
  std::string out;
  append_plan_log_line(out, catalog, plan, now_ms);
  return out;
}

}  // namespace tollbooth::routing
