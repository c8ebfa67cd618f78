#include "server/serve.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "config/config.hpp"
#include "gateway/route_table.hpp"
#include "server/session.hpp"
#include "server/worker.hpp"

namespace tollbooth {

namespace {

Awaitable<void> accept_loop(Worker& w) {
  for (;;) {
    auto [ec, socket] = co_await w.acceptor->async_accept(use_nothrow);
    if (ec) {
      if (w.draining || ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    beast::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec);
    asio::co_spawn(w.io.get_executor(), run_session(w, std::move(socket)), asio::detached);
  }
}

// Every worker binds the same address with SO_REUSEPORT so the kernel spreads connections;
// with port 0 the first worker's port is reused by the rest.
tcp::endpoint bind_acceptor(Worker& w, tcp::endpoint at) {
  auto& a = w.acceptor.emplace(w.io.get_executor());
  a.open(at.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  int one = 1;
  ::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  a.bind(at);
  a.listen(asio::socket_base::max_listen_connections);
  return a.local_endpoint();
}

}  // namespace

int run_server(std::shared_ptr<const Config> config) {
  std::unique_ptr<RouteTable> routes;
  try {
    routes = std::make_unique<RouteTable>(config);
  } catch (const std::exception& e) {
    std::cerr << "tollbooth: " << e.what() << "\n";
    return 1;
  }
  for (const auto& source : routes->credential_sources())
    spdlog::info("AWS credentials for {}", source);
  const auto& sc = config->server;
  unsigned n = sc.workers ? sc.workers : std::max(1u, std::thread::hardware_concurrency());
  auto started = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  std::vector<std::unique_ptr<Worker>> workers;
  tcp::endpoint at;
  try {
    at = tcp::endpoint(asio::ip::make_address(sc.host), sc.port);
    for (unsigned i = 0; i < n; ++i) {
      workers.push_back(std::make_unique<Worker>(*routes, i, started));
      at = bind_acceptor(*workers.back(), at);
    }
  } catch (const std::exception& e) {
    std::cerr << "tollbooth: cannot listen on " << sc.host << ":" << sc.port << ": " << e.what()
              << "\n";
    return 1;
  }
  std::cout << "tollbooth listening on " << at.address().to_string() << ":" << at.port() << " ("
            << n << " worker" << (n == 1 ? "" : "s") << ")" << std::endl;

  std::mutex mu;
  std::condition_variable cv;
  unsigned finished = 0;
  std::vector<std::thread> threads;
  for (auto& w : workers) {
    asio::co_spawn(w->io.get_executor(), accept_loop(*w), asio::detached);
    threads.emplace_back([&, wp = w.get()] {
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
    for (auto& w : workers) asio::post(w->io, [wp = w.get()] { wp->begin_drain(); });
  });
  std::thread signal_thread([&] { signals_io.run(); });

  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return finished > 0; });  // a worker only stops once draining
    if (!cv.wait_for(lock, sc.drain_timeout, [&] { return finished == workers.size(); })) {
      spdlog::warn("drain timeout: stopping with requests still in flight");
      for (auto& w : workers) w->io.stop();
    }
  }
  for (auto& t : threads) t.join();
  signals.cancel();
  signals_io.stop();
  signal_thread.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace tollbooth
