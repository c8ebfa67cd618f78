#include "gateway/access_log.hpp"

#include <charconv>
#include <ctime>

#include "core/text.hpp"

namespace tollbooth::gateway {

namespace {

constexpr auto kFlushEvery = std::chrono::milliseconds(10);
constexpr std::size_t kFlushAt = 32 * 1024;

// Appends a number. The line is built by hand rather than with fmt: the log is on for every
// request, and fmt's parsing of the format string at run time cost ~2k instructions a line.
void append_int(std::string& out, std::int64_t v) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, end);
}

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
  const auto ms = static_cast<int>(unix_ms % 1000);
  const char millis[3] = {static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                          static_cast<char>('0' + ms % 10)};
  buffer_.append(millis, 3).append("] [tollbooth] [info] ");
}

void AccessLog::on_outcome(const RequestOutcome& o) noexcept {
  try {
    std::string kept_method, kept_target, kept_model;
    const auto us =
        o.received == RequestOutcome::Steady{}
            ? 0
            : std::chrono::duration_cast<std::chrono::microseconds>(o.done - o.received).count();
    timestamp(clock_.unix_ms());
    std::string& b = buffer_;
    b.append(o.request_id).append(" ").append(loggable(o.method, 16, kept_method)).append(" ");
    b.append(loggable(o.target, kClientPathExcerptBytes, kept_target)).append(" ");
    append_int(b, o.status);
    // Who asked (the key's id, never its secret), when a key did.
    if (!o.key_id.empty()) b.append(" key=").append(o.key_id);
    b.append(" model=").append(loggable(o.model, kClientTextExcerptBytes, kept_model));
    b.append(" route=").append(o.route.empty() ? std::string_view("-") : o.route);
    b.append(o.stream ? " stream=true in=" : " stream=false in=");
    append_int(b, o.usage.input_tokens);
    b.append(" out=");
    append_int(b, o.usage.output_tokens);
    b.append(" us=");
    append_int(b, us);
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
