// One attempt on one route: the dispatch by provider kind, the pieces every attempt shares (the
// head exchange, the body read, giving the connection back), and the OpenAI-wire attempt
// (OpenAI, Azure, any compatible server): the client's bytes forwarded with only the model and
// include_usage spliced, the answer relayed as it comes. Bedrock's translated attempt is in
// chat_bedrock.cpp; the flow that plans and retries is in chat.cpp.
#include <boost/beast/http/error.hpp>

#include "api/openai/chat_request.hpp"
#include "api/openai/chat_response.hpp"
#include "api/openai/errors.hpp"
#include "api/openai/sse.hpp"
#include "config/config.hpp"
#include "gateway/chat_attempt.hpp"
#include "gateway/route_table.hpp"
#include "providers/upstream_request.hpp"
#include "server/client_conn.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

namespace http = beast::http;

Attempt fail(ErrorKind kind, std::string message, std::string detail) {
  Attempt a;
  a.error = make_error(kind, std::move(message));
  a.error.detail = std::move(detail);
  a.error.retryable = true;
  return a;
}

Attempt fail_final(ErrorKind kind, std::string message, std::string detail) {
  Attempt a = fail(kind, std::move(message), std::move(detail));
  a.outcome = Outcome::failed_final;
  a.error.retryable = false;
  return a;
}

Attempt aborted() {
  Attempt a;
  a.outcome = Outcome::aborted;
  return a;
}

Error stream_read_error(const beast::error_code& ec) {
  const bool timeout = ec == beast::error::timeout;
  Error e = make_error(
      timeout ? ErrorKind::gateway_timeout : ErrorKind::bad_gateway,
      timeout ? "the upstream stream stalled past idle_timeout" : "the upstream stream broke off");
  e.detail = ec.message();
  return e;
}

Error event_too_large(std::size_t limit) {
  return make_error(ErrorKind::bad_gateway,
                    "an event of the upstream stream is larger than "
                    "server.max_stream_event_bytes (" +
                        std::to_string(limit) + " bytes)");
}

Error shutdown_error() {
  return make_error(ErrorKind::unavailable,
                    "the gateway is shutting down and cut this request at its drain_timeout; "
                    "retry it",
                    {}, "gateway_shutdown");
}

Awaitable<Attempt> stop_aborted(ClientConn& c, std::unique_ptr<UpstreamConn> conn) {
  if (conn) conn->close();
  if (c.aborted() == Abort::shutdown && c.head_sent)
    co_await c.end_stream(openai::error_event(shutdown_error()));
  co_return aborted();
}

std::string_view route_header(ClientConn& c, const ResolvedRoute& r,
                              std::string_view upstream_request_id) {
  std::string& h = c.scratch;  // reused across the connection's requests: no allocation
  h.assign("x-tollbooth-route: ").append(r.provider->name).append("\r\n");
  if (!upstream_request_id.empty())
    h.append("x-upstream-request-id: ").append(upstream_request_id).append("\r\n");
  return h;
}

std::string_view upstream_request_id(const http::response<http::string_body>& res) {
  if (auto it = res.find("x-request-id"); it != res.end()) return it->value();
  if (auto it = res.find("apim-request-id"); it != res.end()) return it->value();
  if (auto it = res.find("x-amzn-requestid"); it != res.end()) return it->value();
  return {};
}

namespace {

// The connection ended before any byte of an answer: the upstream never began answering, so
// another route (or a fresh connection) may take the request.
bool closed_before_answer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_refused || ec == asio::error::connection_aborted;
}

}  // namespace

