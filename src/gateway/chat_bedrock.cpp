// The translated route: an OpenAI chat request sent to AWS Bedrock as Converse or ConverseStream
// (SigV4-signed per attempt), and the answer translated back: JSON to a chat.completion, the
// event stream to OpenAI SSE chunks as frames arrive.
#include <chrono>
#include <vector>

#include "api/openai/errors.hpp"
#include "aws/eventstream.hpp"
#include "config/config.hpp"
#include "gateway/chat_attempt.hpp"
#include "gateway/image_fetch.hpp"
#include "gateway/route_table.hpp"
#include "providers/bedrock_response.hpp"
#include "providers/bedrock_stream.hpp"
#include "providers/openai_bedrock.hpp"
#include "server/client_conn.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {
namespace {

// An attempt that failed with this error before anything reached the client.
Attempt failed_with(Error e, int upstream_status = 0) {
  Attempt a;
  a.error = std::move(e);
  a.upstream_status = upstream_status;
  return a;
}

Awaitable<Attempt> relay_converse_stream(ClientConn& c, const ResolvedRoute& r,
                                         const bedrock::ReplyOptions& reply,
                                         std::unique_ptr<UpstreamConn> conn);

// Pulls one decoded frame into the translator.
void translate_frame(const aws::EventMessage& m, bedrock::ConverseStreamTranslator& tr,
                     std::string& out) {
  std::string_view type = m.message_type();
  if (type == "event") {
    tr.on_event(m.event_type(), m.payload, out);
  } else if (type == "exception") {
    tr.on_exception(m.exception_type(), m.payload, out);
  } else {  // "error": an error code and message in headers (§6.3)
    Error e = make_error(ErrorKind::bad_gateway, "Bedrock reported an error in the stream.");
    e.detail = "bedrock stream error " + std::string(m.error_code()) + ": " +
               std::string(m.error_message());
    e.retryable = true;
    tr.abort(std::move(e), out);
  }
}

}  // namespace

Awaitable<Attempt> try_bedrock(ClientConn& c, const ResolvedRoute& r, std::string_view body,
                               const openai::ChatInspection& facts,
                               std::chrono::milliseconds first_byte_timeout) {
  Worker& w = c.worker;
  const UpstreamTarget& t = *r.target;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::vector<bedrock::FetchedImage> images;
  if (r.route->fetch_images) {
    auto fetched = co_await fetch_images(c, r, body);
    if (c.aborted() != Abort::none) co_return aborted();
    if (!fetched) co_return failed_with(std::move(fetched).error());
    images = std::move(fetched.value());
  }
  BedrockCall call;
  auto built = build_bedrock_chat(*r.provider, t.endpoint, *r.route, *r.aws_auth, w.signer, now,
                                  body, images, call);
  if (!built) co_return failed_with(std::move(built).error());
  std::unique_ptr<UpstreamConn> conn;
  Attempt head = co_await exchange_head(c, t, call.wire, conn, first_byte_timeout);
  if (!conn) co_return head;
  auto& res = conn->parser().get();
  const int status = head.upstream_status;
  const std::string response_id = std::string("chatcmpl-") + c.record.request_id;
  bedrock::ReplyOptions reply{facts.model, response_id, now, call.converse.json_tool,
                              call.converse.include_usage};
  if (status == 200 && call.converse.stream) {
    Attempt a = co_await relay_converse_stream(c, r, reply, std::move(conn));
    a.ttfb_us = head.ttfb_us;
    co_return a;
  }
  BufferCharge charge(w.buffers);
  Attempt whole = co_await read_body(c, *conn, t, charge);
  if (whole.outcome == Outcome::aborted) co_return whole;
  if (status != 200) {
    // An error's body only explains it: when it cannot be read, the status still decides.
    std::string_view error_body =
        whole.outcome == Outcome::served ? std::string_view(res.body()) : std::string_view();
    Error e = bedrock::error_from_bedrock(status, res["x-amzn-ErrorType"], error_body);
    std::string_view headers = route_header(c, r, upstream_request_id(res));
    give_back(w, t, std::move(conn));
    if (e.retryable) co_return failed_with(std::move(e), status);
    // Bedrock's validation errors are the client's: answered in OpenAI shape, no fallback.
    c.record.route = r.provider->name;
    co_await c.respond_error(e, headers);
    co_return served(status);
  }
  if (whole.outcome != Outcome::served) co_return whole;
  auto reply_body = bedrock::chat_completion_from_converse(res.body(), reply);
  std::string_view headers = route_header(c, r, upstream_request_id(res));
  give_back(w, t, std::move(conn));
  if (!reply_body) {
    // Bedrock answered 200 with something that is not a Converse answer: it may have done the
    // work, so the request is not sent again.
    Attempt a = failed_with(std::move(reply_body).error(), status);
    a.outcome = Outcome::failed_final;
    a.error.retryable = false;
    co_return a;
  }
  c.record.usage = reply_body->usage;
  c.record.route = r.provider->name;
  co_await c.respond(200, "application/json", reply_body->body, headers);
  co_return served(200, head.ttfb_us);
}

