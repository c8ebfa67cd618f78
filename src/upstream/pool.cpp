#include "upstream/pool.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/read_size.hpp>
#include <cerrno>
#include <stdexcept>

#include "config/config.hpp"

namespace tollbooth {

namespace {
constexpr auto kDnsTtl = std::chrono::seconds(30);
// 1xx heads before the final one; real servers send one or two.
constexpr int kMaxInterimHeads = 8;

class UpstreamCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "upstream"; }
  std::string message(int e) const override {
    switch (static_cast<UpstreamErrc>(e)) {
      case UpstreamErrc::unexpected_upgrade:
        return "the upstream switched protocols (101) without being asked to";
      case UpstreamErrc::too_many_interim:
        return "the upstream sent more than 8 interim (1xx) heads";
    }
    return "upstream protocol error";
  }
};
}  // namespace

const boost::system::error_category& upstream_category() noexcept {
  static const UpstreamCategory category;
  return category;
}

std::shared_ptr<const UpstreamTarget> make_upstream_target(const ProviderConfig& provider) {
  auto ep = parse_endpoint(provider.base_url);
  if (!ep) throw std::runtime_error("provider " + provider.name + ": " + ep.error().message);
  auto t = std::make_shared<UpstreamTarget>();
  t->name = provider.name;
  static std::atomic<std::uint64_t> made{0};
  t->pool_key = provider.name + "#" + std::to_string(made.fetch_add(1, std::memory_order_relaxed));
  t->endpoint = std::move(ep.value());
  t->connect_timeout = provider.connect_timeout;
  t->first_byte_timeout = provider.first_byte_timeout;
  t->idle_timeout = provider.idle_timeout;
  t->max_idle = provider.max_idle_connections;
  if (t->endpoint.tls) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    ctx->set_default_verify_paths();
    if (!provider.ca_file.empty()) ctx->load_verify_file(provider.ca_file);
    ctx->set_verify_mode(provider.verify_tls ? asio::ssl::verify_peer : asio::ssl::verify_none);
    t->tls = std::move(ctx);
  }
  return t;
}

// The deadline's state, shared with the timer's handler: the handler may run after the
// connection is gone (it then finds `socket` null and does nothing).
struct UpstreamConn::Watch {
  Watch(Executor ex, std::chrono::steady_clock::duration period) : timer(ex), period(period) {}
  Timer timer;
  const std::chrono::steady_clock::duration period;  // the longest sleep of the timer
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const Clock* clock = nullptr;
  Socket* socket = nullptr;  // null once the connection is gone
  unsigned waits = 0;        // handlers of the timer not yet run
  bool timed_out = false;
};

UpstreamConn::UpstreamConn(Executor ex, const UpstreamTarget& target, const Clock& clock)
    : key_(target.pool_key), sni_host_(target.endpoint.host), clock_(clock) {
  // Room for a whole typical answer head and body: Beast's first read is only 512 bytes
  // otherwise, which cost an extra receive per request (bench/run's strace).
  buffer_.reserve(8 * 1024);
  if (target.tls) {
    tls_.emplace(Socket(ex), *target.tls);
    if (target.tls->native_handle() &&
        SSL_CTX_get_verify_mode(target.tls->native_handle()) != SSL_VERIFY_NONE)
      tls_->set_verify_callback(asio::ssl::host_name_verification(sni_host_));
  } else {
    plain_.emplace(ex);
  }
  // The timer wakes at least this often while a deadline is set, so a later deadline (none is
  // shorter than the shortest of the provider's timeouts, unless cut to a request's deadline)
  // needs no timer operation.
  const auto period =
      std::min({target.connect_timeout, target.first_byte_timeout, target.idle_timeout});
  watch_ = std::make_shared<Watch>(ex, period);
  watch_->clock = &clock_;
  watch_->socket = &socket();
}

UpstreamConn::~UpstreamConn() {
  watch_->socket = nullptr;
  watch_->timer.cancel();
}

void UpstreamConn::arm(std::chrono::steady_clock::time_point now) {
  Watch& w = *watch_;
  w.timer.expires_at(std::min(w.deadline, now + w.period));  // cancels a pending wait
  ++w.waits;
  w.timer.async_wait([w = watch_](const beast::error_code& ec) { UpstreamConn::on_timer(w, ec); });
}

