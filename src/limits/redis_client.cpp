#include "limits/redis_client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <charconv>
#include <cstdio>
#include <random>

namespace tollbooth::limits {

namespace {

using Clock = std::chrono::steady_clock;
using Descriptor = asio::posix::basic_stream_descriptor<Executor>;
using Resolver = asio::ip::basic_resolver<tcp, Executor>;
using std::chrono::milliseconds;

// Lost and back: at most one line of each every kLogEvery; "still down": every kStillDownEvery.
constexpr auto kLogEvery = std::chrono::seconds(10);
constexpr auto kStillDownEvery = std::chrono::seconds(60);

// Lets a line through at most once per interval, counting those it held back.
struct LogGate {
  Clock::time_point last{};
  std::uint64_t held = 0;
  bool used = false;

  // True when a line may be written now; then `held` says how many were held back before it.
  bool open(std::chrono::seconds every) {
    auto now = Clock::now();
    if (used && now - last < every) {
      ++held;
      return false;
    }
    used = true;
    last = now;
    return true;
  }
  // Starts the interval now without writing a line.
  void restart() {
    used = true;
    last = Clock::now();
  }
  std::string held_note() {
    std::string out = held == 0 ? "" : " (" + std::to_string(held) + " more since the last line)";
    held = 0;
    return out;
  }
};

RedisReply none(std::string why) {
  RedisReply r;
  r.type = RedisReply::Type::none;
  r.str = std::move(why);
  return r;
}

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_NIL: out.type = RedisReply::Type::nil; break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default: out = none("unknown reply type " + std::to_string(r->type)); break;
  }
  return out;
}

// Why a connection ended, from hiredis's inner context (the async context's own copy of the
// error is filled in only on some paths).
std::string error_text(const redisAsyncContext* c, const char* otherwise) {
  return c->c.err != 0 && c->c.errstr[0] != '\0' ? std::string(c->c.errstr) : otherwise;
}

void append_header(std::string& wire, char kind, std::size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  wire += kind;
  wire.append(digits, end);
  wire += "\r\n";
}

// The bridge between hiredis's event hooks and the io_context: hiredis asks to be told when its
// socket is readable (always, once connected) or writable (while its output buffer is not
// empty); each request becomes one async_wait on a stream_descriptor that wraps hiredis's socket
// without owning it (released in cleanup, before hiredis closes it).
//
// Writes are not waited for once connected: a command schedules one flush for the end of the
// current turn of the loop, so every command issued in that turn goes out in one write(2). Only
// a write that did not finish (a full socket buffer) waits for writability.
struct Watcher : std::enable_shared_from_this<Watcher> {
  Watcher(Executor ex, redisAsyncContext* context) : sd(ex), ac(context) {}

  Descriptor sd;
  redisAsyncContext* ac;  // null once hiredis has let go of the connection
  bool alive = true;
  bool want_read = false, want_write = false;
  bool read_waiting = false, write_waiting = false, flush_posted = false, in_write = false;

  static Watcher& of(void* data) { return *static_cast<Watcher*>(data); }

  static void add_read(void* data) {
    Watcher& w = of(data);
    w.want_read = true;
    if (!w.read_waiting) w.arm_read();
  }
  static void del_read(void* data) { of(data).want_read = false; }
  static void add_write(void* data) {
    Watcher& w = of(data);
    w.want_write = true;
    if (w.write_waiting || w.flush_posted) return;
    // Not connected yet: writability is how a non-blocking connect reports that it is done.
    if (w.in_write || !(w.ac->c.flags & REDIS_CONNECTED)) {
      w.arm_write();
    } else {
      w.post_flush();
    }
  }
  static void del_write(void* data) { of(data).want_write = false; }
  static void cleanup(void* data) {
    Watcher& w = of(data);
    w.alive = false;
    w.ac = nullptr;
    // Cancels the waits (they complete with operation_aborted) and takes the descriptor out of
    // the reactor without closing it: the socket is hiredis's, which closes it next.
    if (w.sd.is_open()) (void)w.sd.release();
  }

