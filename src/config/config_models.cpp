// The models section: public names, their routes in order, and each route checked against the
// provider it names (declared? azure routes name a deployment, openai routes a model, bedrock
// routes a model_id).
#include <fmt/format.h>

#include <algorithm>

#include "config/config_sections.hpp"

namespace tollbooth::config_detail {
namespace {

std::string declared_list(const Declared& declared) {
  if (declared.empty()) return "no providers are declared";
  std::vector<std::string_view> names;
  for (const auto& [name, kind] : declared) names.push_back(name);
  return "declared: " + join(names);
}

constexpr std::string_view kModelIdForm =
    "a Bedrock model id, inference profile id or ARN, like "
    "us.anthropic.claude-3-5-sonnet-20240620-v1:0";
constexpr std::size_t kMaxModelId = 2048;  // Bedrock's limit on modelId
constexpr std::uint64_t kMaxWeight = 1'000'000;
constexpr std::uint64_t kMaxContextWindow = 100'000'000;

void read_model_id(Reader& r, const Field& f, std::string& out) {
  std::string text;
  if (!r.text(f, text, kModelIdForm)) return;
  bool printable = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  });
  if (!printable || text.size() > kMaxModelId) {
    r.problem(f, fmt::format("{} is not a model id ({}); expected {}", quote_value(text),
                             printable ? "longer than 2048 characters" : "it contains spaces",
                             kModelIdForm));
    return;
  }
  out = std::move(text);
}