Awaitable<Attempt> exchange_head(ClientConn& c, const UpstreamTarget& t,
                                 const UpstreamRequest& ureq, std::unique_ptr<UpstreamConn>& conn,
                                 std::chrono::milliseconds first_byte_timeout) {
  Worker& w = c.worker;
  const auto started = std::chrono::steady_clock::now();
  UpstreamWait wait;
  InterruptHook hook(c, wait);
  for (bool fresh = false;; fresh = true) {
    if (c.aborted() != Abort::none) co_return aborted();
    auto acquired = co_await w.pool.acquire(t, fresh, &wait.conn);
    if (c.aborted() != Abort::none) co_return aborted();  // the connection, if any, closes
    if (!acquired) co_return Attempt{Outcome::failed, std::move(acquired).error(), 0, {}};
    conn = std::move(acquired.value());
    wait.conn = conn.get();
    conn->reset_parser();
    conn->expires_after(first_byte_timeout);
    auto ec = co_await conn->write(ureq.head, ureq.body);
    if (!ec) ec = co_await conn->read_header();
    if (c.aborted() != Abort::none) {
      wait.conn = nullptr;
      conn.reset();  // closes it: the upstream's answer, if any, is unread
      co_return aborted();
    }
    if (!ec) {
      Attempt a{Outcome::served, {}, static_cast<int>(conn->parser().get().result_int()), {}};
      a.ttfb_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
      co_return a;
    }
    wait.conn = nullptr;
    const bool before_answer = closed_before_answer(ec);
    // A pooled connection the upstream closed while it sat idle: the request never reached it.
    const bool stale = conn->reused() && !fresh && before_answer;
    conn->close();
    conn.reset();
    if (stale) continue;
    if (ec == beast::error::timeout)
      co_return fail(ErrorKind::gateway_timeout, "no response within first_byte_timeout",
                     ec.message());
    if (before_answer) co_return fail(ErrorKind::bad_gateway, "connection failed", ec.message());
    // Bytes came back, but not an HTTP answer: the upstream may have acted on the request, so
    // it is not sent again.
    co_return fail_final(ErrorKind::bad_gateway, "the upstream's answer was not valid HTTP",
                         ec.message());
  }
}

Awaitable<Attempt> read_body(ClientConn& c, UpstreamConn& conn, const UpstreamTarget& t,
                             BufferCharge& charge, std::size_t limit) {
  auto& p = conn.parser();
  if (limit == 0) limit = c.worker.config.server.max_response_bytes;
  auto too_large = [&] {
    return fail_final(ErrorKind::bad_gateway,
                      "the upstream's answer is larger than server.max_response_bytes (" +
                          std::to_string(limit) + " bytes)");
  };
  auto over_budget = [&] {
    Attempt a = fail_final(ErrorKind::unavailable,
                           "the gateway holds too many answer bytes right now "
                           "(server.max_buffered_bytes); retry shortly");
    a.error.code = "buffer_limit";
    a.retry_after = "1";
    return a;
  };
  // With a Content-Length the parser reserves the whole body at once: judge it first.
  if (auto len = p.content_length()) {
    if (*len > limit) co_return too_large();
    if (!charge.hold(*len)) co_return over_budget();
  }
  p.body_limit(limit);  // chunked or read-to-close bodies: the parser counts
  UpstreamWait wait{&conn};
  InterruptHook hook(c, wait);
  while (!p.is_done()) {
    conn.expires_after(t.idle_timeout);
    auto ec = co_await conn.read_some();
    if (c.aborted() != Abort::none) co_return aborted();
    if (ec == http::error::body_limit) co_return too_large();
    if (ec == beast::error::timeout)
      co_return fail_final(ErrorKind::gateway_timeout,
                           "the upstream stalled in the middle of its answer (idle_timeout)",
                           ec.message());
    if (ec)
      co_return fail_final(ErrorKind::bad_gateway, "the upstream broke off its answer",
                           ec.message());
    if (!charge.hold(p.get().body().size())) co_return over_budget();
  }
  co_return served(static_cast<int>(p.get().result_int()));
}

void give_back(Worker& w, const UpstreamTarget& t, std::unique_ptr<UpstreamConn> conn) {
  w.pool.release(t, std::move(conn));
}

namespace {
Awaitable<Attempt> relay_stream(ClientConn& c, const ResolvedRoute& r,
                                const openai::ChatInspection& facts,
                                std::unique_ptr<UpstreamConn> conn);
}  // namespace

