// The request facts of inspect_chat_request: needed capabilities, the input token estimate and
// the output cap (semantics on ChatInspection). The routing fields are tested in
// chat_request_test.cpp.
#include "api/openai/chat_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace tollbooth::openai {
namespace {

constexpr std::string_view kUser = R"({"role":"user","content":"Hi"})";
constexpr std::string_view kTool =
    R"({"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}})";
constexpr std::string_view kImagePart =
    R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg"}})";

// A request with `messages` (the array's inside) and `extra` members after it.
std::string body(std::string_view messages, std::string_view extra = {}) {
  std::string b = R"({"model":"m","messages":[)" + std::string(messages) + "]";
  if (!extra.empty()) b += "," + std::string(extra);
  return b + "}";
}

std::string user_parts(std::string_view parts) {
  return R"({"role":"user","content":[)" + std::string(parts) + "]}";
}

std::string tools(std::string_view extra = {}) {
  std::string t = R"("tools":[)" + std::string(kTool) + "]";
  return extra.empty() ? t : t + "," + std::string(extra);
}

ChatInspection inspect_ok(std::string_view b) {
  auto result = inspect_chat_request(b);
  EXPECT_TRUE(result.ok()) << b << "\n  -> " << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : ChatInspection{};
}

CapabilitySet needs_of(std::string_view b) {
  return inspect_ok(b).needs;
}

CapabilitySet set(std::initializer_list<Capability> caps) {
  CapabilitySet s;
  for (Capability c : caps) s.add(c);
  return s;
}

// Compares by name so a failure reads "tools, vision" rather than a number.
#define EXPECT_NEEDS(body_, ...) \
  EXPECT_EQ(capability_list(needs_of(body_)), capability_list(set({__VA_ARGS__})))

TEST(OpenAiChatFacts, PlainChatNeedsNothing) {
  ChatInspection facts = inspect_ok(body(kUser, R"("temperature":0.2,"stream":true)"));
  EXPECT_TRUE(facts.needs.empty());
  EXPECT_EQ(facts.max_output_tokens, 0u);
}

TEST(OpenAiChatFacts, ToolsNeedToolsAndParallelToolsByDefault) {
  EXPECT_NEEDS(body(kUser, tools()), Capability::tools, Capability::parallel_tools);
  EXPECT_NEEDS(body(kUser, tools(R"("parallel_tool_calls":true)")), Capability::tools,
               Capability::parallel_tools);
  EXPECT_NEEDS(body(kUser, tools(R"("parallel_tool_calls":null)")), Capability::tools,
               Capability::parallel_tools);
}

TEST(OpenAiChatFacts, ParallelToolCallsFalseNeedsToolsOnly) {
  EXPECT_NEEDS(body(kUser, tools(R"("parallel_tool_calls":false)")), Capability::tools);
  EXPECT_NEEDS(body(kUser, R"("parallel_tool_calls":false,)" + tools()), Capability::tools);
}

TEST(OpenAiChatFacts, ParallelToolCallsWithoutToolsNeedsNothing) {
  EXPECT_NEEDS(body(kUser, R"("parallel_tool_calls":true)"));
}

TEST(OpenAiChatFacts, LegacyFunctionsNeedToolsButNotParallelTools) {
  EXPECT_NEEDS(body(kUser, R"("functions":[{"name":"f","parameters":{}}])"), Capability::tools);
}

TEST(OpenAiChatFacts, EmptyOrNullToolListsNeedNothing) {
  EXPECT_NEEDS(body(kUser, R"("tools":[],"functions":[])"));
  EXPECT_NEEDS(body(kUser, R"("tools":null,"functions":null)"));
}

// Calls already made in the history need no parallel support of this turn's route.
TEST(OpenAiChatFacts, ToolCallsInHistoryNeedNothing) {
  std::string history =
      R"({"role":"assistant","content":null,"tool_calls":[)"
      R"({"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},)"
      R"({"id":"b","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
      R"({"role":"tool","tool_call_id":"a","content":"1"},)"
      R"({"role":"tool","tool_call_id":"b","content":"2"})";
  EXPECT_NEEDS(body(std::string(kUser) + "," + history));
}

