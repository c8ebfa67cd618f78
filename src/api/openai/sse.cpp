#include "api/openai/sse.hpp"

#include <algorithm>
#include <cstring>

// Receiver side of Server-Sent Events (PROTOCOLS.md §8.1), as OpenAI and Azure stream Chat
// Completions. Events stay contiguous in buf_ because the relay forwards their raw bytes. This
// runs on every upstream read of every stream, so the common event (one `data:` line, LF
// terminators) costs one memchr for its data line and no copy beyond the one into buf_.

namespace tollbooth::openai {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::size_t kNone = std::string::npos;
// Enough for the reads of a typical stream, so buf_ does not grow in steps at its start.
constexpr std::size_t kInitialBuffer = 4u << 10;
constexpr std::size_t kInitialEvents = 16;
// After a very large event, give the memory back once the buffer is mostly idle.
constexpr std::size_t kShrinkAbove = 64u << 10;

void shrink_if_idle(std::string& s) {
  if (s.capacity() > kShrinkAbove && s.size() < s.capacity() / 8) s.shrink_to_fit();
}

}  // namespace

const std::vector<SseEvent>& SseParser::feed(std::string_view bytes) {
  start_feed(bytes.size());
  append(bytes);
  if (!bom_checked_ && !skip_bom()) return events_;
  std::size_t end = 0;
  std::size_t next = 0;
  for (;;) {
    if (take_data_event()) continue;
    if (!find_line_end(end, next)) break;
    if (end != line_) {
      take_line(line_, end);
    } else if (consumed_ < line_) {
      dispatch(next);
    } else {
      consumed_ = next;  // a blank line outside any event
    }
    line_ = scan_ = next;
  }
  std::string_view joined(joined_);
  for (const JoinedData& j : joined_events_) {
    events_[j.event].data = joined.substr(j.begin, j.size);
  }
  return events_;
}

std::size_t SseParser::pending_bytes() const noexcept {
  return buf_.size() - consumed_;
}

// The views handed out by the previous feed() are dead now: their storage can be reused.
void SseParser::start_feed(std::size_t incoming) {
  if (events_.capacity() == 0) events_.reserve(kInitialEvents);
  events_.clear();
  joined_events_.clear();
  if (data_lines_ >= 2) {  // the unfinished event's joined data stays, at the front
    joined_.erase(0, join_begin_);
    join_begin_ = 0;
  } else {
    joined_.clear();
  }
  shrink_if_idle(joined_);
  if (consumed_ == 0) return;
  // Moving the unfinished tail to the front is worth it once the consumed bytes before it are
  // at least as many (so each byte moves O(1) times however an event is split), or when the
  // new bytes would not fit anyway. Until then the finished prefix just stays.
  std::size_t pending = buf_.size() - consumed_;
  if (pending > consumed_ && buf_.size() + incoming <= buf_.capacity()) return;
  buf_.erase(0, consumed_);
  line_ -= consumed_;
  scan_ -= consumed_;
  if (cr_ != kNone) cr_ -= consumed_;
  consumed_ = 0;
  shrink_if_idle(buf_);
}

void SseParser::append(std::string_view bytes) {
  std::size_t old_size = buf_.size();
  if (buf_.capacity() < kInitialBuffer)
    buf_.reserve(std::max(kInitialBuffer, old_size + bytes.size()));
  buf_.append(bytes);
  // One search per feed finds the CR of CR-terminated lines; most streams have none, and then
  // find_line_end only looks for LF.
  if (cr_ == kNone && !bytes.empty()) {
    const void* cr = std::memchr(buf_.data() + old_size, '\r', bytes.size());
    if (cr) cr_ = static_cast<std::size_t>(static_cast<const char*>(cr) - buf_.data());
  }
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

// The shape of nearly every event of an OpenAI or Azure stream, taken in one step: one `data:`
// line and the blank line, both ending in LF. Anything else is left to the line by line path,
// which gives the same event for this shape.
bool SseParser::take_data_event() {
  if (line_ != consumed_) return false;  // an event is half read
  const char* base = buf_.data();
  const std::size_t size = buf_.size();
  const std::size_t at = line_;
  if (size - at < 7 || std::memcmp(base + at, "data:", 5) != 0) return false;
  const void* lf = std::memchr(base + at + 5, '\n', size - at - 5);
  if (!lf) {
    if (cr_ == kNone) scan_ = size;  // no terminator yet: spare find_line_end the search
    return false;
  }
  const auto lf_at = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
  if (lf_at + 1 == size || base[lf_at + 1] != '\n') return false;
  if (cr_ < scan_) {  // as in find_line_end; there is none in [line_, scan_)
    const void* cr = std::memchr(base + scan_, '\r', size - scan_);
    cr_ = cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - base) : kNone;
  }
  if (cr_ < lf_at) return false;  // a CR ends the line first
  std::size_t value = at + 5;
  if (base[value] == ' ') ++value;
  const std::string_view all(buf_);
  events_.push_back(
      {all.substr(at, lf_at + 2 - at), all.substr(value, lf_at - value), all.substr(at, 0)});
  consumed_ = line_ = scan_ = lf_at + 2;
  return true;
}

