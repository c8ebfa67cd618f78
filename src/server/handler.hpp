#pragma once
// What the HTTP server needs from the application it serves: one handler per worker (so it may
// keep per-worker state without locks). The server reads requests, enforces the protocol and
// its limits, and calls the handler; it knows nothing of OpenAI, clouds or routing.
// I/O header.
#include <string>

#include "core/error.hpp"
#include "core/outcome.hpp"
#include "net/asio.hpp"
#include "server/request.hpp"

namespace tollbooth {

class ClientConn;

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answers one complete request through `c` (c.outcome carries what the server knows of it and
  // collects what the handler learns). Anything thrown is caught by the session: a 500 when
  // nothing was sent yet, and the connection closes.
  virtual Awaitable<void> handle(ClientConn& c, const HttpRequest& req) = 0;
  // Every request ends here exactly once, whatever happened to it (answered, refused by the
  // server before the handler ran, the client gone, an exception).
  virtual void finished(const RequestOutcome& outcome) noexcept = 0;
  // The body of an error the server answers itself (a 400 for a malformed request, 408, 413).
  virtual std::string error_body(const Error& error) const = 0;
  // The drain has begun: no new connections; requests in flight finish. A handler that keeps
  // background work on the loop (a connection to Redis) ends it once the worker has no session
  // left, so the loop can run out of work.
  virtual void drain_started() noexcept {}
  // The drain is about to cut requests still in flight.
  virtual void begin_drain() noexcept {}
  // The loop has stopped for good: hand over what is buffered (log lines). Called on the thread
  // that ran Server::run, after every loop's thread has ended.
  virtual void stopped() noexcept {}
};

}  // namespace tollbooth
