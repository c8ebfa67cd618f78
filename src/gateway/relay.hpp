#pragma once
// The one relay: one attempt of a request on one route, driving that attempt's translator
// (providers/translator.hpp) through the exchange with the upstream, for whole answers and
// streams alike, whatever the front and the wire. Fallback happens only before any byte has
// gone to the client, and never after an upstream began a 2xx answer. I/O header: include only
// from gateway .cpp files.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/buffer_budget.hpp"
#include "core/error.hpp"
#include "core/outcome.hpp"
#include "net/asio.hpp"
#include "upstream/pool.hpp"

namespace tollbooth {

class ClientConn;
class Translator;
struct ResolvedRoute;
struct UpstreamRequest;

namespace gateway {

class Gateway;

// Why an attempt did not serve.
struct AttemptFailure {
  Error error;
  std::string retry_after;  // the upstream's Retry-After, when it sent one
};

// How one attempt ended, with what the flow needs to decide what comes next. Small and cheap to
// move (it is returned through several coroutines): what only a failure has lives behind a
// pointer, allocated only when an attempt fails.
struct Attempt {
  AttemptEnd end = AttemptEnd::failed;
  int upstream_status = 0;         // when the upstream answered
  std::int64_t ttfb_us = 0;        // request sent → response head, when the upstream answered
  bool reused_connection = false;  // the answered request went on a pooled connection
  // When its request began to go upstream (connect included); epoch when none did.
  std::chrono::steady_clock::time_point sent{};
  std::optional<Usage> usage;
  std::optional<AttemptBill> bill;  // usage's bill, when the relay made it already
  std::unique_ptr<AttemptFailure> failure;

  // The failure's error, made on first use.
  Error& error();
  // The failure's error; an empty one when the attempt did not fail.
  const Error& error() const noexcept;
  std::string& retry_after();
  std::string_view retry_after() const noexcept;
};

// The client has its answer (upstream `status`).
Attempt served(int status, std::int64_t ttfb_us = 0);
// Nothing reached the client; the next route may try.
Attempt fail(ErrorKind kind, std::string message, std::string detail = {});
// The upstream began answering and failed: final, never re-sent.
Attempt fail_final(ErrorKind kind, std::string message, std::string detail = {});
// The route cannot carry this request (nothing was sent): the next route may try, and no
// upstream attempt was spent.
Attempt refused(Error error);
// The client went away or the gateway is cutting the request.
Attempt aborted();

// The upstream connection a request waits on, for InterruptHook: an abort (the client left,
// the drain cut) cancels the wait. `conn` changes as the attempt connects and exchanges.
struct UpstreamWait {
  UpstreamConn* conn = nullptr;
  void cancel() {
    if (conn) conn->cancel();
  }
};

// What a front does with an answer that succeeded, before its last bytes reach the client: the
// Responses front keeps the response in the store, so that it can be read and continued the
// moment its client has it (also on another instance sharing the store).
class AnswerKeeper {
 public:
  virtual ~AnswerKeeper() = default;
  // `answer`: the whole body (stream false), or a stream's last client bytes, which hold its
  // terminal event (stream true). Called once, for a 2xx answer. It must leave the
  // connection's buffers (ClientConn::scratch, stream_out) alone: the answer's headers and
  // bytes are in them.
  virtual Awaitable<void> keep(const ResolvedRoute& r, std::string_view answer, bool stream) = 0;
};

// One attempt on route `r` with translator `tr`: build, send, read the head, then relay the
// answer whole or as a stream. `first_byte_timeout` is this attempt's (the route's, cut to
// the request's deadline); `ureq` is the request buffer reused across the request's attempts.
// `insides`: the caller may see which upstream failed (routing:explain); otherwise the in-band
// error of a broken stream does not name it (the attempt's record, for the log, still does).
// `keeper`, when given, sees the answer before its end goes out.
Awaitable<Attempt> relay(Gateway& g, ClientConn& c, const ResolvedRoute& r, Translator& tr,
                         UpstreamRequest& ureq, std::chrono::milliseconds first_byte_timeout,
                         bool insides, AnswerKeeper* keeper = nullptr);

// Sends the request and reads the response head (interim 1xx heads read past). A reused
// keep-alive connection that the upstream closed meanwhile fails at once; that is retried once
// on a fresh connection. The wait ends early when the client goes away (AttemptEnd::aborted).
// On success `conn` holds the connection with the head parsed.
// `sent`: when the attempt began (its time to first byte counts from it); now when not given.
Awaitable<Attempt> exchange_head(Gateway& g, ClientConn& c, const UpstreamTarget& t,
                                 const UpstreamRequest& ureq, std::unique_ptr<UpstreamConn>& conn,
                                 std::chrono::milliseconds first_byte_timeout,
                                 std::chrono::steady_clock::time_point sent = {});

// Reads the rest of a non-streamed answer under the idle timeout: at most `limit` bytes (0:
// server.max_response_bytes), held in `charge` from the process-wide server.max_buffered_bytes.
// Served when the whole body is in; failed_final (502 too large or broken, 503 over the buffer
// budget, 504 stalled) or aborted otherwise.
Awaitable<Attempt> read_body(Gateway& g, ClientConn& c, UpstreamConn& conn, const UpstreamTarget& t,
                             BufferCharge& charge, std::size_t limit = 0);

// Pools the connection when its exchange ended exactly at the end of its answer, closes it
// otherwise.
void give_back(Gateway& g, const UpstreamTarget& t, std::unique_ptr<UpstreamConn> conn);

// What the client is told when the drain cuts its request.
Error shutdown_error();

}  // namespace gateway
}  // namespace tollbooth