  void arm_read() {
    read_waiting = true;
    sd.async_wait(Descriptor::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
      self->read_waiting = false;
      if (ec == asio::error::operation_aborted || !self->alive) return;
      if (self->want_read) redisAsyncHandleRead(self->ac);  // may end the connection
      if (self->alive && self->want_read && !self->read_waiting) self->arm_read();
    });
  }

  void arm_write() {
    write_waiting = true;
    sd.async_wait(Descriptor::wait_write,
                  [self = shared_from_this()](boost::system::error_code ec) {
                    self->write_waiting = false;
                    if (ec == asio::error::operation_aborted || !self->alive) return;
                    if (self->want_write) self->handle_write();
                  });
  }

  void post_flush() {
    flush_posted = true;
    asio::post(sd.get_executor(), [self = shared_from_this()] {
      self->flush_posted = false;
      if (!self->alive || !self->want_write || self->write_waiting) return;
      self->handle_write();
    });
  }

  void handle_write() {
    in_write = true;  // an unfinished write asks again through add_write: wait for writability
    redisAsyncHandleWrite(ac);
    in_write = false;
  }
};

}  // namespace

// ---- RedisCommand ----

RedisCommand::RedisCommand(std::size_t argc) {
  wire_.reserve(64);
  append_header(wire_, '*', argc);
}

RedisCommand RedisCommand::of(std::initializer_list<std::string_view> args) {
  RedisCommand cmd(args.size());
  for (std::string_view a : args) cmd.arg(a);
  return cmd;
}

RedisCommand& RedisCommand::arg(std::string_view value) {
  append_header(wire_, '$', value.size());
  wire_.append(value);
  wire_ += "\r\n";
  return *this;
}

RedisCommand& RedisCommand::arg(std::int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  return arg(std::string_view(digits, end - digits));
}

RedisCommand& RedisCommand::arg_parts(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  append_header(wire_, '$', n);
  for (std::string_view p : parts) wire_.append(p);
  wire_ += "\r\n";
  return *this;
}

// ---- the client ----

struct RedisClient::Impl : std::enable_shared_from_this<Impl> {
  enum class State { stopped, waiting, resolving, connecting, ready };

  Impl(Executor executor, RedisUrl u, RedisClientOptions o)
      : ex(executor),
        url(std::move(u)),
        opt(std::move(o)),
        described(url.describe()),
        retry_timer(executor),
        connect_timer(executor),
        watchdog(executor),
        resolver(executor),
        backoff(opt.backoff_min),
        rng(std::random_device{}()) {}
  ~Impl() { stop(); }

  Executor ex;
  RedisUrl url;
  RedisClientOptions opt;
  std::string described;
  struct Setup {
    std::string wire, what;
  };
  std::vector<Setup> setup;
  std::function<void()> ready_hook;

  State state = State::stopped;
  redisAsyncContext* ac = nullptr;
  std::shared_ptr<Watcher> watcher;
  // Bumped by every connection attempt and every drop: completions of an older connection
  // (its handshake replies, its timers) recognise themselves as stale.
  std::uint64_t generation = 0;
  int handshake_left = 0;
  Timer retry_timer, connect_timer, watchdog;
  Resolver resolver;
  milliseconds backoff;
  std::minstd_rand rng;

  // Commands sent and not answered, and when the last reply came (or, when none was in flight,
  // when the oldest in flight was sent): the watchdog's view of a connection's health.
  std::uint64_t outstanding = 0;
  Clock::time_point last_progress{};

  bool ever_ready = false;
  bool outage_logged = false;
  Clock::time_point down_since{};
  std::uint64_t failed_attempts = 0;
  std::string last_error;
  LogGate lost_gate, back_gate, still_gate, error_gate;
  Stats counters;

  // An internal command of the handshake: AUTH, SELECT, a setup command.
  struct HandshakeOp final : Op {
    HandshakeOp(Impl* i, std::uint64_t g, std::string w) : impl(i), gen(g), what(std::move(w)) {}
    Impl* impl;
    std::uint64_t gen;
    std::string what;
    void complete(RedisReply&& reply) override {
      Impl* i = impl;
      std::uint64_t g = gen;
      std::string w = std::move(what);
      delete this;
      // A `none` reply means the connection ended; its end is handled where hiredis reports it.
      if (g != i->generation || reply.type == RedisReply::Type::none) return;
      if (reply.type == RedisReply::Type::error) {
        // Redis's messages (WRONGPASS, NOAUTH, ERR ...) never contain the password.
        i->post_fail(g, w + " failed: " + reply.str);
        return;
      }
      if (--i->handshake_left == 0 && i->ac && (i->ac->c.flags & REDIS_CONNECTED)) i->on_ready();
    }
  };

