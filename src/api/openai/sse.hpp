#pragma once
// Server-Sent Events framing, receiver side (PROTOCOLS.md §8.1), incremental: feed bytes as they
// arrive from the upstream and take complete events out. Used to relay Chat Completions streams
// event by event while reading the usage chunk.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tollbooth::openai {

struct SseEvent {
  std::string_view raw;   // the event's bytes as received, blank-line terminator included
  std::string data;       // joined `data:` lines (LF between lines, none trailing)
  std::string_view type;  // `event:` value, empty when none
};

// Every blank-line-terminated block is returned, even one without `data:` (a `: ping` comment,
// or only `event:`/`id:`/`retry:` fields), so a relay can forward the raw bytes of heartbeats;
// a browser would dispatch nothing for those. Blank lines between events belong to no event
// and are dropped. `id:` and `retry:` are ignored: the gateway never reconnects upstream.
// A lone CR at the end of a fed buffer is held until the next byte shows whether an LF follows,
// so `raw` is identical however the stream is split. The buffer keeps only the unfinished event;
// callers bounding memory can check pending_bytes().
class SseParser {
 public:
  // Appends bytes; returns the events completed by them. The returned views stay valid until
  // the next call to feed(). Comment-only events (`: ping`) are returned with empty data and
  // empty type.
  const std::vector<SseEvent>& feed(std::string_view bytes);
  // Bytes received but not yet part of a complete event.
  std::size_t pending_bytes() const noexcept;

 private:
  void recycle_events();
  void compact();
  bool skip_bom();
  bool find_line_end(std::size_t& end, std::size_t& next);
  void take_line(std::string_view line);
  void dispatch(std::size_t next);

  std::string buf_;
  std::size_t consumed_ = 0;  // start of the event being built; bytes before it are handed out
  std::size_t line_ = 0;      // start of the next line to interpret
  std::size_t scan_ = 0;      // where the search for that line's terminator resumes
  bool bom_checked_ = false;
  std::string data_;            // `data:` values of the event being built, each followed by LF
  std::size_t type_begin_ = 0;  // `event:` value as an offset from consumed_
  std::size_t type_size_ = 0;
  std::vector<SseEvent> events_;
  std::vector<std::string> spare_;  // data strings of events handed out last time, reused
};

}  // namespace tollbooth::openai
