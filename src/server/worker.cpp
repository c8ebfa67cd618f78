#include "server/worker.hpp"

#include "server/client_conn.hpp"

namespace tollbooth {

Worker::Worker(ServerShared& sh, unsigned i, long long started)
    // One thread runs this loop, so Asio's reactor locking is pure overhead (DESIGN.md).
    : io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      shared(sh),
      config(sh.config),
      clock(sh.clock),
      buffers(sh.buffers),
      accept_pause(io.get_executor()),
      index(i),
      started_unix(started) {}

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
  if (handler) handler->begin_drain();
  for (ClientConn* c : sessions)
    if (c->busy) c->abort(Abort::shutdown);
}

}  // namespace tollbooth
