#pragma once
// Dispatch of one HTTP request to its endpoint. I/O header.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/asio.hpp"

namespace tollbooth {

class ClientConn;
using HttpRequest = beast::http::request<beast::http::string_body>;

Awaitable<void> handle_request(ClientConn& c, const HttpRequest& req);
// POST /v1/chat/completions (gateway/chat.cpp).
Awaitable<void> handle_chat(ClientConn& c, const HttpRequest& req);

}  // namespace tollbooth
