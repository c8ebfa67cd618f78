// The mock clouds' sockets: one event loop per thread, each with its own SO_REUSEPORT acceptor,
// one coroutine per connection. Requests are parsed with Beast's parser; replies are written as
// a pre-built head plus body in one gather write (no Beast serializer), the shape DESIGN.md
// measured as fastest, because in benchmarks the mock is the upstream and must not be the
// bottleneck.
#include "mock/mock_server.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "mock/mock_config.hpp"
#include "mock/mock_handler.hpp"
#include "mock/mock_recorder.hpp"
#include "mock/mock_reply.hpp"
#include "net/asio.hpp"
#include "server/listener.hpp"

namespace tollbooth::mock {
namespace {

namespace http = beast::http;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using RequestParser = http::request_parser<http::string_body>;

constexpr std::size_t kBodyLimit = 16 * 1024 * 1024;
constexpr std::string_view kMockPrefix = "/_mock/";

// What every connection of every worker shares; all of it is thread-safe.
struct Shared {
  MockHandler handler;
  RequestLog log;
  UsageLog usage;
};

std::string_view kind_name(CloudKind kind) {
  switch (kind) {
    case CloudKind::openai: return "openai";
    case CloudKind::azure: return "azure";
    case CloudKind::bedrock: return "bedrock";
  }
  return "openai";
}

Awaitable<void> sleep_ms(Socket& sock, int ms) {
  if (ms <= 0) co_return;
  Timer timer(sock.get_executor(), std::chrono::milliseconds(ms));
  co_await timer.async_wait(use_nothrow);
}

// Records the request, and the usage of its answer; returns the usage record's ticket (0 when
// there is none), for marking it delivered once its bytes are out.
std::uint64_t record(Shared& shared, const RequestParser::value_type& req, const Reply& reply) {
  if (reply.cloud == nullptr || !reply.cloud->record) return 0;
  shared.log.record([&](RecordedRequest& r) {
    r.seq = reply.seq;
    r.cloud = reply.cloud->name;
    r.method = req.method_string();
    r.target = req.target();
    for (const auto& field : req) r.add_header(field.name_string(), field.value());
    r.set_body(req.body());
  });
  if (reply.usage.empty()) return 0;
  return shared.usage.add(UsageRecord{reply.seq, reply.cloud->name, kind_name(reply.cloud->kind),
                                      reply.usage_model, reply.stream, reply.usage_reported, false,
                                      reply.usage});
}

// GET/DELETE /_mock/requests[?cloud=NAME], GET/DELETE /_mock/usage[?cloud=NAME],
// GET /_mock/health.
void introspect(Shared& shared, const RequestParser::value_type& req, Reply& reply) {
  const std::string_view target = req.target();
  const auto q = target.find('?');
  const auto path = target.substr(0, q);
  std::string_view cloud;
  if (q != std::string_view::npos && target.substr(q + 1, 6) == "cloud=") {
    cloud = target.substr(q + 7);
  }
  if (path == "/_mock/requests" && req.method() == http::verb::get) {
    reply.body = shared.log.to_json(cloud);
  } else if (path == "/_mock/requests" && req.method() == http::verb::delete_) {
    const auto held = shared.log.clear();
    shared.usage.clear();
    shared.handler.reset_counters();
    reply.body = R"({"cleared":)" + std::to_string(held) + "}";
  } else if (path == "/_mock/usage" && req.method() == http::verb::get) {
    reply.body = shared.usage.to_json(cloud);
  } else if (path == "/_mock/usage" && req.method() == http::verb::delete_) {
    reply.body = R"({"cleared":)" + std::to_string(shared.usage.clear()) + "}";
  } else if (path == "/_mock/health" && req.method() == http::verb::get) {
    reply.body = R"({"status":"ok"})";
  } else {
    reply.status = 404;
    reply.body =
        R"({"error":{"message":"unknown mock endpoint","type":"invalid_request_error","param":null,"code":null}})";
  }
}

// Answers the request; returns its usage record's ticket (0: none).
std::uint64_t dispatch(Shared& shared, const RequestParser::value_type& req, Reply& reply) {
  if (req.target().substr(0, kMockPrefix.size()) == kMockPrefix) {
    introspect(shared, req, reply);
    return 0;
  }
  MockRequest m;
  m.method = req.method_string();
  m.target = req.target();
  m.authorization = req[http::field::authorization];
  m.api_key = req["api-key"];
  if (auto it = req.find("x-mock-fault"); it != req.end()) m.fault = it->value();
  m.body = req.body();
  thread_local std::vector<aws::HeaderRef> headers;  // reused: no allocation per request
  headers.clear();
  for (const auto& field : req) headers.push_back({field.name_string(), field.value()});
  m.headers = headers;
  shared.handler.handle(m, reply);
  return record(shared, req, reply);
}

// Writes one SSE event as one HTTP chunk, flushed on its own (TCP_NODELAY is set).
Awaitable<bool> write_chunk(Socket& sock, std::string_view data) {
  char size[20];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  const std::array<asio::const_buffer, 3> bufs{asio::buffer(size, static_cast<std::size_t>(n)),
                                               asio::buffer(data), asio::buffer("\r\n", 2)};
  auto [ec, written] = co_await asio::async_write(sock, bufs, use_nothrow);
  co_return !ec;
}

// Where a reply's usage record is, and the log to tell once its bytes are out.
struct UsageTicket {
  UsageLog& log;
  std::uint64_t ticket = 0;
  void delivered() const {
    if (ticket != 0) log.mark_delivered(ticket);
  }
};

// Streams the events; false when the connection must close (a drop fault or a write error).
Awaitable<bool> send_stream(Socket& sock, const Reply& reply, const std::string& head,
                            const UsageTicket& usage) {
  auto [ec, n] = co_await asio::async_write(sock, asio::buffer(head), use_nothrow);
  if (ec) co_return false;
  for (std::size_t i = 0; i < reply.events.size(); ++i) {
    if (reply.drop_after >= 0 && i == static_cast<std::size_t>(reply.drop_after)) co_return false;
    if (!co_await write_chunk(sock, reply.events[i])) co_return false;
    if (static_cast<int>(i) == reply.usage_event) usage.delivered();
    if (i + 1 == reply.events.size()) break;
    co_await sleep_ms(sock, i == 0 && reply.stall_ms > 0 ? reply.stall_ms : reply.event_delay_ms);
  }
  auto [ec2, n2] = co_await asio::async_write(sock, asio::buffer("0\r\n\r\n", 5), use_nothrow);
  co_return !ec2;
}

// Sends the reply; false when the connection must close afterwards.
Awaitable<bool> send(Socket& sock, const Reply& reply, bool keep_alive, std::string& head,
                     const UsageTicket& usage) {
  co_await sleep_ms(sock, reply.latency_ms);
  if (reply.close_without_reply) co_return false;
  head.clear();
  append_response_head(head, reply, keep_alive);
  if (reply.stream) co_return co_await send_stream(sock, reply, head, usage) && keep_alive;
  std::string_view body = reply.body;
  const bool drop = reply.drop_after >= 0;
  if (drop) body = body.substr(0, static_cast<std::size_t>(reply.drop_after));
  if (reply.stall_ms > 0) {
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(head), use_nothrow);
    if (ec) co_return false;
    co_await sleep_ms(sock, reply.stall_ms);
    head.clear();
  }
  const std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(body)};
  auto [ec, n] = co_await asio::async_write(sock, bufs, use_nothrow);
  if (!ec && body.size() == reply.body.size()) usage.delivered();
  co_return !ec && !drop && keep_alive;
}

