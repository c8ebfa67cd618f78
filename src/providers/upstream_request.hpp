#pragma once
// What a provider adapter produces for one attempt: the request head and the body to send.
// Adapters are pure: config + client bytes in, bytes out (no I/O), so they are tested exactly.
#include <string>
#include <string_view>

#include "api/openai/chat_request.hpp"

namespace tollbooth {

struct Endpoint;
struct ProviderConfig;
struct RouteConfig;

struct UpstreamRequest {
  std::string head;       // request line, headers and the blank line
  std::string spliced;    // the body when it had to change
  std::string_view body;  // what goes on the wire: `spliced` or the client's own bytes
};

// Dispatches on provider.kind to the adapter of that (OpenAI front → provider) pair.
void build_chat_request(const ProviderConfig& provider, const Endpoint& endpoint,
                        const RouteConfig& route, std::string_view client_body,
                        const openai::ChatInspection& facts, UpstreamRequest& out);

namespace detail {
// Shared by the OpenAI-wire adapters: splice model/include_usage only when needed, then write
// the head for the target `path_base` + `path_rest`, with the auth header `auth_name:
// auth_scheme auth_value` (left out when the value is empty). The pieces are written as they
// come, so an adapter builds no string of its own per request.
void build_openai_wire(const Endpoint& endpoint, std::string_view path_base,
                       std::string_view path_rest, std::string_view upstream_model,
                       std::string_view auth_name, std::string_view auth_scheme,
                       std::string_view auth_value, std::string_view client_body,
                       const openai::ChatInspection& facts, UpstreamRequest& out);
}  // namespace detail

}  // namespace tollbooth
