#include "gateway/route_table.hpp"

#include <algorithm>
#include <stdexcept>

#include "config/config.hpp"
#include "routing/burn.hpp"
#include "upstream/pool.hpp"

namespace tollbooth {

namespace {

aws::AuthConfig auth_config(const AwsAuthConfig& c) {
  aws::AuthConfig a;
  a.access_key_id = c.access_key_id;
  a.secret_access_key = c.secret_access_key;
  a.session_token = c.session_token;
  a.bearer_token = c.bearer_token;
  a.profile = c.profile;
  a.credentials_file = c.credentials_file;
  return a;
}

}  // namespace

RouteTable::RouteTable(std::shared_ptr<const Config> config, const aws::Lookups* lookups)
    : config_(std::move(config)),
      prices_(*config_),
      catalog_(*config_, prices_),
      health_(std::make_unique<routing::Health>(catalog_.route_count(), config_->routing.breaker)) {
  std::unordered_map<std::string, std::shared_ptr<const UpstreamTarget>> targets;
  std::unordered_map<std::string, std::shared_ptr<const aws::Auth>> auths;
  aws::Lookups system;
  if (!lookups) {
    system = aws::system_lookups();
    lookups = &system;
  }
  for (const auto& [name, provider] : config_->providers) {
    targets.emplace(name, make_upstream_target(provider));
    if (provider.kind != ProviderKind::bedrock) continue;
    // Credentials are resolved once: a provider without usable ones stops the start-up rather
    // than failing every request later.
    auto auth = aws::resolve_auth(auth_config(provider.aws), *lookups);
    if (!auth) {
      const Error& e = auth.error();
      throw std::runtime_error("provider " + name + ": " + e.message +
                               (e.detail.empty() ? "" : " (" + e.detail + ")"));
    }
    credential_sources_.push_back(name + ": " + auth->source);
    auths.emplace(name, std::make_shared<const aws::Auth>(std::move(auth.value())));
  }
  for (const auto& model : config_->models) {
    ResolvedModel resolved{&model, catalog_.find(model.name), {}};
    for (const auto& route : model.routes) {
      const ProviderConfig* provider = config_->find_provider(route.provider);
      if (!provider) throw std::runtime_error("route names unknown provider " + route.provider);
      auto auth = auths.find(route.provider);
      const auto id =
          static_cast<routing::RouteId>(resolved.catalog->first_route + resolved.routes.size());
      resolved.routes.push_back(ResolvedRoute{id, provider, &route, targets.at(route.provider),
                                              auth == auths.end() ? nullptr : auth->second});
    }
    // The planner names routes by catalog id; the gateway maps them back by position.
    if (!resolved.catalog || resolved.catalog->route_count != resolved.routes.size())
      throw std::runtime_error("model " + model.name + ": routing catalog out of step");
    models_.emplace(model.name, std::move(resolved));
  }
}

CommitmentBurnSink& RouteTable::commitment_burn() {
  return catalog_.burn();
}

void RouteTable::carry_health_from(const RouteTable& previous) noexcept {
  for (const routing::CatalogModel& model : catalog_.models()) {
    const routing::CatalogModel* before = previous.catalog_.find(model.name);
    if (!before) continue;
    for (const routing::CatalogRoute& route : catalog_.routes(model))
      for (const routing::CatalogRoute& old : previous.catalog_.routes(*before))
        if (old.label == route.label) health_->carry(route.id, *previous.health_, old.id);
  }
}

std::vector<const UpstreamTarget*> RouteTable::targets() const {
  std::vector<const UpstreamTarget*> out;
  for (const auto& [name, model] : models_)
    for (const ResolvedRoute& r : model.routes)
      if (std::find(out.begin(), out.end(), r.target.get()) == out.end())
        out.push_back(r.target.get());
  return out;
}

const ResolvedRoute* RouteTable::any_route_of(std::string_view provider) const {
  for (const auto& [name, model] : models_)
    for (const ResolvedRoute& r : model.routes)
      if (r.provider->name == provider) return &r;
  return nullptr;
}

const ResolvedModel* RouteTable::find(std::string_view model) const {
  auto it = models_.find(model);
  return it == models_.end() ? nullptr : &it->second;
}

}  // namespace tollbooth
