#include "api/openai/sse.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tollbooth::openai {
namespace {

// SseEvent holds views into the parser; this owns the bytes so results can be compared later.
struct Owned {
  std::string raw;
  std::string data;
  std::string type;
  bool operator==(const Owned&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Owned& e) {
  return os << "{raw=" << testing::PrintToString(e.raw)
            << " data=" << testing::PrintToString(e.data) << " type=" << e.type << "}";
}

void take(const std::vector<SseEvent>& events, std::vector<Owned>& out) {
  for (const SseEvent& e : events) out.push_back({std::string(e.raw), e.data, std::string(e.type)});
}

std::vector<Owned> feed_all(std::string_view stream) {
  SseParser parser;
  std::vector<Owned> out;
  take(parser.feed(stream), out);
  return out;
}

std::vector<Owned> feed_in_pieces(std::string_view stream, const std::vector<std::size_t>& cuts) {
  SseParser parser;
  std::vector<Owned> out;
  std::size_t pos = 0;
  for (std::size_t cut : cuts) {
    take(parser.feed(stream.substr(pos, cut - pos)), out);
    pos = cut;
  }
  take(parser.feed(stream.substr(pos)), out);
  return out;
}

TEST(OpenAiSse, ParsesOneDataEvent) {
  std::vector<Owned> events = feed_all("data: {\"a\":1}\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[0].raw, "data: {\"a\":1}\n\n");
  EXPECT_EQ(events[0].type, "");
}

TEST(OpenAiSse, AcceptsCrlfLfAndCrTerminators) {
  std::vector<Owned> events = feed_all("data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\n");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[0].raw, "data: a\r\n\r\n");
  EXPECT_EQ(events[1].data, "b");
  EXPECT_EQ(events[2].data, "c");
  EXPECT_EQ(events[2].raw, "data: c\r\r");
  EXPECT_EQ(events[3].data, "d");
  EXPECT_EQ(events[3].raw, "data: d\r\n\n");
}

TEST(OpenAiSse, JoinsMultiLineDataWithLf) {
  std::vector<Owned> events = feed_all("data: line one\ndata:line two\r\ndata\ndata: \n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "line one\nline two\n\n");
}

TEST(OpenAiSse, StripsExactlyOneLeadingSpace) {
  std::vector<Owned> events = feed_all("data:  two spaces\n\ndata:none\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, " two spaces");
  EXPECT_EQ(events[1].data, "none");
}

TEST(OpenAiSse, ReadsEventTypeAndIgnoresOtherFields) {
  std::vector<Owned> events = feed_all(
      "event: response.created\nid: 7\nretry: 100\nfoo: bar\ndata: {}\n\n"
      "event:error\nevent: last wins\ndata: x\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "response.created");
  EXPECT_EQ(events[0].data, "{}");
  EXPECT_EQ(events[1].type, "last wins");
}

TEST(OpenAiSse, CommentOnlyEventsComeBackEmptySoTheRelayCanForwardHeartbeats) {
  std::vector<Owned> events = feed_all(": ping\n\ndata: x\n: inline comment\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].raw, ": ping\n\n");
  EXPECT_TRUE(events[0].data.empty());
  EXPECT_TRUE(events[0].type.empty());
  EXPECT_EQ(events[1].data, "x");
  EXPECT_EQ(events[1].raw, "data: x\n: inline comment\n\n");
}

TEST(OpenAiSse, StrayBlankLinesBelongToNoEvent) {
  std::vector<Owned> events = feed_all("\n\r\ndata: x\n\n\n\ndata: y\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].raw, "data: x\n\n");
  EXPECT_EQ(events[1].raw, "data: y\n\n");
}

TEST(OpenAiSse, StripsTheBomOnceAtTheStart) {
  std::vector<Owned> events = feed_all(
      "\xEF\xBB\xBF"
      "data: a\n\n\xEF\xBB\xBF"
      "data: b\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[0].raw, "data: a\n\n");
  // A later BOM is part of the field name, so that line is an unknown field.
  EXPECT_EQ(events[1].data, "");
}

TEST(OpenAiSse, StripsABomSplitAcrossReads) {
  std::vector<Owned> events = feed_in_pieces(
      "\xEF\xBB\xBF"
      "data: a\n\n",
      {1, 2});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "a");
  EXPECT_EQ(events[0].raw, "data: a\n\n");
}

TEST(OpenAiSse, StreamStartingWithBomLikeBytesIsKept) {
  std::vector<Owned> events = feed_in_pieces(
      "\xEF"
      "data: a\n\ndata: b\n\n",
      {1});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].data, "b");
}

TEST(OpenAiSse, CrAtTheEndOfAReadWaitsForTheNextByte) {
  SseParser parser;
  EXPECT_TRUE(parser.feed("data: a\r\n\r").empty());
  EXPECT_EQ(parser.pending_bytes(), 10u);
  const auto& events = parser.feed("\ndata: b");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].raw, "data: a\r\n\r\n");
  EXPECT_EQ(parser.pending_bytes(), 7u);
}

TEST(OpenAiSse, LoneCrTerminatorIsDispatchedOnceTheNextByteArrives) {
  SseParser parser;
  EXPECT_TRUE(parser.feed("data: a\r\r").empty());
  const auto& events = parser.feed("d");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].raw, "data: a\r\r");
  EXPECT_EQ(events[0].data, "a");
}

TEST(OpenAiSse, IncompleteEventIsHeldNotReturned) {
  SseParser parser;
  EXPECT_TRUE(parser.feed("data: {\"partial\":").empty());
  EXPECT_EQ(parser.pending_bytes(), 17u);
  EXPECT_TRUE(parser.feed("true}\n").empty());
  const auto& events = parser.feed("\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "{\"partial\":true}");
  EXPECT_EQ(parser.pending_bytes(), 0u);
}

TEST(OpenAiSse, RawBytesConcatenateBackToTheStream) {
  std::string stream;
  for (int i = 0; i < 20; ++i) stream += "data: {\"i\":" + std::to_string(i) + "}\r\n\r\n";
  stream += ": keep-alive\n\ndata: [DONE]\n\n";
  std::string joined;
  for (const Owned& e : feed_in_pieces(stream, {5, 6, 100, 101, 102, 333})) joined += e.raw;
  EXPECT_EQ(joined, stream);
}

std::string tricky_stream() {
  return "\xEF\xBB\xBF: hello\n\n"
         "data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"content\":\"h\xC3\xA9\"}}]}\r\n\r\n"
         "event: message\r\ndata: first\rdata:second\r\r"
         "id: 5\ndata\n\n"
         "\n\n"
         "data: multi\ndata:  spaced\n: comment\r\n\r\n"
         "retry: 10\n\n"
         "data: [DONE]\r\n\r\n"
         "data: trailing without blank line\n";
}

TEST(OpenAiSse, ByteByByteFeedingGivesIdenticalEvents) {
  std::string stream = tricky_stream();
  std::vector<Owned> whole = feed_all(stream);
  ASSERT_EQ(whole.size(), 7u);
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(feed_in_pieces(stream, every_byte), whole);
}

TEST(OpenAiSse, EverySingleSplitPointGivesIdenticalEvents) {
  std::string stream = tricky_stream();
  std::vector<Owned> whole = feed_all(stream);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    ASSERT_EQ(feed_in_pieces(stream, {cut}), whole) << "split at " << cut;
  }
}

TEST(OpenAiSse, RandomSplitsGiveIdenticalEvents) {
  std::string stream = tricky_stream();
  std::vector<Owned> whole = feed_all(stream);
  std::mt19937 rng(12345);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::size_t> cuts;
    std::size_t pos = 0;
    while (true) {
      pos += std::uniform_int_distribution<std::size_t>(0, 12)(rng);
      if (pos >= stream.size()) break;
      cuts.push_back(pos);
    }
    ASSERT_EQ(feed_in_pieces(stream, cuts), whole) << "round " << round;
  }
}

