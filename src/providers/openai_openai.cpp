#include "providers/openai_openai.hpp"

#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tollbooth {

void build_openai_chat(const ProviderConfig& provider, const Endpoint& endpoint,
                       const RouteConfig& route, std::string_view client_body,
                       const openai::ChatInspection& facts, UpstreamRequest& out) {
  std::string path = endpoint.base_path + "/chat/completions";
  // Local servers (vLLM, Ollama) need no key: then no Authorization header at all.
  std::string bearer = provider.api_key.empty() ? std::string() : "Bearer " + provider.api_key;
  std::string_view model = route.upstream_model.empty() ? std::string_view(facts.model)
                                                        : std::string_view(route.upstream_model);
  detail::build_openai_wire(endpoint, path, model, "Authorization", bearer, client_body, facts,
                            out);
}

}  // namespace tollbooth
