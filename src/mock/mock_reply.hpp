#pragma once
// What the mock decided to send for one request, independent of sockets: the server executes
// it (delays, stalls, drops included), and unit tests inspect it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tollbooth::mock {

struct CloudConfig;

struct Reply {
  int status = 200;
  std::string_view content_type = "application/json";
  std::string headers;              // extra header lines, each "name: value\r\n"
  std::string body;                 // the whole body when not streaming
  std::vector<std::string> events;  // streaming: complete SSE events, in order
  bool stream = false;
  bool close_without_reply = false;
  int latency_ms = 0;                  // before the head
  int stall_ms = 0;                    // after the first event (non-streaming: after the head)
  int drop_after = -1;                 // close after this many events (non-streaming: body bytes)
  int event_delay_ms = 0;              // between streamed events
  const CloudConfig* cloud = nullptr;  // the cloud the request was for; null when none matched
  std::string stream_exception;        // Bedrock: the exception fault to raise in the stream
  std::uint64_t seq = 0;               // the cloud request's number N (req-mock-N); 0: none
  // The usage the answer reports, for /_mock/usage: the cloud's own usage object (JSON); empty
  // when the answer has none (an error, a fault, a stream cut by an exception).
  std::string usage;
  std::string usage_model;     // the model as the request named it
  bool usage_reported = true;  // the answer carries it (not a stream without include_usage)
  int usage_event = -1;        // streams: the event that carries it; -1: none (or the body)

  void add_header(std::string_view name, std::string_view value) {
    headers.append(name).append(": ").append(value).append("\r\n");
  }
  // Empties the reply for the next request on the connection, keeping string capacity.
  void clear() {
    status = 200;
    content_type = "application/json";
    headers.clear();
    body.clear();
    events.clear();
    stream = close_without_reply = false;
    latency_ms = stall_ms = event_delay_ms = 0;
    drop_after = -1;
    cloud = nullptr;
    stream_exception.clear();
    seq = 0;
    usage.clear();
    usage_model.clear();
    usage_reported = true;
    usage_event = -1;
  }
};

// Appends the HTTP/1.1 response head for `reply` to `out`: status line, content-type, framing
// (content-length of the body, or chunked for a stream), the extra headers and, when the
// connection will not be kept, `connection: close`.
void append_response_head(std::string& out, const Reply& reply, bool keep_alive);

// RFC 9110 reason phrase; "Unknown" for codes it does not name.
std::string_view reason_phrase(int status) noexcept;

}  // namespace tollbooth::mock
