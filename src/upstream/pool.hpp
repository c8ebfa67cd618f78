#pragma once
// Keep-alive connections to upstream clouds, one pool per worker thread (shared nothing).
// I/O header: include only from .cpp files of the I/O areas.
#include <array>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "net/asio.hpp"
#include "net/http_read.hpp"
#include "upstream/response_parser.hpp"

namespace tollbooth {

struct ProviderConfig;
namespace http = beast::http;

// Everything needed to reach one provider; built once at start-up, read-only afterwards and
// shared by every worker.
struct UpstreamTarget {
  std::string name;  // provider name: what error messages say
  // The pool's key: the name and a number no other target of the process has, so a config
  // reload's targets (perhaps another URL or trust under the same name) never get the
  // connections of the ones they replace.
  std::string pool_key;
  Endpoint endpoint;
  std::shared_ptr<asio::ssl::context> tls;  // null for plain http
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds first_byte_timeout{60'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_idle = 64;
};

// Throws std::runtime_error on a bad URL or an unreadable CA file (start-up only).
std::shared_ptr<const UpstreamTarget> make_upstream_target(const ProviderConfig& provider);

// Ways an upstream's answer breaks the protocol that Beast's parser does not report itself.
enum class UpstreamErrc {
  unexpected_upgrade = 1,  // 101 Switching Protocols, never asked for
  too_many_interim,        // an endless run of 1xx heads
};
const boost::system::error_category& upstream_category() noexcept;
inline beast::error_code make_error_code(UpstreamErrc e) noexcept {
  return beast::error_code(static_cast<int>(e), upstream_category());
}

// One connection to one upstream host, plain or TLS, with the response parser of the exchange
// in progress. Timeouts are one deadline per connection (expires_after): a timer re-arms itself
// lazily, so setting a deadline before each operation is a store, not a timer operation (Beast's
// basic_stream armed and cancelled a timer around every read and write). An operation cut by the
// deadline ends with operation_aborted; settle() turns that into beast::error::timeout.
class UpstreamConn {
 public:
  UpstreamConn(Executor ex, const UpstreamTarget& target, const Clock& clock);
  ~UpstreamConn();
  UpstreamConn(const UpstreamConn&) = delete;
  UpstreamConn& operator=(const UpstreamConn&) = delete;

  Awaitable<beast::error_code> connect(const tcp::resolver::results_type& addresses);
  // The write itself, for a coroutine to co_await (no coroutine frame around it): yields
  // (error, bytes); settle() the error.
  auto write(std::string_view head, std::string_view body) {
    return asio::async_initiate<decltype(deferred_nothrow), void(beast::error_code, std::size_t)>(
        [this, head, body](auto handler) {
          std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(body)};
          if (tls_)
            asio::async_write(*tls_, bufs, std::move(handler));
          else
            asio::async_write(*plain_, bufs, std::move(handler));
        },
        deferred_nothrow);
  }
  // Reading the head of the final response: interim 1xx heads (103 Early Hints, an unsolicited
  // 100 Continue) are read past, as RFC 9110 §15.2 requires of a client, so the answer that
  // follows them is never left unread in a pooled connection; a 101 is an error. parse_head()
  // parses what the buffer holds; while it says ReadStep::read, co_await read() and hand its
  // result to parse_head_read(). The error is settled. Steps rather than a coroutine: the
  // caller's own frame does the reading (no frame of its own per request).
  //   auto step = conn.parse_head(ec);
  //   while (step == net::ReadStep::read) {
  //     auto [rec, got] = co_await conn.read();
  //     step = conn.parse_head_read(rec, got, ec);
  //   }
  net::ReadStep parse_head(beast::error_code& ec);
  net::ReadStep parse_head_read(const beast::error_code& read_ec, std::size_t bytes,
                                beast::error_code& ec);
  // Reading the body: parse_buffered() hands the parser what is already in the buffer (body
  // bytes arrive with the head, or after the end of the last chunk parsed); when it consumed
  // nothing and the message is not done, co_await read() and give its result to parse_read(),
  // which appends the bytes read and parses them. Body bytes land in response().body.
  // Both return the error as the caller should see it (settled; the end of a read-to-close
  // body is not an error). This is Beast's http::async_read_some taken apart: one socket read
  // and a parse in the caller's own coroutine, instead of a composed operation per read.
  bool parse_buffered(beast::error_code& ec);
  // One socket read into the buffer (as Beast sizes its reads: what the buffer has room for,
  // up to 64 KiB), for a coroutine to co_await: yields (error, bytes).
  auto read() {
    return asio::async_initiate<decltype(deferred_nothrow), void(beast::error_code, std::size_t)>(
        [this](auto handler) {
          auto space = buffer_.prepare(beast::read_size(buffer_, 65536));
          if (tls_)
            tls_->async_read_some(space, std::move(handler));
          else
            plain_->async_read_some(space, std::move(handler));
        },
        deferred_nothrow);
  }
  // parse_buffered(), and whether a read() must follow: nothing was consumed, no error, and
  // the message is not done.
  bool needs_read(beast::error_code& ec) {
    return !parse_buffered(ec) && !ec && !parser_->is_done();
  }
  beast::error_code parse_read(const beast::error_code& read_ec, std::size_t bytes);