void UpstreamConn::on_timer(const std::shared_ptr<Watch>& w, const beast::error_code& ec) {
  --w->waits;
  if (ec || !w->socket) return;
  if (w->deadline == std::chrono::steady_clock::time_point::max()) return;
  const auto now = w->clock->steady();
  if (w->deadline <= now) {
    w->timed_out = true;
    w->deadline = std::chrono::steady_clock::time_point::max();
    beast::error_code cancel_ec;
    w->socket->cancel(cancel_ec);  // the pending operation ends with operation_aborted
    return;
  }
  if (w->waits == 0) {
    w->timer.expires_at(std::min(w->deadline, now + w->period));
    ++w->waits;
    w->timer.async_wait([w](const beast::error_code& e) { UpstreamConn::on_timer(w, e); });
  }
}

void UpstreamConn::expires_after(std::chrono::milliseconds d) {
  Watch& w = *watch_;
  const auto now = clock_.steady();
  w.deadline = now + d;
  w.timed_out = false;
  if (w.waits == 0 || w.deadline < w.timer.expiry()) arm(now);
}

void UpstreamConn::expires_never() noexcept {
  watch_->deadline = std::chrono::steady_clock::time_point::max();
  watch_->timed_out = false;
}

beast::error_code UpstreamConn::settle(const beast::error_code& ec) const noexcept {
  if (ec == asio::error::operation_aborted && watch_->timed_out) return beast::error::timeout;
  return ec;
}

void UpstreamConn::cancel() {
  beast::error_code ec;
  socket().cancel(ec);
}

void UpstreamConn::close() {
  beast::error_code ec;
  socket().shutdown(tcp::socket::shutdown_both, ec);
  socket().close(ec);
}

void UpstreamConn::reset_parser() {
  interim_heads_ = 0;
  parser_.reset();
  parser_.emplace(response_);
  parser_->body_limit(boost::none);
}

void UpstreamConn::park() noexcept {
  ++exchanges_;
  expires_never();
  parser_.reset();
  response_.clear();
  if (buffer_.capacity() > 64 * 1024) {
    buffer_.shrink_to_fit();
    buffer_.reserve(8 * 1024);
  }
}

