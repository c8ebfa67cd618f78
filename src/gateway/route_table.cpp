#include "gateway/route_table.hpp"

#include <stdexcept>

#include "config/config.hpp"
#include "upstream/pool.hpp"

namespace tollbooth {

RouteTable::RouteTable(std::shared_ptr<const Config> config) : config_(std::move(config)) {
  std::unordered_map<std::string, std::shared_ptr<const UpstreamTarget>> targets;
  for (const auto& [name, provider] : config_->providers) {
    // The Bedrock pieces (SigV4, event-stream, translation) exist but the request path does not
    // call them yet; refusing here beats accepting a config whose routes would all fail.
    if (provider.kind == ProviderKind::bedrock)
      throw std::runtime_error("provider " + name +
                               ": kind bedrock is not served by this version yet (the config is "
                               "valid; the Bedrock route joins when the gateway wiring lands)");
    targets.emplace(name, make_upstream_target(provider));
  }
  for (const auto& model : config_->models) {
    ResolvedModel resolved{&model, {}};
    for (const auto& route : model.routes) {
      const ProviderConfig* provider = config_->find_provider(route.provider);
      if (!provider) throw std::runtime_error("route names unknown provider " + route.provider);
      resolved.routes.push_back(ResolvedRoute{provider, &route, targets.at(route.provider)});
    }
    models_.emplace(model.name, std::move(resolved));
  }
}

const ResolvedModel* RouteTable::find(std::string_view model) const {
  auto it = models_.find(model);
  return it == models_.end() ? nullptr : &it->second;
}

}  // namespace tollbooth
