#include "server/client_conn.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "config/config.hpp"
#include "server/http_head.hpp"
#include "server/request.hpp"
#include "server/worker.hpp"

namespace tollbooth {

namespace {
using SteadyClock = std::chrono::steady_clock;

// Lingering close (nginx's lingering_time / lingering_timeout): after an answer sent before the
// request was read to its end, keep reading and discarding for at most this long in all, this
// long without data, and this many bytes, so the client reads the answer instead of a reset.
constexpr auto kLingerTotal = std::chrono::seconds(5);
constexpr auto kLingerQuiet = std::chrono::seconds(1);
constexpr std::size_t kLingerMinBytes = 64u << 20;

// Writes during a shutdown cut get this long: the drain has a deadline of its own.
constexpr auto kShutdownWrite = std::chrono::milliseconds(500);
}  // namespace

ClientConn::ClientConn(Socket s, Worker& w)
    : socket(std::move(s)),
      worker(w),
      body_charge(w.buffers),
      watchdog_(socket.get_executor()),
      // The watchdog wakes at least this often while a deadline is set, so a deadline set later
      // (never shorter than the shortest client timeout) needs no timer operation.
      watchdog_period_(std::min(w.config.read_timeout, w.config.idle_timeout)) {
  buffer.reserve(4 * 1024);  // a typical request in one receive (Beast starts at 512 bytes)
  // Request ids are the worker's start time, the worker's index and a per-worker counter:
  // unique without any shared state. The first two are written once; begin_request() writes
  // the counter after them.
  char* p = request_id;
  char* end = p + sizeof request_id - 1;
  p = std::copy_n("req_", 4, p);
  p = std::to_chars(p, end, static_cast<unsigned long long>(worker.started_unix), 16).ptr;
  *p++ = '_';
  p = std::to_chars(p, end, worker.index, 16).ptr;
  *p++ = '_';
  request_id_prefix_ = static_cast<std::size_t>(p - request_id);
}

void ClientConn::take_client_id(const HttpRequest& req) noexcept {
  for (std::size_t i = 0; i < req.field_count(); ++i) {
    const HttpRequest::Field f = req.field(i);
    if (!beast::iequals(f.name_string, "x-request-id")) continue;
    const std::string_view v = f.value;
    if (v.empty() || v.size() >= sizeof client_request_id) return;
    for (char ch : v) {
      const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' || ch == '-';
      if (!ok) return;
    }
    std::memcpy(client_request_id, v.data(), v.size());
    outcome.client_request_id = std::string_view(client_request_id, v.size());
    return;
  }
}

void ClientConn::begin_request() {
  outcome.reset();
  head_sent = false;
  aborted_ = Abort::none;
  response_headers.clear();
  body_charge.release();
  if (stream_out.capacity() > kKeepStreamBytes) std::string().swap(stream_out);
  // The counter after the connection's prefix (see the constructor). Hex by to_chars: snprintf
  // showed up in the profile at ~2% of a proxied request.
  auto n = ++worker.requests;
  char* p = request_id + request_id_prefix_;
  p = std::to_chars(p, request_id + sizeof request_id - 1, n, 16).ptr;
  *p = '\0';
  outcome.request_id = std::string_view(request_id, static_cast<std::size_t>(p - request_id));
}

void ClientConn::set_deadline(SteadyClock::duration d) {
  const auto now = worker.clock.steady();
  deadline_ = now + d;
  timed_out_ = false;
  if (closing_) return;
  if (watchdog_waits_ == 0 || deadline_ < watchdog_.expiry()) arm_watchdog();
}

void ClientConn::arm_watchdog() {
  // expires_at cancels a pending wait; its handler then only counts itself out.
  watchdog_.expires_at(std::min(deadline_, worker.clock.steady() + watchdog_period_));
  ++watchdog_waits_;
  watchdog_.async_wait([this](const beast::error_code& ec) {
    --watchdog_waits_;
    if (ec || closing_) return;
    on_watchdog();
  });
}

void ClientConn::on_watchdog() {
  if (deadline_ == SteadyClock::time_point::max()) return;  // nothing to time; re-armed when set
  if (deadline_ <= worker.clock.steady()) {
    timed_out_ = true;
    clear_deadline();
    beast::error_code ec;
    socket.cancel(ec);  // pending reads and writes end with operation_aborted
    return;
  }
  if (watchdog_waits_ == 0) arm_watchdog();
}

void ClientConn::watch_for_disconnect() {
  if (watching_ || watch_pending_ || closing_) return;
  watch_pending_ = true;
  watch_from = worker.clock.steady();
  worker.await_watch(*this);
}

void ClientConn::start_watch() {
  watch_pending_ = false;
  if (watching_ || closing_) return;
  watching_ = true;
  ++watch_waits_;
  // A one-byte peek, not a wait for readability: Asio re-arms epoll for every wait.
  socket.async_receive(asio::buffer(&watch_byte_, 1), tcp::socket::message_peek,
                       [this](const beast::error_code& ec, std::size_t n) {
                         --watch_waits_;
                         if (!watching_ || ec == asio::error::operation_aborted || closing_) return;
                         watching_ = false;
                         // Pipelined bytes: the client is there, and its next request waits.
                         if (!ec && n > 0) return;
                         abort(Abort::client_gone);  // EOF, or an error such as a reset
                       });
}

void ClientConn::stop_watching() {
  if (watch_pending_) {
    worker.drop_watch(*this);
    watch_pending_ = false;
  }
  if (!watching_) return;
  // Nothing else is pending on the socket between requests, so cancelling all is exact.
  beast::error_code ec;
  socket.cancel(ec);
  watching_ = false;  // the handler still runs (aborted) and only counts itself out
}

void ClientConn::abort(Abort why) {
  if (aborted_ == Abort::none) aborted_ = why;
  if (interrupt_) interrupt_(interrupt_target_);
}

bool ClientConn::effective_keep_alive() const {
  return keep_alive && !worker.draining;
}

Awaitable<bool> ClientConn::write2(std::string_view a, std::string_view b) {
  std::array<asio::const_buffer, 2> bufs{asio::buffer(a), asio::buffer(b)};
  if (aborted_ == Abort::shutdown)
    set_deadline(kShutdownWrite);
  else
    set_deadline(worker.config.read_timeout);
  if (outcome.bytes_out == 0) outcome.first_byte = worker.clock.steady();
  auto [ec, n] = co_await asio::async_write(socket, bufs, deferred_nothrow);
  outcome.bytes_out += n;
  clear_deadline();
  if (ec) keep_alive = false;
  co_return !ec;
}

// respond(), begin_stream() and the chunk writers are not coroutines: each prepares its bytes
// and hands back write2()'s awaitable, so a response costs one coroutine frame, not two or three.
void ClientConn::run_answer_end() noexcept {
  if (!answer_end_) return;
  auto* run = answer_end_;
  answer_end_ = nullptr;  // once
  run(answer_end_target_);
}

Awaitable<bool> ClientConn::respond(int status, std::string_view content_type,
                                    std::string_view body, std::string_view extra_headers) {
  outcome.status = status;
  run_answer_end();
  HeadBuilder h(head_);
  h.status(status);
  if (!content_type.empty()) h.header("Content-Type", content_type);
  // A 304 has no body and says nothing of its length (RFC 9110 §8.6: it would be the 200's).
  if (status != 304) h.content_length(body.size());
  h.header("x-request-id", answered_id()).raw(extra_headers);
  h.raw(response_headers);
  keep_alive = effective_keep_alive();
  h.finish(keep_alive);
  head_sent = true;
  return write2(head_, body);
}

Awaitable<bool> ClientConn::respond_error(const Error& error, std::string_view extra_headers) {
  error_body_ = worker.handler->error_body(error);  // lives until the write is done
  outcome.refusal = refusal_of(error.code);
  return respond(http_status(error.kind), "application/json", error_body_, extra_headers);
}

Awaitable<bool> ClientConn::begin_stream(std::string_view content_type,
                                         std::string_view extra_headers,
                                         std::string_view first_chunk) {
  outcome.status = 200;
  HeadBuilder h(head_);
  h.status(200).header("Content-Type", content_type);
  h.raw("Cache-Control: no-cache, no-transform\r\nX-Accel-Buffering: no\r\n");
  h.header("x-request-id", answered_id()).raw(extra_headers).raw(response_headers);
  h.header("Transfer-Encoding", "chunked");
  keep_alive = effective_keep_alive();
  h.finish(keep_alive);
  head_sent = true;
  chunk_.clear();
  append_chunk(chunk_, first_chunk);
  return write2(head_, chunk_);
}

namespace {
Awaitable<bool> nothing_to_write() {
  co_return true;
}
}  // namespace

Awaitable<bool> ClientConn::write_chunk(std::string_view data) {
  if (data.empty()) return nothing_to_write();  // an empty chunk would end the stream
  chunk_.clear();
  append_chunk(chunk_, data);
  return write2(chunk_, {});
}

Awaitable<bool> ClientConn::end_stream(std::string_view last_data) {
  run_answer_end();
  chunk_.clear();
  append_chunk(chunk_, last_data);
  chunk_.append(kLastChunk);
  return write2(chunk_, {});
}

Awaitable<void> ClientConn::linger_close() {
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);  // our answer is complete: FIN
  if (ec) co_return;
  const auto until = worker.clock.steady() + kLingerTotal;
  const std::size_t max_bytes = std::max(kLingerMinBytes, 4 * worker.config.max_body_bytes);
  std::size_t discarded = 0;
  buffer.clear();
  while (discarded < max_bytes) {
    const auto now = worker.clock.steady();
    if (now >= until) break;
    set_deadline(std::min<SteadyClock::duration>(kLingerQuiet, until - now));
    auto [rec, n] = co_await socket.async_read_some(buffer.prepare(16 * 1024), deferred_nothrow);
    if (rec) break;  // EOF (the client is done), a reset, or the deadline
    discarded += n;
  }
  clear_deadline();
}

Awaitable<void> ClientConn::finish() {
  if (watch_pending_) {
    worker.drop_watch(*this);
    watch_pending_ = false;
  }
  if (linger) co_await linger_close();
  closing_ = true;
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);  // pending operations end with operation_aborted
  watchdog_.cancel();
  // The handlers refer to this object, which lives in the session's frame: let them run first.
  watching_ = false;
  while (watchdog_waits_ > 0 || watch_waits_ > 0)
    co_await asio::post(socket.get_executor(), asio::use_awaitable_t<Executor>{});
}

}  // namespace tollbooth
