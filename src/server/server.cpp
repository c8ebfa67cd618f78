#include "server/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "config/config.hpp"
#include "core/thread_name.hpp"
#include "server/client_conn.hpp"
#include "server/session.hpp"
#include "server/worker.hpp"

namespace tollbooth {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Out of file descriptors (or kernel memory): accepting again at once fails again, so the loop
// would spin a core and flood the log. Like nginx, stop accepting for a while; the backlog
// holds new connections meanwhile.
bool out_of_resources(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec.value() == ENFILE;
}

constexpr auto kLogEvery = std::chrono::seconds(10);
constexpr auto kFirstPause = std::chrono::milliseconds(50);
constexpr auto kLongestPause = std::chrono::seconds(1);
// How often a worker holding a connection over max_connections looks again (a close on its own
// loop wakes it at once; closes on other loops are seen at the next look).
constexpr auto kSlotPoll = std::chrono::milliseconds(50);

// One warning per kLogEvery per condition, with how often it happened meanwhile.
struct RateLimitedWarning {
  SteadyClock::time_point last{};
  unsigned long long suppressed = 0;

  template <class... Args>
  void warn(SteadyClock::time_point now, fmt::format_string<Args...> format, Args&&... args) {
    if (last != SteadyClock::time_point{} && now - last < kLogEvery) {
      ++suppressed;
      return;
    }
    std::string text = fmt::format(format, std::forward<Args>(args)...);
    if (suppressed) text += fmt::format(" ({} more since the last warning)", suppressed);
    spdlog::warn("{}", text);
    last = now;
    suppressed = 0;
  }
};

Awaitable<void> pause(Worker& w, SteadyClock::duration d) {
  w.accept_pause.expires_after(d);
  co_await w.accept_pause.async_wait(use_nothrow);
}

Awaitable<void> accept_loop(Worker& w) {
  RateLimitedWarning fd_warning, limit_warning;
  SteadyClock::duration backoff = kFirstPause;
  for (;;) {
    auto [ec, socket] = co_await w.acceptor->async_accept(use_nothrow);
    if (w.draining) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      if (out_of_resources(ec)) {
        fd_warning.warn(
            w.clock.steady(),
            "accept failed: {}; not accepting for up to {} ms (raise the file-descriptor limit, "
            "ulimit -n, or lower server.max_connections)",
            ec.message(), std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count());
        co_await pause(w, backoff);
        backoff = std::min<SteadyClock::duration>(backoff * 2, kLongestPause);
        continue;
      }
      continue;  // one connection's trouble (ECONNABORTED, EPROTO): the next one is fine
    }
    backoff = kFirstPause;
    beast::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec);
    // Over max_connections, this connection waits (unread) and so does the backlog behind it,
    // until a connection closes.
    if (w.shared.connections.fetch_add(1, std::memory_order_relaxed) + 1 >
        w.shared.max_connections) {
      limit_warning.warn(w.clock.steady(),
                         "server.max_connections ({}) reached: new connections wait",
                         w.shared.max_connections);
      while (w.shared.connections.load(std::memory_order_relaxed) > w.shared.max_connections &&
             !w.draining)
        co_await pause(w, kSlotPoll);
      if (w.draining) {
        w.shared.connections.fetch_sub(1, std::memory_order_relaxed);
        co_return;
      }
    }
    asio::co_spawn(w.io.get_executor(), run_session(w, std::move(socket)), asio::detached);
  }
}

// The soft RLIMIT_NOFILE is often 1024 while the hard limit is far higher: raise it, as every
// connection and upstream connection is a descriptor. Returns the soft limit in force.
std::size_t raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &want) == 0) lim = want;
  }
  return lim.rlim_cur == RLIM_INFINITY ? (1u << 20) : static_cast<std::size_t>(lim.rlim_cur);
}

}  // namespace

Server::Server(const ServerConfig& config, const Clock& clock) : config_(config), clock_(clock) {}

Server::~Server() = default;

