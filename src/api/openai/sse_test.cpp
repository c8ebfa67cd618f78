#include "api/openai/sse.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

// Counts the allocations made on this thread while counting is on, so a test can show that the
// parser's steady state allocates nothing. Other tests in the binary only pay a thread_local read.
namespace {
thread_local bool counting_allocations = false;
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (counting_allocations) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

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
  for (const SseEvent& e : events) {
    out.push_back({std::string(e.raw), std::string(e.data), std::string(e.type)});
  }
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

TEST(OpenAiSse, SingleLineDataIsAViewIntoTheReceivedEvent) {
  SseParser parser;
  const auto& events = parser.feed("data: {\"a\":1}\n\nevent: x\ndata: [DONE]\n\n");
  ASSERT_EQ(events.size(), 2u);
  for (const SseEvent& e : events) {
    EXPECT_GE(e.data.data(), e.raw.data());
    EXPECT_LE(e.data.data() + e.data.size(), e.raw.data() + e.raw.size());
  }
  EXPECT_EQ(events[1].data, "[DONE]");
  EXPECT_EQ(events[1].type, "x");
}

// Several multi-line events completed by one read: joining the later ones must not invalidate
// the data of the earlier ones.
TEST(OpenAiSse, ManyMultiLineEventsInOneReadKeepTheirOwnData) {
  std::string stream;
  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) {
    std::string a = "first " + std::to_string(i) + std::string(static_cast<std::size_t>(i), 'a');
    std::string b = "second " + std::to_string(i);
    stream += "data: " + a + "\ndata: " + b + "\n\ndata: single " + std::to_string(i) + "\n\n";
    expected.push_back(a + "\n" + b);
    expected.push_back("single " + std::to_string(i));
  }
  std::vector<Owned> events = feed_all(stream);
  ASSERT_EQ(events.size(), expected.size());
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].data, expected[i]) << i;
}

TEST(OpenAiSse, MultiLineEventSplitAcrossReadsIsJoinedWhole) {
  SseParser parser;
  std::vector<Owned> out;
  take(parser.feed("data: a\ndata: b\n\ndata: one\ndata: tw"), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "a\nb");
  take(parser.feed("o\ndata:"), out);
  take(parser.feed(" three\n"), out);
  EXPECT_EQ(out.size(), 1u);
  take(parser.feed("\ndata: next\n\n"), out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].data, "one\ntwo\nthree");
  EXPECT_EQ(out[1].raw, "data: one\ndata: two\ndata: three\n\n");
  EXPECT_EQ(out[2].data, "next");
}

// A long stream mixing terminators, multi-line data, comments and events of very different
// sizes, so finished bytes are sometimes kept and sometimes dropped between reads.
std::string mixed_stream() {
  std::string stream;
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string payload(std::uniform_int_distribution<std::size_t>(0, 700)(rng), 'p');
    switch (i % 6) {
      case 0: stream += "data: " + payload + "\n\n"; break;
      case 1: stream += "data: " + payload + "\r\n\r\n"; break;
      case 2:
        stream += "event: e" + std::to_string(i) + "\ndata: " + payload + "\ndata: x\n\n";
        break;
      case 3: stream += ": ping\n\n\n"; break;
      case 4: stream += "data:" + payload + "\r\r"; break;
      default: stream += "id: 1\ndata: [DONE]\n\n"; break;
    }
  }
  return stream;
}

TEST(OpenAiSse, LongMixedStreamGivesIdenticalEventsHoweverItIsSplit) {
  std::string stream = mixed_stream();
  std::vector<Owned> whole = feed_all(stream);
  ASSERT_EQ(whole.size(), 300u);
  std::mt19937 rng(99);
  for (int round = 0; round < 40; ++round) {
    std::size_t max_read = std::size_t{1} << (round % 12);
    std::vector<std::size_t> cuts;
    for (std::size_t pos = 0;;) {
      pos += std::uniform_int_distribution<std::size_t>(1, max_read)(rng);
      if (pos >= stream.size()) break;
      cuts.push_back(pos);
    }
    ASSERT_EQ(feed_in_pieces(stream, cuts), whole) << "round " << round;
  }
}

// The relay feeds every upstream read of every stream: once the parser has warmed up, framing
// ordinary events (and a multi-line one) allocates nothing.
TEST(OpenAiSse, SteadyStateFeedingAllocatesNothing) {
  std::string stream;
  for (int i = 0; i < 20; ++i) {
    stream +=
        "data: {\"choices\":[{\"delta\":{\"content\":\"token " + std::to_string(i) + "\"}}]}\n\n";
  }
  stream += ": ping\n\nevent: x\ndata: a\ndata: b\n\ndata: [DONE]\n\n";
  std::vector<std::string_view> reads;
  for (std::size_t pos = 0; pos < stream.size(); pos += 300) {
    reads.push_back(std::string_view(stream).substr(pos, 300));
  }
  SseParser parser;
  std::size_t events = 0;
  for (std::string_view read : reads) events += parser.feed(read).size();  // warm-up
  allocations = 0;
  counting_allocations = true;
  for (int round = 0; round < 10; ++round) {
    for (std::string_view read : reads) events += parser.feed(read).size();
  }
  counting_allocations = false;
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(events, 11u * 23u);
}

}  // namespace
}  // namespace tollbooth::openai
