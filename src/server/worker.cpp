#include "server/worker.hpp"

#include <random>

#include "config/config.hpp"
#include "gateway/route_table.hpp"
#include "server/client_conn.hpp"

namespace tollbooth {

Worker::Worker(const RouteTable& r, unsigned i, long long started)
    // One thread runs this loop, so Asio's reactor locking is pure overhead (DESIGN.md).
    : io(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      routes(r),
      config(r.config()),
      pool(io.get_executor()),
      index(i),
      started_unix(started),
      random_state(std::random_device{}() ^ (static_cast<std::uint64_t>(i) << 32)) {}

void Worker::begin_drain() {
  draining = true;
  if (acceptor) {
    beast::error_code ec;
    acceptor->close(ec);
  }
  for (ClientConn* c : sessions)
    if (!c->busy) c->stream.cancel();  // wakes the idle read; the session then ends
}

}  // namespace tollbooth