void Server::listen(const HandlerFactory& make_handler) {
  const std::size_t fds = raise_fd_limit();
  const std::size_t max_connections =
      config_.max_connections ? config_.max_connections : std::max<std::size_t>(16, fds / 2);
  spdlog::info("file descriptors: {}; max_connections: {}", fds, max_connections);
  shared_ = std::make_unique<ServerShared>(config_, clock_, max_connections);
  const unsigned n =
      config_.workers ? config_.workers : std::max(1u, std::thread::hardware_concurrency());
  const auto started = clock_.unix_ms() / 1000;
  tcp::endpoint at;
  try {
    at = tcp::endpoint(asio::ip::make_address(config_.host), config_.port);
    check_address_free(at);
    for (unsigned i = 0; i < n; ++i) {
      auto& w = *workers_.emplace_back(std::make_unique<Worker>(*shared_, i, started));
      at = open_listener(w.acceptor.emplace(w.io.get_executor()), at);
    }
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on " + config_.host + ":" +
                             std::to_string(config_.port) + ": " + e.what());
  }
  for (auto& w : workers_) w->handler = make_handler(*w);
  where_ = at.address().to_string() + ":" + std::to_string(at.port()) + " (" + std::to_string(n) +
           " worker" + (n == 1 ? "" : "s") + ")";
}

std::string Server::where() const {
  return where_;
}

void Server::run() {
  std::mutex mu;
  std::condition_variable cv;
  unsigned finished = 0;
  std::optional<SteadyClock::time_point> drain_started;
  std::vector<std::thread> threads;
  for (auto& w : workers_) {
    asio::co_spawn(w->io.get_executor(), accept_loop(*w), asio::detached);
    threads.emplace_back([&, wp = w.get()] {
      name_this_thread("tb-worker-" + std::to_string(wp->index));
      wp->io.run();
      std::lock_guard lock(mu);
      ++finished;
      cv.notify_all();
    });
  }

  asio::io_context signals_io;
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: draining (no new connections; in-flight requests finish)", sig);
    {
      std::lock_guard lock(mu);
      drain_started = clock_.steady();
      cv.notify_all();
    }
    for (auto& w : workers_) asio::post(w->io, [wp = w.get()] { wp->begin_drain(); });
  });
  // SIGHUP: the application's (a config reload), for as long as the loops run.
  asio::signal_set hangups(signals_io, SIGHUP);
  std::function<void(const beast::error_code&, int)> on_hangup = [&](const beast::error_code& ec,
                                                                     int) {
    if (ec) return;
    spdlog::info("signal SIGHUP: reloading the config");
    if (hangup_) hangup_();
    hangups.async_wait(on_hangup);
  };
  hangups.async_wait(on_hangup);
  std::thread signal_thread([&] {
    name_this_thread("tb-signals");
    signals_io.run();
  });

  {
    // The drain's clock starts at the signal, whatever the workers are doing. Shortly before
    // drain_timeout, what is still in flight is cut with an error the client can see; at
    // drain_timeout the loops stop, whether or not those last writes went out.
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return drain_started.has_value() || finished == workers_.size(); });
    if (finished < workers_.size()) {
      const auto timeout = config_.drain_timeout;
      const auto grace = std::min<SteadyClock::duration>(std::chrono::seconds(1), timeout / 5);
      const auto deadline = *drain_started + timeout;
      if (!cv.wait_until(lock, deadline - grace, [&] { return finished == workers_.size(); })) {
        spdlog::warn("drain timeout: cutting the requests still in flight");
        for (auto& w : workers_) asio::post(w->io, [wp = w.get()] { wp->cut_in_flight(); });
        if (!cv.wait_until(lock, deadline, [&] { return finished == workers_.size(); })) {
          spdlog::warn("drain timeout: stopping with requests still in flight");
          for (auto& w : workers_) w->io.stop();
        }
      }
    }
  }
  for (auto& t : threads) t.join();
  for (auto& w : workers_)
    if (w->handler) w->handler->stopped();
  signals.cancel();
  hangups.cancel();
  signals_io.stop();
  signal_thread.join();
}

}  // namespace tollbooth
