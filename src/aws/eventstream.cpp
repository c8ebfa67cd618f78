#include "aws/eventstream.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

// A streaming decoder runs CRC-32 over every byte it receives, twice for the 8-byte prelude.
// zlib's crc32() is table-sliced (~2-3 GB/s here); Boost.CRC goes a byte at a time (~360 MB/s),
// which would cost more than the rest of decoding a Bedrock event.
#include <zlib.h>

namespace tollbooth::aws {
namespace {

constexpr std::size_t kPreludeBytes = 12;  // total length, headers length, prelude CRC
constexpr std::size_t kFramingBytes = 16;  // prelude + message CRC
// Buffers grown for one large frame are released afterwards rather than kept per stream.
constexpr std::size_t kKeptPendingCapacity = 64 * 1024;

// Standard CRC-32 (IEEE 802.3, as zlib and PNG) of `bytes`.
std::uint32_t crc32_of(std::string_view bytes) noexcept {
  // Frames are shorter than 4 GiB (their length is a uint32), so uInt holds the size.
  return static_cast<std::uint32_t>(
      ::crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

std::uint64_t load_be(const char* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::uint32_t load_be32(std::string_view bytes, std::size_t at) noexcept {
  return static_cast<std::uint32_t>(load_be(bytes.data() + at, 4));
}

void put_be(std::string& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = n; i-- > 0;) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::string hex32(std::uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s.push_back(kDigits[(v >> shift) & 0xF]);
  return s;
}

// Reads the headers section of §6.2; every read is bounds-checked against the section.
class HeaderReader {
 public:
  explicit HeaderReader(std::string_view section) noexcept : rest_(section) {}

  // Empty on success, otherwise why the section is malformed.
  std::string read_all(std::vector<EventHeader>& out) {
    while (!rest_.empty()) {
      std::string_view name;
      std::uint64_t type = 0;
      if (!take_sized(1, name) || name.empty()) return "empty or cut header name";
      if (!take_int(1, type)) return "header '" + std::string(name) + "' has no type";
      HeaderValue value;
      if (!read_value(static_cast<std::uint8_t>(type), value)) {
        return "bad value of type " + std::to_string(type) + " in header '" + std::string(name) +
               "'";
      }
      out.push_back(EventHeader{std::string(name), std::move(value)});
    }
    return {};
  }

 private:
  bool take(std::size_t n, std::string_view& out) noexcept {
    if (rest_.size() < n) return false;
    out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  bool take_int(std::size_t n, std::uint64_t& v) noexcept {
    std::string_view bytes;
    if (!take(n, bytes)) return false;
    v = load_be(bytes.data(), n);
    return true;
  }
  // A length prefix of `prefix` bytes, then that many bytes.
  bool take_sized(std::size_t prefix, std::string_view& out) noexcept {
    std::uint64_t n = 0;
    return take_int(prefix, n) && take(static_cast<std::size_t>(n), out);
  }

  bool read_value(std::uint8_t type, HeaderValue& value) {
    std::uint64_t v = 0;
    std::string_view bytes;
    switch (type) {
      case 0: value = true; return true;
      case 1: value = false; return true;
      // Integers arrive as two's complement; C++20 defines the unsigned → signed conversion.
      case 2: return take_int(1, v) && (value = static_cast<std::int8_t>(v), true);
      case 3: return take_int(2, v) && (value = static_cast<std::int16_t>(v), true);
      case 4: return take_int(4, v) && (value = static_cast<std::int32_t>(v), true);
      case 5: return take_int(8, v) && (value = static_cast<std::int64_t>(v), true);
      case 6: return take_sized(2, bytes) && (value = ByteArray{std::string(bytes)}, true);
      case 7: return take_sized(2, bytes) && (value = std::string(bytes), true);
      case 8: return take_int(8, v) && (value = Timestamp{static_cast<std::int64_t>(v)}, true);
      case 9: {
        if (!take(16, bytes)) return false;
        Uuid uuid;
        std::copy(bytes.begin(), bytes.end(), uuid.bytes.begin());
        value = uuid;
        return true;
      }
      default: return false;
    }
  }

  std::string_view rest_;
};

Error stream_error(EventStreamErrc errc, const std::string& detail) {
  Error e = make_error(ErrorKind::bad_gateway, "the upstream sent a malformed event stream");
  e.detail = std::string("event-stream: ") + describe(errc) + ": " + detail;
  return e;
}

}  // namespace

std::uint8_t wire_type(const HeaderValue& value) noexcept {
  // The variant's alternatives follow the wire codes, bool standing for both 0 and 1.
  if (const bool* b = std::get_if<bool>(&value)) return *b ? 0 : 1;
  return static_cast<std::uint8_t>(value.index() + 1);
}

const HeaderValue* EventMessage::find(std::string_view name) const noexcept {
  for (const EventHeader& h : headers) {
    if (h.name == name) return &h.value;
  }
  return nullptr;
}

std::string_view EventMessage::string_header(std::string_view name) const noexcept {
  const HeaderValue* v = find(name);
  const std::string* s = v ? std::get_if<std::string>(v) : nullptr;
  return s ? std::string_view(*s) : std::string_view();
}

const char* describe(EventStreamErrc errc) noexcept {
  switch (errc) {
    case EventStreamErrc::ok: return "ok";
    case EventStreamErrc::prelude_crc_mismatch: return "prelude CRC mismatch";
    case EventStreamErrc::message_crc_mismatch: return "message CRC mismatch";
    case EventStreamErrc::length_out_of_limits: return "frame length out of limits";
    case EventStreamErrc::header_parse_error: return "malformed headers";
    case EventStreamErrc::truncated: return "stream ended inside a frame";
  }
  return "unknown";
}

Result<Ok> EventStreamDecoder::fail(EventStreamErrc errc, std::string detail) {
  failure_ = errc;
  failure_detail_ = std::move(detail) + " (frame at stream offset " + std::to_string(offset_) + ")";
  return stream_error(failure_, failure_detail_);
}

Result<Ok> EventStreamDecoder::feed(std::string_view bytes, std::vector<EventMessage>& out) {
  if (failure_ != EventStreamErrc::ok) return stream_error(failure_, failure_detail_);
  if (!pending_.empty()) {
    if (auto r = fill_pending(bytes, out); !r) return r;
    if (!pending_.empty()) return Ok{};  // every byte went into the unfinished frame
  }
  // Whole frames are decoded straight from the caller's bytes.
  while (bytes.size() >= kPreludeBytes) {
    if (auto r = check_prelude(bytes); !r) return r;
    if (bytes.size() < frame_length_) break;
    if (auto r = decode_frame(bytes.substr(0, frame_length_), out); !r) return r;
    bytes.remove_prefix(frame_length_);
  }
  if (!bytes.empty()) {
    // Lengths were checked when the prelude is here, so this reservation is bounded.
    if (bytes.size() >= kPreludeBytes) pending_.reserve(frame_length_);
    pending_.assign(bytes);
  }
  return Ok{};
}

// Completes the frame started in pending_ with the first of `bytes`, consuming what it takes.
Result<Ok> EventStreamDecoder::fill_pending(std::string_view& bytes,
                                            std::vector<EventMessage>& out) {
  auto move_in = [&](std::size_t want) {
    std::size_t n = std::min(want - pending_.size(), bytes.size());
    pending_.append(bytes.substr(0, n));
    bytes.remove_prefix(n);
  };
  if (pending_.size() < kPreludeBytes) {
    move_in(kPreludeBytes);
    if (pending_.size() < kPreludeBytes) return Ok{};
    if (auto r = check_prelude(pending_); !r) return r;
    pending_.reserve(frame_length_);
  }
  move_in(frame_length_);
  if (pending_.size() < frame_length_) return Ok{};
  auto r = decode_frame(pending_, out);
  pending_.clear();
  if (pending_.capacity() > kKeptPendingCapacity) std::string().swap(pending_);
  return r;
}

// Checks the 12-byte prelude at the start of `bytes`: its CRC before believing its lengths.
Result<Ok> EventStreamDecoder::check_prelude(std::string_view bytes) {
  std::uint32_t total = load_be32(bytes, 0);
  std::uint32_t headers = load_be32(bytes, 4);
  std::uint32_t stated = load_be32(bytes, 8);
  std::uint32_t computed = crc32_of(bytes.substr(0, 8));
  if (stated != computed) {
    return fail(EventStreamErrc::prelude_crc_mismatch,
                "stated " + hex32(stated) + ", computed " + hex32(computed));
  }
  bool fits = total >= kFramingBytes && headers <= total - kFramingBytes;
  if (!fits || headers > limits_.max_headers_bytes ||
      total - kFramingBytes - headers > limits_.max_payload_bytes) {
    return fail(EventStreamErrc::length_out_of_limits,
                "total " + std::to_string(total) + " bytes, headers " + std::to_string(headers) +
                    " bytes (limits: headers " + std::to_string(limits_.max_headers_bytes) +
                    ", payload " + std::to_string(limits_.max_payload_bytes) + ")");
  }
  frame_length_ = total;
  headers_length_ = headers;
  return Ok{};
}

// `frame` is one whole frame whose prelude check_prelude() accepted.
Result<Ok> EventStreamDecoder::decode_frame(std::string_view frame,
                                            std::vector<EventMessage>& out) {
  std::size_t crc_at = frame.size() - 4;
  std::uint32_t stated = load_be32(frame, crc_at);
  std::uint32_t computed = crc32_of(frame.substr(0, crc_at));
  if (stated != computed) {
    return fail(EventStreamErrc::message_crc_mismatch,
                "stated " + hex32(stated) + ", computed " + hex32(computed));
  }
  EventMessage message;
  // Bedrock sends three headers; growing the vector one by one cost ~10% of decoding.
  if (headers_length_ > 0) message.headers.reserve(4);
  std::string why =
      HeaderReader(frame.substr(kPreludeBytes, headers_length_)).read_all(message.headers);
  if (!why.empty()) return fail(EventStreamErrc::header_parse_error, why);
  std::size_t payload_at = kPreludeBytes + headers_length_;
  message.payload.assign(frame.substr(payload_at, crc_at - payload_at));
  out.push_back(std::move(message));
  offset_ += frame.size();
  return Ok{};
}

Result<Ok> EventStreamDecoder::finish() {
  if (failure_ != EventStreamErrc::ok) return stream_error(failure_, failure_detail_);
  if (pending_.empty()) return Ok{};
  return fail(EventStreamErrc::truncated,
              std::to_string(pending_.size()) + " bytes of an unfinished frame");
}

Result<std::vector<EventMessage>> decode_events(std::string_view bytes, EventStreamLimits limits) {
  EventStreamDecoder decoder(limits);
  std::vector<EventMessage> messages;
  if (auto r = decoder.feed(bytes, messages); !r) return std::move(r).error();
  if (auto r = decoder.finish(); !r) return std::move(r).error();
  return messages;
}

namespace {

std::size_t encoded_size(const EventHeader& h) {
  if (h.name.empty() || h.name.size() > 255) {
    throw std::length_error("event-stream header name must be 1-255 bytes");
  }
  std::size_t value = 0;
  switch (wire_type(h.value)) {
    case 0:
    case 1: value = 0; break;
    case 2: value = 1; break;
    case 3: value = 2; break;
    case 4: value = 4; break;
    case 5:
    case 8: value = 8; break;
    case 6: value = 2 + std::get<ByteArray>(h.value).bytes.size(); break;
    case 7: value = 2 + std::get<std::string>(h.value).size(); break;
    case 9: value = 16; break;
  }
  if (value > 2 + 65535) throw std::length_error("event-stream header value over 65535 bytes");
  return 1 + h.name.size() + 1 + value;
}

// Two's complement bytes of a signed value, big-endian.
template <class Int>
void put_signed(std::string& out, Int v) {
  put_be(out, static_cast<std::make_unsigned_t<Int>>(v), sizeof(Int));
}

void put_header(std::string& out, const EventHeader& h) {
  out.push_back(static_cast<char>(h.name.size()));
  out += h.name;
  out.push_back(static_cast<char>(wire_type(h.value)));
  switch (h.value.index()) {
    case 0: break;  // bool: the type code is the value
    case 1: put_signed(out, std::get<std::int8_t>(h.value)); break;
    case 2: put_signed(out, std::get<std::int16_t>(h.value)); break;
    case 3: put_signed(out, std::get<std::int32_t>(h.value)); break;
    case 4: put_signed(out, std::get<std::int64_t>(h.value)); break;
    case 5: {
      const std::string& b = std::get<ByteArray>(h.value).bytes;
      put_be(out, b.size(), 2);
      out += b;
      break;
    }
    case 6: {
      const std::string& s = std::get<std::string>(h.value);
      put_be(out, s.size(), 2);
      out += s;
      break;
    }
    case 7: put_signed(out, std::get<Timestamp>(h.value).millis); break;
    case 8: {
      const Uuid& u = std::get<Uuid>(h.value);
      out.append(reinterpret_cast<const char*>(u.bytes.data()), u.bytes.size());
      break;
    }
  }
}

}  // namespace

std::string encode_event(const EventMessage& message) {
  std::size_t headers = 0;
  for (const EventHeader& h : message.headers) headers += encoded_size(h);
  std::size_t total = kFramingBytes + headers + message.payload.size();
  if (total > UINT32_MAX) throw std::length_error("event-stream message over 4 GiB");
  std::string out;
  out.reserve(total);
  put_be(out, total, 4);
  put_be(out, headers, 4);
  put_be(out, crc32_of(out), 4);
  for (const EventHeader& h : message.headers) put_header(out, h);
  out += message.payload;
  put_be(out, crc32_of(out), 4);
  return out;
}

namespace {

std::string encode_bedrock(const char* type_header, std::string_view type, const char* message_type,
                           std::string_view json) {
  EventMessage m;
  m.headers.reserve(3);
  m.headers.push_back({type_header, std::string(type)});
  m.headers.push_back({":content-type", std::string("application/json")});
  m.headers.push_back({":message-type", std::string(message_type)});
  m.payload.assign(json);
  return encode_event(m);
}

}  // namespace

std::string encode_bedrock_event(std::string_view event_type, std::string_view json_payload) {
  return encode_bedrock(":event-type", event_type, "event", json_payload);
}

std::string encode_bedrock_exception(std::string_view exception_type,
                                     std::string_view json_payload) {
  return encode_bedrock(":exception-type", exception_type, "exception", json_payload);
}

}  // namespace tollbooth::aws
