#include "gateway/relay.hpp"

#include <boost/beast/http/error.hpp>

#include "api/openai/errors.hpp"
#include "config/config.hpp"
#include "core/money.hpp"
#include "gateway/billing.hpp"
#include "gateway/gateway.hpp"
#include "gateway/route_table.hpp"
#include "providers/translator.hpp"
#include "server/client_conn.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

namespace http = beast::http;

Error& Attempt::error() {
  if (!failure) failure = std::make_unique<AttemptFailure>();
  return failure->error;
}

const Error& Attempt::error() const noexcept {
  static const Error none;
  return failure ? failure->error : none;
}

std::string& Attempt::retry_after() {
  if (!failure) failure = std::make_unique<AttemptFailure>();
  return failure->retry_after;
}

std::string_view Attempt::retry_after() const noexcept {
  return failure ? std::string_view(failure->retry_after) : std::string_view();
}

Attempt served(int status, std::int64_t ttfb_us) {
  Attempt a;
  a.end = AttemptEnd::served;
  a.upstream_status = status;
  a.ttfb_us = ttfb_us;
  return a;
}

Attempt fail(ErrorKind kind, std::string message, std::string detail) {
  Attempt a;
  a.error() = make_error(kind, std::move(message));
  a.error().detail = std::move(detail);
  a.error().retryable = true;
  return a;
}

Attempt fail_final(ErrorKind kind, std::string message, std::string detail) {
  Attempt a = fail(kind, std::move(message), std::move(detail));
  a.end = AttemptEnd::failed_final;
  a.error().retryable = false;
  return a;
}

Attempt refused(Error error) {
  Attempt a;
  a.end = error.retryable ? AttemptEnd::failed : AttemptEnd::refused;
  a.error() = std::move(error);
  return a;
}

Attempt aborted() {
  Attempt a;
  a.end = AttemptEnd::aborted;
  return a;
}

Error shutdown_error() {
  return make_error(ErrorKind::unavailable,
                    "the gateway is shutting down and cut this request at its drain_timeout; "
                    "retry it",
                    {}, "gateway_shutdown");
}

namespace {

// The connection ended before any byte of an answer: the upstream never began answering, so
// another route (or a fresh connection) may take the request.
bool closed_before_answer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_refused || ec == asio::error::connection_aborted;
}

Error stream_read_error(const beast::error_code& ec, const ResolvedRoute& r) {
  const bool timeout = ec == beast::error::timeout;
  Error e = make_error(timeout ? ErrorKind::gateway_timeout : ErrorKind::bad_gateway,
                       "upstream " + r.provider->name + ": " +
                           (timeout ? "the upstream stream stalled past idle_timeout"
                                    : "the upstream stream broke off"));
  e.detail = ec.message();
  return e;
}

Error event_too_large(std::size_t limit, const ResolvedRoute& r) {
  return make_error(ErrorKind::bad_gateway, "upstream " + r.provider->name +
                                                ": an event of the upstream stream is larger than "
                                                "server.max_stream_event_bytes (" +
                                                std::to_string(limit) + " bytes)");
}

// What the relay and the translators read of an upstream's response head.
struct Head {
  ResponseHead head;
  std::string_view request_id;  // x-request-id, apim-request-id or x-amzn-RequestId
  std::int64_t ttfb_us = 0;     // request sent -> this head
};

// An answer's outcome, told to its route's breaker and latency average before the answer's
// last bytes go out: a client that has its whole answer (a half-open breaker's probe, say)
// and asks again at once, on any connection, finds the breaker closed already. Failures to
// fall back on, where nothing reached the client, are the flow's to record.
void record_answer_health(Gateway& g, const ResolvedRoute& r, const Head& head, bool ok) {
  routing::Health& health = g.routes.health();
  if (ok)
    health.record_success(r.id, g.clock.unix_ms(), head.ttfb_us);
  else
    health.record_failure(r.id, g.clock.unix_ms());
}

Head read_head(const UpstreamResponse& res) {
  Head h;
  h.head.status = static_cast<int>(res.status);
  h.head.content_type = res.content_type;
  h.head.retry_after = res.retry_after;
  h.head.error_type = res.amzn_error_type;
  h.request_id = res.request_id;
  if (h.request_id.empty())
    h.request_id = res.apim_request_id.empty() ? res.amzn_request_id : res.apim_request_id;
  return h;
}

