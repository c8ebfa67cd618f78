#include "providers/bedrock_stream.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "aws/eventstream.hpp"
#include "providers/bedrock_response.hpp"
#include "providers/translator.hpp"
#include "testing/test_files.hpp"

namespace tb = tollbooth;
namespace bd = tollbooth::bedrock;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path kSource = fs::path(TOLLBOOTH_SOURCE_DIR);
const fs::path kVectors = kSource / "tests" / "vectors" / "bedrock";
const fs::path kGolden = kSource / "tests" / "golden" / "bedrock";

using tollbooth::testdata::read_file;

bd::ReplyOptions options(bool include_usage, std::string_view json_tool = {}) {
  bd::ReplyOptions o;
  o.client_model = "claude-sonnet";
  o.response_id = "chatcmpl-0001";
  o.created = 1767225600;
  o.include_usage = include_usage;
  o.json_tool = json_tool;
  return o;
}

struct Event {
  std::string type;
  std::string payload;
};

// The decoded events of a vector file: [{eventType: payload}, ...].
std::vector<Event> events_of(const fs::path& path) {
  std::vector<Event> out;
  json::value events = json::parse(read_file(path));
  for (const auto& item : events.as_array())
    for (const auto& [type, payload] : item.as_object())
      out.push_back({std::string(type), json::serialize(payload)});
  return out;
}

std::string run(bd::ConverseStreamTranslator& t, const std::vector<Event>& events) {
  std::string out;
  for (const auto& e : events) t.on_event(e.type, e.payload, out);
  t.finish(out);
  return out;
}

// Feeds the event-stream bytes of a vector file to the decoder in 7-byte pieces, as a socket
// might split them, and each decoded message to the translator; exceptions go to on_exception.
std::string run_binary(bd::ConverseStreamTranslator& t, const fs::path& path) {
  std::string bytes = read_file(path), out;
  tb::aws::EventStreamDecoder decoder;
  std::vector<tb::aws::EventMessage> messages;
  for (std::size_t pos = 0; pos < bytes.size(); pos += 7) {
    auto fed = decoder.feed(std::string_view(bytes).substr(pos, 7), messages);
    EXPECT_TRUE(fed) << fed.error().message;
  }
  EXPECT_TRUE(decoder.finish());
  for (const auto& m : messages) {
    if (m.message_type() == "exception")
      t.on_exception(m.exception_type(), m.payload, out);
    else
      t.on_event(m.event_type(), m.payload, out);
  }
  t.finish(out);
  return out;
}

// The JSON payloads of `data:` events, [DONE] excluded.
std::vector<json::value> chunks_of(const std::string& sse) {
  std::vector<json::value> out;
  std::size_t pos = 0;
  while ((pos = sse.find("data: ", pos)) != std::string::npos) {
    auto end = sse.find("\n\n", pos);
    auto data = sse.substr(pos + 6, end - pos - 6);
    if (data != "[DONE]") out.push_back(json::parse(data));
    pos = end;
  }
  return out;
}

json::value delta_of(const json::value& chunk) {
  return chunk.at("choices").at(0).at("delta");
}

const std::string kUsage =
    R"({"usage":{"inputTokens":25,"outputTokens":30,"totalTokens":55},"metrics":{"latencyMs":812}})";

}  // namespace

TEST(OpenAiBedrock, StreamsTheToolUseVectorAsExactChunks) {
  bd::ConverseStreamTranslator t(options(true));
  std::string out = run(t, events_of(kVectors / "converse-stream-tooluse.json"));
  EXPECT_EQ(out, read_file(kGolden / "stream-tool-use.openai.sse"));
  EXPECT_TRUE(t.done());
  EXPECT_FALSE(t.error());
  EXPECT_EQ(t.finish_reason(), "tool_calls");
  EXPECT_EQ(t.usage().input_tokens, 25);
  EXPECT_EQ(t.usage().output_tokens, 30);
  EXPECT_TRUE(t.usage().reported);
}

TEST(OpenAiBedrock, DecodesAndTranslatesTheToolUseBinaryVector) {
  bd::ConverseStreamTranslator t(options(true));
  std::string out = run_binary(t, kVectors / "converse-stream-tooluse.bin");
  EXPECT_EQ(out, read_file(kGolden / "stream-tool-use.openai.sse"));
  EXPECT_TRUE(t.done());
  EXPECT_FALSE(t.error());
  EXPECT_EQ(t.finish_reason(), "tool_calls");
}