TEST(OpenAiChatFacts, ImagePartNeedsVision) {
  EXPECT_NEEDS(
      body(user_parts(R"({"type":"text","text":"what is this?"},)" + std::string(kImagePart))),
      Capability::vision);
  EXPECT_NEEDS(body(user_parts(R"({"type":"input_image","image_url":"https://x/y.png"})")),
               Capability::vision);
  // Escaped spellings are the same type to the upstream; `type` may follow the payload.
  EXPECT_NEEDS(body(user_parts(R"({"image_url":{"url":"u"},"type":"image\u005furl"})")),
               Capability::vision);
}

TEST(OpenAiChatFacts, TextAndAudioPartsNeedNoVision) {
  EXPECT_NEEDS(
      body(user_parts(R"({"type":"text","text":"image_url"},)"
                      R"({"type":"input_audio","input_audio":{"data":"AA","format":"wav"}})")));
}

TEST(OpenAiChatFacts, JsonSchemaResponseFormatNeedsJsonSchema) {
  EXPECT_NEEDS(body(kUser, R"("response_format":{"type":"json_schema","json_schema":)"
                           R"({"name":"r","strict":true,"schema":{"type":"object"}}})"),
               Capability::json_schema);
}

TEST(OpenAiChatFacts, JsonObjectResponseFormatNeedsJsonObject) {
  EXPECT_NEEDS(body(kUser, R"("response_format":{"type":"json_object"})"), Capability::json_object);
}

TEST(OpenAiChatFacts, TextNullAndUnknownResponseFormatsNeedNothing) {
  EXPECT_NEEDS(body(kUser, R"("response_format":{"type":"text"})"));
  EXPECT_NEEDS(body(kUser, R"("response_format":null)"));
  EXPECT_NEEDS(body(kUser, R"("response_format":{"type":"grammar","grammar":"x"})"));
}

TEST(OpenAiChatFacts, ReasoningEffortNeedsReasoning) {
  EXPECT_NEEDS(body(kUser, R"("reasoning_effort":"low")"), Capability::reasoning);
  EXPECT_NEEDS(body(kUser, R"("reasoning_effort":null)"));
}

TEST(OpenAiChatFacts, ReasoningObjectNeedsReasoning) {
  EXPECT_NEEDS(body(kUser, R"("reasoning":{"effort":"high"})"), Capability::reasoning);
  EXPECT_NEEDS(body(kUser, R"("reasoning":null)"));
}

TEST(OpenAiChatFacts, NeverSetsResponsesApiOrLongContext) {
  std::string huge(400000, 'x');
  std::string b =
      body(user_parts(std::string(kImagePart) + R"(,{"type":"text","text":")" + huge + R"("})"),
           tools(R"("response_format":{"type":"json_object"},)"
                 R"("reasoning_effort":"high","max_tokens":200000)"));
  ChatInspection facts = inspect_ok(b);
  EXPECT_EQ(capability_list(facts.needs), "tools, parallel_tools, vision, json_object, reasoning");
  EXPECT_GT(facts.estimated_input_tokens, 100000u);
}

// Each case is refused as duplicate_key, the message and `param` naming the key's path: a
// fact read from one duplicate while the upstream reads the other would route on the wrong
// capabilities (an image the vision check never saw) or reserve the wrong budget.
TEST(OpenAiChatFacts, DuplicateFactKeysAreRefusedNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {body(kUser, tools(R"("response_format":{"type":"json_schema"},)"
                         R"("response_format":{"type":"text"})")),
       "response_format"},
      {body(kUser, R"("reasoning_effort":"high","reasoning_effort":null)"), "reasoning_effort"},
      {body(kUser, R"("max_tokens":5,"max_tokens":7)"), "max_tokens"},
      {body(kUser, R"("response_format":{"type":"text","json_schema":{},"type":"json_schema"})"),
       "response_format.type"},
      {body(kUser, R"("response_format":{"type":"json_object","typ\u0065":"text"})"),
       "response_format.type"},
      // An image in a `content` that the gateway would replace by a later one.
      {body(R"({"role":"user","content":[)" + std::string(kImagePart) +
            R"(],"content":"no image"})"),
       "messages[0].content"},
      {body(std::string(kUser) + "," +
            user_parts(
                R"({"type":"text","text":"a"},{"type":"image_url","type":"text","text":"b"})")),
       "messages[1].content[1].type"},
      {body(user_parts(R"({"type":"text","text":"short","text":"long"})")),
       "messages[0].content[0].text"},
  };
  for (const auto& [b, param] : cases) {
    auto result = inspect_chat_request(b);
    ASSERT_FALSE(result.ok()) << b;
    const Error& e = result.error();
    EXPECT_EQ(e.kind, ErrorKind::invalid_request) << b;
    EXPECT_EQ(e.code, "duplicate_key") << b;
    EXPECT_EQ(e.param, param) << b;
    EXPECT_NE(e.message.find("Duplicate key `" + param + "`"), std::string::npos)
        << b << "\n  " << e.message;
  }
}

// "Be brief." is 9 bytes and "Hi" 2: ceil(11 / 4) + 2 messages × 4.
TEST(OpenAiChatFacts, TokenEstimateOfStringContentIsExact) {
  ChatInspection facts =
      inspect_ok(body(R"({"role":"system","content":"Be brief."},{"role":"user","content":"Hi"})"));
  EXPECT_EQ(facts.estimated_input_tokens, 3u + 8u);
}

// Text bytes are counted as written: "caf\u00e9" is 9 bytes here, and whitespace around
// the token is not text.
TEST(OpenAiChatFacts, TokenEstimateCountsRawStringBytes) {
  ChatInspection facts = inspect_ok(body(R"({"role":"user", "content" : "caf\u00e9"  })"));
  EXPECT_EQ(facts.estimated_input_tokens, 3u + 4u);  // ceil(9 / 4) + 4
}

// 8 text bytes → 2, one message → 4, one image → 765; the base64 payload is not text.
TEST(OpenAiChatFacts, TokenEstimateCountsTextPartsAndImagesNotImageData) {
  std::string part = R"({"type":"image_url","image_url":{"url":"data:image/png;base64,)" +
                     std::string(100000, 'A') + R"("}})";
  ChatInspection facts =
      inspect_ok(body(user_parts(R"({"type":"text","text":"abcdefgh"},)" + part)));
  EXPECT_EQ(facts.estimated_input_tokens, 2u + 4u + 765u);
  ChatInspection two = inspect_ok(body(user_parts(part + "," + part)));
  EXPECT_EQ(two.estimated_input_tokens, 4u + 2u * 765u);
}

