#include "server/session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <chrono>
#include <optional>

#include "config/config.hpp"
#include "net/content_coding.hpp"
#include "net/http_read.hpp"
#include "server/client_conn.hpp"
#include "server/request.hpp"
#include "server/worker.hpp"

namespace tollbooth {

namespace http = beast::http;

namespace {

using SteadyClock = std::chrono::steady_clock;

// One access-log line per request, refusals before routing included. `method` and `target`
// are the client's own bytes: cut short and made printable, so they can neither flood the log
// nor forge a line.
// A request that ends before the handler ran (refused, timed out): its outcome has the request
// line when the parser got that far, and goes to the handler's observers like any other.
void finish_refused(ClientConn& c, const RequestParser& parser) {
  auto& o = c.outcome;
  if (parser.is_header_done()) {
    o.method = parser.get().method_string();
    o.target = parser.get().target();
  }
  o.done = c.worker.clock.steady();
  c.worker.handler->finished(o);
}

Error too_large(std::size_t limit) {
  return make_error(ErrorKind::payload_too_large,
                    "request body exceeds max_body_bytes (" + std::to_string(limit) + " bytes)");
}

Error bad_request(std::string message) {
  return make_error(ErrorKind::invalid_request, std::move(message));
}

bool client_went_away(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::operation_aborted || ec == http::error::partial_message;
}

Error version_not_supported() {
  return bad_request("only HTTP/1.0 and HTTP/1.1 are served on this port");
}

// Beast refuses any version but 1.x as a "bad version"; a well-formed HTTP/2.0 or 3.0 is a
// version this server does not speak (505), anything else is malformed (400).
bool names_a_later_version(const beast::flat_buffer& buffer) {
  std::string_view head(static_cast<const char*>(buffer.data().data()), buffer.size());
  head = head.substr(0, head.find('\n'));
  auto at = head.rfind(" HTTP/");
  if (at == std::string_view::npos || head.size() < at + 9) return false;
  std::string_view v = head.substr(at + 6, 3);
  return v[0] >= '2' && v[0] <= '9' && v[1] == '.' && v[2] >= '0' && v[2] <= '9';
}

// RFC 9112 rules Beast's parser leaves to the server: exactly one Host in HTTP/1.1 (at most one
// in 1.0), no Transfer-Encoding in HTTP/1.0 (its framing cannot be trusted), chunked as the
// only transfer coding (Beast would strip the chunking and pass "gzip, chunked" bodies on
// undecoded), HTTP/1.x only. Returns the refusal, or nullopt when the head is acceptable.
std::optional<std::pair<int, Error>> check_head(const HttpRequest& req) {
  const unsigned version = req.version();
  if (version != 10 && version != 11) return std::pair{505, version_not_supported()};
  const auto hosts = req.count(http::field::host);
  if (version == 11 && hosts == 0)
    return std::pair{400, bad_request("an HTTP/1.1 request must carry a Host header")};
  if (hosts > 1)
    return std::pair{
        400, bad_request("a request must carry one Host header, not " + std::to_string(hosts))};
  if (const auto codings = req.count(http::field::transfer_encoding); codings > 0) {
    if (version == 10)
      return std::pair{400, bad_request("Transfer-Encoding is not allowed in an HTTP/1.0 request")};
    std::string_view coding = req[http::field::transfer_encoding];
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
      coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
      coding.remove_suffix(1);
    if (!beast::iequals(coding, "chunked") || codings > 1)
      return std::pair{501, bad_request("only the chunked transfer coding is supported; send "
                                        "the body with Content-Length or chunked alone")};
  }
  return std::nullopt;
}

// What the session does about a read that failed or a request it will not serve: close without
// a word (the client went away, the idle timeout, the drain), or answer with `status` and close.
struct Refusal {
  Refusal() = default;
  Refusal(int s, Error e, std::string_view extra = {})
      : status(s), error(std::move(e)), extra_headers(extra) {}
  int status = 0;  // 0: close silently
  Error error;
  std::string_view extra_headers;
};

// The head's read failed with `ec`.
Refusal refusal_for_head(const ClientConn& c, const beast::error_code& ec) {
  const auto& sc = c.worker.config;
  if (c.timed_out()) return {408, bad_request("timed out reading the request head (read_timeout)")};
  if (ec == http::error::body_limit) return {413, too_large(sc.max_body_bytes)};  // by its length
  if (ec == http::error::header_limit)
    return {431, bad_request("request headers exceed the server's limit of " +
                             std::to_string(sc.max_header_bytes) + " bytes (max_header_bytes)")};
  if (client_went_away(ec)) return {};
  if (ec == http::error::bad_version && names_a_later_version(c.buffer))
    return {505, version_not_supported()};
  return {400, bad_request("malformed HTTP request: " + ec.message())};
}

// The body's read failed with `ec`.
Refusal refusal_for_body(const ClientConn& c, const beast::error_code& ec) {
  if (c.timed_out()) return {408, bad_request("timed out reading the request body (read_timeout)")};
  if (ec == http::error::body_limit) return {413, too_large(c.worker.config.max_body_bytes)};
  if (client_went_away(ec)) return {};
  return {400, bad_request("malformed request body: " + ec.message())};
}

// A body sent with a Content-Encoding the server could not decode.
Refusal refusal_for_coding(const net::CodingError& e) {
  switch (e.kind) {
    case net::CodingError::Kind::unsupported:
      return {415, make_error(ErrorKind::invalid_request, e.message, {},
                              "unsupported_content_encoding")};
    case net::CodingError::Kind::too_large:
      return {413, make_error(ErrorKind::payload_too_large, e.message)};
    case net::CodingError::Kind::malformed: break;
  }
  return {400, bad_request(e.message)};
}

Refusal over_budget() {
  return {503,
          make_error(ErrorKind::unavailable,
                     "the gateway holds too many request and answer bytes right now "
                     "(server.max_buffered_bytes); retry shortly",
                     {}, "buffer_limit"),
          "Retry-After: 1\r\n"};
}

}  // namespace

// One connection's loop. Reading a request is written out here rather than in a function of its
// own: this frame lives as long as the connection, while a coroutine per request read would
// cost a frame allocation per request (Asio recycles only frames under 1 KiB).
Awaitable<void> run_session(Worker& worker, Socket socket) {
  ClientConn c(std::move(socket), worker);
  worker.sessions.insert(&c);
  const auto& sc = worker.config;
  // The request and the parser reading into it: the request is reused by each request of the
  // connection (it keeps its memory), the parser is made anew for each (Beast's parsers are
  // one-shot).
  HttpRequest req;
  std::optional<RequestParser> parser;
  Refusal refusal;
  while (!worker.draining) {
    c.busy = false;
    c.begin_request();
    parser.emplace(req);
    parser->header_limit(static_cast<std::uint32_t>(sc.max_header_bytes));
    parser->body_limit(sc.max_body_bytes);
    if (c.buffer.size() == 0) {
      // Between requests the connection may idle for idle_timeout; once the first byte
      // arrives, the whole request (head and body) must arrive within read_timeout.
      c.set_deadline(sc.idle_timeout);
      auto [ec, n] = co_await c.socket.async_read_some(c.buffer.prepare(4096), deferred_nothrow);
      if (ec) break;
      c.buffer.commit(n);
    }
    c.outcome.received = worker.clock.steady();
    c.outcome.received_unix_ms = worker.clock.unix_ms();
    c.set_deadline(sc.read_timeout);
    {
      // The head, parsed from the buffer with socket reads only as needed (net/http_read.hpp:
      // http::async_read_header's steps, without its composed operation).
      beast::error_code ec;
      std::size_t n = 0;
      parser->eager(false);
      auto step = net::parse_buffered(*parser, c.buffer, net::HeadDone{}, ec, n);
      while (step == net::ReadStep::read) {
        auto [rec, got] =
            co_await c.socket.async_read_some(net::read_space(c.buffer), deferred_nothrow);
        step = net::after_read(*parser, c.buffer, net::HeadDone{}, rec, got, ec, n);
      }
      // Beast checks its header limit per read, so a head that arrives in pieces can pass it;
      // `n` is what the head really took.
      if (!ec && n > sc.max_header_bytes) ec = http::error::header_limit;
      if (ec) {
        refusal = refusal_for_head(c, ec);
        break;
      }
    }
    c.busy = true;
    c.take_client_id(req);
    if (auto refused = check_head(req)) {
      refusal = {refused->first, std::move(refused->second)};
      break;
    }
    if (auto len = parser->content_length(); len && !c.body_charge.hold(*len)) {
      refusal = over_budget();
      break;
    }
    if (beast::iequals(req[http::field::expect], "100-continue") && !parser->is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [ec, n] =
          co_await asio::async_write(c.socket, asio::buffer(kContinue), deferred_nothrow);
      if (ec) break;
    }
    {
      // The body, the same way (http::async_read's steps): usually already in the buffer.
      beast::error_code ec;
      std::size_t n = 0;
      parser->eager(true);
      auto step = net::parse_buffered(*parser, c.buffer, net::MessageDone{}, ec, n);
      while (step == net::ReadStep::read) {
        auto [rec, got] =
            co_await c.socket.async_read_some(net::read_space(c.buffer), deferred_nothrow);
        step = net::after_read(*parser, c.buffer, net::MessageDone{}, rec, got, ec, n);
      }
      if (ec) {
        refusal = refusal_for_body(c, ec);
        break;
      }
    }
    if (!c.body_charge.hold(req.body().size())) {  // a chunked body: its size is known now
      refusal = over_budget();
      break;
    }
    // A compressed body (Codex CLI sends zstd) is decoded here, once, for every endpoint: the
    // handler sees the request's JSON, and the decoded body is held to max_body_bytes too.
    if (auto coding = req[http::field::content_encoding]; !coding.empty()) {
      if (auto err = net::decode_content_coding(coding, req.body(), sc.max_body_bytes)) {
        refusal = refusal_for_coding(*err);
        break;
      }
      if (!c.body_charge.hold(req.body().size())) {
        refusal = over_budget();
        break;
      }
    }
    c.clear_deadline();  // from here the upstream's timeouts apply; writes set their own
    c.outcome.bytes_in = req.body().size();
    c.outcome.method = req.method_string();
    c.outcome.target = req.target();
    c.keep_alive = req.keep_alive();
    // Anything thrown is caught here, once: logged, and answered with a 500 when the head has
    // not gone out yet; the worker and its other connections carry on.
    bool failed = false;
    try {
      co_await worker.handler->handle(c, req);
    } catch (const std::exception& e) {
      spdlog::error("request handler threw: {}", e.what());
      failed = true;
    }
    c.stop_watching();
    if (failed) {
      c.keep_alive = false;
      if (!c.head_sent && c.aborted() == Abort::none)
        co_await c.respond_error(make_error(ErrorKind::internal, "internal error in the gateway"));
    }
    if (c.aborted() == Abort::client_gone) {
      c.keep_alive = false;
      if (!c.head_sent) c.outcome.status = 499;  // nginx's "client closed request"
    }
    // The one exit of every request the handler saw.
    c.outcome.abort = c.aborted();
    c.outcome.done = worker.clock.steady();
    worker.handler->finished(c.outcome);
    if (!c.keep_alive) break;
  }
  if (refusal.status) {
    // A request refused before the handler ran: answered, closed the way nginx's lingering
    // close does (the rest of it may still be on its way), and reported like any other.
    c.keep_alive = false;
    c.linger = true;
    co_await c.respond(refusal.status, "application/json",
                       worker.handler->error_body(refusal.error), refusal.extra_headers);
    finish_refused(c, *parser);
  }
  worker.sessions.erase(&c);
  co_await c.finish();
  worker.connection_closed();
}

}  // namespace tollbooth