  // The deadline of the operations that follow.
  void expires_after(std::chrono::milliseconds d);
  void expires_never() noexcept;
  // An operation's error as the caller should see it: beast::error::timeout when the deadline
  // cut it.
  beast::error_code settle(const beast::error_code& ec) const noexcept;
  // Ends the operation in progress (it completes with operation_aborted); the connection is
  // then unusable and must be closed.
  void cancel();
  void close();

  ResponseParser& parser() { return *parser_; }
  // What the parser has read of the answer so far (the connection's, reused by each exchange).
  UpstreamResponse& response() noexcept { return response_; }
  // A fresh parser for the next exchange, with no body limit: the caller sets one once the head
  // shows what kind of answer it is (a stream is bounded per event, an answer in whole).
  void reset_parser();
  // The exchange ended exactly at the end of its response by the response's own framing, and
  // the upstream keeps the connection open: only then may it serve another request. Anything
  // else (an unread or half-read body, surplus bytes after it, Connection: close) would hand
  // one client's answer to the next.
  bool reusable() const noexcept;
  bool reused() const noexcept { return exchanges_ > 0; }
  // Going idle in the pool: the answer (perhaps megabytes) is freed now, not when the next
  // request happens to take this connection.
  void park() noexcept;
  // An idle connection is usable only while the upstream has sent nothing on it: bytes would be
  // an answer nobody asked for (which the next request would take as its own), EOF a close.
  bool idle_and_quiet() noexcept;
  const std::string& key() const noexcept { return key_; }

 private:
  struct Watch;
  Socket& socket() noexcept { return tls_ ? tls_->next_layer() : *plain_; }
  void arm(std::chrono::steady_clock::time_point now);
  net::ReadStep head_parsed(net::ReadStep step, beast::error_code& ec);
  static void on_timer(const std::shared_ptr<Watch>& w, const beast::error_code& ec);

  std::string key_;
  std::string sni_host_;
  const Clock& clock_;
  std::optional<Socket> plain_;
  std::optional<asio::ssl::stream<Socket>> tls_;
  std::shared_ptr<Watch> watch_;  // shared with the timer's handler, which may outlive this
  beast::flat_buffer buffer_;
  UpstreamResponse response_;  // before parser_, which refers to it
  std::optional<ResponseParser> parser_;
  unsigned exchanges_ = 0;
  int interim_heads_ = 0;  // 1xx heads read past in this exchange
};

class UpstreamPool {
 public:
  UpstreamPool(Executor ex, const Clock& clock) : ex_(ex), clock_(clock), resolver_(ex) {}

  // An idle keep-alive connection to `target` the upstream has left quiet, or null when there
  // is none. Those it closed or sent bytes on meanwhile are closed, never handed out. Not a
  // coroutine: taking a pooled connection, what nearly every request does, needs no frame.
  std::unique_ptr<UpstreamConn> take_idle(const UpstreamTarget& target);
  // A new connection (DNS cached). While it connects, `*connecting` points at it, so the caller
  // can cancel the connect.
  Awaitable<Result<std::unique_ptr<UpstreamConn>>> connect(const UpstreamTarget& target,
                                                           UpstreamConn** connecting = nullptr);
  // Pools the connection when reusable(), closes it otherwise.
  void release(const UpstreamTarget& target, std::unique_ptr<UpstreamConn> conn);
  // The drain: closes the idle connections, and from now on every released one. An idle
  // connection's timer would otherwise keep the worker's loop running for up to its period
  // after the last request (the process took 5 s to exit after a chat request).
  void close_idle() noexcept;
  // Closes the target's idle connections and forgets its addresses: it is no longer used (a
  // reload replaced it, and the requests that used it have ended).
  void forget(const UpstreamTarget& target) noexcept;
  // Connections kept alive in the pool now, every target together (some may have been closed
  // by their upstream since: they are found out when taken).
  std::size_t idle_count() const noexcept { return idle_count_; }

 private:
  Awaitable<Result<tcp::resolver::results_type>> resolve(const UpstreamTarget& target);

  struct CachedAddresses {
    tcp::resolver::results_type results;
    std::chrono::steady_clock::time_point expires;
  };
  Executor ex_;
  const Clock& clock_;
  asio::ip::basic_resolver<tcp, Executor> resolver_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConn>>> idle_;
  std::unordered_map<std::string, CachedAddresses> dns_;
  std::size_t idle_count_ = 0;
  bool closed_ = false;
};

}  // namespace tollbooth
