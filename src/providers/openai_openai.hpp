#pragma once
// OpenAI Chat Completions front → any OpenAI-compatible upstream (OpenAI, vLLM, Ollama, ...).
// Same wire on both sides: the client's body is forwarded, only `model` and
// `stream_options.include_usage` are spliced; auth becomes the provider's bearer key.
#include "providers/upstream_request.hpp"

namespace tollbooth {

void build_openai_chat(const ProviderConfig& provider, const Endpoint& endpoint,
                       const RouteConfig& route, std::string_view client_body,
                       const openai::ChatInspection& facts, UpstreamRequest& out);

}  // namespace tollbooth
