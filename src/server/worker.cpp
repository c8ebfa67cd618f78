#include "server/worker.hpp"

#include <random>

#include "config/config.hpp"
#include "gateway/route_table.hpp"
#include "server/client_conn.hpp"

namespace tollbooth {

Worker::Worker(const RouteTable& r, ServerShared& sh, unsigned i, long long started)
    // One thread runs this loop, so Asio's reactor locking is pure overhead (DESIGN.md).
    : io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      routes(r),
      config(r.config()),
      shared(sh),
      buffers(sh.buffers),
      pool(io.get_executor()),
      accept_pause(io.get_executor()),
      index(i),
      started_unix(started),
      random_state(std::random_device{}() ^ (static_cast<std::uint64_t>(i) << 32)) {}

void Worker::connection_closed() noexcept {
  shared.connections.fetch_sub(1, std::memory_order_relaxed);
  accept_pause.cancel();
}

void Worker::begin_drain() {
  draining = true;
  accept_pause.cancel();
  if (acceptor) {
    beast::error_code ec;
    acceptor->close(ec);
  }
  for (ClientConn* c : sessions) {
    if (c->busy) continue;
    beast::error_code ec;
    c->socket.cancel(ec);  // wakes the idle read; the session then ends
  }
}

void Worker::cut_in_flight() {
  for (ClientConn* c : sessions)
    if (c->busy) c->abort(Abort::shutdown);
}

}  // namespace tollbooth