bool UpstreamConn::idle_and_quiet() noexcept {
  char byte;
  ssize_t n = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool UpstreamConn::reusable() const noexcept {
  return parser_ && parser_->is_done() && parser_->keep_alive() && buffer_.size() == 0;
}

Awaitable<beast::error_code> UpstreamConn::connect(const tcp::resolver::results_type& addresses) {
  auto [ec, ep] = co_await asio::async_connect(socket(), addresses, use_nothrow);
  if (ec) co_return settle(ec);
  socket().set_option(tcp::no_delay(true), ec);
  if (tls_) {
    if (!SSL_set_tlsext_host_name(tls_->native_handle(), sni_host_.c_str()))
      co_return beast::error_code(static_cast<int>(::ERR_get_error()),
                                  asio::error::get_ssl_category());
    auto [hec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_nothrow);
    if (hec) co_return settle(hec);
  }
  co_return beast::error_code{};
}

net::ReadStep UpstreamConn::parse_head(beast::error_code& ec) {
  std::size_t n = 0;
  return head_parsed(net::parse_buffered(*parser_, buffer_, net::HeadDone{}, ec, n), ec);
}

net::ReadStep UpstreamConn::parse_head_read(const beast::error_code& read_ec, std::size_t bytes,
                                            beast::error_code& ec) {
  std::size_t n = 0;
  return head_parsed(net::after_read(*parser_, buffer_, net::HeadDone{}, read_ec, bytes, ec, n),
                     ec);
}

// A head is parsed (or the parse failed): a final head ends the read, an interim one is read
// past, and the parse goes on with what follows it.
net::ReadStep UpstreamConn::head_parsed(net::ReadStep step, beast::error_code& ec) {
  while (step == net::ReadStep::done) {
    const unsigned status = response_.status;
    if (status >= 200 || status < 100) return step;
    if (status == 101) {
      ec = make_error_code(UpstreamErrc::unexpected_upgrade);
      return net::ReadStep::failed;
    }
    if (interim_heads_ == kMaxInterimHeads) {
      ec = make_error_code(UpstreamErrc::too_many_interim);
      return net::ReadStep::failed;
    }
    ++interim_heads_;
    // A 1xx has no body; the final response follows in the same buffer or on the wire.
    parser_.reset();
    parser_.emplace(response_);
    parser_->body_limit(boost::none);
    std::size_t n = 0;
    step = net::parse_buffered(*parser_, buffer_, net::HeadDone{}, ec, n);
  }
  if (step == net::ReadStep::failed) ec = settle(ec);
  return step;
}

bool UpstreamConn::parse_buffered(beast::error_code& ec) {
  ec = {};
  bool consumed = false;
  while (buffer_.size() > 0 && !parser_->is_done()) {
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    consumed |= used > 0;
    if (ec == http::error::need_more) {
      ec = {};
      break;
    }
    if (ec || used == 0) break;
  }
  return consumed;
}

beast::error_code UpstreamConn::parse_read(const beast::error_code& read_ec, std::size_t bytes) {
  buffer_.commit(bytes);
  if (read_ec == asio::error::eof) {
    // The upstream closed: that ends a body framed by the close, and is an error otherwise.
    if (!parser_->got_some()) return http::error::end_of_stream;
    beast::error_code ec;
    parser_->put_eof(ec);
    return ec;
  }
  if (read_ec) return settle(read_ec);
  beast::error_code ec;
  parse_buffered(ec);
  return ec;
}

Awaitable<Result<tcp::resolver::results_type>> UpstreamPool::resolve(const UpstreamTarget& t) {
  auto now = clock_.steady();
  auto it = dns_.find(t.pool_key);
  if (it != dns_.end() && it->second.expires > now) co_return it->second.results;
  auto [ec, results] = co_await resolver_.async_resolve(
      t.endpoint.host, std::to_string(t.endpoint.port), use_nothrow);
  if (ec) {
    Error e = make_error(ErrorKind::bad_gateway, "could not resolve the upstream host");
    e.detail = t.endpoint.host + ": " + ec.message();
    e.retryable = true;
    co_return e;
  }
  dns_[t.pool_key] = CachedAddresses{results, now + kDnsTtl};
  co_return results;
}

std::unique_ptr<UpstreamConn> UpstreamPool::take_idle(const UpstreamTarget& t) {
  auto it = idle_.find(t.pool_key);
  while (it != idle_.end() && !it->second.empty()) {
    auto conn = std::move(it->second.back());
    it->second.pop_back();
    --idle_count_;
    if (conn->idle_and_quiet()) return conn;
    conn->close();  // closed by the upstream, or desynchronised: never hand it out
  }
  return nullptr;
}

Awaitable<Result<std::unique_ptr<UpstreamConn>>> UpstreamPool::connect(const UpstreamTarget& t,
                                                                       UpstreamConn** connecting) {
  auto addresses = co_await resolve(t);
  if (!addresses) co_return std::move(addresses).error();
  auto conn = std::make_unique<UpstreamConn>(ex_, t, clock_);
  conn->expires_after(t.connect_timeout);
  if (connecting) *connecting = conn.get();
  auto ec = co_await conn->connect(*addresses);
  if (connecting) *connecting = nullptr;
  if (ec) {
    bool timeout = ec == beast::error::timeout;
    Error e = make_error(timeout ? ErrorKind::gateway_timeout : ErrorKind::bad_gateway,
                         timeout ? "connect timed out" : "connect failed");
    e.detail = ec.message();
    e.retryable = true;
    co_return e;
  }
  co_return conn;
}

void UpstreamPool::close_idle() noexcept {
  closed_ = true;
  idle_.clear();  // each connection's destructor cancels its timer; its socket closes
  idle_count_ = 0;
}

void UpstreamPool::forget(const UpstreamTarget& t) noexcept {
  if (auto it = idle_.find(t.pool_key); it != idle_.end()) {
    idle_count_ -= it->second.size();
    idle_.erase(it);
  }
  dns_.erase(t.pool_key);
}

void UpstreamPool::release(const UpstreamTarget& t, std::unique_ptr<UpstreamConn> conn) {
  if (closed_ || !conn->reusable()) {
    conn->close();
    return;
  }
  auto& idle = idle_[t.pool_key];
  if (idle.size() >= t.max_idle) return;  // dropping it closes it
  conn->park();
  idle.push_back(std::move(conn));
  ++idle_count_;
}

}  // namespace tollbooth