  // ---- lifecycle ----

  void start() {
    if (state != State::stopped) return;
    state = State::waiting;
    backoff = opt.backoff_min;
    connect();
  }

  void stop() {
    if (state == State::stopped) return;
    bool was_ready = state == State::ready;
    state = State::stopped;
    ++generation;
    retry_timer.cancel();
    connect_timer.cancel();
    watchdog.cancel();
    resolver.cancel();
    close_context("the client stopped");
    if (was_ready) spdlog::info("{}: closed the connection to {}", opt.name, described);
  }

  void connect() {
    std::uint64_t gen = ++generation;
    state = State::resolving;
    connect_timer.expires_after(opt.connect_timeout);
    connect_timer.async_wait([weak = weak_from_this(), gen](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || gen != self->generation || self->state == State::ready) return;
      self->resolver.cancel();
      self->fail("no connection within " + std::to_string(self->opt.connect_timeout.count()) +
                 " ms");
    });
    boost::system::error_code ec;
    auto address = asio::ip::make_address(url.host, ec);
    if (!ec) {
      connect_to(address.to_string());
      return;
    }
    // hiredis would resolve a name with a blocking getaddrinfo on the worker's thread: resolve
    // it here, asynchronously, and hand hiredis the address.
    resolver.async_resolve(
        url.host, std::to_string(url.port),
        [weak = weak_from_this(), gen](boost::system::error_code ec, Resolver::results_type found) {
          auto self = weak.lock();
          if (!self || gen != self->generation) return;
          if (ec || found.empty()) {
            self->fail("cannot resolve " + self->url.host + ": " +
                       (ec ? ec.message() : std::string("no address")));
            return;
          }
          self->connect_to(found.begin()->endpoint().address().to_string());
        });
  }

  void connect_to(const std::string& address) {
    state = State::connecting;
    redisAsyncContext* c = redisAsyncConnect(address.c_str(), url.port);
    if (c == nullptr) {
      fail("cannot allocate a connection");
      return;
    }
    if (c->err) {
      std::string why = error_text(c, "cannot connect");
      redisAsyncFree(c);
      fail(why);
      return;
    }
    ac = c;
    ac->data = this;
    watcher = std::make_shared<Watcher>(ex, ac);
    boost::system::error_code ec;
    watcher->sd.assign(ac->c.fd, ec);
    if (ec) {
      watcher->alive = false;
      fail("cannot watch the socket: " + ec.message());
      return;
    }
    ac->ev.data = watcher.get();
    ac->ev.addRead = &Watcher::add_read;
    ac->ev.delRead = &Watcher::del_read;
    ac->ev.addWrite = &Watcher::add_write;
    ac->ev.delWrite = &Watcher::del_write;
    ac->ev.cleanup = &Watcher::cleanup;
    // TCP keep-alive (hiredis's, every 15 s): an idle connection to a host that vanished is
    // noticed even when no command is waiting.
    redisEnableKeepAlive(&ac->c);
    // After the hooks: setting the connect callback asks for the first write event.
    redisAsyncSetConnectCallback(ac, &Impl::on_connect);
    redisAsyncSetDisconnectCallback(ac, &Impl::on_disconnect);

    // The handshake is queued now and goes out with the connection's first write.
    handshake_left = 0;
    if (!url.password.empty()) {
      RedisCommand auth(url.username.empty() ? 2 : 3);
      auth.arg("AUTH");
      if (!url.username.empty()) auth.arg(url.username);
      auth.arg(url.password);
      queue_handshake(auth.wire(), "AUTH");
    }
    if (url.db != 0) {
      RedisCommand select(2);
      select.arg("SELECT").arg(static_cast<std::int64_t>(url.db));
      queue_handshake(select.wire(), "SELECT " + std::to_string(url.db));
    }
    for (const Setup& s : setup) queue_handshake(s.wire, s.what);
  }

  void queue_handshake(const std::string& wire, std::string what) {
    auto* op = new HandshakeOp(this, generation, std::move(what));
    if (redisAsyncFormattedCommand(ac, &Impl::on_reply, op, wire.data(), wire.size()) != REDIS_OK) {
      delete op;
      return;
    }
    ++handshake_left;
    ++outstanding;
  }

  void on_ready() {
    state = State::ready;
    connect_timer.cancel();
    backoff = opt.backoff_min;
    ++counters.connects;
    outstanding = 0;
    last_progress = Clock::now();
    if (!ever_ready) {
      spdlog::info("{}: connected to {}", opt.name, described);
    } else if (back_gate.open(kLogEvery)) {
      auto down_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - down_since).count();
      spdlog::info("{}: the connection to {} is back after {} ms{}", opt.name, described, down_ms,
                   back_gate.held_note());
    }
    ever_ready = true;
    outage_logged = false;
    failed_attempts = 0;
    arm_watchdog(generation);
    if (ready_hook) {
      // Posted: this runs inside hiredis's callback, where no command may be issued.
      asio::post(ex, [weak = weak_from_this(), gen = generation] {
        auto self = weak.lock();
        if (!self || gen != self->generation || self->state != State::ready) return;
        if (self->ready_hook) self->ready_hook();
      });
    }
  }

  // A connection that was ready is gone (hiredis has already let go of it, or we did).
  void on_lost(const std::string& why) {
    ++counters.drops;
    down_since = Clock::now();
    outage_logged = true;
    still_gate.restart();  // the first "still" line comes a minute later
    if (lost_gate.open(kLogEvery)) {
      spdlog::warn(
          "{}: lost the connection to {}: {}; rate-limit admissions answer 'unavailable' until "
          "it is back{}",
          opt.name, described, why, lost_gate.held_note());
    }
  }

  // An attempt failed (or a connection that never became ready ended).
  void on_attempt_failed(const std::string& why) {
    ++failed_attempts;
    last_error = why;
    if (!outage_logged) {
      outage_logged = true;
      down_since = Clock::now();
      still_gate.restart();  // the first "still" line comes a minute later
      spdlog::warn("{}: cannot connect to {}: {}; retrying in the background", opt.name, described,
                   why);
    } else if (still_gate.open(kStillDownEvery)) {
      still_gate.held = 0;
      spdlog::warn("{}: {} still unreachable after {} attempts: {}", opt.name, described,
                   failed_attempts, why);
    }
  }

  // Ends the current connection or attempt (never from inside a hiredis callback) and retries.
  void fail(const std::string& why) {
    if (state == State::stopped) return;
    bool was_ready = state == State::ready;
    ++generation;
    connect_timer.cancel();
    watchdog.cancel();
    close_context(why);
    if (was_ready) {
      on_lost(why);
    } else {
      on_attempt_failed(why);
    }
    state = State::waiting;
    schedule_retry();
  }

  // fail() for code running inside hiredis (which may not free the context it is running on).
  void post_fail(std::uint64_t gen, std::string why) {
    asio::post(ex, [weak = weak_from_this(), gen, why = std::move(why)] {
      auto self = weak.lock();
      if (self && gen == self->generation) self->fail(why);
    });
  }

  // hiredis reported the end of the connection itself (and frees it after this returns).
  void ended(const std::string& why) {
    ac = nullptr;
    ++generation;
    if (state == State::stopped) return;
    bool was_ready = state == State::ready;
    connect_timer.cancel();
    watchdog.cancel();
    if (was_ready) {
      on_lost(why);
    } else {
      on_attempt_failed(why);
    }
    state = State::waiting;
    schedule_retry();
  }

  void close_context(const std::string& why) {
    if (ac == nullptr) return;
    redisAsyncContext* c = ac;
    ac = nullptr;  // on_disconnect, called by the free, sees a context that is no longer ours
    if (c->c.err == 0) {  // the reason pending commands are told
      c->c.err = REDIS_ERR_OTHER;
      std::snprintf(c->c.errstr, sizeof c->c.errstr, "%s", why.c_str());
    }
    redisAsyncFree(c);  // completes every pending command with a null reply
    watcher.reset();
  }

  void schedule_retry() {
    if (state == State::stopped) return;
    // ±20 % so that the workers (and the gateways) of a fleet do not knock all at once.
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    auto delay = milliseconds(static_cast<std::int64_t>(backoff.count() * jitter(rng)));
    backoff = std::min(backoff * 2, opt.backoff_max);
    retry_timer.expires_after(delay);
    retry_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->state != State::waiting) return;
      self->connect();
    });
  }

  void arm_watchdog(std::uint64_t gen) {
    auto every = std::max(milliseconds(10), opt.command_timeout / 4);
    watchdog.expires_after(every);
    watchdog.async_wait([weak = weak_from_this(), gen](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || gen != self->generation || self->state != State::ready) return;
      if (self->outstanding > 0 && Clock::now() - self->last_progress > self->opt.command_timeout) {
        self->fail("no reply within " + std::to_string(self->opt.command_timeout.count()) + " ms");
        return;
      }
      self->arm_watchdog(gen);
    });
  }

  // ---- hiredis callbacks ----

  static void on_connect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<Impl*>(c->data);
    if (self->ac != c) return;
    if (status != REDIS_OK) {
      self->ended(error_text(c, "cannot connect"));  // hiredis frees it next
      return;
    }
    if (self->handshake_left == 0) self->on_ready();
  }

  static void on_disconnect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<Impl*>(c->data);
    if (self->ac != c) return;  // we closed it ourselves
    self->ended(error_text(c, "the server closed the connection"));
  }

  static void on_reply(redisAsyncContext* c, void* reply, void* privdata) {
    auto* self = static_cast<Impl*>(c->data);
    if (self->outstanding > 0) --self->outstanding;
    self->last_progress = Clock::now();
    RedisReply r = reply ? convert(static_cast<redisReply*>(reply))
                         : none(error_text(c, "the connection closed"));
    if (privdata != nullptr) {
      static_cast<Op*>(privdata)->complete(std::move(r));
    } else if (r.type == RedisReply::Type::error && self->error_gate.open(kLogEvery)) {
      spdlog::warn("{}: {} answered a command with an error: {}{}", self->opt.name, self->described,
                   r.str, self->error_gate.held_note());
    }
  }

  // ---- commands ----

  bool issue(const std::string& wire, Op* op) {
    ++counters.commands;
    if (state != State::ready || ac == nullptr ||
        redisAsyncFormattedCommand(ac, &Impl::on_reply, op, wire.data(), wire.size()) != REDIS_OK) {
      ++counters.failed_fast;
      return false;
    }
    if (outstanding++ == 0) last_progress = Clock::now();
    return true;
  }
};

