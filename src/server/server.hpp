#pragma once
// The HTTP server: `workers` event loops, each with its own SO_REUSEPORT listener, sessions and
// the application's handler for that loop; accepting under the descriptor and connection limits;
// the drain on SIGTERM/SIGINT. It knows nothing of what it serves: the application (app/) gives
// it one RequestHandler per loop. Plain header: no Asio here, so app/ stays light to compile.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace tollbooth {

struct ServerConfig;
struct ServerShared;
struct Worker;
class RequestHandler;

class Server {
 public:
  // Makes a handler for one worker's loop; called once per worker, on the calling thread.
  using HandlerFactory = std::function<std::unique_ptr<RequestHandler>(Worker&)>;

  Server(const ServerConfig& config, const Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Raises the descriptor limit, checks that nobody holds the address, binds one listener per
  // worker and makes each worker's handler. Throws std::runtime_error with the reason.
  void listen(const HandlerFactory& make_handler);
  // "127.0.0.1:4000 (2 workers)", once listening.
  std::string where() const;
  unsigned worker_count() const noexcept { return static_cast<unsigned>(workers_.size()); }
  // What SIGHUP does while run() runs (the config's reload), on the signals' thread; SIGHUP is
  // ignored until then. Set before run().
  void on_hangup(std::function<void()> hangup) { hangup_ = std::move(hangup); }
  // Runs the loops until SIGTERM/SIGINT, then drains (ServerConfig::drain_timeout) and returns
  // once every loop has stopped. Handlers are still alive on return; they go with the Server.
  void run();

 private:
  const ServerConfig& config_;
  const Clock& clock_;
  std::unique_ptr<ServerShared> shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::string where_;
  std::function<void()> hangup_;
};

}  // namespace tollbooth