// "x-tollbooth-route: name\r\n" plus the upstream's request id when it sent one. Written into
// the connection's scratch buffer: valid until the next call on this connection.
std::string_view route_header(ClientConn& c, const ResolvedRoute& r, std::string_view upstream_id) {
  std::string& h = c.scratch;  // reused across the connection's requests: no allocation
  h.assign("x-tollbooth-route: ").append(r.provider->name).append("\r\n");
  if (!upstream_id.empty()) h.append("x-upstream-request-id: ").append(upstream_id).append("\r\n");
  return h;
}

// The attempt was aborted while relaying: the upstream connection is closed (its answer is
// unfinished), and when the drain cut a stream already under way, it ends with an in-band
// error event the client can see.
Awaitable<Attempt> stop_aborted(ClientConn& c, std::unique_ptr<UpstreamConn> conn) {
  if (conn) conn->close();
  if (c.aborted() == Abort::shutdown && c.head_sent)
    co_await c.end_stream(openai::error_event(shutdown_error()));
  co_return aborted();
}

// Events in a stretch of client stream bytes (each ends with a blank line).
std::uint32_t count_events(std::string_view bytes) noexcept {
  std::uint32_t n = 0;
  for (std::size_t at = bytes.find("\n\n"); at != std::string_view::npos;
       at = bytes.find("\n\n", at + 2))
    ++n;
  return n;
}

// What an attempt whose client left mid-stream is billed. The cloud bills the whole answer
// whether or not anyone reads it, so by default (billing.on_client_abort: finish) the upstream
// is read on, into nothing, until it reports its usage or billing.abort_timeout passes, and that
// is billed. With `cancel`, or when the upstream does not get that far, the connection is closed
// and what was delivered is billed as an estimate (usage.reported false): the request's input
// estimate and one output token per event delivered.
Awaitable<Attempt> after_client_left(Gateway& g, ClientConn& c, const ResolvedRoute& r,
                                     Translator& tr, std::unique_ptr<UpstreamConn> conn,
                                     beast::error_code ec, std::uint32_t events) {
  const BillingConfig& billing = g.config.billing;
  // The disconnect watch cancels the read it interrupts; the connection itself is still good.
  if (ec == asio::error::operation_aborted) ec = {};
  if (billing.on_client_abort == OnClientAbort::finish && !ec) {
    const auto until = g.clock.steady() + billing.abort_timeout;
    UpstreamResponse& res = conn->response();
    std::string discard;
    int cancels = 0;
    while (!tr.usage().reported && !tr.done() && c.aborted() != Abort::shutdown) {
      const auto left = until - g.clock.steady();
      if (left <= std::chrono::steady_clock::duration::zero()) break;
      beast::error_code rec_ec;
      if (conn->needs_read(rec_ec)) {
        conn->expires_after(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(left),
                                     r.target->idle_timeout));
        auto [rec, got] = co_await conn->read();
        rec_ec = conn->parse_read(rec, got);
      }
      discard.clear();
      tr.feed(res.body, discard);
      res.body.clear();
      // The same bound as while the client listened: nobody reads this stream any more, but an
      // upstream sending one endless event must not grow the gateway until abort_timeout.
      if (tr.pending_bytes() > g.config.server.max_stream_event_bytes) break;
      // The disconnect watch may fire now, cancelling this read once: read again. A second
      // cancel is the drain cutting the request (the abort's reason stays client_gone).
      if (rec_ec == asio::error::operation_aborted && ++cancels == 1) continue;
      if (rec_ec) break;
      if (conn->parser().is_done()) {
        tr.end(discard);
        break;
      }
    }
  }
  conn->close();
  Attempt a = aborted();
  a.upstream_status = 200;
  Usage u = tr.usage();
  if (!u.reported) {
    u.input_tokens = c.outcome.estimated_input_tokens;
    u.output_tokens = events;
  }
  a.usage = u;
  co_return a;
}

Awaitable<Attempt> relay_whole(Gateway& g, ClientConn& c, const ResolvedRoute& r, Translator& tr,
                               std::unique_ptr<UpstreamConn> conn, const Head& head, bool refusal,
                               AnswerKeeper* keeper);
Awaitable<Attempt> relay_stream(Gateway& g, ClientConn& c, const ResolvedRoute& r, Translator& tr,
                                std::unique_ptr<UpstreamConn> conn, const Head& head, bool insides,
                                AnswerKeeper* keeper);

}  // namespace