TEST(OpenAiSse, ParsesTheExpectedEventsFromTheTrickyStream) {
  std::vector<Owned> events = feed_all(tricky_stream());
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[0].raw, ": hello\n\n");
  EXPECT_EQ(events[1].data, "{\"id\":\"1\",\"choices\":[{\"delta\":{\"content\":\"h\xC3\xA9\"}}]}");
  EXPECT_EQ(events[2].type, "message");
  EXPECT_EQ(events[2].data, "first\nsecond");
  EXPECT_EQ(events[3].data, "");
  EXPECT_EQ(events[4].data, "multi\n spaced");
  EXPECT_EQ(events[5].raw, "retry: 10\n\n");
  EXPECT_EQ(events[6].data, "[DONE]");
}

TEST(OpenAiSse, LongStreamKeepsOnlyTheUnfinishedEventBuffered) {
  SseParser parser;
  std::string event = "data: " + std::string(300, 'x') + "\n\n";
  std::size_t seen = 0;
  std::size_t max_pending = 0;
  std::string stream;
  for (int i = 0; i < 5000; ++i) stream += event;
  for (std::size_t pos = 0; pos < stream.size(); pos += 512) {
    seen += parser.feed(std::string_view(stream).substr(pos, 512)).size();
    max_pending = std::max(max_pending, parser.pending_bytes());
  }
  EXPECT_EQ(seen, 5000u);
  EXPECT_LT(max_pending, event.size());
  EXPECT_EQ(parser.pending_bytes(), 0u);
}

TEST(OpenAiSse, HugeSingleEventSpanningManyReadsIsReassembled) {
  std::string payload(200000, 'y');
  std::string stream = "data: " + payload + "\n\n";
  SseParser parser;
  std::vector<Owned> out;
  for (std::size_t pos = 0; pos < stream.size(); pos += 1000) {
    take(parser.feed(std::string_view(stream).substr(pos, 1000)), out);
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, payload);
}

}  // namespace
}  // namespace tollbooth::openai
