#pragma once
// The config's models resolved once at start-up: each public model name to its ordered routes,
// with the provider and the upstream connection target already looked up, so a request costs
// one hash lookup; with the routing catalog (capabilities, contracts, prices) and the routes'
// shared health, which the planner reads per request.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aws/credentials.hpp"
#include "core/commitment_burn.hpp"
#include "routing/catalog.hpp"
#include "routing/health.hpp"

namespace tollbooth {

struct Config;
struct ModelConfig;
struct ProviderConfig;
struct RouteConfig;
struct UpstreamTarget;

struct ResolvedRoute {
  routing::RouteId id = 0;  // in the routing catalog
  const ProviderConfig* provider = nullptr;
  const RouteConfig* route = nullptr;
  std::shared_ptr<const UpstreamTarget> target;
  std::shared_ptr<const aws::Auth> aws_auth;  // bedrock: credentials resolved at start-up
};

struct ResolvedModel {
  const ModelConfig* model = nullptr;
  const routing::CatalogModel* catalog = nullptr;  // its routing facts
  // In config order: routes[i] is catalog route catalog->first_route + i.
  std::vector<ResolvedRoute> routes;

  const ResolvedRoute& route(routing::RouteId id) const {
    return routes[id - catalog->first_route];
  }
};

class RouteTable {
 public:
  // Throws std::runtime_error when a provider's URL or CA file is unusable, when a bedrock
  // provider has no usable credentials (the message names the provider and the sources tried,
  // never a secret), or when the price file (billing.price_catalog) cannot be read or has
  // problems (ConfigError). `lookups` defaults to the process environment and file system.
  explicit RouteTable(std::shared_ptr<const Config> config, const aws::Lookups* lookups = nullptr);
  const ResolvedModel* find(std::string_view model) const;
  // A route of the provider named `provider` (its connection target and config), or null when
  // no model has one: what reaches that provider outside a model's plan (deleting a response
  // it keeps).
  const ResolvedRoute* any_route_of(std::string_view provider) const;
  const Config& config() const { return *config_; }
  const routing::Catalog& catalog() const { return catalog_; }
  // Breakers and latency of every route, shared by all workers (thread-safe).
  routing::Health& health() const { return *health_; }
  // Where the store's commitment burn goes (strategy commitment_burn): the composition root
  // fills it from the ledger; the planner reads it through catalog(). Thread-safe.
  CommitmentBurnSink& commitment_burn();
  // A reload: each route that `previous` has too (the same model and route label) takes over
  // its breaker and latency.
  void carry_health_from(const RouteTable& previous) noexcept;
  // Every upstream connection target of the table's routes (each once).
  std::vector<const UpstreamTarget*> targets() const;
  // "bedrock-us: <where its credentials came from>" per bedrock provider, for the start-up log.
  const std::vector<std::string>& credential_sources() const { return credential_sources_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::shared_ptr<const Config> config_;
  routing::PriceBook prices_;
  routing::Catalog catalog_;
  std::unique_ptr<routing::Health> health_;
  std::vector<std::string> credential_sources_;
  std::unordered_map<std::string, ResolvedModel, Hash, std::equal_to<>> models_;
};

}  // namespace tollbooth
