#include "providers/upstream_request.hpp"

#include <charconv>

#include "config/config.hpp"
#include "core/endpoint.hpp"
#include "providers/openai_azure.hpp"
#include "providers/openai_openai.hpp"

namespace tollbooth {

void build_chat_request(const ProviderConfig& provider, const Endpoint& endpoint,
                        const RouteConfig& route, std::string_view client_body,
                        const openai::ChatInspection& facts, UpstreamRequest& out) {
  switch (provider.kind) {
    case ProviderKind::openai:
      return build_openai_chat(provider, endpoint, route, client_body, facts, out);
    case ProviderKind::azure:
      return build_azure_chat(provider, endpoint, route, client_body, facts, out);
    case ProviderKind::bedrock: break;  // translated path, see gateway/chat.cpp
  }
}

namespace detail {

void build_openai_wire(const Endpoint& endpoint, std::string_view path_base,
                       std::string_view path_rest, std::string_view upstream_model,
                       std::string_view auth_name, std::string_view auth_scheme,
                       std::string_view auth_value, std::string_view client_body,
                       const openai::ChatInspection& facts, UpstreamRequest& out) {
  // Streams always ask the upstream for usage so every streamed token is metered; the relay
  // removes that chunk again for clients that did not ask for it.
  bool force_usage = facts.stream && !facts.include_usage;
  if (upstream_model != facts.model || force_usage) {
    out.spliced = openai::splice_chat_request(client_body, facts, upstream_model, force_usage);
    out.body = out.spliced;
  } else {
    out.body = client_body;
  }
  char len[24];
  auto [len_end, ec] = std::to_chars(len, len + sizeof len, out.body.size());
  auto& h = out.head;
  h.clear();
  h.append("POST ").append(path_base).append(path_rest).append(" HTTP/1.1\r\nHost: ");
  h.append(endpoint.host_header);
  h.append("\r\nContent-Type: application/json\r\nContent-Length: ").append(len, len_end);
  if (!auth_value.empty()) {
    h.append("\r\n").append(auth_name).append(": ").append(auth_scheme).append(auth_value);
  }
  h.append(facts.stream ? "\r\nAccept: text/event-stream" : "\r\nAccept: application/json");
  h.append("\r\nUser-Agent: tollbooth/" TOLLBOOTH_VERSION "\r\n\r\n");
}

}  // namespace detail
}  // namespace tollbooth
