#pragma once
#include "net/asio.hpp"

namespace tollbooth {
struct Worker;
// One connection: read a request (limits, timeouts), hand it to the gateway, repeat while the
// connection is kept alive and the worker is not draining.
Awaitable<void> run_session(Worker& worker, Socket socket);
}  // namespace tollbooth
