#include "providers/openai_openai.hpp"

#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tollbooth {

void build_openai_chat(const ProviderConfig& provider, const Endpoint& endpoint,
                       const RouteConfig& route, std::string_view client_body,
                       const openai::ChatInspection& facts, UpstreamRequest& out) {
  // Local servers (vLLM, Ollama) need no key: then no Authorization header at all.
  std::string_view model = route.upstream_model.empty() ? std::string_view(facts.model)
                                                        : std::string_view(route.upstream_model);
  detail::build_openai_wire(endpoint, endpoint.base_path, "/chat/completions", model,
                            "Authorization", "Bearer ", provider.api_key, client_body, facts, out);
}

}  // namespace tollbooth