TEST(OpenAiBedrock, DecodesAndTranslatesTheThrottlingBinaryVector) {
  bd::ConverseStreamTranslator t(options(true));
  std::string out = run_binary(t, kVectors / "converse-stream-throttling-exception.bin");
  EXPECT_TRUE(
      out.ends_with("data: {\"error\":{\"message\":\"Bedrock is throttling requests for "
                    "this model; try again later.\",\"type\":\"rate_limit_error\","
                    "\"param\":null,\"code\":\"rate_limit_exceeded\"}}\n\n"))
      << out;
  EXPECT_EQ(out.find("[DONE]"), std::string::npos);
  ASSERT_TRUE(t.error());
  EXPECT_TRUE(t.error()->retryable);
  EXPECT_TRUE(t.done());
}

TEST(OpenAiBedrock, SendsTheUsageChunkOnlyWhenAskedButAlwaysExposesUsage) {
  bd::ConverseStreamTranslator t(options(false));
  std::string out = run(t, events_of(kVectors / "converse-stream-tooluse.json"));
  EXPECT_EQ(out.find("usage"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n"));
  EXPECT_TRUE(t.usage().reported);
  EXPECT_EQ(t.usage().input_tokens, 25);
}

TEST(OpenAiBedrock, StreamsParallelToolCallsWithOwnIndex) {
  bd::ConverseStreamTranslator t(options(false));
  std::string out =
      run(t, {{"messageStart", R"({"role":"assistant"})"},
              {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Two calls."}})"},
              {"contentBlockStop", R"({"contentBlockIndex":0})"},
              {"contentBlockStart",
               R"({"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t_a","name":"a"}}})"},
              {"contentBlockStart",
               R"({"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"t_b","name":"b"}}})"},
              {"contentBlockDelta",
               R"({"delta":{"toolUse":{"input":"{\"x\":1}"}},"contentBlockIndex":2})"},
              {"contentBlockStop", R"({"contentBlockIndex":2})"},
              {"contentBlockStop", R"({"contentBlockIndex":1})"},
              {"messageStop", R"({"stopReason":"tool_use"})"},
              {"metadata", kUsage}});
  auto chunks = chunks_of(out);
  ASSERT_EQ(chunks.size(), 7u) << out;
  EXPECT_EQ(
      json::serialize(delta_of(chunks[2])),
      R"({"tool_calls":[{"index":0,"id":"t_a","type":"function","function":{"name":"a","arguments":""}}]})");
  EXPECT_EQ(
      json::serialize(delta_of(chunks[3])),
      R"({"tool_calls":[{"index":1,"id":"t_b","type":"function","function":{"name":"b","arguments":""}}]})");
  EXPECT_EQ(json::serialize(delta_of(chunks[4])),
            R"({"tool_calls":[{"index":1,"function":{"arguments":"{\"x\":1}"}}]})");
  // Block 1 got no input at all: its arguments must still parse.
  EXPECT_EQ(json::serialize(delta_of(chunks[5])),
            R"({"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]})");
  EXPECT_EQ(chunks[6].at("choices").at(0).at("finish_reason"), "tool_calls");
  EXPECT_TRUE(out.ends_with("data: [DONE]\n\n"));
}

TEST(OpenAiBedrock, StreamsTheResponseFormatToolAsContent) {
  bd::ConverseStreamTranslator t(options(false, "person"));
  std::string out = run(
      t,
      {{"messageStart", R"({"role":"assistant"})"},
       {"contentBlockStart",
        R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t","name":"person"}}})"},
       {"contentBlockDelta",
        R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"name\":"}}})"},
       {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"toolUse":{"input":"\"Ada\"}"}}})"},
       {"contentBlockStop", R"({"contentBlockIndex":0})"},
       {"messageStop", R"({"stopReason":"tool_use"})"},
       {"metadata", kUsage}});
  auto chunks = chunks_of(out);
  ASSERT_EQ(chunks.size(), 4u) << out;
  EXPECT_EQ(json::serialize(delta_of(chunks[1])), R"({"content":"{\"name\":"})");
  EXPECT_EQ(json::serialize(delta_of(chunks[2])), R"({"content":"\"Ada\"}"})");
  EXPECT_EQ(chunks[3].at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_EQ(out.find("tool_calls"), std::string::npos);
  EXPECT_EQ(t.finish_reason(), "stop");
}