Awaitable<void> reject(Socket& sock, UsageLog& usage, int status, std::string_view message) {
  Reply reply;
  reply.status = status;
  reply.body = R"({"error":{"message":")" + std::string(message) +
               R"(","type":"invalid_request_error","param":null,"code":null}})";
  std::string head;
  const UsageTicket none{usage, 0};
  co_await send(sock, reply, false, head, none);
}

Awaitable<void> session(Socket sock, Shared& shared) {
  beast::flat_buffer buffer;
  std::optional<RequestParser> parser;
  Reply reply;
  std::string head;
  for (;;) {
    parser.emplace();
    parser->body_limit(kBodyLimit);
    auto [ec, n] = co_await http::async_read(sock, buffer, *parser, use_nothrow);
    if (ec == http::error::body_limit) {
      co_await reject(sock, shared.usage, 413, "request body too large");
    } else if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      co_await reject(sock, shared.usage, 400, "malformed HTTP request");
    }
    if (ec) break;
    const auto& req = parser->get();
    reply.clear();
    const UsageTicket usage{shared.usage, dispatch(shared, req, reply)};
    // HTTP/1.0 clients (ab -k) keep the connection only when the answer says so.
    if (req.version() == 10 && req.keep_alive()) reply.add_header("connection", "keep-alive");
    if (!co_await send(sock, reply, req.keep_alive(), head, usage)) break;
  }
  beast::error_code ignored;
  sock.shutdown(tcp::socket::shutdown_both, ignored);
  sock.close(ignored);
}

