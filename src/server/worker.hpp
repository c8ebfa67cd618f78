#pragma once
// One event loop with its own acceptor, upstream pool and sessions (shared nothing between
// workers). I/O header: include only from I/O .cpp files.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "aws/sigv4.hpp"
#include "core/buffer_budget.hpp"
#include "server/asio.hpp"
#include "server/listener.hpp"
#include "upstream/pool.hpp"

namespace tollbooth {

class RouteTable;
class ClientConn;
struct Config;

// What all workers of one server share: connection and memory bounds.
struct ServerShared {
  ServerShared(std::size_t max_connections, std::size_t max_buffered_bytes)
      : max_connections(max_connections), buffers(max_buffered_bytes) {}
  const std::size_t max_connections;        // server.max_connections, resolved
  std::atomic<std::size_t> connections{0};  // open client connections, all workers
  BufferBudget buffers;                     // server.max_buffered_bytes
};

struct Worker {
  Worker(const RouteTable& routes, ServerShared& shared, unsigned index, long long started_unix);

  asio::io_context io;
  const RouteTable& routes;
  const Config& config;
  ServerShared& shared;
  BufferBudget& buffers;
  UpstreamPool pool;
  aws::Signer signer;  // SigV4 for bedrock routes; per worker, so its key cache needs no lock
  // Connection targets of image origins fetched for bedrock routes with fetch_images.
  std::unordered_map<std::string, std::shared_ptr<const UpstreamTarget>> image_targets;
  std::optional<Acceptor> acceptor;
  // The accept loop's pauses (out of descriptors, over max_connections); a closing connection
  // ends the pause early.
  Timer accept_pause;
  std::unordered_set<ClientConn*> sessions;
  unsigned index;
  long long started_unix;           // `created` of /v1/models entries
  unsigned long long requests = 0;  // counter behind request ids
  bool draining = false;
  std::uint64_t random_state;  // splitmix64, seeded per worker: weighted routing, jitter

  // A fresh pseudo-random 64-bit value (not for secrets).
  std::uint64_t random() noexcept {
    std::uint64_t z = (random_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // A client connection of this worker closed: one slot fewer in use.
  void connection_closed() noexcept;

  // Stops accepting, closes idle keep-alive connections; busy ones finish their request.
  void begin_drain();
  // drain_timeout is near: requests still in flight are aborted (a stream ends with an in-band
  // error event, a request not yet answered gets a 503), so the process can exit on time.
  void cut_in_flight();
};

}  // namespace tollbooth
