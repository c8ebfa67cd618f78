#include "routing/planner.hpp"

#include <cstring>

#include "core/glob.hpp"
#include "routing/strategy.hpp"

namespace tollbooth::routing {
namespace {

constexpr CapabilitySet kLongContext{1u << static_cast<unsigned>(Capability::long_context)};

bool region_allowed(const CatalogRoute& route, std::span<const std::string> allowed) noexcept {
  if (allowed.empty()) return true;
  for (const auto& pattern : allowed) {
    if (!route.region.empty() && glob_match(pattern, route.region)) return true;
    if (!route.residency.empty() && glob_match(pattern, route.residency)) return true;
  }
  return false;
}

// The first rule (in the documented order) that keeps `route` out, or nullopt-like false.
bool reject(const CatalogRoute& route, const PlanInput& in, CapabilitySet needs,
            std::uint64_t tokens, bool priced, const RouteStatus& status, Rejection& out) noexcept {
  out = Rejection{route.id, Rule::lacks_capability, {}, 0, 0, tokens, route.contract};
  if (!in.pinned_provider.empty() && route.provider != in.pinned_provider) {
    out.rule = Rule::conversation_elsewhere;
  } else if (in.today < route.available_from) {
    out.rule = Rule::before_available_from;
    out.date = route.available_from;
  } else if (in.today > route.until) {
    out.rule =
        route.until_bound == WindowBound::license ? Rule::after_license_until : Rule::after_until;
    out.date = route.until;
  } else if (!region_allowed(route, in.allowed_regions)) {
    out.rule = Rule::region_not_allowed;
  } else if (CapabilitySet missing = needs - route.serves; !missing.empty()) {
    out.rule = missing == kLongContext ? Rule::over_context_window : Rule::lacks_capability;
    out.capabilities = missing;
  } else if (route.declines_model) {
    out.rule = Rule::declined_model;
  } else if (CapabilitySet declined = needs & route.declines; !declined.empty()) {
    out.rule = Rule::declined_capability;
    out.capabilities = declined;
  } else if (!priced) {
    out.rule = Rule::unpriced;
    out.date = in.today;
  } else if (!status.admits) {
    out.rule = Rule::breaker_open;
    out.open_until_ms = status.open_until_ms;
  } else {
    return false;
  }
  return true;
}

Placement placement_of(Strategy s) noexcept {
  switch (s) {
    case Strategy::ordered: return Placement::ordered;
    case Strategy::weighted: return Placement::weighted;
    case Strategy::least_cost: return Placement::least_cost;
    case Strategy::least_latency: return Placement::least_latency;
    case Strategy::commitment_burn: return Placement::commitment_burn;
  }
  return Placement::ordered;
}

// Per-position keys for the strategies, gathered once per plan.
struct Keys {
  std::array<std::uint32_t, kMaxRoutesPerModel> weight{};
  std::array<std::int64_t, kMaxRoutesPerModel> ttfb{};
  std::array<std::uint64_t, kMaxRoutesPerModel> cost{};
};

void order(Strategy s, std::span<Position> group, const Keys& keys, std::size_t n,
           std::uint64_t random) noexcept {
  switch (s) {
    case Strategy::ordered: return;
    case Strategy::weighted: return order_weighted(group, std::span(keys.weight.data(), n), random);
    case Strategy::least_cost: return order_least_cost(group, std::span(keys.cost.data(), n));
    case Strategy::least_latency: return order_least_latency(group, std::span(keys.ttfb.data(), n));
    case Strategy::commitment_burn: return;  // order_by_burn
  }
}

// strategy commitment_burn, out of line so that the other strategies' code is as it was: reads
// the burn of each eligible route's contract, orders each group by how far behind it is, and
// keeps what it read, in candidate order, in `kept` (Plan::burned_).
[[gnu::noinline]] void order_by_burn(const Catalog& catalog, std::span<const CatalogRoute> routes,
                                     Days today, std::span<Position> first,
                                     std::span<Position> rest, std::byte* kept) noexcept {
  std::array<Money, kMaxRoutesPerModel> burned;
  std::array<std::int64_t, kMaxRoutesPerModel> behind;
  const BurnTable& table = catalog.burn();
  for (std::span<Position> group : {first, rest}) {
    for (Position p : group) {
      const CatalogRoute& route = routes[p];
      burned[p] = route.contract >= 0 ? table.burned(route.contract) : kBurnUnknown;
      behind[p] = standing(route.commitment, today, burned[p]).behind;
    }
    order_commitment_burn(group, behind);
  }
  std::size_t at = 0;
  for (std::span<Position> group : {first, rest}) {
    for (Position p : group) std::memcpy(kept + at++ * sizeof(Money), &burned[p], sizeof(Money));
  }
}

}  // namespace

bool Plan::refused_for_price() const noexcept {
  if (n_cand_ != 0) return false;
  for (const Rejection& r : rejected())
    if (r.rule == Rule::unpriced) return true;
  return false;
}

std::int64_t Plan::retry_at_ms() const noexcept {
  if (n_cand_ != 0) return 0;
  std::int64_t earliest = 0;
  for (const Rejection& r : rejected()) {
    if (r.rule != Rule::breaker_open) continue;
    if (earliest == 0 || r.open_until_ms < earliest) earliest = r.open_until_ms;
  }
  return earliest;
}

void plan(const Catalog& catalog, const CatalogModel& model, const PlanInput& in,
          const Health* health, Plan& out) noexcept {
  out.model_ = &model;
  out.today_ = in.today;
  out.pinned_ = in.pinned_provider;
  out.n_cand_ = out.n_rej_ = 0;
  std::uint64_t tokens = std::uint64_t{in.estimated_input_tokens} + in.max_output_tokens;
  CapabilitySet needs = in.needs;
  if (model.context_window != 0 && tokens > model.context_window)
    needs.add(Capability::long_context);
  out.needs_ = needs;

  std::span<const CatalogRoute> routes = catalog.routes(model);
  std::size_t n = routes.size() < kMaxRoutesPerModel ? routes.size() : kMaxRoutesPerModel;
  const bool refuse_unpriced = catalog.unpriced() == Unpriced::refuse;
  Keys keys;
  std::array<Position, kMaxRoutesPerModel> first{}, rest{};
  std::size_t n_first = 0, n_rest = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const CatalogRoute& route = routes[i];
    RouteStatus status = health ? health->status(route.id, in.now_ms) : RouteStatus{};
    const DatedPrice* price = price_at(route, in.today);
    if (reject(route, in, needs, tokens, price || !refuse_unpriced, status,
               *::new (out.rejected_ + out.n_rej_ * sizeof(Rejection)) Rejection)) {
      ++out.n_rej_;
      continue;
    }
    keys.weight[i] = route.weight;
    keys.ttfb[i] = status.ttfb_ewma_us;
    // The price in force today, after the contract's discount.
    keys.cost[i] = price ? estimated_cost(net_prices(price->prices, route.discount),
                                          in.estimated_input_tokens, in.max_output_tokens)
                         : kUnpriced;
    if (route.first_refusal) {
      first[n_first++] = static_cast<Position>(i);
    } else {
      rest[n_rest++] = static_cast<Position>(i);
    }
  }
  const bool by_burn = model.strategy == Strategy::commitment_burn;
  if (by_burn) {
    order_by_burn(catalog, routes, in.today, std::span(first.data(), n_first),
                  std::span(rest.data(), n_rest), out.burned_);
  } else {
    order(model.strategy, std::span(first.data(), n_first), keys, n, in.random);
    // A different stream for the second group, so its draw does not mirror the first.
    order(model.strategy, std::span(rest.data(), n_rest), keys, n,
          in.random ^ 0xd1b54a32d192ed03ull);
  }
  Placement by_strategy = placement_of(model.strategy);
  for (std::size_t i = 0; i < n_first; ++i) {
    ::new (out.candidates_ + out.n_cand_++ * sizeof(Candidate))
        Candidate{routes[first[i]].id, Placement::first_refusal};
  }
  for (std::size_t i = 0; i < n_rest; ++i) {
    ::new (out.candidates_ + out.n_cand_++ * sizeof(Candidate))
        Candidate{routes[rest[i]].id, by_strategy};
  }
  out.by_burn_ = by_burn;
}

}  // namespace tollbooth::routing
