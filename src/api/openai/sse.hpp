#pragma once
// Server-Sent Events framing, receiver side (PROTOCOLS.md §8.1), incremental: feed bytes as they
// arrive from the upstream and take complete events out. Used to relay Chat Completions streams
// event by event while reading the usage chunk.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tollbooth::openai {

// Every field is a view into the parser, valid until the next call to feed() (or until the
// parser is destroyed): copy what must outlive that. `data` points into the received bytes when
// the event has one `data:` line (the usual case), into the parser's join buffer otherwise.
struct SseEvent {
  std::string_view raw;   // the event's bytes as received, blank-line terminator included
  std::string_view data;  // joined `data:` lines (LF between lines, none trailing)
  std::string_view type;  // `event:` value, empty when none
};

// Every blank-line-terminated block is returned, even one without `data:` (a `: ping` comment,
// or only `event:`/`id:`/`retry:` fields), so a relay can forward the raw bytes of heartbeats;
// a browser would dispatch nothing for those. Blank lines between events belong to no event
// and are dropped. `id:` and `retry:` are ignored: the gateway never reconnects upstream.
// A lone CR at the end of a fed buffer is held until the next byte shows whether an LF follows,
// so `raw` is identical however the stream is split. Only the unfinished event counts as
// buffered; callers bounding memory can check pending_bytes().
//
// The steady state allocates nothing: the buffer, the event list and the join buffer keep their
// capacity from one feed() to the next, and consumed bytes are dropped lazily (when they are at
// least as many as the unfinished tail that would have to move, or when the new bytes would not
// fit), so a feed costs a copy of its bytes and no memmove of earlier ones in the common case.
class SseParser {
 public:
  // Appends bytes; returns the events completed by them. The returned events and their views
  // stay valid until the next call to feed(). Comment-only events (`: ping`) are returned with
  // empty data and empty type.
  const std::vector<SseEvent>& feed(std::string_view bytes);
  // Bytes received but not yet part of a complete event.
  std::size_t pending_bytes() const noexcept;

 private:
  // An event whose data was joined from several lines: where it is in joined_. The views are
  // set once the feed is over, since joining a later event may move joined_.
  struct JoinedData {
    std::size_t event;
    std::size_t begin;
    std::size_t size;
  };

  void start_feed(std::size_t incoming);
  void append(std::string_view bytes);
  bool skip_bom();
  bool take_data_event();
  bool find_line_end(std::size_t& end, std::size_t& next);
  void take_line(std::size_t begin, std::size_t end);
  void add_data(std::size_t begin, std::size_t end);
  void dispatch(std::size_t next);

  std::string buf_;           // [0, consumed_) was handed out; the rest is the unfinished event
  std::size_t consumed_ = 0;  // start of the event being built
  std::size_t line_ = 0;      // start of the next line to interpret
  std::size_t scan_ = 0;      // where the search for that line's terminator resumes
  std::size_t cr_ = std::string::npos;  // first CR at or after scan_; npos when none is buffered
  bool bom_checked_ = false;
  // The event being built, as offsets from consumed_ (they survive dropping consumed bytes).
  std::size_t data_lines_ = 0;
  std::size_t data_begin_ = 0;  // its first `data:` value
  std::size_t data_size_ = 0;
  std::size_t type_begin_ = 0;  // its `event:` value
  std::size_t type_size_ = 0;
  // Data of multi-line events: those completed by this feed, then the one being built (from
  // join_begin_) when it has two data lines or more.
  std::string joined_;
  std::size_t join_begin_ = 0;
  std::vector<JoinedData> joined_events_;
  std::vector<SseEvent> events_;
};

}  // namespace tollbooth::openai
