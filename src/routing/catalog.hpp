#pragma once
// The routing catalog: the config's models and routes resolved once into the facts the planner
// compares per request (effective capabilities, effective date window, contract terms, price
// history, weight, region), with every route numbered densely so per-route health is a plain
// array. Immutable after build, except for its contracts' commitment burn (routing/burn.hpp:
// atomics, read by the planner, replaced from the store by app/); shared by all workers.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "core/capability.hpp"
#include "core/cost.hpp"
#include "core/date.hpp"
#include "core/money.hpp"
#include "prices/price_book.hpp"

namespace tollbooth::routing {

using RouteId = std::uint32_t;  // dense: 0 .. Catalog::route_count() - 1

class BurnTable;

// Where prices come from (prices/price_book.hpp): each route's history, resolved once.
using prices::DatedPrice;
using prices::PriceBook;

// Which rule set a window's bound, so an explanation can name it.
enum class WindowBound : std::uint8_t { none, route, contract, license };

struct CatalogRoute {
  RouteId id = 0;
  std::uint32_t model = 0;  // index into Catalog::models()
  std::string label;        // provider name; "provider/upstream" when a model has it twice
  std::string provider;     // provider name
  std::string upstream_model;
  const ProviderConfig* provider_config = nullptr;
  const RouteConfig* route_config = nullptr;
  // What this route can serve; for a model that declares no capabilities, everything but
  // long_context (which only a declared capability grants) minus the route's lacks.
  CapabilitySet serves;
  CapabilitySet lacks;
  Days available_from = kNoStartDate;  // route ∩ contract window, inclusive
  WindowBound from_bound = WindowBound::none;
  Days until = kNoEndDate;  // route until ∩ contract until ∩ license_until, inclusive
  WindowBound until_bound = WindowBound::none;
  int contract = -1;  // index into Catalog::contracts(), -1 = none
  bool first_refusal = false;
  CapabilitySet declines;       // the contract's declined capabilities
  bool declines_model = false;  // the contract declines this route's model
  // List prices, oldest first, each in force from its day until the next one's (empty: never
  // priced); see price_at. The model id the price file knows the route by, for explanations.
  std::vector<DatedPrice> prices;
  std::string price_model;
  BasisPoints discount = 0;                      // the contract's, off every price of the route
  const CommitmentConfig* commitment = nullptr;  // the contract's; nullptr: none
  std::uint32_t weight = 1;
  std::string region;
  std::string residency;
  std::chrono::milliseconds first_byte_timeout{60'000};
};

struct CatalogModel {
  std::string name;
  std::uint32_t context_window = 0;  // 0 = not declared
  std::optional<CapabilitySet> capabilities;
  Strategy strategy = Strategy::ordered;
  RouteId first_route = 0;  // the model's routes are ids first_route .. first_route+count-1
  std::uint32_t route_count = 0;
};

struct CatalogContract {
  std::string name;
  const ContractConfig* config = nullptr;
};

class Catalog {
 public:
  // `config` must outlive the catalog (routes point into it).
  Catalog(const Config& config, const PriceBook& prices);
  ~Catalog();
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;

  // billing.unpriced: whether the planner keeps out a route with no price in force.
  Unpriced unpriced() const { return unpriced_; }

  const CatalogModel* find(std::string_view model) const;
  std::span<const CatalogModel> models() const { return models_; }
  std::span<const CatalogRoute> routes(const CatalogModel& model) const {
    return {routes_.data() + model.first_route, model.route_count};
  }
  const CatalogRoute& route(RouteId id) const { return routes_[id]; }
  std::size_t route_count() const { return routes_.size(); }
  std::span<const CatalogContract> contracts() const { return contracts_; }

  // Each contract's commitment burn, for strategy commitment_burn. Read-only through a const
  // catalog (the planner, the explanations); the owner of the catalog updates it through the
  // mutable one (BurnTable is a CommitmentBurnSink).
  const BurnTable& burn() const { return *burn_; }
  BurnTable& burn() { return *burn_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::vector<CatalogModel> models_;
  std::vector<CatalogRoute> routes_;
  std::vector<CatalogContract> contracts_;
  std::unique_ptr<BurnTable> burn_;
  Unpriced unpriced_ = Unpriced::refuse;
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> index_;
};

// The price of `route` in force on `day` (a UTC day), list prices before the discount;
// nullptr when the route has no price that day. The one lookup the request path makes.
const DatedPrice* price_at(const CatalogRoute& route, Days day) noexcept;

// Price after a discount in basis points, rounded half up to a whole micro-dollar.
Money discounted(Money price, BasisPoints discount) noexcept;
// Every class of `list` after the route's discount (a class priced as input stays so).
TokenPrices net_prices(const TokenPrices& list, BasisPoints discount) noexcept;

}  // namespace tollbooth::routing
