#pragma once
// The endpoints the gateway serves, each a function of the gateway and one request. I/O header:
// include only from gateway .cpp files.
#include <string_view>

#include "server/handler.hpp"

namespace tollbooth {
class ClientConn;
namespace gateway {
class Gateway;

// POST /v1/chat/completions (chat.cpp).
Awaitable<void> chat_completions(Gateway& g, ClientConn& c, const HttpRequest& req,
                                 std::string_view path);
// GET /v1/models and /v1/models/{id} (models.cpp).
Awaitable<void> models(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view path);

}  // namespace gateway
}  // namespace tollbooth
