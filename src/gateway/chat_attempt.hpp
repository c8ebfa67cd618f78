#pragma once
// One attempt of a chat request on one route, shared by the flow (chat.cpp), the passthrough
// attempt (chat_openai.cpp) and the translated Bedrock attempt (chat_bedrock.cpp). I/O header:
// include only from gateway .cpp files.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/openai/chat_request.hpp"
#include "core/error.hpp"
#include "server/asio.hpp"
#include "upstream/pool.hpp"

namespace tollbooth {

class ClientConn;
struct ResolvedRoute;
struct UpstreamRequest;
struct Worker;

namespace gateway {

// How one attempt ended.
enum class Outcome {
  served,          // the client has its answer (success, or the upstream's 4xx passed through)
  failed,          // nothing reached the client: the next route may try
  failed_in_band,  // failed after the stream started: reported in-band, no fallback
};

struct Attempt {
  Outcome outcome = Outcome::failed;
  Error error;               // when failed
  int upstream_status = 0;   // when the upstream answered
  std::string retry_after;   // the upstream's Retry-After, when it sent one
  std::int64_t ttfb_us = 0;  // request sent → response head, when the upstream answered
};

// An attempt that gave the client its answer (upstream `status`), with the time to the
// upstream's response head when known.
inline Attempt served(int status, std::int64_t ttfb_us = 0) {
  Attempt a{Outcome::served, {}, status, {}};
  a.ttfb_us = ttfb_us;
  return a;
}

// A failed attempt the next route may retry.
Attempt fail(ErrorKind kind, std::string message, std::string detail = {});

// "x-tollbooth-route: name\r\n" plus the upstream's request id when it sent one.
// Written into the connection's scratch buffer: valid until the next call on this connection.
std::string_view route_header(ClientConn& c, const ResolvedRoute& r,
                              std::string_view upstream_request_id);

// The upstream's own request id (x-request-id, apim-request-id, x-amzn-RequestId), for support.
std::string_view upstream_request_id(const http::response<http::string_body>& res);

// Sends the request and reads the response head. A reused keep-alive connection that the
// upstream closed meanwhile fails at once; that is retried once on a fresh connection.
// On success `conn` holds the connection with the head parsed.
Awaitable<Attempt> exchange_head(Worker& w, const UpstreamTarget& t, const UpstreamRequest& ureq,
                                 std::unique_ptr<UpstreamConn>& conn,
                                 std::chrono::milliseconds first_byte_timeout);
// Reads the rest of the body under the idle timeout; false when it broke off.
Awaitable<bool> read_body(UpstreamConn& conn, const UpstreamTarget& t);
// Pools the connection when its exchange ended cleanly, closes it otherwise.
void give_back(Worker& w, const UpstreamTarget& t, std::unique_ptr<UpstreamConn> conn);

// One attempt of the request on route `r` (chat_openai.cpp): dispatches on the provider kind;
// OpenAI-wire providers forward the client's bytes, writing the upstream head into `ureq`.
// `first_byte_timeout` is this attempt's (the route's, cut to the request's deadline).
Awaitable<Attempt> try_route(ClientConn& c, const ResolvedRoute& r, std::string_view body,
                             const openai::ChatInspection& facts, UpstreamRequest& ureq,
                             std::chrono::milliseconds first_byte_timeout);

// The Bedrock route: translate, sign, send, translate the answer back (chat_bedrock.cpp).
Awaitable<Attempt> try_bedrock(ClientConn& c, const ResolvedRoute& r, std::string_view body,
                               const openai::ChatInspection& facts,
                               std::chrono::milliseconds first_byte_timeout);

}  // namespace gateway
}  // namespace tollbooth
