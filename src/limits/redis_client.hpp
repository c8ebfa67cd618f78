#pragma once
// An asynchronous Redis client for one worker's event loop: hiredis's async API (Debian's
// libhiredis 0.14) driven by the worker's io_context, one connection per client.
//
// - Commands are pipelined: every command issued in one turn of the loop goes out in one write,
//   and replies come back in order; nothing waits for the previous reply.
// - While the client is not ready (connecting, reconnecting, or the server gone) a command
//   fails at once with a `none` reply: callers never wait for Redis to come back.
// - A dropped connection is reconnected with a backoff (100 ms doubling to 2 s by default). A
//   connection that leaves a command unanswered for `command_timeout` is dropped as dead (a
//   server that hangs, or a network that swallows packets, would otherwise never answer).
// - On every new connection, AUTH (when the URL has a password), SELECT (db != 0) and the setup
//   commands (FUNCTION LOAD REPLACE of the limiter's library) run before the client is ready.
// - Losing the connection and getting it back are each logged once (at most one line of each
//   kind every 10 s); the password is never logged (describe() leaves it out).
//
// All calls must be made on the executor's thread; the client must be stopped or destroyed
// there too. A connected client keeps its io_context from running out of work: stop() it at
// shutdown.
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "limits/redis_url.hpp"
#include "net/asio.hpp"

namespace tollbooth::limits {

// A reply, copied out of hiredis's (which it frees once the callback returns).
struct RedisReply {
  enum class Type : std::uint8_t {
    none,  // no reply: not connected, the connection dropped, or the client stopped; str: why
    nil,
    integer,
    string,
    status,
    error,  // an error reply from Redis; str: its message
    array,
  };
  Type type = Type::none;
  std::int64_t integer = 0;
  std::string str;
  std::vector<RedisReply> elements;

  // A reply that is neither missing nor an error.
  bool ok() const noexcept { return type != Type::none && type != Type::error; }
};

// A command in Redis's wire format (RESP), built argument by argument into one string so
// building it allocates once and the client never copies argument lists around.
class RedisCommand {
 public:
  explicit RedisCommand(std::size_t argc);
  // A command of plain arguments: RedisCommand::of({"GET", key}).
  static RedisCommand of(std::initializer_list<std::string_view> args);
  RedisCommand& arg(std::string_view value);
  RedisCommand& arg(std::int64_t value);
  // One argument made of several pieces, e.g. "tb:{", subject, "}:rpm".
  RedisCommand& arg_parts(std::initializer_list<std::string_view> parts);
  const std::string& wire() const noexcept { return wire_; }
  std::string take() && { return std::move(wire_); }

 private:
  std::string wire_;
};

// What the Redis users (the shared limiter's and budgets' function libraries) share:
// FUNCTION LOAD REPLACE of a library's code, and whether a reply says its function is not
// loaded (a Redis restarted or flushed), so the caller loads it again.
RedisCommand function_load(std::string_view code);
bool function_missing(const RedisReply& reply) noexcept;
// 16 lowercase hex digits of `v`, written into `out` (a reservation's id in a member).
std::string_view hex16(std::uint64_t v, char (&out)[16]) noexcept;
// The steady clock in milliseconds (for spacing log lines; not a wall-clock time).
std::int64_t steady_ms() noexcept;

struct RedisClientOptions {
  std::string name = "redis";  // how log lines name this client, e.g. "worker 2"
  std::chrono::milliseconds connect_timeout{1'000};  // resolve + connect + AUTH/SELECT/setup
  std::chrono::milliseconds command_timeout{1'000};  // no reply for this long: connection dead
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{2'000};
};

class RedisClient {
 public:
  RedisClient(Executor ex, RedisUrl url, RedisClientOptions options = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // A command sent on every new connection before the client is ready (after AUTH and SELECT).
  // A failure drops the connection and is logged. Call before start().
  void add_setup_command(RedisCommand command, std::string what);

  // Called each time a connection becomes ready (after the setup commands), posted to the
  // executor so it may issue commands: the limiter sends then what it could not send while
  // Redis was away. One hook per client; set it before start(), and set it to nullptr before
  // whatever it refers to goes.
  void on_ready(std::function<void()> hook);

  // Starts connecting (in the background); stop() closes the connection, completes every
  // pending command with a `none` reply and stops reconnecting. start() after stop() is fine.
  void start();
  void stop();

  bool ready() const noexcept;
  Executor executor() const noexcept;
  const RedisUrl& url() const noexcept;
  // "redis://host:port/db", never the password.
  std::string describe() const;

  // Sends a command, pipelined behind those in flight; completes with its reply, or at once
  // with a `none` reply when the client is not ready. Signature: void(RedisReply).
  template <class Token>
  auto async_command(RedisCommand command, Token&& token) {
    return asio::async_initiate<Token, void(RedisReply)>(
        [this](auto handler, std::string wire) {
          submit(std::move(wire),
                 new HandlerOp<std::decay_t<decltype(handler)>>(std::move(handler), executor()));
        },
        token, std::move(command).take());
  }

  // Sends a command nobody waits for (an error reply is logged). False when not ready: the
  // command is dropped.
  bool send(RedisCommand command);

  // Waits until the client is ready, up to `timeout`; true when it is.
  Awaitable<bool> wait_ready(std::chrono::milliseconds timeout);

  // Counters for tests and benchmarks.
  struct Stats {
    std::uint64_t connects = 0;     // connections that became ready
    std::uint64_t drops = 0;        // ready connections lost
    std::uint64_t failed_fast = 0;  // commands refused while not ready
    std::uint64_t commands = 0;     // commands sent
  };
  Stats stats() const noexcept;

  // The completion of one command: called once, on the client's thread, from inside hiredis;
  // it must not call back into the client synchronously. It deletes itself.
  class Op {
   public:
    virtual void complete(RedisReply&& reply) = 0;

   protected:
    ~Op() = default;
  };

 private:
  template <class Handler>
  class HandlerOp final : public Op {
   public:
    HandlerOp(Handler handler, Executor fallback)
        : handler_(std::move(handler)), fallback_(fallback) {}
    void complete(RedisReply&& reply) override {
      Handler handler = std::move(handler_);
      auto ex = asio::get_associated_executor(handler, fallback_);
      delete this;
      // Posted, never run inline: the caller is inside hiredis's callback.
      asio::post(ex, [handler = std::move(handler), reply = std::move(reply)]() mutable {
        std::move(handler)(std::move(reply));
      });
    }

   private:
    Handler handler_;
    Executor fallback_;
  };

  void submit(std::string wire, Op* op);

  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tollbooth::limits
