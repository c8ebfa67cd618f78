#pragma once
// OpenAI Chat Completions front → Azure OpenAI (PROTOCOLS.md §4). Two URL forms:
//   deployments: {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=V
//   v1:          {endpoint}/openai/v1/chat/completions   (model = deployment name)
// Auth is the `api-key` header. The body is the client's, with `model` set to the deployment.
#include "providers/upstream_request.hpp"

namespace tollbooth {

void build_azure_chat(const ProviderConfig& provider, const Endpoint& endpoint,
                      const RouteConfig& route, std::string_view client_body,
                      const openai::ChatInspection& facts, UpstreamRequest& out);

}  // namespace tollbooth
