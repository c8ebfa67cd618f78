#include "gateway/access_log.hpp"

#include <fmt/format.h>

#include <ctime>
#include <iterator>

#include "core/text.hpp"

namespace tollbooth::gateway {

namespace {

constexpr auto kFlushEvery = std::chrono::milliseconds(10);
constexpr std::size_t kFlushAt = 32 * 1024;

// `text` as the log shows it: itself when plain (no allocation), else an excerpt kept in `keep`.
std::string_view loggable(std::string_view text, std::size_t max_bytes, std::string& keep) {
  if (text.empty()) return "-";
  if (is_plain_excerpt(text, max_bytes)) return text;
  keep = excerpt_client_text(text, max_bytes);
  return keep;
}

}  // namespace

AccessLog::AccessLog(BatchSink& sink, Executor ex, const Clock& clock)
    : sink_(sink), clock_(clock), timer_(ex) {
  buffer_.reserve(kFlushAt + 4096);
}

void AccessLog::timestamp(std::int64_t unix_ms) {
  // The date and time change once a second; formatting them once per second is enough.
  const std::int64_t second = unix_ms / 1000;
  if (second != prefix_second_) {
    std::time_t t = static_cast<std::time_t>(second);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    prefix_size_ = std::strftime(prefix_, sizeof prefix_, "[%Y-%m-%d %H:%M:%S.", &tm);
    prefix_second_ = second;
  }
  buffer_.append(prefix_, prefix_size_);
  fmt::format_to(std::back_inserter(buffer_), "{:03}] [tollbooth] [info] ", unix_ms % 1000);
}

void AccessLog::on_outcome(const RequestOutcome& o) noexcept {
  try {
    std::string kept_method, kept_target, kept_model;
    const auto us =
        o.received == RequestOutcome::Steady{}
            ? 0
            : std::chrono::duration_cast<std::chrono::microseconds>(o.done - o.received).count();
    timestamp(clock_.unix_ms());
    auto out = std::back_inserter(buffer_);
    fmt::format_to(out, "{} {} {} {} model={} route={} stream={} in={} out={} us={}", o.request_id,
                   loggable(o.method, 16, kept_method),
                   loggable(o.target, kClientPathExcerptBytes, kept_target), o.status,
                   loggable(o.model, kClientTextExcerptBytes, kept_model),
                   o.route.empty() ? std::string_view("-") : o.route, o.stream,
                   o.usage.input_tokens, o.usage.output_tokens, us);
    bool first = true;
    for (const auto& a : o.attempts) {
      if (a.end == AttemptEnd::served || a.end == AttemptEnd::aborted) continue;
      buffer_.append(first ? " failed=" : ",");
      first = false;
      buffer_.append(a.provider).append("(").append(a.message).append(")");
    }
    if (!o.plan.empty()) buffer_.append(" ").append(o.plan);
    buffer_.push_back('\n');
  } catch (...) {
    return;  // out of memory formatting a log line: drop the line, not the request
  }
  if (buffer_.size() >= kFlushAt) {
    flush();
  } else if (!timer_armed_) {
    timer_armed_ = true;
    timer_.expires_after(kFlushEvery);
    timer_.async_wait([this](const beast::error_code& ec) {
      timer_armed_ = false;
      if (!ec) flush();
    });
  }
}

void AccessLog::flush() noexcept {
  if (!buffer_.empty()) sink_.write_batch(buffer_);
  buffer_.clear();
  if (buffer_.capacity() < kFlushAt) buffer_.reserve(kFlushAt + 4096);
}

}  // namespace tollbooth::gateway
