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
#include "core/buffer_budget.hpp"
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
  failed,          // nothing reached the client and no upstream began an answer: the next route may
                   // try (counted as an upstream failure when error.retryable)
  failed_final,    // the upstream began a 2xx answer and then failed (stalled, broke off, too
                   // large): a POST is never sent again; the client gets `error` now
  failed_in_band,  // failed after the stream started: reported in-band, no fallback
  aborted,         // the client went away, or the drain cut the request; nothing more to do
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
// The upstream began answering and failed: final, never re-sent.
Attempt fail_final(ErrorKind kind, std::string message, std::string detail = {});
// The client went away or the gateway is cutting the request.
Attempt aborted();

// The upstream connection a request waits on, for InterruptHook: an abort (the client left,
// the drain cut) cancels the wait. `conn` changes as the attempt connects and exchanges.
struct UpstreamWait {
  UpstreamConn* conn = nullptr;
  void cancel() {
    if (conn) conn->cancel();
  }
};

// "x-tollbooth-route: name\r\n" plus the upstream's request id when it sent one.
// Written into the connection's scratch buffer: valid until the next call on this connection.
std::string_view route_header(ClientConn& c, const ResolvedRoute& r,
                              std::string_view upstream_request_id);

// The upstream's own request id (x-request-id, apim-request-id, x-amzn-RequestId), for support.
std::string_view upstream_request_id(const http::response<http::string_body>& res);

// Sends the request and reads the response head. A reused keep-alive connection that the
// upstream closed meanwhile fails at once; that is retried once on a fresh connection. The
// wait ends early when the client goes away (Outcome::aborted).
// On success `conn` holds the connection with the head parsed.
Awaitable<Attempt> exchange_head(ClientConn& c, const UpstreamTarget& t,
                                 const UpstreamRequest& ureq, std::unique_ptr<UpstreamConn>& conn,
                                 std::chrono::milliseconds first_byte_timeout);

// Reads the rest of a non-streamed answer under the idle timeout: at most
// server.max_response_bytes, held in `charge` from the process-wide server.max_buffered_bytes.
// Served when the whole body is in; failed_final (502 too large or broken, 503 over the
// buffer budget, 504 stalled) or aborted otherwise.
// `limit` replaces max_response_bytes when given (image downloads).
Awaitable<Attempt> read_body(ClientConn& c, UpstreamConn& conn, const UpstreamTarget& t,
                             BufferCharge& charge, std::size_t limit = 0);
// Pools the connection when its exchange ended exactly at the end of its answer, closes it
// otherwise.
void give_back(Worker& w, const UpstreamTarget& t, std::unique_ptr<UpstreamConn> conn);

// The failure of a stream read `ec` (after the head): a stall past idle_timeout or a break.
Error stream_read_error(const beast::error_code& ec);
// An upstream stream event larger than server.max_stream_event_bytes.
Error event_too_large(std::size_t limit);
// What the client is told when the drain cuts its request.
Error shutdown_error();
// The attempt was aborted while relaying: the upstream connection is closed (its answer is
// unfinished), and when the drain cut a stream already under way, it ends with an in-band
// error event the client can see.
Awaitable<Attempt> stop_aborted(ClientConn& c, std::unique_ptr<UpstreamConn> conn);

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
