#include "gateway/route_table.hpp"

#include <stdexcept>

#include "config/config.hpp"
#include "upstream/pool.hpp"

namespace tollbooth {

RouteTable::RouteTable(std::shared_ptr<const Config> config) : config_(std::move(config)) {
  std::unordered_map<std::string, std::shared_ptr<const UpstreamTarget>> targets;
  for (const auto& [name, provider] : config_->providers)
    targets.emplace(name, make_upstream_target(provider));
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
