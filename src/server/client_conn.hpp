#pragma once
// The client side of one connection: the socket, its read buffer, its deadlines, how responses
// are written (whole, or as a chunked stream), and how a request that waits on something (an
// upstream, a backoff) is interrupted when its client leaves or the gateway shuts down.
// I/O header.
#include <chrono>
#include <string>
#include <string_view>

#include "core/buffer_budget.hpp"
#include "core/error.hpp"
#include "core/outcome.hpp"
#include "net/asio.hpp"

namespace tollbooth {

struct Worker;
class HttpRequest;

class ClientConn {
 public:
  ClientConn(Socket socket, Worker& worker);
  ClientConn(const ClientConn&) = delete;
  ClientConn& operator=(const ClientConn&) = delete;

  Socket socket;
  beast::flat_buffer buffer;
  Worker& worker;
  bool keep_alive = true;  // the client's wish for this request; cleared on fatal errors
  bool busy = false;       // a request is being handled (drain leaves it running)
  bool head_sent = false;
  // The request's body may not have been read to its end: close the way nginx's lingering
  // close does, so the client reads the answer instead of a reset.
  bool linger = false;
  // This request's request id (sent as x-request-id; unique per process run) and outcome,
  // handed to the handler's observers when the request ends.
  char request_id[48] = {};
  char client_request_id[65] = {};  // the client's x-request-id, when usable (take_client_id)
  RequestOutcome outcome;
  // Request body bytes held from the process-wide buffer budget, given back after the request.
  BufferCharge body_charge;
  // Preformatted "Name: value\r\n" lines every response to this request carries (such as
  // x-tollbooth-plan for callers allowed to see it); cleared by begin_request.
  std::string response_headers;
  // Buffers the request path reuses across this connection's requests, so a kept-alive
  // connection's requests allocate none: the route headers, the upstream request head.
  std::string scratch;
  std::string upstream_head;
  // A stream's client bytes between two writes (those of one upstream read). Freed by
  // begin_request when an event made it larger than kKeepStreamBytes.
  std::string stream_out;
  static constexpr std::size_t kKeepStreamBytes = 64 * 1024;

  // Starts a new request: a fresh outcome with a new request id, no abort.
  // Keeps the request's x-request-id as outcome.client_request_id when it is usable: 1 to 64
  // bytes of letters, digits, '.', '_', ':' and '-' (anything else is ignored: it would need
  // escaping in every log and header it reaches).
  void take_client_id(const HttpRequest& req) noexcept;
  // The x-request-id the answer carries: the client's, else the gateway's.
  std::string_view answered_id() const noexcept {
    return outcome.client_request_id.empty() ? outcome.request_id : outcome.client_request_id;
  }
  void begin_request();

  // Deadlines. Socket operations still pending when the deadline passes are cancelled (the
  // socket stays open, so a 408 can still be written), and timed_out() tells them apart from a
  // drain's cancel. One timer per connection that re-arms itself lazily: setting a deadline is
  // a store, not a timer operation.
  void set_deadline(std::chrono::steady_clock::duration d);
  void clear_deadline() noexcept { deadline_ = std::chrono::steady_clock::time_point::max(); }
  bool timed_out() const noexcept { return timed_out_; }

  // While the request waits on an upstream, a client that closes or resets its connection is
  // noticed (a one-byte MSG_PEEK read queued on the socket), and the request is aborted: no new
  // attempt starts, and what it waits on is released. The peek costs a system call, so it is
  // queued only for a request still waiting after kWatchAfter (the worker's sweep does that):
  // most requests are answered sooner, and a client that leaves is noticed at most about
  // 2 × kWatchAfter after the request began. Pipelined bytes end the watch (the client is still
  // there). stop_watching() runs when the handler is done.
  static constexpr std::chrono::milliseconds kWatchAfter{50};
  void watch_for_disconnect();
  void stop_watching();
  // The worker's sweep: the request has waited kWatchAfter, queue the peek now.
  void start_watch();
  // Links of the worker's list of requests waiting for their watch (oldest first).
  ClientConn* watch_prev = nullptr;
  ClientConn* watch_next = nullptr;
  std::chrono::steady_clock::time_point watch_from{};