TEST(OpenAiBedrock, StreamsAResponseFormatToolWithoutInputAsAnEmptyObject) {
  bd::ConverseStreamTranslator t(options(false, "json_tool_call"));
  std::string out = run(
      t,
      {{"contentBlockStart",
        R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t","name":"json_tool_call"}}})"},
       {"contentBlockStop", R"({"contentBlockIndex":0})"},
       {"messageStop", R"({"stopReason":"tool_use"})"},
       {"metadata", kUsage}});
  auto chunks = chunks_of(out);
  ASSERT_EQ(chunks.size(), 3u) << out;
  EXPECT_EQ(json::serialize(delta_of(chunks[1])), R"({"content":"{}"})");
}

TEST(OpenAiBedrock, TurnsAThrottlingExceptionIntoAnInBandError) {
  bd::ConverseStreamTranslator t(options(true));
  std::string out;
  t.on_event("messageStart", R"({"role":"assistant","p":"abc"})", out);
  out.clear();
  // The frame of vectors/bedrock/converse-stream-throttling-exception.bin, decoded.
  t.on_exception("throttlingException",
                 R"({"message":"Too many requests, please wait before trying again."})", out);
  EXPECT_EQ(
      out,
      "data: {\"error\":{\"message\":\"Bedrock is throttling requests for this model; try again "
      "later.\",\"type\":\"rate_limit_error\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}"
      "\n\n");
  ASSERT_TRUE(t.error());
  EXPECT_TRUE(t.error()->retryable);
  EXPECT_NE(t.error()->detail.find("Too many requests"), std::string::npos);
  EXPECT_TRUE(t.done());
  out.clear();
  t.on_event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"late"}})", out);
  t.on_exception("internalServerException", "{}", out);
  t.finish(out);
  EXPECT_EQ(out, "");
}

TEST(OpenAiBedrock, ReportsAStreamThatEndsBeforeItsEnd) {
  bd::ConverseStreamTranslator broken(options(true));
  std::string out =
      run(broken, {{"messageStart", R"({"role":"assistant"})"},
                   {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})"}});
  auto chunks = chunks_of(out);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[2].at("error").at("type"), "upstream_error");
  EXPECT_EQ(out.find("[DONE]"), std::string::npos);
  EXPECT_EQ(broken.usage().reported, false);

  // The answer ended but its metadata (usage) never came: still a broken stream.
  bd::ConverseStreamTranslator no_metadata(options(false));
  out = run(no_metadata, {{"messageStart", R"({"role":"assistant"})"},
                          {"messageStop", R"({"stopReason":"end_turn"})"}});
  EXPECT_TRUE(out.ends_with("\"code\":null}}\n\n"));
  EXPECT_EQ(out.find("[DONE]"), std::string::npos);
  EXPECT_TRUE(no_metadata.error());
}

TEST(OpenAiBedrock, TurnsAnUnreadableEventIntoAnInBandError) {
  for (std::string_view bad : {"not json", R"({"contentBlockIndex":"zero","delta":{"text":"x"}})",
                               R"({"contentBlockIndex":5,"delta":{"toolUse":{"input":"{}"}}})"}) {
    bd::ConverseStreamTranslator t(options(false));
    std::string out;
    t.on_event("contentBlockDelta", bad, out);
    ASSERT_TRUE(t.error()) << bad;
    EXPECT_EQ(t.error()->kind, tb::ErrorKind::bad_gateway);
    EXPECT_TRUE(out.starts_with("data: {\"error\":")) << out;
    EXPECT_TRUE(t.done());
  }
}