// Tool definitions and earlier tool calls count by their raw JSON size.
TEST(OpenAiChatFacts, TokenEstimateCountsToolsAndToolCalls) {
  const std::string tool_list = "[" + std::string(kTool) + "]";
  const std::string calls =
      R"([{"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}])";
  std::string messages =
      std::string(kUser) + R"(,{"role":"assistant","content":null,"tool_calls":)" + calls + "}";
  ChatInspection facts = inspect_ok(body(messages, R"("tools":)" + tool_list));
  std::uint64_t bytes = 2 + tool_list.size() + calls.size();
  EXPECT_EQ(facts.estimated_input_tokens, (bytes + 3) / 4 + 2 * 4);
}

TEST(OpenAiChatFacts, TokenEstimateGrowsWithSizeAndMessages) {
  std::uint32_t last = 0;
  for (std::size_t n : {0, 1, 4, 5, 40, 400, 4000, 40000}) {
    std::string content = R"({"role":"user","content":")" + std::string(n, 'a') + R"("})";
    std::uint32_t tokens = inspect_ok(body(content)).estimated_input_tokens;
    EXPECT_EQ(tokens, (n + 3) / 4 + 4) << n;
    EXPECT_GE(tokens, last) << n;
    last = tokens;
  }
  std::uint32_t one = inspect_ok(body(kUser)).estimated_input_tokens;
  std::string three = std::string(kUser) + "," + std::string(kUser) + "," + std::string(kUser);
  EXPECT_EQ(inspect_ok(body(three)).estimated_input_tokens, 3 * 4 + 2u);  // ceil(6 / 4) = 2
  EXPECT_GT(inspect_ok(body(three)).estimated_input_tokens, one);
}

TEST(OpenAiChatFacts, TokenEstimateIsNeverZero) {
  EXPECT_EQ(inspect_ok(body(R"({"role":"user"})")).estimated_input_tokens, 4u);
  EXPECT_EQ(inspect_ok(body(R"({"role":"user","content":""})")).estimated_input_tokens, 4u);
  EXPECT_EQ(inspect_ok(body(R"({"role":"user","content":[]})")).estimated_input_tokens, 4u);
}

TEST(OpenAiChatFacts, MaxOutputTokensPrefersMaxCompletionTokens) {
  auto cap = [](std::string_view extra) {
    return inspect_ok(body(kUser, extra)).max_output_tokens;
  };
  EXPECT_EQ(cap(R"("temperature":1)"), 0u);
  EXPECT_EQ(cap(R"("max_tokens":256)"), 256u);
  EXPECT_EQ(cap(R"("max_completion_tokens":1024)"), 1024u);
  EXPECT_EQ(cap(R"("max_tokens":256,"max_completion_tokens":1024)"), 1024u);
  EXPECT_EQ(cap(R"("max_completion_tokens":1024,"max_tokens":256)"), 1024u);
  EXPECT_EQ(cap(R"("max_completion_tokens":null,"max_tokens":256)"), 256u);
  EXPECT_EQ(cap(R"("max_completion_tokens":null,"max_tokens":null)"), 0u);
  EXPECT_EQ(cap(R"("max_tokens":0)"), 0u);
}

