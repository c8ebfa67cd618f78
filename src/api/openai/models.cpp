#include "api/openai/models.hpp"

#include <boost/json.hpp>

#include "config/config.hpp"

// GET /v1/models and /v1/models/{id} (PROTOCOLS.md §3): the public model names of the config,
// never the upstream deployments behind them.

namespace tollbooth::openai {
namespace {

boost::json::object model_object(const ModelConfig& model, long long created_unix) {
  boost::json::object obj;
  obj.reserve(4);
  obj.emplace("id", model.name);
  obj.emplace("object", "model");
  obj.emplace("created", created_unix);
  obj.emplace("owned_by", model.owned_by);
  return obj;
}

}  // namespace

std::string models_list_body(const Config& config, long long created_unix,
                             const std::function<bool(std::string_view)>& allowed) {
  boost::json::array data;
  data.reserve(config.models.size());
  for (const ModelConfig& model : config.models) {
    if (allowed && !allowed(model.name)) continue;
    data.emplace_back(model_object(model, created_unix));
  }
  boost::json::object list;
  list.emplace("object", "list");
  list.emplace("data", std::move(data));
  return boost::json::serialize(list);
}

std::string model_body(const Config& config, std::string_view id, long long created_unix) {
  // A linear scan: the list is short, and this file then needs no config loader to link.
  for (const ModelConfig& model : config.models) {
    if (model.name == id) return boost::json::serialize(model_object(model, created_unix));
  }
  return {};
}

}  // namespace tollbooth::openai