Awaitable<Attempt> exchange_head(Gateway& g, ClientConn& c, const UpstreamTarget& t,
                                 const UpstreamRequest& ureq, std::unique_ptr<UpstreamConn>& conn,
                                 std::chrono::milliseconds first_byte_timeout,
                                 std::chrono::steady_clock::time_point sent) {
  const auto started = sent != std::chrono::steady_clock::time_point{} ? sent : g.clock.steady();
  UpstreamWait wait;
  InterruptHook hook(c, wait);
  for (bool fresh = false;; fresh = true) {
    if (c.aborted() != Abort::none) co_return aborted();
    if (!fresh) conn = g.pool.take_idle(t);
    const bool pooled = conn != nullptr;
    if (!conn) {
      auto connected = co_await g.pool.connect(t, &wait.conn);
      if (c.aborted() != Abort::none) co_return aborted();  // the connection, if any, closes
      if (!connected) {
        Attempt a;
        a.error() = std::move(connected).error();
        co_return a;
      }
      conn = std::move(connected.value());
    }
    wait.conn = conn.get();
    conn->reset_parser();
    conn->expires_after(first_byte_timeout);
    auto [wec, written] = co_await conn->write(ureq.head, ureq.body);
    beast::error_code ec = conn->settle(wec);
    if (!ec) {
      auto step = conn->parse_head(ec);
      while (step == net::ReadStep::read) {
        auto [rec, got] = co_await conn->read();
        step = conn->parse_head_read(rec, got, ec);
      }
    }
    if (c.aborted() != Abort::none) {
      wait.conn = nullptr;
      conn.reset();  // closes it: the upstream's answer, if any, is unread
      co_return aborted();
    }
    if (!ec) {
      Attempt a = served(static_cast<int>(conn->response().status));
      a.reused_connection = pooled;
      a.ttfb_us =
          std::chrono::duration_cast<std::chrono::microseconds>(g.clock.steady() - started).count();
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

Awaitable<Attempt> read_body(Gateway& g, ClientConn& c, UpstreamConn& conn, const UpstreamTarget& t,
                             BufferCharge& charge, std::size_t limit) {
  auto& p = conn.parser();
  if (limit == 0) limit = g.config.server.max_response_bytes;
  auto too_large = [&] {
    return fail_final(ErrorKind::bad_gateway,
                      "the upstream's answer is larger than server.max_response_bytes (" +
                          std::to_string(limit) + " bytes)");
  };
  auto over_budget = [&] {
    Attempt a = fail_final(ErrorKind::unavailable,
                           "the gateway holds too many answer bytes right now "
                           "(server.max_buffered_bytes); retry shortly");
    a.error().code = "buffer_limit";
    a.retry_after() = "1";
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
    beast::error_code ec;
    if (conn.needs_read(ec)) {
      conn.expires_after(t.idle_timeout);
      auto [rec, got] = co_await conn.read();
      ec = conn.parse_read(rec, got);
    }
    if (c.aborted() != Abort::none) co_return aborted();
    if (ec == http::error::body_limit) co_return too_large();
    if (ec == beast::error::timeout)
      co_return fail_final(ErrorKind::gateway_timeout,
                           "the upstream stalled in the middle of its answer (idle_timeout)",
                           ec.message());
    if (ec)
      co_return fail_final(ErrorKind::bad_gateway, "the upstream broke off its answer",
                           ec.message());
    if (!charge.hold(conn.response().body.size())) co_return over_budget();
  }
  co_return served(static_cast<int>(conn.response().status));
}

void give_back(Gateway& g, const UpstreamTarget& t, std::unique_ptr<UpstreamConn> conn) {
  g.pool.release(t, std::move(conn));
}

Awaitable<Attempt> relay(Gateway& g, ClientConn& c, const ResolvedRoute& r, Translator& tr,
                         UpstreamRequest& ureq, std::chrono::milliseconds first_byte_timeout,
                         bool insides, AnswerKeeper* keeper) {
  auto built = tr.build(ureq);
  if (!built) co_return refused(std::move(built).error());
  std::unique_ptr<UpstreamConn> conn;
  const auto sent = g.clock.steady();
  Attempt head = co_await exchange_head(g, c, *r.target, ureq, conn, first_byte_timeout, sent);
  if (!conn) {
    head.sent = sent;
    co_return head;
  }
  Head h = read_head(conn->response());
  h.ttfb_us = head.ttfb_us;
  Attempt a;
  switch (tr.plan(h.head)) {
    case BodyPlan::stream:
      a = co_await relay_stream(g, c, r, tr, std::move(conn), h, insides, keeper);
      break;
    case BodyPlan::whole:
      a = co_await relay_whole(g, c, r, tr, std::move(conn), h, false, keeper);
      break;
    case BodyPlan::refusal:
      a = co_await relay_whole(g, c, r, tr, std::move(conn), h, true, keeper);
      break;
  }
  if (!a.upstream_status) a.upstream_status = head.upstream_status;
  a.ttfb_us = head.ttfb_us;
  a.reused_connection = head.reused_connection;
  a.sent = sent;
  // A final failure is the client's answer: say which upstream (stream errors already do).
  if (a.end == AttemptEnd::failed_final) {
    const std::string prefix = "upstream " + r.provider->name + ": ";
    if (!a.error().message.starts_with(prefix)) a.error().message.insert(0, prefix);
  }
  co_return a;
}

namespace {

// A whole answer: read (bounded), translated, answered; or, for a refusal (429, 5xx, ...), the
// next route's turn, whether or not its body could be read (it only explains the refusal).
Awaitable<Attempt> relay_whole(Gateway& g, ClientConn& c, const ResolvedRoute& r, Translator& tr,
                               std::unique_ptr<UpstreamConn> conn, const Head& head, bool refusal,
                               AnswerKeeper* keeper) {
  const UpstreamTarget& t = *r.target;
  const UpstreamResponse& res = conn->response();
  BufferCharge charge(g.worker.buffers);
  Attempt body = co_await read_body(g, c, *conn, t, charge);
  if (body.end == AttemptEnd::aborted) co_return body;
  const bool body_in = body.end == AttemptEnd::served;
  if (!body_in && !refusal) co_return body;  // failed_final: too large, broken, stalled
  Reply reply = tr.whole(head.head, body_in ? std::string_view(res.body) : "");
  switch (reply.kind) {
    case Reply::Kind::retry: {
      if (body_in) give_back(g, t, std::move(conn));
      Attempt a;
      a.error() = std::move(reply.error);
      a.error().retryable = true;
      a.retry_after() = std::move(reply.retry_after);
      a.upstream_status = head.head.status;
      co_return a;
    }
    case Reply::Kind::final: {
      if (body_in) give_back(g, t, std::move(conn));
      Attempt a;
      a.end = AttemptEnd::failed_final;
      a.error() = std::move(reply.error);
      a.error().retryable = false;
      co_return a;
    }
    case Reply::Kind::respond: break;
  }
  if (!body_in) co_return body;  // an answer that is not a refusal needs its body
  c.outcome.route = r.provider->name;
  std::string_view headers = route_header(c, r, head.request_id);
  std::optional<AttemptBill> billed;
  if (reply.usage && reply.usage->reported) {
    // The answer's charge, the same figure the budget settles and the ledger keeps.
    const Bill bill = bill_attempt(g.routes.catalog(), c.outcome, r.id, *reply.usage);
    billed = attempt_bill_of(bill);
    c.outcome.answer_charge = bill.charge;
    if (bill.priced) {
      char cost[kMaxDollarsChars];
      c.scratch.append("x-tollbooth-cost: ")
          .append(cost, write_dollars(cost, bill.charge))
          .append("\r\n");
      headers = c.scratch;
    }
  }
  if (keeper && reply.status / 100 == 2) co_await keeper->keep(r, reply.body, false);
  // The settle before the answer's last bytes bills this attempt (see AnswerEndHook).
  c.outcome.usage = reply.usage ? *reply.usage : Usage{};
  c.outcome.answer_route = r.id;
  c.outcome.answer_unrecorded = true;
  record_answer_health(g, r, head, true);
  co_await c.respond(reply.status, reply.content_type, reply.body, headers);
  give_back(g, t, std::move(conn));
  Attempt a = served(reply.status);
  a.usage = reply.usage;
  a.bill = billed;
  co_return a;
}

// A stream: the body is fed to the translator as it arrives, one HTTP chunk to the client per
// upstream read. The head goes out with the first client bytes, so until then a refusal in the
// stream itself (an exception frame as the first event) still lets the next route try. The
// upstream has begun answering, so a transport failure (a stall, a break, an event larger than
// server.max_stream_event_bytes) is never retried: before the first client byte it is the HTTP
// answer, after it an in-band error event.
Awaitable<Attempt> relay_stream(Gateway& g, ClientConn& c, const ResolvedRoute& r, Translator& tr,
                                std::unique_ptr<UpstreamConn> conn, const Head& head, bool insides,
                                AnswerKeeper* keeper) {
  // What a broken stream's in-band error says: the upstream's name only to callers who may
  // see it; the detail stays for the log either way.
  auto shown = [insides](Error e) {
    if (!insides) {
      if (auto colon = e.message.find(": ");
          e.message.starts_with("upstream ") && colon != std::string::npos)
        e.message.erase(0, colon + 2);
    }
    return e;
  };
  const UpstreamTarget& t = *r.target;
  const std::size_t max_event = g.config.server.max_stream_event_bytes;
  UpstreamResponse& res = conn->response();
  const std::string_view headers = route_header(c, r, head.request_id);
  std::string& out = c.stream_out;  // reused by the connection's streams: no allocation
  out.clear();
  bool transport_failed = false;
  std::uint32_t events = 0;  // events delivered to the client (the estimate's output tokens)
  UpstreamWait wait{conn.get()};
  InterruptHook hook(c, wait);
  for (;;) {
    beast::error_code ec;
    if (conn->needs_read(ec)) {
      conn->expires_after(t.idle_timeout);
      auto [rec, got] = co_await conn->read();
      ec = conn->parse_read(rec, got);
    }
    if (c.aborted() != Abort::none) {
      if (c.aborted() == Abort::client_gone && c.head_sent)
        co_return co_await after_client_left(g, c, r, tr, std::move(conn), ec, events);
      co_return co_await stop_aborted(c, std::move(conn));
    }
    out.clear();
    tr.feed(res.body, out);
    res.body.clear();
    if (!tr.done()) {
      if (tr.pending_bytes() > max_event) {
        transport_failed = true;
        tr.fail(shown(event_too_large(max_event, r)), out);
      } else if (ec) {
        transport_failed = true;
        tr.fail(shown(stream_read_error(ec, r)), out);
      } else if (conn->parser().is_done()) {
        tr.end(out);
      }
    }
    c.outcome.usage = tr.usage();
    if (const Error* e = tr.error(); e && !c.head_sent) {
      // Nothing has reached the client: a refusal in the stream lets the next route try; any
      // other error gets its proper HTTP status instead of a 200 stream that only carries it.
      conn->close();
      Error err = *e;
      if (err.retryable && !transport_failed) {
        Attempt a;
        a.upstream_status = err.kind == ErrorKind::rate_limited ? 429 : 0;
        a.error() = std::move(err);
        co_return a;
      }
      if (transport_failed || http_status(err.kind) >= 500) {
        Attempt a;
        a.end = AttemptEnd::failed_final;
        a.error() = std::move(err);
        a.error().retryable = false;
        co_return a;
      }
      c.outcome.route = r.provider->name;
      record_answer_health(g, r, head, true);  // the request's own fault: the route works
      co_await c.respond_error(err, headers);
      co_return served(http_status(err.kind));
    }
    if (tr.done()) break;
    if (!out.empty()) {
      events += count_events(out);
      const bool ok = c.head_sent ? co_await c.write_chunk(out)
                                  : co_await c.begin_stream("text/event-stream", headers, out);
      c.outcome.route = r.provider->name;
      if (!ok) {  // the client went away mid-stream: billed as billing.on_client_abort says
        beast::error_code none;
        co_return co_await after_client_left(g, c, r, tr, std::move(conn), none, events);
      }
    }
  }
  // The translator is done: `out` holds its last bytes ([DONE], or an in-band error event).
  if (!c.head_sent && out.empty()) {
    conn->close();
    co_return fail_final(ErrorKind::bad_gateway, "the upstream stream had no events");
  }
  c.outcome.route = r.provider->name;
  if (keeper && !tr.error()) co_await keeper->keep(r, out, true);
  c.outcome.answer_route = r.id;  // billed with c.outcome.usage by the settle before end_stream
  c.outcome.answer_unrecorded = true;
  record_answer_health(g, r, head, tr.error() == nullptr);
  if (!c.head_sent) {
    co_await c.begin_stream("text/event-stream", headers, out);
    out.clear();
  }
  co_await c.end_stream(out);
  if (const Error* e = tr.error()) {
    conn->close();
    Attempt a;
    a.end = AttemptEnd::failed_in_band;
    a.error() = *e;
    if (tr.usage().reported) a.usage = tr.usage();  // it reported usage before it broke
    co_return a;
  }
  // The last event is out. The body's end usually comes with it or just after; finishing the
  // read (a few bytes at most) keeps the connection for the next request.
  for (std::size_t extra = 0; !conn->parser().is_done();) {
    beast::error_code ec;
    if (conn->needs_read(ec)) {
      conn->expires_after(t.idle_timeout);
      auto [rec, got] = co_await conn->read();
      ec = conn->parse_read(rec, got);
    }
    extra += res.body.size();
    res.body.clear();
    if (ec || c.aborted() != Abort::none || extra > 64 * 1024) {
      conn->close();
      Attempt a = served(200);
      a.usage = tr.usage();
      co_return a;
    }
  }
  give_back(g, t, std::move(conn));
  Attempt a = served(200);
  a.usage = tr.usage();
  co_return a;
}

}  // namespace
}  // namespace tollbooth::gateway