TEST(OpenAiChatFacts, MaxOutputTokensSaturatesAt32Bits) {
  auto cap = [](std::string_view extra) {
    return inspect_ok(body(kUser, extra)).max_output_tokens;
  };
  EXPECT_EQ(cap(R"("max_tokens":4294967295)"), 4294967295u);
  EXPECT_EQ(cap(R"("max_tokens":4294967296)"), 4294967295u);
  EXPECT_EQ(cap(R"("max_tokens":123456789012345678901234567890)"), 4294967295u);
}

struct FactError {
  std::string extra;  // members after `messages`
  std::string param;
  std::string code;
  std::string message_part;
};

TEST(OpenAiChatFacts, InvalidFactFieldsAreRejectedNamingTheParam) {
  const std::vector<FactError> cases = {
      {R"("tools":5)", "tools", "invalid_type", "expected an array, but got a number"},
      {R"("tools":{"type":"function"})", "tools", "invalid_type", "but got an object"},
      {R"("functions":"f")", "functions", "invalid_type", "expected an array, but got a string"},
      {R"("parallel_tool_calls":"false")", "parallel_tool_calls", "invalid_type",
       "expected a boolean, but got a string"},
      {R"("parallel_tool_calls":0)", "parallel_tool_calls", "invalid_type", "but got a number"},
      {R"("response_format":"json_object")", "response_format", "invalid_type",
       "expected an object, but got a string"},
      {R"("response_format":[])", "response_format", "invalid_type", "but got an array"},
      {R"("response_format":{"type":5})", "response_format.type", "invalid_type",
       "expected a string, but got a number"},
      {R"("response_format":{"type":null})", "response_format.type", "invalid_type",
       "but got null"},
      {R"("response_format":{"json_schema":{}})", "response_format.type",
       "missing_required_parameter", "Missing required parameter: 'response_format.type'"},
      {R"("reasoning_effort":1)", "reasoning_effort", "invalid_type",
       "expected a string, but got a number"},
      {R"("max_tokens":-1)", "max_tokens", "invalid_value",
       "Invalid 'max_tokens': integer below minimum value. Expected a value >= 0, but got -1 "
       "instead."},
      {R"("max_completion_tokens": -5 )", "max_completion_tokens", "invalid_value",
       "but got -5 instead."},
      {R"("max_tokens":-123456789012345678901234567890)", "max_tokens", "invalid_value",
       "below minimum value"},
      {R"("max_tokens":1.5)", "max_tokens", "invalid_type",
       "Invalid type for 'max_tokens': expected an integer, but got a decimal number instead."},
      {R"("max_completion_tokens":100.0)", "max_completion_tokens", "invalid_type",
       "but got a decimal number"},
      {R"("max_tokens":1e3)", "max_tokens", "invalid_type", "but got a decimal number"},
      {R"("max_completion_tokens":"100")", "max_completion_tokens", "invalid_type",
       "expected an integer, but got a string"},
      {R"("max_tokens":true)", "max_tokens", "invalid_type", "but got a boolean"},
  };
  for (const FactError& c : cases) {
    std::string b = body(kUser, c.extra);
    auto result = inspect_chat_request(b);
    ASSERT_FALSE(result.ok()) << b;
    const Error& e = result.error();
    EXPECT_EQ(e.kind, ErrorKind::invalid_request) << b;
    EXPECT_EQ(e.param, c.param) << b;
    EXPECT_EQ(e.code, c.code) << b;
    EXPECT_NE(e.message.find(c.message_part), std::string::npos) << b << "\n  " << e.message;
  }
}

TEST(OpenAiChatFacts, RoutingErrorsComeBeforeFactErrors) {
  auto result = inspect_chat_request(R"({"model":5,"messages":[{"role":"user"}],"tools":5})");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().param, "model");
}

TEST(OpenAiChatFacts, MalformedJsonInFactsIsRejectedWithoutParam) {
  for (std::string extra :
       {R"("tools":[1 2])", R"("max_tokens":01)", R"("max_tokens":-)",
        R"("response_format":{"type":"json_object",})", R"("max_tokens":1e999)"}) {
    auto result = inspect_chat_request(body(kUser, extra));
    ASSERT_FALSE(result.ok()) << extra;
    EXPECT_TRUE(result.error().param.empty()) << extra;
    EXPECT_NE(result.error().message.find("not valid JSON"), std::string::npos) << extra;
  }
}

}  // namespace
}  // namespace tollbooth::openai