namespace {

// Decodes event-stream frames as they arrive and relays the translated chunks, one HTTP chunk
// per upstream read. Until the first chunk is out, an exception frame Bedrock sends to refuse
// the request (throttling as the first frame) lets the next route try; a transport failure
// (a stall, a break, a frame too large) is final: Bedrock has begun answering, and the request
// is not sent again.
Awaitable<Attempt> relay_converse_stream(ClientConn& c, const ResolvedRoute& r,
                                         const bedrock::ReplyOptions& reply,
                                         std::unique_ptr<UpstreamConn> conn) {
  const UpstreamTarget& t = *r.target;
  auto& res = conn->parser().get();
  aws::EventStreamLimits limits;
  limits.max_payload_bytes = static_cast<std::uint32_t>(std::min<std::size_t>(
      c.worker.config.server.max_stream_event_bytes, limits.max_payload_bytes));
  aws::EventStreamDecoder decoder(limits);
  bedrock::ConverseStreamTranslator tr(reply);
  std::vector<aws::EventMessage> frames;
  std::string out;
  const std::string_view headers = route_header(c, r, upstream_request_id(res));
  UpstreamWait wait{conn.get()};
  InterruptHook hook(c, wait);
  bool transport_failed = false;
  for (;;) {
    conn->expires_after(t.idle_timeout);
    auto ec = co_await conn->read_some();
    if (c.aborted() != Abort::none) co_return co_await stop_aborted(c, std::move(conn));
    const bool ended = !ec && conn->parser().is_done();
    out.clear();
    frames.clear();
    auto fed = decoder.feed(res.body(), frames);
    res.body().clear();
    for (const auto& m : frames) translate_frame(m, tr, out);
    if (!fed) {
      transport_failed = true;
      tr.abort(std::move(fed).error(), out);
    }
    if (ec) {
      transport_failed = true;
      tr.abort(stream_read_error(ec), out);
    } else if (ended) {
      tr.finish(out);  // a no-op after [DONE]; otherwise the stream ended too early
    }
    c.record.usage = tr.usage();
    if (tr.error() && !c.head_sent) {
      // Nothing has reached the client: an exception frame that refused the request falls
      // back; anything else gets its proper HTTP status instead of a 200 stream that only
      // carries an error.
      conn->close();
      Error e = *tr.error();
      if (e.retryable && !transport_failed)
        co_return failed_with(std::move(e), e.kind == ErrorKind::rate_limited ? 429 : 0);
      if (transport_failed) {
        Attempt a = failed_with(std::move(e));
        a.outcome = Outcome::failed_final;
        a.error.retryable = false;
        co_return a;
      }
      c.record.route = r.provider->name;
      co_await c.respond_error(e, headers);
      co_return served(http_status(e.kind));
    }
    if (tr.done()) break;
    if (!out.empty()) {
      bool ok = c.head_sent ? co_await c.write_chunk(out)
                            : co_await c.begin_stream("text/event-stream", headers, out);
      c.record.route = r.provider->name;
      if (!ok) {  // the client went away: stop paying for tokens
        conn->close();
        co_return served(200);
      }
    }
  }
  c.record.route = r.provider->name;
  if (!c.head_sent) {
    co_await c.begin_stream("text/event-stream", headers, out);
    out.clear();
  }
  co_await c.end_stream(out);
  if (tr.error()) {
    conn->close();
    Attempt a = failed_with(*tr.error());
    a.outcome = Outcome::failed_in_band;
    a.error.message = "upstream " + r.provider->name + ": " + a.error.message;
    co_return a;
  }
  // [DONE] is out. The metadata frame is the last; the body's end usually comes with it or just
  // after, so finishing the read keeps the connection for the next request.
  for (std::size_t extra = 0; !conn->parser().is_done();) {
    conn->expires_after(t.idle_timeout);
    auto ec = co_await conn->read_some();
    extra += res.body().size();
    res.body().clear();
    if (ec || c.aborted() != Abort::none || extra > 64 * 1024) {
      conn->close();
      co_return served(200);
    }
  }
  give_back(c.worker, t, std::move(conn));
  co_return served(200);
}

}  // namespace
}  // namespace tollbooth::gateway
