#include "gateway/access_log.hpp"

#include <charconv>
#include <cstring>
#include <ctime>

#include "core/text.hpp"

namespace tollbooth::gateway {

namespace {

constexpr auto kFlushEvery = std::chrono::milliseconds(10);
constexpr std::size_t kFlushAt = 32 * 1024;

// A line is written straight into the buffer: its size is bounded first (every piece is known
// before any is written), the buffer grown once, the pieces copied in, and the buffer cut back
// to what was written. Appending piece by piece cost a std::string::append call per piece
// (about 30 a line, some 25 instructions each) and to_chars into a temporary for numbers.
class LineWriter {
 public:
  static constexpr std::size_t kMaxNumber = 20;  // digits and sign of an int64

  LineWriter(std::string& out, std::size_t max_bytes) : out_(out) {
    const std::size_t start = out.size();
    out.resize(start + max_bytes);
    at_ = out.data() + start;
  }
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;
  ~LineWriter() { out_.resize(static_cast<std::size_t>(at_ - out_.data())); }

  LineWriter& put(std::string_view s) noexcept {
    std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
    return *this;
  }
  LineWriter& num(std::int64_t v) noexcept {
    at_ = std::to_chars(at_, at_ + kMaxNumber, v).ptr;
    return *this;
  }

 private:
  std::string& out_;
  char* at_;
};

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

std::string_view AccessLog::timestamp(std::int64_t unix_ms) {
  // The date and time change once a second; formatting them once per second is enough.
  const std::int64_t second = unix_ms / 1000;
  if (second != prefix_second_) {
    std::time_t t = static_cast<std::time_t>(second);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    prefix_size_ = std::strftime(prefix_, sizeof prefix_, "[%Y-%m-%d %H:%M:%S.", &tm);
    prefix_second_ = second;
  }
  const auto ms = static_cast<int>(unix_ms % 1000);
  char* millis = prefix_ + prefix_size_;
  millis[0] = static_cast<char>('0' + ms / 100);
  millis[1] = static_cast<char>('0' + ms / 10 % 10);
  millis[2] = static_cast<char>('0' + ms % 10);
  return std::string_view(prefix_, prefix_size_ + 3);
}

void AccessLog::on_outcome(const RequestOutcome& o) noexcept {
  try {
    std::string kept_method, kept_target, kept_model;
    const auto us =
        o.received == RequestOutcome::Steady{}
            ? 0
            : std::chrono::duration_cast<std::chrono::microseconds>(o.done - o.received).count();
    const std::string_view time = timestamp(clock_.unix_ms());
    const std::string_view method = loggable(o.method, 16, kept_method);
    const std::string_view target = loggable(o.target, kClientPathExcerptBytes, kept_target);
    const std::string_view model = loggable(o.model, kClientTextExcerptBytes, kept_model);
    const std::string_view route = o.route.empty() ? std::string_view("-") : o.route;
    constexpr std::string_view kLevel = "] [tollbooth] [info] ";
    constexpr std::string_view kFailed = " failed=";
    // Every piece below, with room for the constant text and the numbers.
    std::size_t max = 128 + 4 * LineWriter::kMaxNumber + time.size() + o.request_id.size() +
                      method.size() + target.size() + model.size() + route.size() + o.plan.size() +
                      o.key_id.size();
    for (const auto& a : o.attempts)
      max += kFailed.size() + a.provider.size() + a.message.size() + 2;
    {
      LineWriter line(buffer_, max);
      line.put(time).put(kLevel).put(o.request_id).put(" ").put(method).put(" ").put(target);
      line.put(" ").num(o.status);
      // Who asked (the key's id, never its secret), when a key did.
      if (!o.key_id.empty()) line.put(" key=").put(o.key_id);
      line.put(" model=").put(model).put(" route=").put(route);
      line.put(o.stream ? " stream=true in=" : " stream=false in=").num(o.usage.input_tokens);
      line.put(" out=").num(o.usage.output_tokens).put(" us=").num(us);
      bool first = true;
      for (const auto& a : o.attempts) {
        if (a.end == AttemptEnd::served || a.end == AttemptEnd::aborted) continue;
        line.put(first ? kFailed : ",");
        first = false;
        line.put(a.provider).put("(").put(a.message).put(")");
      }
      if (!o.plan.empty()) line.put(" ").put(o.plan);
      line.put("\n");
    }
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