TEST(OpenAiBedrock, IgnoresUnknownEventsAndMembers) {
  bd::ConverseStreamTranslator t(options(false));
  std::string out = run(
      t,
      {{"messageStart", R"({"p":"abcdefgh","role":"assistant"})"},
       {"contentBlockDelta",
        R"({"contentBlockIndex":0,"delta":{"text":"a\nb \"c\" \u00e9"},"p":"xyz"})"},
       {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"citation":{"title":"t"}}})"},
       {"contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":""}})"},
       {"somethingNew", R"({"x":1})"},
       {"messageStop", R"({"stopReason":"end_turn","additionalModelResponseFields":{}})"},
       {"metadata", R"({"usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3},"trace":{}})"}});
  auto chunks = chunks_of(out);
  ASSERT_EQ(chunks.size(), 3u) << out;
  EXPECT_EQ(delta_of(chunks[1]).at("content"), "a\nb \"c\" \u00e9");
  EXPECT_EQ(chunks[2].at("choices").at(0).at("finish_reason"), "stop");
}

TEST(OpenAiBedrock, StreamsReasoningAsReasoningContent) {
  bd::ConverseStreamTranslator t(options(false));
  std::string out =
      run(t, {{"messageStart", R"({"role":"assistant"})"},
              {"contentBlockDelta",
               R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Hmm"}}})"},
              {"contentBlockDelta",
               R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig"}}})"},
              {"contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"text":"Yes"}})"},
              {"messageStop", R"({"stopReason":"max_tokens"})"},
              {"metadata", kUsage}});
  auto chunks = chunks_of(out);
  ASSERT_EQ(chunks.size(), 4u) << out;
  EXPECT_EQ(json::serialize(delta_of(chunks[1])), R"({"reasoning_content":"Hmm"})");
  EXPECT_EQ(json::serialize(delta_of(chunks[2])), R"({"content":"Yes"})");
  EXPECT_EQ(chunks[3].at("choices").at(0).at("finish_reason"), "length");
}

TEST(OpenAiBedrock, StartsWithTheRoleChunkEvenWithoutMessageStart) {
  bd::ConverseStreamTranslator t(options(false));
  std::string out;
  t.on_event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})", out);
  auto chunks = chunks_of(out);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(json::serialize(delta_of(chunks[0])), R"({"role":"assistant","content":""})");
  EXPECT_EQ(
      json::serialize(chunks[1]),
      R"({"id":"chatcmpl-0001","object":"chat.completion.chunk","created":1767225600,)"
      R"("model":"claude-sonnet","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,)"
      R"("finish_reason":null}]})");
}

TEST(OpenAiBedrock, CompletesWhateverOrderMessageStopAndMetadataCome) {
  bd::ConverseStreamTranslator t(options(true));
  std::string out;
  t.on_event("metadata", kUsage, out);
  EXPECT_FALSE(t.done());
  t.on_event("messageStop", R"({"stopReason":"end_turn"})", out);
  EXPECT_TRUE(t.done());
  auto chunks = chunks_of(out);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[2].at("usage").at("total_tokens"), 55);
  EXPECT_EQ(chunks[2].at("choices").as_array().size(), 0u);
}

// ---- response_format with text before (or instead of) the response tool ------------------------

namespace {

// One content block of a model's answer: text, or a tool call when `tool` is set.
struct Block {
  std::string text;  // text, or the tool's input JSON
  std::string tool;  // tool name; empty for text
};

// The same answer as a Converse body and as ConverseStream events (text in 4-character
// pieces, tool input in two fragments), so both translations can be compared.
std::string converse_of(const std::vector<Block>& blocks, std::string_view stop) {
  // Written by hand: tool inputs go in as written (Boost.JSON would print 2.50 as 2.5E0).
  std::string body = R"({"output":{"message":{"role":"assistant","content":[)";
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto& b = blocks[i];
    if (i) body += ',';
    if (b.tool.empty()) {
      body += R"({"text":)" + json::serialize(json::value(b.text)) + "}";
    } else {
      body += R"({"toolUse":{"toolUseId":"t)" + std::to_string(i) + R"(","name":)" +
              json::serialize(json::value(b.tool)) + R"(,"input":)" + b.text + "}}";
    }
  }
  body += R"(]}},"stopReason":)" + json::serialize(json::value(stop)) + R"(,)" +
          kUsage.substr(1);  // kUsage's members, after its opening brace
  return body;
}

