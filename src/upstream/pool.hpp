#pragma once
// Keep-alive connections to upstream clouds, one pool per worker thread (shared nothing).
// I/O header: include only from .cpp files of the I/O areas.
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "net/asio.hpp"
#include "core/endpoint.hpp"

namespace tollbooth {

struct ProviderConfig;
namespace http = beast::http;

// Everything needed to reach one provider; built once at start-up, read-only afterwards and
// shared by every worker.
struct UpstreamTarget {
  std::string name;  // provider name: the pool key and what error messages say
  Endpoint endpoint;
  std::shared_ptr<asio::ssl::context> tls;  // null for plain http
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds first_byte_timeout{60'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_idle = 64;
};

// Throws std::runtime_error on a bad URL or an unreadable CA file (start-up only).
std::shared_ptr<const UpstreamTarget> make_upstream_target(const ProviderConfig& provider);

using ResponseParser = http::response_parser<http::string_body>;

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
// in progress.
class UpstreamConn {
 public:
  UpstreamConn(Executor ex, const UpstreamTarget& target);

  Awaitable<beast::error_code> connect(const tcp::resolver::results_type& addresses);
  Awaitable<beast::error_code> write(std::string_view head, std::string_view body);
  // Reads the head of the final response: interim 1xx heads (103 Early Hints, an unsolicited
  // 100 Continue) are read past, as RFC 9110 §15.2 requires of a client, so the answer that
  // follows them is never left unread in a pooled connection. A 101 is an error.
  Awaitable<beast::error_code> read_header();
  // Reads what is available of the body into parser().get().body(); 0 bytes and no error with
  // parser().is_done() means the message is complete.
  Awaitable<beast::error_code> read_some();

  void expires_after(std::chrono::milliseconds d);
  void expires_never();
  // Ends the operation in progress (it completes with operation_aborted); the connection is
  // then unusable and must be closed.
  void cancel();
  void close();

  ResponseParser& parser() { return *parser_; }
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
  TcpStream& tcp();
  std::string key_;
  std::string sni_host_;
  std::optional<TcpStream> plain_;
  std::optional<asio::ssl::stream<TcpStream>> tls_;
  beast::flat_buffer buffer_;
  std::optional<ResponseParser> parser_;
  unsigned exchanges_ = 0;
};

class UpstreamPool {
 public:
  explicit UpstreamPool(Executor ex) : ex_(ex), resolver_(ex) {}

  // An idle keep-alive connection when one exists, otherwise a new one (DNS cached). While a new
  // one connects, `*connecting` points at it, so the caller can cancel the connect.
  Awaitable<Result<std::unique_ptr<UpstreamConn>>> acquire(const UpstreamTarget& target,
                                                           bool fresh_only = false,
                                                           UpstreamConn** connecting = nullptr);
  // Pools the connection when reusable(), closes it otherwise.
  void release(const UpstreamTarget& target, std::unique_ptr<UpstreamConn> conn);

 private:
  Awaitable<Result<tcp::resolver::results_type>> resolve(const UpstreamTarget& target);

  struct CachedAddresses {
    tcp::resolver::results_type results;
    std::chrono::steady_clock::time_point expires;
  };
  Executor ex_;
  asio::ip::basic_resolver<tcp, Executor> resolver_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConn>>> idle_;
  std::unordered_map<std::string, CachedAddresses> dns_;
};

}  // namespace tollbooth
