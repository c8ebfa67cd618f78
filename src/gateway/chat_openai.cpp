// One attempt on one route: the dispatch by provider kind, and the OpenAI-wire attempt (OpenAI,
// Azure, any compatible server): the client's bytes forwarded with only the model and
// include_usage spliced, the answer relayed as it comes. Bedrock's translated attempt is in
// chat_bedrock.cpp; the flow that plans and retries is in chat.cpp.
#include <boost/beast/http/read.hpp>

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

Awaitable<Attempt> exchange_head(Worker& w, const UpstreamTarget& t, const UpstreamRequest& ureq,
                                 std::unique_ptr<UpstreamConn>& conn,
                                 std::chrono::milliseconds first_byte_timeout) {
  const auto started = std::chrono::steady_clock::now();
  for (bool fresh = false;; fresh = true) {
    auto acquired = co_await w.pool.acquire(t, fresh);
    if (!acquired) co_return Attempt{Outcome::failed, std::move(acquired).error(), 0, {}};
    conn = std::move(acquired.value());
    conn->reset_parser();
    conn->expires_after(first_byte_timeout);
    auto ec = co_await conn->write(ureq.head, ureq.body);
    if (!ec) ec = co_await conn->read_header();
    if (!ec) {
      Attempt a{Outcome::served, {}, static_cast<int>(conn->parser().get().result_int()), {}};
      a.ttfb_us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
      co_return a;
    }
    bool stale = conn->reused() && !fresh && ec != beast::error::timeout;
    conn->close();
    conn.reset();
    if (stale) continue;
    if (ec == beast::error::timeout)
      co_return fail(ErrorKind::gateway_timeout, "no response within first_byte_timeout",
                     ec.message());
    co_return fail(ErrorKind::bad_gateway, "connection failed", ec.message());
  }
}

Awaitable<bool> read_body(UpstreamConn& conn, const UpstreamTarget& t) {
  conn.expires_after(t.idle_timeout);
  co_return !(co_await conn.read_all());
}

void give_back(Worker& w, const UpstreamTarget& t, std::unique_ptr<UpstreamConn> conn) {
  if (conn->parser().is_done() && conn->parser().keep_alive())
    w.pool.release(t, std::move(conn));
  else
    conn->close();
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
  Attempt head = co_await exchange_head(w, t, ureq, conn, first_byte_timeout);
  if (!conn) co_return head;
  auto& res = conn->parser().get();
  int status = head.upstream_status;
  if (status == 429 || status >= 500) {
    Attempt a = fail(status == 429 ? ErrorKind::rate_limited : ErrorKind::bad_gateway,
                     "HTTP " + std::to_string(status));
    a.upstream_status = status;
    if (auto it = res.find(http::field::retry_after); it != res.end())
      a.retry_after = std::string(it->value());
    if (co_await read_body(*conn, t)) give_back(w, t, std::move(conn));
    co_return a;
  }
  if (status == 401 || status == 403) {
    // The cloud refused the gateway's own credentials (the client's never reach it): a
    // configuration fault of this route, not the client's, and the next route may serve. The
    // cloud's body is dropped: OpenAI's echoes part of the key.
    Attempt a = fail(ErrorKind::bad_gateway, "HTTP " + std::to_string(status) +
                                                 ": the cloud refused the gateway's credentials");
    a.upstream_status = status;
    if (co_await read_body(*conn, t)) give_back(w, t, std::move(conn));
    co_return a;
  }
  bool event_stream = res[http::field::content_type].starts_with("text/event-stream");
  if (status == 200 && facts.stream && event_stream) {
    Attempt a = co_await relay_stream(c, r, facts, std::move(conn));
    a.ttfb_us = head.ttfb_us;
    co_return a;
  }
  if (!co_await read_body(*conn, t)) {
    co_return fail(ErrorKind::bad_gateway, "the upstream broke off its answer");
  }
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
// first relayable event, so a stream that dies before any event can still fall back.
Awaitable<Attempt> relay_stream(ClientConn& c, const ResolvedRoute& r,
                                const openai::ChatInspection& facts,
                                std::unique_ptr<UpstreamConn> conn) {
  const UpstreamTarget& t = *r.target;
  auto& res = conn->parser().get();
  openai::SseParser sse;
  std::string out;
  std::string_view headers = route_header(c, r, upstream_request_id(res));
  for (;;) {
    conn->expires_after(t.idle_timeout);
    auto ec = co_await conn->read_some();
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
    if (!out.empty()) {
      bool ok = c.head_sent ? co_await c.write_chunk(out)
                            : co_await c.begin_stream("text/event-stream", headers, out);
      c.record.route = r.provider->name;
      if (!ok) {  // the client went away: stop paying for tokens
        conn->close();
        co_return served(200);
      }
    }
    if (!ec && conn->parser().is_done()) break;
    if (ec) {
      conn->close();
      bool timeout = ec == beast::error::timeout;
      Attempt a = fail(timeout ? ErrorKind::gateway_timeout : ErrorKind::bad_gateway,
                       timeout ? "the upstream stream stalled past idle_timeout"
                               : "the upstream stream broke off",
                       ec.message());
      if (!c.head_sent) co_return a;
      a.outcome = Outcome::failed_in_band;
      a.error.message = "upstream " + r.provider->name + ": " + a.error.message;
      co_await c.end_stream(openai::error_event(a.error));
      co_return a;
    }
  }
  if (!c.head_sent) co_return fail(ErrorKind::bad_gateway, "the upstream stream had no events");
  co_await c.end_stream();
  give_back(c.worker, t, std::move(conn));
  co_return served(200);
}

}  // namespace
}  // namespace tollbooth::gateway
