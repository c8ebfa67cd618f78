#include "aws/eventstream.hpp"
#include "testing/test_files.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/crc.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace tollbooth::aws;
namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kVectors = fs::path(TOLLBOOTH_SOURCE_DIR) / "tests" / "vectors";

using tollbooth::testdata::read_file;

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string unhex(std::string_view hex) {
  std::string out;
  int nibbles = 0;
  unsigned acc = 0;
  for (char c : hex) {
    if (c == ' ' || c == '\n') continue;
    acc = acc << 4 | static_cast<unsigned>(std::isdigit(c) ? c - '0' : std::tolower(c) - 'a' + 10);
    if (++nibbles % 2 == 0) out.push_back(static_cast<char>(acc & 0xFF));
  }
  return out;
}

std::string base64_decode(std::string_view in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    acc = acc << 6 | static_cast<unsigned>(kAlphabet.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::uint32_t be32(std::string_view bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

void put_be32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

std::uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

// A frame around raw header-section bytes, with correct lengths and CRCs, so that the header
// parser itself is what judges them.
std::string frame_raw(std::string_view headers, std::string_view payload) {
  std::string out;
  put_be32(out, static_cast<std::uint32_t>(16 + headers.size() + payload.size()));
  put_be32(out, static_cast<std::uint32_t>(headers.size()));
  put_be32(out, crc32(out));
  out += headers;
  out += payload;
  put_be32(out, crc32(out));
  return out;
}

// A prelude with a correct CRC claiming these lengths.
std::string prelude(std::uint32_t total, std::uint32_t headers) {
  std::string out;
  put_be32(out, total);
  put_be32(out, headers);
  put_be32(out, crc32(out));
  return out;
}

struct Outcome {
  std::vector<EventMessage> messages;
  EventStreamErrc failure = EventStreamErrc::ok;
};

// Feeds `bytes` cut at `cuts` (ascending offsets), then ends the stream.
Outcome decode_split(std::string_view bytes, const std::vector<std::size_t>& cuts) {
  EventStreamDecoder decoder;
  Outcome out;
  std::size_t from = 0;
  bool failed = false;
  for (std::size_t i = 0; i <= cuts.size() && !failed; ++i) {
    std::size_t to = i < cuts.size() ? cuts[i] : bytes.size();
    failed = !decoder.feed(bytes.substr(from, to - from), out.messages).ok();
    from = to;
  }
  if (!failed) (void)decoder.finish();
  out.failure = decoder.failure();
  return out;
}

void expect_same(const Outcome& want, const Outcome& got, const std::string& how) {
  EXPECT_EQ(want.failure, got.failure) << how;
  EXPECT_TRUE(want.messages == got.messages) << how;
}

// Every split of `bytes` into 1, 2, byte-sized and random pieces decodes alike.
void expect_split_invariant(std::string_view bytes) {
  Outcome whole = decode_split(bytes, {});
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    expect_same(whole, decode_split(bytes, {cut}), "cut at " + std::to_string(cut));
  }
  std::vector<std::size_t> every(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) every[i] = i;
  expect_same(whole, decode_split(bytes, every), "byte by byte");
  std::mt19937 rng(20240601);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    std::uniform_int_distribution<std::size_t> step(0, round % 2 ? 40 : 600);
    for (std::size_t at = step(rng); at < bytes.size(); at += step(rng)) cuts.push_back(at);
    expect_same(whole, decode_split(bytes, cuts), "random round " + std::to_string(round));
  }
}

std::string all_positive_vectors() {
  std::string out;
  for (const fs::path& p : files_in(kVectors / "eventstream" / "encoded" / "positive")) {
    out += read_file(p);
  }
  return out;
}

void expect_header_matches(const EventHeader& got, const json::object& want) {
  EXPECT_EQ(got.name, want.at("name").as_string().c_str());
  std::int64_t type = want.at("type").to_number<std::int64_t>();
  EXPECT_EQ(wire_type(got.value), type) << got.name;
  const json::value& v = want.at("value");
  switch (type) {
    case 0:
    case 1: EXPECT_EQ(std::get<bool>(got.value), v.as_bool()); break;
    case 2: EXPECT_EQ(std::get<std::int8_t>(got.value), v.to_number<std::int64_t>()); break;
    case 3: EXPECT_EQ(std::get<std::int16_t>(got.value), v.to_number<std::int64_t>()); break;
    case 4: EXPECT_EQ(std::get<std::int32_t>(got.value), v.to_number<std::int64_t>()); break;
    case 5: EXPECT_EQ(std::get<std::int64_t>(got.value), v.to_number<std::int64_t>()); break;
    case 6: EXPECT_EQ(std::get<ByteArray>(got.value).bytes, base64_decode(v.as_string())); break;
    case 7: EXPECT_EQ(std::get<std::string>(got.value), base64_decode(v.as_string())); break;
    case 8: EXPECT_EQ(std::get<Timestamp>(got.value).millis, v.to_number<std::int64_t>()); break;
    case 9: {
      const auto& u = std::get<Uuid>(got.value).bytes;
      EXPECT_EQ(std::string(u.begin(), u.end()), base64_decode(v.as_string()));
      break;
    }
    default: ADD_FAILURE() << "unknown type " << type;
  }
}

TEST(EventStream, DecodesEveryPositiveVector) {
  auto files = files_in(kVectors / "eventstream" / "encoded" / "positive");
  ASSERT_EQ(files.size(), 5u);
  for (const fs::path& path : files) {
    SCOPED_TRACE(path.filename().string());
    std::string bytes = read_file(path);
    json::object want =
        json::parse(read_file(kVectors / "eventstream" / "decoded" / "positive" / path.filename()))
            .as_object();
    // The vector's CRCs are sometimes signed: compare them mod 2^32.
    auto u32 = [&](const char* key) {
      return static_cast<std::uint32_t>(want.at(key).to_number<std::int64_t>());
    };
    EXPECT_EQ(bytes.size(), u32("total_length"));
    EXPECT_EQ(be32(bytes, 4), u32("headers_length"));
    EXPECT_EQ(be32(bytes, 8), u32("prelude_crc"));
    EXPECT_EQ(be32(bytes, bytes.size() - 4), u32("message_crc"));

    auto decoded = decode_events(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
    ASSERT_EQ(decoded->size(), 1u);
    const EventMessage& m = decoded->front();
    const json::array& headers = want.at("headers").as_array();
    ASSERT_EQ(m.headers.size(), headers.size());
    for (std::size_t i = 0; i < headers.size(); ++i) {
      expect_header_matches(m.headers[i], headers[i].as_object());
    }
    EXPECT_EQ(m.payload, base64_decode(want.at("payload").as_string()));
    EXPECT_EQ(encode_event(m), bytes);  // the encoding is canonical
  }
}

TEST(EventStream, RejectsEveryNegativeVectorForTheStatedReason) {
  auto files = files_in(kVectors / "eventstream" / "encoded" / "negative");
  ASSERT_EQ(files.size(), 4u);
  for (const fs::path& path : files) {
    SCOPED_TRACE(path.filename().string());
    std::string reason =
        read_file(kVectors / "eventstream" / "decoded" / "negative" / path.filename());
    EventStreamErrc want = reason.find("Prelude") != std::string::npos
                               ? EventStreamErrc::prelude_crc_mismatch
                               : EventStreamErrc::message_crc_mismatch;
    EventStreamDecoder decoder;
    std::vector<EventMessage> out;
    auto r = decoder.feed(read_file(path), out);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(decoder.failure(), want) << reason;
    EXPECT_TRUE(out.empty());
  }
}

TEST(EventStream, DecodesBedrockToolUseStream) {
  std::string bytes = read_file(kVectors / "bedrock" / "converse-stream-tooluse.bin");
  json::array want =
      json::parse(read_file(kVectors / "bedrock" / "converse-stream-tooluse.json")).as_array();
  auto decoded = decode_events(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
  ASSERT_EQ(decoded->size(), 9u);
  ASSERT_EQ(want.size(), 9u);
  std::string reencoded;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const EventMessage& m = (*decoded)[i];
    const json::key_value_pair& event = *want[i].as_object().begin();
    SCOPED_TRACE(event.key());
    EXPECT_EQ(m.message_type(), "event");
    EXPECT_EQ(m.event_type(), event.key());
    EXPECT_EQ(m.content_type(), "application/json");
    EXPECT_EQ(json::parse(m.payload), event.value());
    reencoded += encode_bedrock_event(m.event_type(), m.payload);
  }
  EXPECT_EQ(reencoded, bytes);  // same header order as Bedrock's
}

TEST(EventStream, DecodesBedrockThrottlingException) {
  std::string bytes = read_file(kVectors / "bedrock" / "converse-stream-throttling-exception.bin");
  auto decoded = decode_events(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
  ASSERT_EQ(decoded->size(), 1u);
  const EventMessage& m = decoded->front();
  EXPECT_EQ(m.message_type(), "exception");
  EXPECT_EQ(m.exception_type(), "throttlingException");
  EXPECT_EQ(m.event_type(), "");
  EXPECT_EQ(json::parse(m.payload).at("message").as_string(),
            "Too many requests, please wait before trying again.");
  EXPECT_EQ(encode_bedrock_exception("throttlingException", m.payload), bytes);
  // PROTOCOLS.md §6.4 prints the same frame.
  EXPECT_EQ(bytes, unhex("000000b2000000613590d5d30f3a657863657074696f6e2d74797065"
                         "0700137468726f74746c696e67457863657074696f6e"
                         "0d3a636f6e74656e742d74797065"
                         "0700106170706c69636174696f6e2f6a736f6e"
                         "0d3a6d6573736167652d74797065"
                         "070009657863657074696f6e"
                         "7b226d657373616765223a22546f6f206d616e792072657175657374732c20706c"
                         "656173652077616974206265666f726520747279696e6720616761696e2e227d"
                         "e8ffb26a"));
}

TEST(EventStream, EncodesWorkedExampleByteForByte) {
  std::string want = unhex(R"(
    00 00 00 9f 00 00 00 57 c3 7b ab ff 0b 3a 65 76  65 6e 74 2d 74 79 70 65 07 00 11 63 6f 6e 74 65
    6e 74 42 6c 6f 63 6b 44 65 6c 74 61 0d 3a 63 6f  6e 74 65 6e 74 2d 74 79 70 65 07 00 10 61 70 70
    6c 69 63 61 74 69 6f 6e 2f 6a 73 6f 6e 0d 3a 6d  65 73 73 61 67 65 2d 74 79 70 65 07 00 05 65 76
    65 6e 74 7b 22 63 6f 6e 74 65 6e 74 42 6c 6f 63  6b 49 6e 64 65 78 22 3a 30 2c 22 64 65 6c 74 61
    22 3a 7b 22 74 65 78 74 22 3a 22 48 69 22 7d 2c  22 70 22 3a 22 61 62 63 64 22 7d f2 ac e5 ff)");
  ASSERT_EQ(want.size(), 159u);
  std::string payload = R"({"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcd"})";
  EXPECT_EQ(encode_bedrock_event("contentBlockDelta", payload), want);
  auto decoded = decode_events(want);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->front().payload, payload);
}

TEST(EventStream, EmptyMessageIsSixteenBytes) {
  EXPECT_EQ(encode_event(EventMessage{}), unhex("00000010 00000000 05c248eb 7d98c8ff"));
}

TEST(EventStream, EverySplitOfTheBedrockStreamDecodesAlike) {
  std::string bytes = read_file(kVectors / "bedrock" / "converse-stream-tooluse.bin");
  expect_split_invariant(bytes);
  EXPECT_EQ(decode_split(bytes, {}).messages.size(), 9u);
}

TEST(EventStream, EverySplitOfAllPositiveVectorsDecodesAlike) {
  std::string bytes = all_positive_vectors();
  expect_split_invariant(bytes);
  EXPECT_EQ(decode_split(bytes, {}).messages.size(), 5u);
}

TEST(EventStream, EverySplitFindsTheSameBadFrame) {
  std::string good = all_positive_vectors();
  for (const fs::path& path : files_in(kVectors / "eventstream" / "encoded" / "negative")) {
    SCOPED_TRACE(path.filename().string());
    std::string bytes = good + read_file(path) + good;
    Outcome whole = decode_split(bytes, {});
    EXPECT_EQ(whole.messages.size(), 5u);  // those before the bad frame
    EXPECT_NE(whole.failure, EventStreamErrc::ok);
    expect_split_invariant(bytes);
  }
}

TEST(EventStream, DecodesSeveralFramesFromOneFeed) {
  std::string bytes = encode_bedrock_event("messageStart", R"({"role":"assistant"})") +
                      encode_bedrock_event("contentBlockStop", R"({"contentBlockIndex":0})") +
                      encode_bedrock_event("messageStop", R"({"stopReason":"end_turn"})");
  EventStreamDecoder decoder;
  std::vector<EventMessage> out;
  ASSERT_TRUE(decoder.feed(bytes + bytes.substr(0, 20), out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].event_type(), "messageStart");
  EXPECT_EQ(out[2].payload, R"({"stopReason":"end_turn"})");
  EXPECT_EQ(decoder.pending_bytes(), 20u);
}

TEST(EventStream, RoundTripsEveryHeaderType) {
  Uuid uuid;
  for (std::size_t i = 0; i < 16; ++i) uuid.bytes[i] = static_cast<std::uint8_t>(0xF0 + i);
  EventMessage m;
  m.headers = {
      {"true", true},
      {"false", false},
      {"byte", std::int8_t{-128}},
      {"short", std::int16_t{-2}},
      {"int", std::numeric_limits<std::int32_t>::min()},
      {"long", std::numeric_limits<std::int64_t>::max()},
      {"bytes", ByteArray{std::string("\0\xff\x01", 3)}},
      {"empty bytes", ByteArray{}},
      {"string", std::string("caf\xc3\xa9")},
      {"long string", std::string(65535, 'x')},
      {"timestamp", Timestamp{-1}},
      {"uuid", uuid},
      {std::string(255, 'n'), std::string()},
      {"string", std::string("repeated names are kept")},
  };
  m.payload = std::string("\0binary\xff", 8);
  std::string bytes = encode_event(m);
  auto decoded = decode_events(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().detail;
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_TRUE(decoded->front() == m);
  for (std::size_t i = 0; i < m.headers.size(); ++i) {
    EXPECT_EQ(decoded->front().headers[i], m.headers[i]) << m.headers[i].name;
  }
  EXPECT_EQ(wire_type(m.headers[0].value), 0);
  EXPECT_EQ(wire_type(m.headers[1].value), 1);
  EXPECT_EQ(wire_type(m.headers[11].value), 9);
  EXPECT_EQ(decoded->front().string_header("string"), "caf\xc3\xa9");  // the first one
}

TEST(EventStream, RejectsHugeFrameBeforeBufferingIt) {
  EventStreamDecoder decoder;
  std::vector<EventMessage> out;
  // A prelude with a correct CRC claiming 100 MB: refused once its 12 bytes are in.
  std::string p = prelude(100'000'000, 0);
  ASSERT_TRUE(decoder.feed(p.substr(0, 11), out).ok());
  auto r = decoder.feed(p.substr(11), out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(decoder.failure(), EventStreamErrc::length_out_of_limits);
  EXPECT_EQ(decoder.pending_bytes(), 12u);  // nothing reserved beyond the prelude
  // Same in one feed with a few payload bytes following.
  EventStreamDecoder second;
  EXPECT_FALSE(second.feed(p + std::string(100, 'x'), out).ok());
  EXPECT_EQ(second.failure(), EventStreamErrc::length_out_of_limits);
  EXPECT_EQ(second.pending_bytes(), 0u);
}

TEST(EventStream, EnforcesHeaderAndPayloadLimits) {
  EventStreamLimits limits{.max_headers_bytes = 20, .max_payload_bytes = 10};
  EventMessage ok{{{"name", std::string("0123456789")}}, std::string(10, 'p')};  // 18 + 10
  EXPECT_TRUE(decode_events(encode_event(ok), limits).ok());
  EventMessage big_payload = ok;
  big_payload.payload += 'p';
  auto r = decode_events(encode_event(big_payload), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("frame length out of limits"), std::string::npos);
  EventMessage big_headers = ok;
  big_headers.headers.push_back({"b", true});  // 18 + 3 = 21
  EXPECT_FALSE(decode_events(encode_event(big_headers), limits).ok());
  // The defaults are botocore's.
  EXPECT_EQ(EventStreamLimits{}.max_headers_bytes, 128u * 1024);
  EXPECT_EQ(EventStreamLimits{}.max_payload_bytes, 24u * 1024 * 1024);
  EXPECT_FALSE(decode_events(prelude(16 + 24 * 1024 * 1024 + 1, 0)).ok());
}

TEST(EventStream, RejectsInconsistentLengths) {
  for (auto [total, headers] : {std::pair<std::uint32_t, std::uint32_t>{15, 0},
                                {0, 0},
                                {20, 5},
                                {16, 0xFFFFFFFF},
                                {0xFFFFFFFF, 0xFFFFFFF0}}) {
    SCOPED_TRACE(std::to_string(total) + "/" + std::to_string(headers));
    EventStreamDecoder decoder;
    std::vector<EventMessage> out;
    EXPECT_FALSE(decoder.feed(prelude(total, headers) + std::string(8, '\0'), out).ok());
    EXPECT_EQ(decoder.failure(), EventStreamErrc::length_out_of_limits);
  }
}

TEST(EventStream, RejectsMalformedHeaders) {
  const std::string cases[] = {
      std::string("\x01"
                  "a"
                  "\x0a",
                  3),                      // unknown type 10
      std::string("\x00\x07\x00\x00", 4),  // empty name
      std::string("\x05"
                  "ab",
                  3),  // name cut by the section end
      std::string("\x01"
                  "a",
                  2),  // no type byte
      std::string("\x01"
                  "a"
                  "\x04\x00\x00",
                  5),  // int32 cut
      std::string("\x01"
                  "a"
                  "\x07\x00\x05"
                  "abc",
                  8),  // string runs past the section
      std::string("\x01"
                  "a"
                  "\x06\x00",
                  4),  // byte-array length cut
      std::string("\x01"
                  "a"
                  "\x09"
                  "0123456789",
                  13),  // uuid cut
  };
  for (const std::string& headers : cases) {
    EventStreamDecoder decoder;
    std::vector<EventMessage> out;
    auto r = decoder.feed(frame_raw(headers, "{}"), out);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(decoder.failure(), EventStreamErrc::header_parse_error) << r.error().detail;
    EXPECT_TRUE(out.empty());
  }
  // The same bytes framed correctly are accepted: the frame builder is sound.
  EXPECT_TRUE(decode_events(frame_raw(std::string("\x01"
                                                  "a"
                                                  "\x00",
                                                  3),
                                      "{}"))
                  .ok());
}

TEST(EventStream, ErrorsAreBadGatewayWithDetailAndStayFailed) {
  std::string bad =
      read_file(kVectors / "eventstream" / "encoded" / "negative" / "corrupted_payload");
  std::string good = encode_bedrock_event("messageStart", "{}");
  EventStreamDecoder decoder;
  std::vector<EventMessage> out;
  auto r = decoder.feed(good + bad, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(r.error().kind, tollbooth::ErrorKind::bad_gateway);
  EXPECT_NE(r.error().detail.find("message CRC mismatch"), std::string::npos) << r.error().detail;
  EXPECT_NE(r.error().detail.find("offset " + std::to_string(good.size())), std::string::npos);
  EXPECT_EQ(r.error().message.find("CRC"), std::string::npos);  // details stay in the logs
  // Good bytes after an error change nothing.
  auto again = decoder.feed(good, out);
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.error().detail, r.error().detail);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_FALSE(decoder.finish().ok());
  EXPECT_EQ(decoder.failure(), EventStreamErrc::message_crc_mismatch);
}

TEST(EventStream, EndInsideAFrameIsTruncation) {
  std::string frame = encode_bedrock_event("messageStart", "{}");
  for (std::size_t keep : {std::size_t{1}, std::size_t{12}, frame.size() - 1}) {
    EventStreamDecoder decoder;
    std::vector<EventMessage> out;
    ASSERT_TRUE(decoder.feed(frame + frame.substr(0, keep), out).ok());
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(decoder.pending_bytes(), keep);
    EXPECT_FALSE(decoder.finish().ok());
    EXPECT_EQ(decoder.failure(), EventStreamErrc::truncated);
  }
  EventStreamDecoder clean;
  std::vector<EventMessage> out;
  ASSERT_TRUE(clean.feed(frame, out).ok());
  EXPECT_TRUE(clean.finish().ok());
  EXPECT_TRUE(clean.finish().ok());
}

TEST(EventStream, ReadsUnmodeledErrorHeaders) {
  EventMessage m{{{":message-type", std::string("error")},
                  {":error-code", std::string("InternalFailure")},
                  {":error-message", std::string("boom")},
                  {":event-type", std::int32_t{7}}},
                 {}};
  auto decoded = decode_events(encode_event(m));
  ASSERT_TRUE(decoded.ok());
  const EventMessage& got = decoded->front();
  EXPECT_EQ(got.message_type(), "error");
  EXPECT_EQ(got.error_code(), "InternalFailure");
  EXPECT_EQ(got.error_message(), "boom");
  EXPECT_EQ(got.event_type(), "");  // not a string header
  ASSERT_NE(got.find(":event-type"), nullptr);
  EXPECT_EQ(got.find(":absent"), nullptr);
}

TEST(EventStream, EncoderRefusesUnframeableHeaders) {
  EXPECT_THROW(encode_event(EventMessage{{{std::string(256, 'n'), true}}, {}}), std::length_error);
  EXPECT_THROW(encode_event(EventMessage{{{"", true}}, {}}), std::length_error);
  EXPECT_THROW(encode_event(EventMessage{{{"s", std::string(65536, 'x')}}, {}}), std::length_error);
  EXPECT_THROW(encode_event(EventMessage{{{"b", ByteArray{std::string(65536, 'x')}}}, {}}),
               std::length_error);
}

TEST(EventStream, LargeFrameSplitAcrossFeeds) {
  EventMessage m{{{":event-type", std::string("chunk")}}, std::string(300 * 1024, 'z')};
  std::string bytes = encode_event(m);
  EventStreamDecoder decoder;
  std::vector<EventMessage> out;
  for (std::size_t at = 0; at < bytes.size(); at += 4096) {
    ASSERT_TRUE(decoder.feed(std::string_view(bytes).substr(at, 4096), out).ok());
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out.front() == m);
  EXPECT_EQ(decoder.pending_bytes(), 0u);
}

}  // namespace
