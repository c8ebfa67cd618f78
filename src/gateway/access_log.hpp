#pragma once
// The access log: an observer of every request's outcome that writes one line per request,
// refusals before routing included. Lines are formatted on the worker into a per-worker buffer
// and handed to a background writer (core/batch_sink.hpp) every few milliseconds or every
// 32 KiB, so no request waits on a write. Client text in a line (method, target, model) is
// bounded and made printable, so it can neither flood the log nor forge a line. I/O header.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/batch_sink.hpp"
#include "core/clock.hpp"
#include "core/log_format.hpp"
#include "core/outcome.hpp"
#include "net/asio.hpp"

namespace tollbooth {
namespace routing {
class Catalog;
}
}  // namespace tollbooth

namespace tollbooth::gateway {

class AccessLog final : public OutcomeObserver {
 public:
  // `format`: the readable line, or one JSON object a line (docs/operations.md, "Logs"), which
  // also carries the request's charge, billed with `catalog` (required for json).
  AccessLog(BatchSink& sink, Executor ex, const Clock& clock, LogFormat format = LogFormat::text,
            const routing::Catalog* catalog = nullptr);

  void on_outcome(const RequestOutcome& outcome) noexcept override;
  // The line of a request whose charge is billed with `catalog` (the config generation that
  // served it), whatever catalog this log was made with.
  void record(const RequestOutcome& outcome, const routing::Catalog* catalog) noexcept;
  // Hands what is buffered to the sink now (at shutdown, once the loop has stopped).
  void flush() noexcept;

 private:
  // "[2026-12-01 15:00:48.123" (text) or "2026-12-01T15:00:48.123Z" (json): valid until the
  // next call.
  std::string_view timestamp(std::int64_t unix_ms);
  void text_line(const RequestOutcome& o, std::int64_t duration_us);
  void json_line(const RequestOutcome& o, std::int64_t duration_us);

  BatchSink& sink_;
  const Clock& clock_;
  const LogFormat format_;
  const routing::Catalog* catalog_;
  Timer timer_;
  bool timer_armed_ = false;
  std::string buffer_;
  std::int64_t prefix_second_ = -1;  // the second `prefix_` was formatted for
  char prefix_[32] = {};  // "[2026-12-01 15:00:48." (or "2026-12-01T15:00:48.") and the ms
  std::size_t prefix_size_ = 0;
};

}  // namespace tollbooth::gateway