  // Interrupts what the request waits on (see InterruptHook) and remembers why. The first
  // reason wins.
  void abort(Abort why);
  Abort aborted() const noexcept { return aborted_; }

  // Runs what the AnswerEndHook holds, if it has not run (the handler calls this when it ends
  // without having written the answer's last bytes: the client left, say).
  void run_answer_end() noexcept;

  // Whole response. `extra_headers` are preformatted "Name: value\r\n" lines.
  Awaitable<bool> respond(int status, std::string_view content_type, std::string_view body,
                          std::string_view extra_headers = {});
  Awaitable<bool> respond_error(const Error& error, std::string_view extra_headers = {});
  // Chunked streaming: the head goes out with the first chunk in one write.
  Awaitable<bool> begin_stream(std::string_view content_type, std::string_view extra_headers,
                               std::string_view first_chunk);
  Awaitable<bool> write_chunk(std::string_view data);
  Awaitable<bool> end_stream(std::string_view last_data = {});

  // Ends the connection: lingering close when asked, then close, then waits until the
  // watchdog's and the watch's handlers have run (they refer to this object).
  Awaitable<void> finish();

 private:
  Awaitable<bool> write2(std::string_view a, std::string_view b);
  bool effective_keep_alive() const;
  void arm_watchdog();
  void on_watchdog();
  Awaitable<void> linger_close();

  std::size_t request_id_prefix_ = 0;  // request_id's bytes that every request shares
  std::string head_;
  std::string chunk_;
  std::string error_body_;
  Timer watchdog_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::duration watchdog_period_;
  unsigned watchdog_waits_ = 0;  // handlers of the watchdog timer not yet run
  bool timed_out_ = false;
  bool watching_ = false;       // the client is being watched for a disconnect
  bool watch_pending_ = false;  // on the worker's list, the peek not queued yet
  unsigned watch_waits_ = 0;    // handlers of readability waits not yet run
  char watch_byte_ = 0;         // where the watch's one-byte peek lands
  bool closing_ = false;
  Abort aborted_ = Abort::none;
  // What abort() cancels: set by InterruptHook while the request waits on something.
  void (*interrupt_)(void*) = nullptr;
  void* interrupt_target_ = nullptr;
  // What runs before the answer's last bytes: set by AnswerEndHook.
  void (*answer_end_)(void*) noexcept = nullptr;
  void* answer_end_target_ = nullptr;

  template <class T>
  friend class InterruptHook;
  template <class T>
  friend class AnswerEndHook;
};

// While this guard lives, an abort of the request calls `waiting.cancel()`: the upstream
// connection or timer the request waits on gives up at once. A function pointer and the
// target, not a std::function: installing it allocates nothing.
template <class T>
class InterruptHook {
 public:
  InterruptHook(ClientConn& c, T& waiting) : c_(c) {
    c.interrupt_ = [](void* p) { static_cast<T*>(p)->cancel(); };
    c.interrupt_target_ = &waiting;
  }
  InterruptHook(const InterruptHook&) = delete;
  InterruptHook& operator=(const InterruptHook&) = delete;
  ~InterruptHook() {
    c_.interrupt_ = nullptr;
    c_.interrupt_target_ = nullptr;
  }

 private:
  ClientConn& c_;
};

// While this guard lives, `done.run()` (noexcept) is called once, right before the bytes that
// end the answer are written: by respond() (and so respond_error()) and by end_stream(), or by
// run_answer_end() when the handler ends without them. What the client must find done once it
// has its whole answer runs there: the request's rate limits and budget settled, so the next
// request it sends (on any connection, to any worker) sees them. Function pointer and target,
// as InterruptHook: installing it allocates nothing.
template <class T>
class AnswerEndHook {
 public:
  AnswerEndHook(ClientConn& c, T& done) : c_(c) {
    c.answer_end_ = [](void* p) noexcept { static_cast<T*>(p)->run(); };
    c.answer_end_target_ = &done;
  }
  AnswerEndHook(const AnswerEndHook&) = delete;
  AnswerEndHook& operator=(const AnswerEndHook&) = delete;
  ~AnswerEndHook() {
    c_.answer_end_ = nullptr;
    c_.answer_end_target_ = nullptr;
  }

 private:
  ClientConn& c_;
};

}  // namespace tollbooth
