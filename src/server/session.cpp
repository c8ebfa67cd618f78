#include "server/session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <optional>

#include "api/openai/errors.hpp"
#include "config/config.hpp"
#include "gateway/handler.hpp"
#include "server/client_conn.hpp"
#include "server/worker.hpp"

namespace tollbooth {

namespace http = beast::http;

namespace {

using Parser = http::request_parser<http::string_body>;

void log_access(const ClientConn& c, const http::request<http::string_body>& req,
                std::chrono::steady_clock::time_point start) {
  if (!spdlog::should_log(spdlog::level::info)) return;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  const auto& r = c.record;
  // The model name is the client's own text: a newline in it must not forge a log line.
  std::string model = r.model.empty() ? "-" : r.model;
  for (char& ch : model)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '_';
  spdlog::info("{} {} {} {} model={} route={} stream={} in={} out={} us={}{}{}{}{}", r.request_id,
               std::string_view(req.method_string()), std::string_view(req.target()), r.status,
               model, r.route.empty() ? "-" : r.route, r.stream, r.usage.input_tokens,
               r.usage.output_tokens, us, r.attempts.empty() ? "" : " failed=", r.attempts,
               r.plan.empty() ? "" : " ", r.plan);
}

Error too_large(std::size_t limit) {
  return make_error(ErrorKind::payload_too_large,
                    "request body exceeds max_body_bytes (" + std::to_string(limit) + " bytes)");
}

// Reads one request into `parser`. Returns false when the connection should just close (the
// peer went away, idle timeout, drain); on a protocol error it answers first.
Awaitable<bool> read_request(ClientConn& c, Parser& parser) {
  const auto& sc = c.worker.config.server;
  parser.header_limit(static_cast<std::uint32_t>(sc.max_header_bytes));
  parser.body_limit(sc.max_body_bytes);
  c.stream.expires_after(c.buffer.size() ? sc.read_timeout : sc.idle_timeout);
  auto [ec, n] = co_await http::async_read_header(c.stream, c.buffer, parser, use_nothrow);
  if (ec) {
    bool started = c.buffer.size() > 0;
    c.keep_alive = false;
    if (ec == http::error::body_limit) {  // Content-Length already over the limit
      co_await c.respond_error(too_large(sc.max_body_bytes));
    } else if (ec == http::error::header_limit) {
      Error e = make_error(ErrorKind::invalid_request,
                           "request headers exceed the server's limit of " +
                               std::to_string(sc.max_header_bytes) + " bytes (max_header_bytes)");
      co_await c.respond(431, "application/json", openai::error_body(e));
    } else if (started && ec != beast::error::timeout && ec != asio::error::operation_aborted &&
               ec != http::error::end_of_stream && ec != asio::error::eof) {
      co_await c.respond_error(make_error(ErrorKind::invalid_request, "malformed HTTP request"));
    }
    co_return false;
  }
  c.busy = true;
  auto& req = parser.get();
  if (auto len = parser.content_length(); len && *len > sc.max_body_bytes) {
    c.keep_alive = false;
    co_await c.respond_error(
        make_error(ErrorKind::payload_too_large, "request body of " + std::to_string(*len) +
                                                     " bytes exceeds max_body_bytes (" +
                                                     std::to_string(sc.max_body_bytes) + ")"));
    co_return false;
  }
  if (beast::iequals(req[http::field::expect], "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    co_await asio::async_write(c.stream, asio::buffer(kContinue), use_nothrow);
  }
  c.stream.expires_after(sc.read_timeout);
  auto [ec2, n2] = co_await http::async_read(c.stream, c.buffer, parser, use_nothrow);
  if (ec2) {
    c.keep_alive = false;
    if (ec2 == http::error::body_limit) {
      co_await c.respond_error(too_large(sc.max_body_bytes));
    } else if (ec2 == beast::error::timeout) {
      Error e = make_error(ErrorKind::invalid_request, "timed out reading the request body");
      co_await c.respond(408, "application/json", openai::error_body(e));
    }
    co_return false;
  }
  co_return true;
}

}  // namespace

Awaitable<void> run_session(Worker& worker, Socket socket) {
  ClientConn c(std::move(socket), worker);
  worker.sessions.insert(&c);
  std::optional<Parser> parser;
  while (!worker.draining) {
    c.busy = false;
    c.begin_request();
    parser.emplace();
    if (!co_await read_request(c, *parser)) break;
    auto start = std::chrono::steady_clock::now();
    auto& req = parser->get();
    c.keep_alive = req.keep_alive();
    // Anything thrown is caught here, once: logged, and answered with a 500 when the head has
    // not gone out yet; the worker and its other connections carry on.
    bool failed = false;
    try {
      co_await handle_request(c, req);
    } catch (const std::exception& e) {
      spdlog::error("request handler threw: {}", e.what());
      failed = true;
    }
    if (failed) {
      c.keep_alive = false;
      if (!c.head_sent)
        co_await c.respond_error(make_error(ErrorKind::internal, "internal error in the gateway"));
    }
    log_access(c, req, start);
    if (!c.keep_alive) break;
  }
  worker.sessions.erase(&c);
  beast::error_code ec;
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  c.stream.close();
}

}  // namespace tollbooth