Awaitable<Attempt> try_route(ClientConn& c, const ResolvedRoute& r, std::string_view body,
                             const openai::ChatInspection& facts, UpstreamRequest& ureq,
                             std::chrono::milliseconds first_byte_timeout) {
  if (r.provider->kind == ProviderKind::bedrock)
    co_return co_await try_bedrock(c, r, body, facts, first_byte_timeout);
  Worker& w = c.worker;
  const UpstreamTarget& t = *r.target;
  build_chat_request(*r.provider, t.endpoint, *r.route, body, facts, ureq);
  std::unique_ptr<UpstreamConn> conn;
  Attempt head = co_await exchange_head(c, t, ureq, conn, first_byte_timeout);
  if (!conn) co_return head;
  auto& res = conn->parser().get();
  const int status = head.upstream_status;
  BufferCharge charge(w.buffers);
  if (status == 429 || status >= 500 || status == 401 || status == 403) {
    Attempt a;
    if (status == 401 || status == 403) {
      // The cloud refused the gateway's own credentials (the client's never reach it): a
      // configuration fault of this route, not the client's, and the next route may serve. The
      // cloud's body is dropped: OpenAI's echoes part of the key.
      a = fail(ErrorKind::bad_gateway,
               "HTTP " + std::to_string(status) + ": the cloud refused the gateway's credentials");
    } else {
      a = fail(status == 429 ? ErrorKind::rate_limited : ErrorKind::bad_gateway,
               "HTTP " + std::to_string(status));
      if (auto it = res.find(http::field::retry_after); it != res.end())
        a.retry_after = std::string(it->value());
    }
    a.upstream_status = status;
    // The refusal's body is read only to keep the connection; if that fails it is closed.
    Attempt drained = co_await read_body(c, *conn, t, charge);
    if (drained.outcome == Outcome::aborted) co_return drained;
    if (drained.outcome == Outcome::served) give_back(w, t, std::move(conn));
    co_return a;
  }
  const bool event_stream = res[http::field::content_type].starts_with("text/event-stream");
  if (status == 200 && facts.stream && event_stream) {
    Attempt a = co_await relay_stream(c, r, facts, std::move(conn));
    a.ttfb_us = head.ttfb_us;
    co_return a;
  }
  Attempt whole = co_await read_body(c, *conn, t, charge);
  if (whole.outcome != Outcome::served) co_return whole;
  // A 4xx is the client's own fault (bad parameter, content filter): passed through as is.
  if (status == 200)
    if (auto u = openai::usage_from_completion(res.body())) c.record.usage = *u;
  c.record.route = r.provider->name;
  auto ct = res[http::field::content_type];
  co_await c.respond(status, ct.empty() ? "application/json" : ct, res.body(),
                     route_header(c, r, upstream_request_id(res)));
  give_back(w, t, std::move(conn));
  co_return served(status, head.ttfb_us);
}

namespace {

// Relays SSE events as they arrive, one HTTP chunk per upstream read. The head goes out with the
// first relayable event. The upstream has begun answering, so a failure is never retried: before
// the first event it is an HTTP error, after it an in-band error event. One event may not grow
// past server.max_stream_event_bytes; the stream as a whole has no limit.
Awaitable<Attempt> relay_stream(ClientConn& c, const ResolvedRoute& r,
                                const openai::ChatInspection& facts,
                                std::unique_ptr<UpstreamConn> conn) {
  const UpstreamTarget& t = *r.target;
  const std::size_t max_event = c.worker.config.server.max_stream_event_bytes;
  auto& res = conn->parser().get();
  openai::SseParser sse;
  std::string out;
  std::string_view headers = route_header(c, r, upstream_request_id(res));
  UpstreamWait wait{conn.get()};
  InterruptHook hook(c, wait);
  for (;;) {
    conn->expires_after(t.idle_timeout);
    auto ec = co_await conn->read_some();
    if (c.aborted() != Abort::none) co_return co_await stop_aborted(c, std::move(conn));
    auto& body = res.body();
    out.clear();
    for (const auto& ev : sse.feed(body)) {
      if (!ev.data.empty()) {
        auto info = openai::classify_chunk(ev.data);
        if (info.usage) c.record.usage = *info.usage;
        if (info.kind == openai::ChunkKind::azure_prelude) continue;
        if (info.kind == openai::ChunkKind::usage_only && !facts.include_usage) continue;
      }
      out.append(ev.raw);
    }
    body.clear();
    std::optional<Error> failure;
    if (sse.pending_bytes() > max_event)
      failure = event_too_large(max_event);
    else if (ec)
      failure = stream_read_error(ec);
    if (!out.empty()) {
      bool ok = c.head_sent ? co_await c.write_chunk(out)
                            : co_await c.begin_stream("text/event-stream", headers, out);
      c.record.route = r.provider->name;
      if (!ok) {  // the client went away: stop paying for tokens
        conn->close();
        co_return served(200);
      }
    }
    if (!failure && conn->parser().is_done()) break;
    if (failure) {
      conn->close();
      Attempt a = fail_final(failure->kind, failure->message, failure->detail);
      if (!c.head_sent) co_return a;
      a.outcome = Outcome::failed_in_band;
      a.error.message = "upstream " + r.provider->name + ": " + a.error.message;
      co_await c.end_stream(openai::error_event(a.error));
      co_return a;
    }
  }
  if (!c.head_sent)
    co_return fail_final(ErrorKind::bad_gateway, "the upstream stream had no events");
  co_await c.end_stream();
  give_back(c.worker, t, std::move(conn));
  co_return served(200);
}

}  // namespace
}  // namespace tollbooth::gateway
