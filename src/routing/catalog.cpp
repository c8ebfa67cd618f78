#include "routing/catalog.hpp"

#include <algorithm>
#include <map>

#include "routing/burn.hpp"

namespace tollbooth::routing {
namespace {

// The route's window narrowed by its contract's, remembering which rule set each bound.
void narrow_window(CatalogRoute& r, const RouteConfig& route, const ContractConfig* contract) {
  auto later_start = [&](Days from, WindowBound bound) {
    if (from != kNoStartDate && from > r.available_from) {
      r.available_from = from;
      r.from_bound = bound;
    }
  };
  auto earlier_end = [&](Days until, WindowBound bound) {
    if (until != kNoEndDate && until < r.until) {
      r.until = until;
      r.until_bound = bound;
    }
  };
  later_start(route.available_from, WindowBound::route);
  earlier_end(route.until, WindowBound::route);
  if (!contract) return;
  later_start(contract->available_from, WindowBound::contract);
  earlier_end(contract->until, WindowBound::contract);
  earlier_end(contract->license_until, WindowBound::license);
}

CapabilitySet effective_capabilities(const ModelConfig& model, const RouteConfig& route) {
  CapabilitySet base = model.capabilities.value_or(
      CapabilitySet::all() - CapabilitySet(1u << static_cast<unsigned>(Capability::long_context)));
  return base - route.lacks;
}

// A provider used twice by one model needs more than its name to be told apart.
std::string route_label(const ModelConfig& model, const RouteConfig& route) {
  auto uses = std::count_if(model.routes.begin(), model.routes.end(),
                            [&](const RouteConfig& r) { return r.provider == route.provider; });
  return uses > 1 ? route.provider + "/" + route.upstream_model : route.provider;
}

}  // namespace

Money discounted(Money price, BasisPoints discount) noexcept {
  return (price * (kWholePercent - discount) + kWholePercent / 2) / kWholePercent;
}

TokenPrices net_prices(const TokenPrices& list, BasisPoints discount) noexcept {
  // -1 ("the input price") stays -1: it then follows the discounted input price.
  auto net = [&](Money p) { return p < 0 ? p : discounted(p, discount); };
  return TokenPrices{net(list.input_per_mtok), net(list.output_per_mtok),
                     net(list.cached_input_per_mtok), net(list.cache_write_per_mtok)};
}

const DatedPrice* price_at(const CatalogRoute& route, Days day) noexcept {
  return prices::price_in_force(route.prices, day);
}

Catalog::Catalog(const Config& config, const PriceBook& prices)
    : unpriced_(config.billing.unpriced) {
  std::map<std::string, int, std::less<>> contract_index;
  for (const auto& [name, contract] : config.contracts) {
    contract_index.emplace(name, static_cast<int>(contracts_.size()));
    contracts_.push_back(CatalogContract{name, &contract});
  }
  for (const auto& model : config.models) {
    CatalogModel m{model.name,
                   model.context_window,
                   model.capabilities,
                   model.strategy,
                   static_cast<RouteId>(routes_.size()),
                   static_cast<std::uint32_t>(model.routes.size())};
    for (const auto& route : model.routes) {
      CatalogRoute r;
      r.id = static_cast<RouteId>(routes_.size());
      r.model = static_cast<std::uint32_t>(models_.size());
      r.label = route_label(model, route);
      r.provider = route.provider;
      r.upstream_model = route.upstream_model;
      r.provider_config = config.find_provider(route.provider);
      r.route_config = &route;
      r.serves = effective_capabilities(model, route);
      r.lacks = route.lacks;
      r.weight = route.weight;
      if (r.provider_config) {
        r.region = r.provider_config->region;
        r.residency = r.provider_config->residency;
        r.first_byte_timeout = r.provider_config->first_byte_timeout;
      }
      if (route.timeout) r.first_byte_timeout = *route.timeout;
      const ContractConfig* contract = config.contract_of(route.provider);
      narrow_window(r, route, contract);
      if (contract) {
        r.contract = contract_index.at(contract->name);
        r.first_refusal = contract->first_refusal;
        r.declines = contract->declines;
        r.declines_model =
            std::find(contract->declined_models.begin(), contract->declined_models.end(),
                      model.name) != contract->declined_models.end();
        r.discount = contract->discount;
        if (contract->commitment) r.commitment = &*contract->commitment;
      }
      if (r.provider_config) {
        r.prices = prices.history(*r.provider_config, route, model.name);
        r.price_model = prices::price_model_id(*r.provider_config, route, model.name);
      }
      routes_.push_back(std::move(r));
    }
    index_.emplace(model.name, static_cast<std::uint32_t>(models_.size()));
    models_.push_back(std::move(m));
  }
  // The store's burn is wanted only when some model orders routes by it and one of its routes
  // has a commitment.
  bool wanted = false;
  for (const auto& route : routes_) {
    wanted = wanted || (models_[route.model].strategy == Strategy::commitment_burn &&
                        route.commitment != nullptr);
  }
  std::vector<const ContractConfig*> contracts;
  for (const auto& c : contracts_) contracts.push_back(c.config);
  burn_ = std::make_unique<BurnTable>(contracts, wanted);
}

Catalog::~Catalog() = default;
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;

const CatalogModel* Catalog::find(std::string_view model) const {
  auto it = index_.find(model);
  return it == index_.end() ? nullptr : &models_[it->second];
}

}  // namespace tollbooth::routing
