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
      watch_sweep(io.get_executor()),
      index(i),
      started_unix(started) {}

void Worker::connection_closed() noexcept {
  shared.connections.fetch_sub(1, std::memory_order_relaxed);
  accept_pause.cancel();
}

void Worker::await_watch(ClientConn& c) noexcept {
  c.watch_prev = watch_tail;
  c.watch_next = nullptr;
  (watch_tail ? watch_tail->watch_next : watch_head) = &c;
  watch_tail = &c;
  if (!watch_sweep_armed) arm_watch_sweep(c.watch_from + ClientConn::kWatchAfter);
}

void Worker::arm_watch_sweep(std::chrono::steady_clock::time_point at) noexcept {
  watch_sweep_armed = true;
  watch_sweep.expires_at(at);
  watch_sweep.async_wait([this](const beast::error_code& ec) {
    watch_sweep_armed = false;
    if (!ec) sweep_watches();
  });
}

void Worker::sweep_watches() noexcept {
  const auto now = clock.steady();
  while (watch_head && now - watch_head->watch_from >= ClientConn::kWatchAfter) {
    ClientConn* c = watch_head;
    drop_watch(*c);
    c->start_watch();
  }
  // The rest arrived later (the list is in arrival order): look again when the oldest is due.
  if (watch_head) arm_watch_sweep(watch_head->watch_from + ClientConn::kWatchAfter);
}

void Worker::drop_watch(ClientConn& c) noexcept {
  (c.watch_prev ? c.watch_prev->watch_next : watch_head) = c.watch_next;
  (c.watch_next ? c.watch_next->watch_prev : watch_tail) = c.watch_prev;
  c.watch_prev = c.watch_next = nullptr;
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
  if (handler) handler->drain_started();
}

void Worker::cut_in_flight() {
  if (handler) handler->begin_drain();
  for (ClientConn* c : sessions)
    if (c->busy) c->abort(Abort::shutdown);
}

}  // namespace tollbooth
