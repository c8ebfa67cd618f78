#include "api/openai/sse.hpp"

#include <algorithm>
#include <cstring>

// Receiver side of Server-Sent Events (PROTOCOLS.md §8.1), as OpenAI and Azure stream Chat
// Completions. Events stay contiguous in buf_ because the relay forwards their raw bytes.

namespace tollbooth::openai {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
// After a very large event, give the memory back once the buffer is mostly idle.
constexpr std::size_t kShrinkAbove = 64u << 10;
constexpr std::size_t kMaxSpare = 64;

}  // namespace

const std::vector<SseEvent>& SseParser::feed(std::string_view bytes) {
  recycle_events();
  compact();
  buf_.append(bytes);
  if (!bom_checked_ && !skip_bom()) return events_;
  std::size_t end = 0;
  std::size_t next = 0;
  while (find_line_end(end, next)) {
    if (end != line_) {
      take_line(std::string_view(buf_).substr(line_, end - line_));
    } else if (consumed_ < line_) {
      dispatch(next);
    } else {
      consumed_ = next;  // a blank line outside any event
    }
    line_ = scan_ = next;
  }
  return events_;
}

std::size_t SseParser::pending_bytes() const noexcept {
  return buf_.size() - consumed_;
}

// The previous events' data strings keep their capacity for the next events.
void SseParser::recycle_events() {
  for (SseEvent& event : events_) {
    if (spare_.size() >= kMaxSpare) break;
    event.data.clear();
    spare_.push_back(std::move(event.data));
  }
  events_.clear();
}

// Views handed out by the previous feed() are dead now, so the finished prefix can go.
void SseParser::compact() {
  if (consumed_ > 0) {
    buf_.erase(0, consumed_);
    line_ -= consumed_;
    scan_ -= consumed_;
    consumed_ = 0;
  }
  if (buf_.capacity() > kShrinkAbove && buf_.size() < buf_.capacity() / 8) buf_.shrink_to_fit();
}

// Returns false while the first bytes could still be the start of a BOM.
bool SseParser::skip_bom() {
  std::size_t n = std::min(buf_.size(), kBom.size());
  if (std::string_view(buf_).substr(0, n) != kBom.substr(0, n)) {
    bom_checked_ = true;
    return true;
  }
  if (n < kBom.size()) return false;
  consumed_ = line_ = scan_ = kBom.size();
  bom_checked_ = true;
  return true;
}

// Finds the terminator of the line starting at line_: CRLF, LF or CR. A CR as the last byte
// received may be the first half of a CRLF, so that line waits for the next byte.
bool SseParser::find_line_end(std::size_t& end, std::size_t& next) {
  const char* base = buf_.data();
  std::size_t size = buf_.size();
  if (scan_ >= size) return false;
  const void* lf = std::memchr(base + scan_, '\n', size - scan_);
  std::size_t lf_at = lf ? static_cast<const char*>(lf) - base : size;
  const void* cr = std::memchr(base + scan_, '\r', lf_at - scan_);
  if (cr) {
    std::size_t cr_at = static_cast<const char*>(cr) - base;
    if (cr_at + 1 == size) {
      scan_ = cr_at;
      return false;
    }
    end = cr_at;
    next = base[cr_at + 1] == '\n' ? cr_at + 2 : cr_at + 1;
    return true;
  }
  if (!lf) {
    scan_ = size;
    return false;
  }
  end = lf_at;
  next = lf_at + 1;
  return true;
}

void SseParser::take_line(std::string_view line) {
  if (line.front() == ':') return;  // a comment
  std::size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  // Without a colon the whole line is the name; the empty value still points into buf_.
  std::string_view value = line.substr(colon == std::string_view::npos ? line.size() : colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (name == "data") {
    data_.append(value);
    data_.push_back('\n');
  } else if (name == "event") {
    type_begin_ = static_cast<std::size_t>(value.data() - buf_.data()) - consumed_;
    type_size_ = value.size();
  }
}

void SseParser::dispatch(std::size_t next) {
  std::string_view all(buf_);
  if (!data_.empty()) data_.pop_back();  // the LF after the last data line
  SseEvent& event = events_.emplace_back();
  event.raw = all.substr(consumed_, next - consumed_);
  event.type = all.substr(consumed_ + type_begin_, type_size_);
  event.data = std::move(data_);
  data_.clear();
  if (!spare_.empty()) {
    data_ = std::move(spare_.back());
    spare_.pop_back();
  }
  type_begin_ = type_size_ = 0;
  consumed_ = next;
}

}  // namespace tollbooth::openai