// Finds the terminator of the line starting at line_: CRLF, LF or CR. A CR as the last byte
// received may be the first half of a CRLF, so that line waits for the next byte.
bool SseParser::find_line_end(std::size_t& end, std::size_t& next) {
  const char* base = buf_.data();
  std::size_t size = buf_.size();
  if (cr_ < scan_) {  // that CR ended an earlier line; find the next one (npos is never less)
    const void* cr = std::memchr(base + scan_, '\r', size - scan_);
    cr_ = cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - base) : kNone;
  }
  if (scan_ >= size) return false;
  std::size_t lf_at = scan_;
  if (base[scan_] != '\n') {  // the blank line after an event needs no search
    const void* lf = std::memchr(base + scan_, '\n', size - scan_);
    lf_at = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - base) : kNone;
  }
  if (cr_ < lf_at) {
    if (cr_ + 1 == size) {
      scan_ = cr_;
      return false;
    }
    end = cr_;
    next = base[cr_ + 1] == '\n' ? cr_ + 2 : cr_ + 1;
    return true;
  }
  if (lf_at == kNone) {
    scan_ = size;
    return false;
  }
  end = lf_at;
  next = lf_at + 1;
  return true;
}

void SseParser::take_line(std::size_t begin, std::size_t end) {
  const char* line = buf_.data() + begin;
  std::size_t size = end - begin;
  if (line[0] == ':') return;                             // a comment
  if (size >= 5 && std::memcmp(line, "data:", 5) == 0) {  // nearly every line of a stream
    std::size_t value = begin + 5;
    if (value < end && buf_[value] == ' ') ++value;
    add_data(value, end);
    return;
  }
  const void* colon_at = std::memchr(line, ':', size);
  // Without a colon the whole line is the name and the value is empty.
  std::size_t colon =
      colon_at ? begin + static_cast<std::size_t>(static_cast<const char*>(colon_at) - line) : end;
  std::string_view name(line, colon - begin);
  std::size_t value = colon == end ? end : colon + 1;
  if (value < end && buf_[value] == ' ') ++value;
  if (name == "data") {
    add_data(value, end);
  } else if (name == "event") {
    type_begin_ = value - consumed_;
    type_size_ = end - value;
  }
}

// A single data line is kept as its place in buf_; only a second one makes a joined copy.
void SseParser::add_data(std::size_t begin, std::size_t end) {
  if (data_lines_ == 0) {
    data_begin_ = begin - consumed_;
    data_size_ = end - begin;
  } else {
    if (data_lines_ == 1) {
      join_begin_ = joined_.size();
      joined_.append(buf_, consumed_ + data_begin_, data_size_);
    }
    joined_.push_back('\n');
    joined_.append(buf_, begin, end - begin);
  }
  ++data_lines_;
}

void SseParser::dispatch(std::size_t next) {
  std::string_view all(buf_);
  SseEvent& event = events_.emplace_back();
  event.raw = all.substr(consumed_, next - consumed_);
  event.type = all.substr(consumed_ + type_begin_, type_size_);
  if (data_lines_ == 1) {
    event.data = all.substr(consumed_ + data_begin_, data_size_);
  } else if (data_lines_ == 0) {
    event.data = all.substr(consumed_, 0);
  } else {
    joined_events_.push_back({events_.size() - 1, join_begin_, joined_.size() - join_begin_});
  }
  data_lines_ = 0;
  type_begin_ = type_size_ = 0;
  consumed_ = next;
}

}  // namespace tollbooth::openai