std::vector<Event> stream_of(const std::vector<Block>& blocks, std::string_view stop) {
  std::vector<Event> out{{"messageStart", R"({"role":"assistant"})"}};
  auto delta = [&](std::size_t i, json::object d) {
    out.push_back({"contentBlockDelta",
                   json::serialize(json::object{{"contentBlockIndex", i}, {"delta", d}})});
  };
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto& b = blocks[i];
    if (b.tool.empty()) {
      for (std::size_t pos = 0; pos < b.text.size(); pos += 4)
        delta(i, json::object{{"text", b.text.substr(pos, 4)}});
    } else {
      out.push_back(
          {"contentBlockStart",
           json::serialize(json::object{
               {"contentBlockIndex", i},
               {"start",
                json::object{{"toolUse", json::object{{"toolUseId", "t" + std::to_string(i)},
                                                      {"name", b.tool}}}}}})});
      const std::size_t half = b.text.size() / 2;
      for (const auto& piece : {b.text.substr(0, half), b.text.substr(half)})
        delta(i, json::object{{"toolUse", json::object{{"input", piece}}}});
    }
    out.push_back({"contentBlockStop", json::serialize(json::object{{"contentBlockIndex", i}})});
  }
  out.push_back({"messageStop", json::serialize(json::object{{"stopReason", stop}})});
  out.push_back({"metadata", kUsage});
  return out;
}

// The content a client assembles from the deltas, and the finish_reason.
struct Streamed {
  std::string content;
  std::string finish_reason;
  int content_chunks = 0;
};

Streamed assemble(const std::string& sse) {
  Streamed s;
  for (const auto& chunk : chunks_of(sse)) {
    const auto& choices = chunk.at("choices").as_array();
    if (choices.empty()) continue;
    const auto& delta = choices[0].at("delta").as_object();
    if (const auto* c = delta.if_contains("content"); c && !c->as_string().empty()) {
      s.content += c->as_string();
      ++s.content_chunks;
    }
    if (const auto& f = choices[0].at("finish_reason"); f.is_string())
      s.finish_reason = f.as_string();
  }
  return s;
}

}  // namespace

TEST(OpenAiBedrock, StreamsOnlyTheJsonWhenTextComesBeforeTheResponseTool) {
  bd::ConverseStreamTranslator t(options(true, "answer"));
  std::string out = run(t, stream_of({{"Let me check.", ""},
                                      {R"({"q":"x0"})", "answer"},
                                      {"Done.", ""}},  // text after the JSON is dropped too
                                     "tool_use"));
  Streamed s = assemble(out);
  EXPECT_EQ(s.content, R"({"q":"x0"})") << out;
  EXPECT_EQ(json::parse(s.content), json::parse(R"({"q":"x0"})"));  // it parses, and it is that
  EXPECT_EQ(out.find("Let me"), std::string::npos);
  EXPECT_EQ(out.find("Done"), std::string::npos);
  EXPECT_EQ(s.finish_reason, "stop");
  EXPECT_EQ(t.finish_reason(), "stop");
  EXPECT_EQ(out.find("tool_calls"), std::string::npos);
  EXPECT_TRUE(t.usage().reported);
  EXPECT_EQ(t.usage().output_tokens, 30);
  auto chunks = chunks_of(out);
  EXPECT_EQ(chunks.back().at("usage").at("completion_tokens"), 30);
  EXPECT_TRUE(out.ends_with("data: [DONE]\n\n"));
}

TEST(OpenAiBedrock, FlushesHeldTextWhenTheResponseToolNeverComes) {
  bd::ConverseStreamTranslator t(options(false, "answer"));
  const std::string text = "Sorry, I can't answer \"that\" in JSON.\n\u00e9";
  std::vector<Event> events = stream_of({{text, ""}}, "end_turn");
  std::string out;
  for (std::size_t i = 0; i + 2 < events.size(); ++i)
    t.on_event(events[i].type, events[i].payload, out);
  // Nothing of the text is out while the tool may still come.
  EXPECT_EQ(assemble(out).content, "");
  for (std::size_t i = events.size() - 2; i < events.size(); ++i)
    t.on_event(events[i].type, events[i].payload, out);
  Streamed s = assemble(out);
  EXPECT_EQ(s.content, text);
  EXPECT_EQ(s.content_chunks, 1);
  EXPECT_EQ(s.finish_reason, "stop");
  // The text comes just before the finish_reason chunk.
  auto chunks = chunks_of(out);
  ASSERT_GE(chunks.size(), 3u);
  EXPECT_EQ(delta_of(chunks[chunks.size() - 2]).at("content").as_string(), text);
  EXPECT_TRUE(t.done());
  EXPECT_FALSE(t.error());

  // Cut by max tokens before the tool came: the text so far, and "length".
  bd::ConverseStreamTranslator cut(options(false, "answer"));
  s = assemble(run(cut, stream_of({{"Let me", ""}}, "max_tokens")));
  EXPECT_EQ(s.content, "Let me");
  EXPECT_EQ(s.finish_reason, "length");
}

