#pragma once
// One event loop of the HTTP server, with its own acceptor and sessions (shared nothing between
// workers but ServerShared). The application's handler for this loop is owned here, after the
// loop, so it goes before the loop does. I/O header.
#include <atomic>
#include <memory>
#include <optional>
#include <unordered_set>

#include "config/config.hpp"
#include "core/buffer_budget.hpp"
#include "core/clock.hpp"
#include "net/asio.hpp"
#include "server/handler.hpp"
#include "server/listener.hpp"

namespace tollbooth {

class ClientConn;

// What all workers of one server share: its settings, connection and memory bounds, the clock.
struct ServerShared {
  ServerShared(const ServerConfig& config, const Clock& clock, std::size_t max_connections)
      : config(config),
        clock(clock),
        max_connections(max_connections),
        buffers(config.max_buffered_bytes) {}
  const ServerConfig& config;
  const Clock& clock;
  const std::size_t max_connections;        // server.max_connections, resolved
  std::atomic<std::size_t> connections{0};  // open client connections, all workers
  BufferBudget buffers;                     // server.max_buffered_bytes
};

struct Worker {
  Worker(ServerShared& shared, unsigned index, long long started_unix);

  asio::io_context io;
  ServerShared& shared;
  const ServerConfig& config;
  const Clock& clock;
  BufferBudget& buffers;
  std::unique_ptr<RequestHandler> handler;  // set by the application before the loop runs
  std::optional<Acceptor> acceptor;
  // The accept loop's pauses (out of descriptors, over max_connections); a closing connection
  // ends the pause early.
  Timer accept_pause;
  Timer watch_sweep;
  ClientConn* watch_head = nullptr;  // the oldest request waiting for its watch
  ClientConn* watch_tail = nullptr;
  bool watch_sweep_armed = false;
  std::unordered_set<ClientConn*> sessions;
  unsigned index;
  long long started_unix;           // part of every request id
  unsigned long long requests = 0;  // counter behind request ids
  bool draining = false;

  // A client connection of this worker closed: one slot fewer in use.
  void connection_closed() noexcept;

  // Requests waiting on an upstream get their disconnect watch queued once they have waited
  // ClientConn::kWatchAfter (ClientConn::watch_for_disconnect): a list in arrival order and one
  // timer per worker, armed only while the list is not empty.
  void await_watch(ClientConn& c) noexcept;
  void drop_watch(ClientConn& c) noexcept;
  void arm_watch_sweep(std::chrono::steady_clock::time_point at) noexcept;
  void sweep_watches() noexcept;
  // Stops accepting, closes idle keep-alive connections; busy ones finish their request.
  void begin_drain();
  // drain_timeout is near: requests still in flight are aborted (a stream ends with an in-band
  // error event, a request not yet answered gets a 503), so the process can exit on time.
  void cut_in_flight();
};

}  // namespace tollbooth
