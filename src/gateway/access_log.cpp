#include "gateway/access_log.hpp"

#include <charconv>
#include <cstring>
#include <ctime>
#include <initializer_list>

#include "core/text.hpp"
#include "gateway/billing.hpp"

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
  // `s` as a JSON string, quotes included (at most json_size(s) bytes): `"` and `\` escaped,
  // control bytes as \u00XX. The text given here is valid UTF-8 already (client text is an
  // excerpt, the rest the config's and the gateway's own).
  static std::size_t json_size(std::string_view s) noexcept { return 6 * s.size() + 2; }
  LineWriter& json(std::string_view s) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    *at_++ = '"';
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        *at_++ = '\\';
        *at_++ = ch;
      } else if (c < 0x20 || c == 0x7F) {
        std::memcpy(at_, "\\u00", 4);
        at_[4] = kHex[c >> 4];
        at_[5] = kHex[c & 0xF];
        at_ += 6;
      } else {
        *at_++ = ch;
      }
    }
    *at_++ = '"';
    return *this;
  }
  // A JSON string, or null for an empty one.
  LineWriter& json_or_null(std::string_view s) noexcept {
    return s.empty() ? put("null") : json(s);
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

AccessLog::AccessLog(BatchSink& sink, Executor ex, const Clock& clock, LogFormat format,
                     const routing::Catalog* catalog)
    : sink_(sink), clock_(clock), format_(format), catalog_(catalog), timer_(ex) {
  buffer_.reserve(kFlushAt + 4096);
}

std::string_view AccessLog::timestamp(std::int64_t unix_ms) {
  // The date and time change once a second; formatting them once per second is enough.
  const std::int64_t second = unix_ms / 1000;
  if (second != prefix_second_) {
    std::time_t t = static_cast<std::time_t>(second);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    prefix_size_ = std::strftime(
        prefix_, sizeof prefix_,
        format_ == LogFormat::json ? "%Y-%m-%dT%H:%M:%S." : "[%Y-%m-%d %H:%M:%S.", &tm);
    prefix_second_ = second;
  }
  const auto ms = static_cast<int>(unix_ms % 1000);
  char* millis = prefix_ + prefix_size_;
  millis[0] = static_cast<char>('0' + ms / 100);
  millis[1] = static_cast<char>('0' + ms / 10 % 10);
  millis[2] = static_cast<char>('0' + ms % 10);
  if (format_ == LogFormat::json) {
    millis[3] = 'Z';
    return std::string_view(prefix_, prefix_size_ + 4);
  }
  return std::string_view(prefix_, prefix_size_ + 3);
}

// The readable line: "[time] [tollbooth] [info] id METHOD target status key= model= ...".
void AccessLog::text_line(const RequestOutcome& o, std::int64_t us) {
  std::string kept_method, kept_target, kept_model;
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
                    o.key_id.size() + o.client_request_id.size();
  for (const auto& a : o.attempts) max += kFailed.size() + a.provider.size() + a.message.size() + 2;
  {
    LineWriter line(buffer_, max);
    line.put(time).put(kLevel).put(o.request_id).put(" ").put(method).put(" ").put(target);
    line.put(" ").num(o.status);
    // The client's own id for it, when it sent one.
    if (!o.client_request_id.empty()) line.put(" client_id=").put(o.client_request_id);
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
}

// One JSON object: what the text line says, by name, with the tokens apart, the request's
// charge, the serving attempt's time to first byte and the failed attempts as an array.
// Strings are the same bounded excerpts as the text line's, JSON-escaped; never a prompt, an
// answer or a key's secret.
void AccessLog::json_line(const RequestOutcome& o, std::int64_t duration_us) {
  // Client text, bounded and made printable as in the text line (an empty one is null).
  std::string kept_method, kept_target, kept_model;
  auto client = [](std::string_view text, std::size_t max, std::string& keep) {
    return text.empty() ? text : loggable(text, max, keep);
  };
  const std::string_view method = client(o.method, 16, kept_method);
  const std::string_view target = client(o.target, kClientPathExcerptBytes, kept_target);
  const std::string_view model = client(o.model, kClientTextExcerptBytes, kept_model);
  const std::string_view time = timestamp(clock_.unix_ms());
  // The charge of every attempt that has usage, as the budget settles and the ledger keeps.
  bool billed = false;
  Money charge = 0;
  std::int64_t ttfb = 0;
  std::size_t max = 512 + 12 * LineWriter::kMaxNumber + time.size();
  for (const AttemptRecord& a : o.attempts) {
    if (a.end == AttemptEnd::served) ttfb = a.ttfb_us;
    max += 32 + LineWriter::json_size(a.provider) + LineWriter::json_size(a.message);
    if (!catalog_ || !has_usage(a.usage)) continue;
    const AttemptBill bill = recorded_bill(*catalog_, o, a);
    billed |= bill.priced;
    charge += bill.charge;
  }
  for (std::string_view s :
       std::initializer_list<std::string_view>{o.request_id, o.client_request_id, method, target,
                                               o.key_id, o.team, model, o.route, o.plan})
    max += LineWriter::json_size(s);
  LineWriter line(buffer_, max);
  line.put("{\"time\":\"").put(time).put("\",\"level\":\"info\",\"msg\":\"request\"");
  line.put(",\"request_id\":").json_or_null(o.request_id);
  line.put(",\"client_request_id\":").json_or_null(o.client_request_id);
  line.put(",\"method\":").json_or_null(method).put(",\"path\":").json_or_null(target);
  line.put(",\"status\":").num(o.status);
  line.put(",\"key\":").json_or_null(o.key_id).put(",\"team\":").json_or_null(o.team);
  line.put(",\"model\":").json_or_null(model).put(",\"route\":").json_or_null(o.route);
  line.put(o.stream ? ",\"stream\":true" : ",\"stream\":false");
  line.put(",\"input_tokens\":").num(o.usage.input_tokens);
  line.put(",\"cached_input_tokens\":").num(o.usage.cached_input_tokens);
  line.put(",\"output_tokens\":").num(o.usage.output_tokens);
  line.put(",\"reasoning_tokens\":").num(o.usage.reasoning_tokens);
  line.put(",\"charge_micros\":");
  if (billed)
    line.num(charge);
  else
    line.put("null");
  line.put(",\"duration_us\":").num(duration_us).put(",\"upstream_ttfb_us\":").num(ttfb);
  line.put(",\"attempts\":").num(static_cast<std::int64_t>(o.attempts.size()));
  line.put(",\"failed\":[");
  bool first = true;
  for (const AttemptRecord& a : o.attempts) {
    if (a.end == AttemptEnd::served || a.end == AttemptEnd::aborted) continue;
    line.put(first ? "{\"provider\":" : ",{\"provider\":");
    first = false;
    line.json(a.provider).put(",\"error\":").json(a.message).put("}");
  }
  line.put("],\"plan\":").json_or_null(o.plan).put("}\n");
}

void AccessLog::on_outcome(const RequestOutcome& o) noexcept {
  try {
    const auto us =
        o.received == RequestOutcome::Steady{}
            ? 0
            : std::chrono::duration_cast<std::chrono::microseconds>(o.done - o.received).count();
    if (format_ == LogFormat::json)
      json_line(o, us);
    else
      text_line(o, us);
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

void AccessLog::record(const RequestOutcome& outcome, const routing::Catalog* catalog) noexcept {
  const routing::Catalog* own = catalog_;
  catalog_ = catalog;
  on_outcome(outcome);
  catalog_ = own;
}

void AccessLog::flush() noexcept {
  if (!buffer_.empty()) sink_.write_batch(buffer_);
  buffer_.clear();
  if (buffer_.capacity() < kFlushAt) buffer_.reserve(kFlushAt + 4096);
}

}  // namespace tollbooth::gateway
