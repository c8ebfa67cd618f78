#pragma once
// AWS event-stream framing (`application/vnd.amazon.eventstream`, PROTOCOLS.md §6): the body of
// Bedrock's ConverseStream answers. The decoder reads what the upstream sends, byte chunks as
// they arrive; the encoder frames the mock Bedrock's answers.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace tollbooth::aws {

// Header value types of §6.2. Each wire type has its own C++ type so that decode → encode gives
// the same bytes back: a `short` 42 stays a short. Bool covers wire types 0 (true) and 1 (false).
struct ByteArray {
  std::string bytes;
  bool operator==(const ByteArray&) const = default;
};
struct Timestamp {
  std::int64_t millis = 0;  // since the Unix epoch
  bool operator==(const Timestamp&) const = default;
};
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const Uuid&) const = default;
};
using HeaderValue = std::variant<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t,
                                 ByteArray, std::string, Timestamp, Uuid>;

// The wire type code of a value (0..9).
std::uint8_t wire_type(const HeaderValue& value) noexcept;

struct EventHeader {
  std::string name;
  HeaderValue value;
  bool operator==(const EventHeader&) const = default;
};

struct EventMessage {
  std::vector<EventHeader> headers;  // wire order; names may repeat (lookups take the first)
  std::string payload;

  // The first header with this name, or nullptr.
  const HeaderValue* find(std::string_view name) const noexcept;
  // The value of a string header; empty when absent or not a string.
  std::string_view string_header(std::string_view name) const noexcept;
  // §6.3: "event", "exception" or "error".
  std::string_view message_type() const noexcept { return string_header(":message-type"); }
  std::string_view event_type() const noexcept { return string_header(":event-type"); }
  std::string_view exception_type() const noexcept { return string_header(":exception-type"); }
  std::string_view content_type() const noexcept { return string_header(":content-type"); }
  std::string_view error_code() const noexcept { return string_header(":error-code"); }
  std::string_view error_message() const noexcept { return string_header(":error-message"); }

  bool operator==(const EventMessage&) const = default;
};

// Why a stream was rejected. The first four are stated in the frame that failed; `truncated`
// means the stream ended inside a frame.
enum class EventStreamErrc : std::uint8_t {
  ok = 0,
  prelude_crc_mismatch,
  message_crc_mismatch,
  length_out_of_limits,
  header_parse_error,
  truncated,
};
const char* describe(EventStreamErrc errc) noexcept;

// Botocore's limits (§6.1); a gateway may lower them. The 16 bytes of framing are not counted.
struct EventStreamLimits {
  std::uint32_t max_headers_bytes = 128 * 1024;
  std::uint32_t max_payload_bytes = 24 * 1024 * 1024;
};

// Incremental decoder: feed bytes as they arrive, in any split; complete messages come out.
// A frame already whole in the fed bytes is decoded in place; only an unfinished frame is copied,
// and only after its prelude CRC and lengths were checked, so a frame claiming a huge length is
// refused before any memory is reserved for it. The first error is final: every later call
// returns it again.
class EventStreamDecoder {
 public:
  explicit EventStreamDecoder(EventStreamLimits limits = {}) noexcept : limits_(limits) {}

  // Appends the messages completed by `bytes` to `out` (those before a bad frame included).
  // Errors are ErrorKind::bad_gateway: the upstream sent bytes that are not an event stream.
  Result<Ok> feed(std::string_view bytes, std::vector<EventMessage>& out);
  // The upstream body ended: an unfinished frame is a truncation error.
  Result<Ok> finish();

  EventStreamErrc failure() const noexcept { return failure_; }
  // Bytes received but not yet part of a complete message.
  std::size_t pending_bytes() const noexcept { return pending_.size(); }

 private:
  Result<Ok> fill_pending(std::string_view& bytes, std::vector<EventMessage>& out);
  Result<Ok> check_prelude(std::string_view prelude);
  Result<Ok> decode_frame(std::string_view frame, std::vector<EventMessage>& out);
  Result<Ok> fail(EventStreamErrc errc, std::string detail);

  EventStreamLimits limits_;
  std::string pending_;             // the start of a frame split across feeds
  std::uint32_t frame_length_ = 0;  // of the frame in pending_, once its prelude was checked
  std::uint32_t headers_length_ = 0;
  std::uint32_t prelude_crc_ = 0;
  std::uint64_t offset_ = 0;  // stream offset of the next frame, for error details
  EventStreamErrc failure_ = EventStreamErrc::ok;
  std::string failure_detail_;
};

// Decodes a whole body at once (a non-streamed answer, a test fixture).
Result<std::vector<EventMessage>> decode_events(std::string_view bytes,
                                                EventStreamLimits limits = {});

// Frames one message. Names longer than 255 bytes and string or byte-array values longer than
// 65535 bytes cannot be framed: they throw std::length_error (a programming error; decoded
// messages never hold them).
std::string encode_event(const EventMessage& message);

// The Bedrock shapes of §6.3, headers in the order Bedrock sends them.
std::string encode_bedrock_event(std::string_view event_type, std::string_view json_payload);
std::string encode_bedrock_exception(std::string_view exception_type,
                                     std::string_view json_payload);

}  // namespace tollbooth::aws