// Completion of every spawned coroutine: whatever escaped one connection is logged and ends
// that connection only, never the process.
void log_failure(std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tollbooth mock: connection failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "tollbooth mock: connection failed\n");
  }
}

Awaitable<void> accept_loop(Acceptor& acceptor, Shared& shared) {
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(use_nothrow);
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // e.g. EMFILE: keep serving the connections we have, without spinning on the accept
      Timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    sock.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(acceptor.get_executor(), session(std::move(sock), shared), log_failure);
  }
}

tcp::endpoint parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--listen must be host:port");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "localhost") host = "127.0.0.1";
  const auto port = std::stoi(listen.substr(colon + 1));
  if (port < 0 || port > 65535) throw std::runtime_error("--listen port out of range");
  return {asio::ip::make_address(host), static_cast<unsigned short>(port)};
}

}  // namespace

int run_mock(const MockOptions& options) {
  try {
    auto config =
        options.config_file.empty() ? default_mock_config() : load_mock_config(options.config_file);
    Shared shared{MockHandler(std::move(config)), {}, {}};
    const unsigned threads = std::max(1u, options.threads);
    std::vector<std::unique_ptr<asio::io_context>> loops;
    std::vector<std::unique_ptr<Acceptor>> acceptors;
    auto ep = parse_listen(options.listen);
    check_address_free(ep);  // SO_REUSEPORT would let a second mock share a busy port
    for (unsigned i = 0; i < threads; ++i) {
      loops.push_back(std::make_unique<asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO));
      acceptors.push_back(std::make_unique<Acceptor>(loops.back()->get_executor()));
      ep = open_listener(*acceptors.back(), ep);  // port 0: the others join the port we got
      asio::co_spawn(*loops.back(), accept_loop(*acceptors.back(), shared), asio::detached);
    }
    // Handlers go in before the "listening" line: a test may signal as soon as it reads it.
    asio::signal_set signals(*loops.front(), SIGINT, SIGTERM);
    signals.async_wait([&loops](const beast::error_code&, int) {
      for (auto& loop : loops) loop->stop();
    });
    std::printf("mock listening on %s:%u\n", ep.address().to_string().c_str(), ep.port());
    std::fflush(stdout);
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&loops, i] { loops[i]->run(); });
    loops.front()->run();
    for (auto& w : workers) w.join();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tollbooth mock: %s\n", e.what());
    return 1;
  }
}

}  // namespace tollbooth::mock
