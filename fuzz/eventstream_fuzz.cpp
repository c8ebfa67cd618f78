// libFuzzer target for the event-stream decoder (src/aws/eventstream.cpp), the parser of the
// bytes Bedrock streams back. Besides the sanitizers' findings it checks two properties:
// - however the bytes are split across feed() calls, the messages and the error are the same;
// - every decoded message re-encodes to exactly the bytes it came from (the framing is
//   canonical), and that encoding decodes back to the same message.
//
// Input: byte 0 picks the number of chunk-size bytes that follow (bits 0-2), CRC repair (bit 6)
// and small limits (bit 7); those chunk sizes (each + 1) are used in turn to split the rest, the
// event stream. A random mutation almost never keeps both CRCs right, so without repair the
// fuzzer would rarely get past them; with it, the CRCs of every frame are rewritten before
// decoding and the lengths and headers get explored.
// Build and run: fuzz/run [seconds].
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/crc.hpp>

#include "aws/eventstream.hpp"

namespace {

using namespace tollbooth::aws;

struct Outcome {
  std::vector<EventMessage> messages;
  EventStreamErrc failure = EventStreamErrc::ok;
  std::string detail;
};

// Feeds `data` in chunks whose sizes cycle through `sizes` (whole when empty), then ends it.
Outcome decode(std::string_view data, std::string_view sizes, EventStreamLimits limits) {
  EventStreamDecoder decoder(limits);
  Outcome out;
  bool ok = true;
  for (std::size_t at = 0, i = 0; ok && at < data.size(); ++i) {
    std::size_t n =
        sizes.empty() ? data.size() : 1 + static_cast<unsigned char>(sizes[i % sizes.size()]);
    auto r = decoder.feed(data.substr(at, n), out.messages);
    if (!r.ok()) {
      ok = false;
      out.detail = r.error().detail;
    }
    at += n;
  }
  if (ok) {
    auto r = decoder.finish();
    if (!r.ok()) out.detail = r.error().detail;
  }
  out.failure = decoder.failure();
  return out;
}

[[noreturn]] void fail(const char* what, const Outcome& a, const Outcome& b) {
  std::fprintf(
      stderr,
      "eventstream_fuzz: %s\n  first: %zu messages, %s (%s)\n  second: %zu messages, %s (%s)\n",
      what, a.messages.size(), describe(a.failure), a.detail.c_str(), b.messages.size(),
      describe(b.failure), b.detail.c_str());
  std::abort();
}

void expect_same(const Outcome& a, const Outcome& b, const char* what) {
  // Details name the stream offset of the bad frame, so they must agree too.
  if (a.failure != b.failure || a.detail != b.detail || a.messages != b.messages) fail(what, a, b);
}

void put_crc(std::string& data, std::size_t at, std::size_t covered_from, std::size_t n) {
  boost::crc_32_type crc;
  crc.process_bytes(data.data() + covered_from, n);
  std::uint32_t v = crc.checksum();
  for (int i = 0; i < 4; ++i) data[at + i] = static_cast<char>(v >> (24 - 8 * i));
}

// Rewrites the prelude and message CRCs of each frame whose stated length fits the data.
std::string repair_crcs(std::string_view input) {
  std::string data(input);
  for (std::size_t at = 0; data.size() - at >= 12;) {
    std::size_t total = 0;
    for (int i = 0; i < 4; ++i) total = total << 8 | static_cast<unsigned char>(data[at + i]);
    put_crc(data, at + 8, at, 8);
    if (total < 16 || total > data.size() - at) break;
    put_crc(data, at + total - 4, at, total - 4);
    at += total;
  }
  return data;
}

void check_round_trip(std::string_view data, const Outcome& whole, EventStreamLimits limits) {
  std::size_t at = 0;
  for (const EventMessage& m : whole.messages) {
    std::string bytes = encode_event(m);
    if (data.substr(at, bytes.size()) != bytes) {
      std::fprintf(stderr, "eventstream_fuzz: re-encoding differs from the input at %zu\n", at);
      std::abort();
    }
    at += bytes.size();
    auto again = decode_events(bytes, limits);
    if (!again.ok() || again->size() != 1 || again->front() != m) {
      std::fprintf(stderr, "eventstream_fuzz: encode -> decode changed a message\n");
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(bytes), size);
  std::size_t k = std::min<std::size_t>(input[0] & 0x07, size - 1);
  EventStreamLimits limits;
  if (input[0] & 0x80)
    limits = EventStreamLimits{.max_headers_bytes = 64, .max_payload_bytes = 256};
  std::string_view sizes = input.substr(1, k);
  std::string repaired;
  std::string_view data = input.substr(1 + k);
  if (input[0] & 0x40) data = repaired = repair_crcs(data);

  Outcome whole = decode(data, {}, limits);
  expect_same(whole, decode(data, sizes, limits), "chunked feeds differ from one feed");
  if (data.size() <= 2048) {
    expect_same(whole, decode(data, std::string_view("\0", 1), limits),
                "byte-by-byte feeds differ from one feed");
  }
  check_round_trip(data, whole, limits);
  return 0;
}