TEST(OpenAiBedrock, StreamAndNonStreamGiveTheSameContent) {
  const std::vector<std::pair<std::vector<Block>, std::string_view>> answers = {
      {{{"Let me check.", ""}, {R"({"q":"x0","n":[1,2.50]})", "answer"}}, "tool_use"},
      {{{R"({"q":"x0"})", "answer"}}, "tool_use"},
      {{{"Plain text, \"quoted\".", ""}}, "end_turn"},
      {{{"Calling a tool.", ""}, {R"({"city":"Paris"})", "get_weather"}}, "tool_use"},
      {{{"A", ""}, {R"({"city":"Paris"})", "get_weather"}, {R"({"q":"y"})", "answer"}}, "tool_use"},
      {{{R"({"q":"first"})", "answer"}, {"between", ""}, {R"({"q":"second"})", "answer"}},
       "tool_use"},
      {{{"Let me", ""}}, "max_tokens"},
      {{}, "end_turn"},
  };
  for (const auto& [blocks, stop] : answers) {
    const std::string converse = converse_of(blocks, stop);
    SCOPED_TRACE(converse);
    auto whole = bd::chat_completion_from_converse(converse, options(false, "answer"));
    ASSERT_TRUE(whole);
    const json::value body = json::parse(whole->body);
    const auto& message = body.at("choices").at(0).at("message");
    const std::string content =
        message.at("content").is_null() ? "" : std::string(message.at("content").as_string());
    bd::ConverseStreamTranslator t(options(false, "answer"));
    Streamed s = assemble(run(t, stream_of(blocks, stop)));
    EXPECT_EQ(s.content, content);
    EXPECT_EQ(s.finish_reason, whole->finish_reason);
  }
}

TEST(OpenAiBedrock, CapsTheTextHeldWhileTheResponseToolMayCome) {
  const std::size_t cap = bd::ConverseStreamTranslator::kMaxHeldText;
  const std::string piece(64 * 1024, 'a');
  const std::size_t pieces = cap / piece.size() + 2;  // two pieces past the cap
  auto long_answer = [&](bool then_tool) {
    std::vector<Event> events{{"messageStart", R"({"role":"assistant"})"}};
    const std::string delta = R"({"contentBlockIndex":0,"delta":{"text":")" + piece + R"("}})";
    for (std::size_t i = 0; i < pieces; ++i) events.push_back({"contentBlockDelta", delta});
    if (then_tool) {
      events.push_back(
          {"contentBlockStart",
           R"({"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t","name":"answer"}}})"});
      events.push_back({"contentBlockDelta",
                        R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"q\":1}"}}})"});
    }
    events.push_back({"messageStop",
                      then_tool ? R"({"stopReason":"tool_use"})" : R"({"stopReason":"end_turn"})"});
    events.push_back({"metadata", kUsage});
    return events;
  };
  // No tool: the first `cap` bytes (whole deltas), and "length" because the content was cut.
  bd::ConverseStreamTranslator t(options(false, "answer"));
  Streamed s = assemble(run(t, long_answer(false)));
  EXPECT_EQ(s.content.size(), cap / piece.size() * piece.size());
  EXPECT_LE(s.content.size(), cap);
  EXPECT_EQ(s.finish_reason, "length");
  EXPECT_TRUE(t.usage().reported);
  // The tool after all: the dropped text never mattered.
  bd::ConverseStreamTranslator json_after(options(false, "answer"));
  s = assemble(run(json_after, long_answer(true)));
  EXPECT_EQ(s.content, R"({"q":1})");
  EXPECT_EQ(s.finish_reason, "stop");
}