RedisClient::RedisClient(Executor ex, RedisUrl url, RedisClientOptions options)
    : impl_(std::make_shared<Impl>(ex, std::move(url), std::move(options))) {}

RedisClient::~RedisClient() {
  impl_->stop();
}

void RedisClient::add_setup_command(RedisCommand command, std::string what) {
  impl_->setup.push_back({std::move(command).take(), std::move(what)});
}

void RedisClient::on_ready(std::function<void()> hook) {
  impl_->ready_hook = std::move(hook);
}

void RedisClient::start() {
  impl_->start();
}
void RedisClient::stop() {
  impl_->stop();
}
RedisCommand function_load(std::string_view code) {
  RedisCommand load(4);
  load.arg("FUNCTION").arg("LOAD").arg("REPLACE").arg(code);
  return load;
}

bool function_missing(const RedisReply& reply) noexcept {
  return reply.type == RedisReply::Type::error &&
         reply.str.find("Function not found") != std::string::npos;
}

std::string_view hex16(std::uint64_t v, char (&out)[16]) noexcept {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kDigits[v & 15];
  return {out, 16};
}

std::int64_t steady_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool RedisClient::ready() const noexcept {
  return impl_->state == Impl::State::ready;
}
Executor RedisClient::executor() const noexcept {
  return impl_->ex;
}
const RedisUrl& RedisClient::url() const noexcept {
  return impl_->url;
}
std::string RedisClient::describe() const {
  return impl_->described;
}
RedisClient::Stats RedisClient::stats() const noexcept {
  return impl_->counters;
}

void RedisClient::submit(std::string wire, Op* op) {
  if (!impl_->issue(wire, op)) op->complete(none("not connected to " + impl_->described));
}

bool RedisClient::send(RedisCommand command) {
  return impl_->issue(command.wire(), nullptr);
}

Awaitable<bool> RedisClient::wait_ready(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  Timer timer(executor());
  while (!ready()) {
    if (Clock::now() >= deadline) co_return false;
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(deferred_nothrow);
  }
  co_return true;
}

}  // namespace tollbooth::limits