// The kind-specific half of a route: azure routes name a deployment (and may name the model it
// runs, for prices), openai routes a model, bedrock routes a model_id (and only they take the
// Bedrock translation settings).
void check_route_kind(Reader& r, const Field& f, const SeenKeys& seen, ProviderKind kind,
                      RouteConfig& route) {
  auto reject = [&](std::string_view key, std::string_view message) {
    if (auto it = seen.find(key); it != seen.end()) r.problem_at_key(it->second, message);
  };
  if (kind == ProviderKind::bedrock) {
    std::string is = fmt::format(
        "is not used with {} (kind: bedrock); name the Bedrock model "
        "with model_id:",
        route.provider);
    reject("model", is);
    reject("deployment", is);
    if (!seen.contains("model_id")) {
      r.missing(f, "model_id",
                fmt::format("{} ({} is kind: bedrock)", kModelIdForm, route.provider));
    }
    return;
  }
  std::string_view kind_name = kind == ProviderKind::azure ? "azure" : "openai";
  for (std::string_view key : {"model_id", "drop_unsupported", "fetch_images"}) {
    reject(key, fmt::format("is only for kind: bedrock providers ({} is kind: {}); {}",
                            route.provider, kind_name,
                            key == "model_id" ? (kind == ProviderKind::azure
                                                     ? "name the Azure deployment with deployment:"
                                                     : "name the upstream model with model:")
                                              : "remove it"));
  }
  auto deployment = seen.find("deployment");
  if (kind == ProviderKind::azure) {
    // `model:` is allowed: it names the model the deployment runs, for prices.
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

void read_weight(Reader& r, const Field& f, std::uint32_t& out) {
  std::uint64_t n = 0;
  if (r.count(f, 1, kMaxWeight, n)) out = static_cast<std::uint32_t>(n);
}

void read_timeout(Reader& r, const Field& f, std::optional<std::chrono::milliseconds>& out) {
  std::chrono::milliseconds value{};
  if (r.duration(f, value)) out = value;
}

const std::vector<std::string_view> kStrategies = {
    "ordered", "weighted", "least_cost", "least_latency", "commitment_burn"};  // Strategy order

// commitment_burn is accepted whether or not the model's routes have a commitment: without
// one, every route counts as on schedule and the order is the file's (docs/routing.md).
void read_strategy(Reader& r, const Field& f, Strategy& out) {
  std::size_t i = 0;
  if (r.choice(f, kStrategies, i)) out = static_cast<Strategy>(i);
}

void read_context_window(Reader& r, const Field& f, std::uint32_t& out) {
  std::uint64_t n = 0;
  if (r.count(f, 1, kMaxContextWindow, n)) out = static_cast<std::uint32_t>(n);
}

RouteConfig read_route(Reader& r, const Field& f, const std::string& model_name,
                       const Declared& declared) {
  RouteConfig route;
  route.line = f.mark.line + 1;
  std::string model = model_name;  // an openai route defaults to the public name
  std::string deployment;
  std::string model_id;
  auto seen = r.read_map(
      f, {
             {"provider",
              [&](const Field& v) { r.text(v, route.provider, "a provider declared above"); }},
             {"model", [&](const Field& v) { r.text(v, model, "an upstream model name"); }},
             {"deployment",
              [&](const Field& v) { r.text(v, deployment, "an Azure deployment name"); }},
             {"model_id", [&](const Field& v) { read_model_id(r, v, model_id); }},
             {"drop_unsupported", [&](const Field& v) { r.boolean(v, route.drop_unsupported); }},
             {"fetch_images", [&](const Field& v) { r.boolean(v, route.fetch_images); }},
             {"lacks", [&](const Field& v) { r.capabilities(v, route.lacks); }},
             {"weight", [&](const Field& v) { read_weight(r, v, route.weight); }},
             {"available_from", [&](const Field& v) { r.date(v, route.available_from); }},
             {"until", [&](const Field& v) { r.date(v, route.until); }},
             {"timeout", [&](const Field& v) { read_timeout(r, v, route.timeout); }},
         });
  if (!seen) return route;
  check_window(r, *seen, route.available_from, route.until);
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
  switch (*kind->second) {
    case ProviderKind::openai: route.upstream_model = std::move(model); break;
    case ProviderKind::azure:
      route.upstream_model = std::move(deployment);
      if (seen->contains("model")) route.deployed_model = std::move(model);
      break;
    case ProviderKind::bedrock: route.upstream_model = std::move(model_id); break;
  }
  return route;
}

ModelConfig read_model(Reader& r, const Field& f, const Declared& declared) {
  ModelConfig model;
  model.name = f.key;
  if (model.name.empty()) r.problem_at_key(f, "a model needs a non-empty name");
  auto routes = [&](const Field& v) {
    auto items = r.items(v, "a list of routes like - provider: openai");
    if (items.size() > kMaxRoutesPerModel) {
      r.problem(v, fmt::format("has {} routes; expected at most {} per model", items.size(),
                               kMaxRoutesPerModel));
    }
    for (const Field& item : items) {
      model.routes.push_back(read_route(r, item, model.name, declared));
    }
  };
  auto capabilities = [&](const Field& v) {
    CapabilitySet set;
    if (r.capabilities(v, set)) model.capabilities = set;
  };
  auto seen =
      r.read_map(f, {
                        {"owned_by", [&](const Field& v) { r.text(v, model.owned_by, "a label"); }},
                        {"context_window",
                         [&](const Field& v) { read_context_window(r, v, model.context_window); }},
                        {"capabilities", capabilities},
                        {"strategy", [&](const Field& v) { read_strategy(r, v, model.strategy); }},
                        {"routes", routes},
                    });
  if (seen && !seen->contains("routes")) {
    r.missing(f, "routes", "a list of routes like - provider: openai, tried in order");
  }
  return model;
}

}  // namespace

void check_window(Reader& r, const SeenKeys& seen, Days from, Days until) {
  auto until_field = seen.find("until");
  if (until_field == seen.end() || !seen.contains("available_from") || until >= from) return;
  r.problem(until_field->second,
            fmt::format("{} is before available_from {}; expected a date on or after it",
                        format_date(until), format_date(from)));
}

void read_models(Reader& r, const Field& f, Config& config, const Declared& declared) {
  for (const Field& entry : r.entries(f)) config.models.push_back(read_model(r, entry, declared));
  if (config.models.empty() && (f.node.IsNull() || f.node.IsMap())) {
    r.problem(f, "no models; expected at least one, like gpt-4o: {routes: [{provider: openai}]}");
  }
}

}  // namespace tollbooth::config_detail