TEST(OpenAiBedrock, StreamsTextAtOnceWithoutAResponseTool) {
  // No response_format: nothing is held, each delta goes out as it comes.
  bd::ConverseStreamTranslator t(options(false));
  std::string out;
  t.on_event("messageStart", R"({"role":"assistant"})", out);
  t.on_event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})", out);
  EXPECT_EQ(assemble(out).content, "Hi");
}

namespace {

class FixedPricer final : public tb::UsagePricer {
 public:
  explicit FixedPricer(std::optional<tb::Money> figure) : figure_(figure) {}
  std::optional<tb::Money> charge(const tb::Usage& usage) const noexcept override {
    ++calls;
    seen = usage;
    return figure_;
  }
  mutable int calls = 0;
  mutable tb::Usage seen;

 private:
  std::optional<tb::Money> figure_;
};

std::string usage_stream(bd::ConverseStreamTranslator& t) {
  std::string out;
  t.on_event("messageStart", R"({"role":"assistant"})", out);
  t.on_event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})", out);
  t.on_event("messageStop", R"({"stopReason":"end_turn"})", out);
  t.on_event(
      "metadata",
      R"({"usage":{"inputTokens":10,"outputTokens":4,"totalTokens":2014,)"
      R"("cacheReadInputTokens":1500,"cacheWriteInputTokens":500},"metrics":{"latencyMs":9}})",
      out);
  return out;
}

}  // namespace

TEST(OpenAiBedrock, TheUsageChunkEndsInTheCostWhenThePricerHasAFigure) {
  FixedPricer pricer(1'234);
  bd::ReplyOptions o = options(true);
  o.pricer = &pricer;
  bd::ConverseStreamTranslator t(o);
  std::string out = usage_stream(t);
  EXPECT_NE(out.find(R"("usage":{"prompt_tokens":2010,"completion_tokens":4,"total_tokens":2014,)"
                     R"("prompt_tokens_details":{"cached_tokens":1500,"cache_write_tokens":500,)"
                     R"("audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,)"
                     R"("audio_tokens":0,"accepted_prediction_tokens":0,)"
                     R"("rejected_prediction_tokens":0},"cost":0.001234}}

data: [DONE]

)"),
            std::string::npos)
      << out;
  EXPECT_EQ(pricer.calls, 1);
  EXPECT_EQ(pricer.seen.input_tokens, 2010) << "priced on the normalised usage";
  EXPECT_EQ(pricer.seen.cached_input_tokens, 1500);
  EXPECT_EQ(pricer.seen.cache_write_input_tokens, 500);
}

TEST(OpenAiBedrock, NoFigureOrNoPricerOrNoUsageChunkMeansNoCost) {
  FixedPricer none(std::nullopt);
  bd::ReplyOptions o = options(true);
  o.pricer = &none;
  bd::ConverseStreamTranslator unpriced(o);
  const std::string without_figure = usage_stream(unpriced);
  bd::ConverseStreamTranslator plain(options(true));
  EXPECT_EQ(without_figure, usage_stream(plain));
  EXPECT_EQ(without_figure.find("cost"), std::string::npos);
  FixedPricer pricer(5);
  bd::ReplyOptions hidden = options(false);
  hidden.pricer = &pricer;
  bd::ConverseStreamTranslator not_asked(hidden);
  EXPECT_EQ(usage_stream(not_asked).find("usage"), std::string::npos);
  EXPECT_EQ(pricer.calls, 0);
  EXPECT_EQ(not_asked.usage().input_tokens, 2010) << "metered all the same";
}

TEST(OpenAiBedrock, MetadataWithUsageNullEndsTheStreamUnreported) {
  bd::ConverseStreamTranslator t(options(true));
  std::string out;
  t.on_event("messageStart", R"({"role":"assistant"})", out);
  t.on_event("messageStop", R"({"stopReason":"end_turn"})", out);
  t.on_event("metadata", R"({"usage":null,"metrics":{"latencyMs":9}})", out);
  EXPECT_TRUE(t.done());
  EXPECT_FALSE(t.error());
  EXPECT_FALSE(t.usage().reported);
  EXPECT_TRUE(out.ends_with("data: [DONE]\n\n"));
  EXPECT_EQ(out.find("\"prompt_tokens\""), std::string::npos);
}
