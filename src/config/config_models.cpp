// The models section: public names, their routes in order, and each route checked against the
// provider it names (declared? azure routes name a deployment, openai routes a model).
#include <fmt/format.h>

#include "config/config_sections.hpp"

namespace tollbooth::config_detail {
namespace {

std::string declared_list(const Declared& declared) {
  if (declared.empty()) return "no providers are declared";
  std::vector<std::string_view> names;
  for (const auto& [name, kind] : declared) names.push_back(name);
  return "declared: " + join(names);
}

// The kind-specific half of a route: azure routes name a deployment, openai routes a model.
void check_route_kind(Reader& r, const Field& f, const SeenKeys& seen, ProviderKind kind,
                      RouteConfig& route) {
  auto model = seen.find("model");
  auto deployment = seen.find("deployment");
  if (kind == ProviderKind::azure) {
    if (model != seen.end()) {
      r.problem_at_key(model->second, fmt::format("is not used with {} (kind: azure); name the "
                                                  "Azure deployment with deployment:",
                                                  route.provider));
    }
    if (deployment == seen.end()) {
      r.missing(f, "deployment",
                fmt::format("the Azure deployment name ({} is kind: azure)", route.provider));
    }
  } else if (deployment != seen.end()) {
    r.problem_at_key(deployment->second,
                     fmt::format("is only for kind: azure providers ({} is kind: openai); name "
                                 "the upstream model with model:",
                                 route.provider));
  }
}

RouteConfig read_route(Reader& r, const Field& f, const std::string& model_name,
                       const Declared& declared) {
  RouteConfig route;
  route.line = f.mark.line + 1;
  std::string model = model_name;  // an openai route defaults to the public name
  std::string deployment;
  auto seen = r.read_map(
      f, {
             {"provider",
              [&](const Field& v) { r.text(v, route.provider, "a provider declared above"); }},
             {"model", [&](const Field& v) { r.text(v, model, "an upstream model name"); }},
             {"deployment",
              [&](const Field& v) { r.text(v, deployment, "an Azure deployment name"); }},
         });
  if (!seen) return route;
  auto provider = seen->find("provider");
  if (provider == seen->end()) {
    r.missing(f, "provider", fmt::format("the name of a provider ({})", declared_list(declared)));
    return route;
  }
  auto kind = declared.find(route.provider);
  if (kind == declared.end()) {
    if (route.provider.empty()) return route;  // already reported as missing
    r.problem(provider->second, fmt::format("{} is not a declared provider ({})",
                                            quote_value(route.provider), declared_list(declared)));
    return route;
  }
  if (!kind->second) return route;  // its kind: was wrong and is reported there
  check_route_kind(r, f, *seen, *kind->second, route);
  route.upstream_model = *kind->second == ProviderKind::azure ? deployment : model;
  return route;
}

ModelConfig read_model(Reader& r, const Field& f, const Declared& declared) {
  ModelConfig model;
  model.name = f.key;
  if (model.name.empty()) r.problem_at_key(f, "a model needs a non-empty name");
  auto routes = [&](const Field& v) {
    for (const Field& item : r.items(v, "a list of routes like - provider: openai")) {
      model.routes.push_back(read_route(r, item, model.name, declared));
    }
  };
  auto seen =
      r.read_map(f, {
                        {"owned_by", [&](const Field& v) { r.text(v, model.owned_by, "a label"); }},
                        {"routes", routes},
                    });
  if (seen && !seen->contains("routes")) {
    r.missing(f, "routes", "a list of routes like - provider: openai, tried in order");
  }
  return model;
}

}  // namespace

void read_models(Reader& r, const Field& f, Config& config, const Declared& declared) {
  for (const Field& entry : r.entries(f)) config.models.push_back(read_model(r, entry, declared));
  if (config.models.empty() && (f.node.IsNull() || f.node.IsMap())) {
    r.problem(f, "no models; expected at least one, like gpt-4o: {routes: [{provider: openai}]}");
  }
}

}  // namespace tollbooth::config_detail
