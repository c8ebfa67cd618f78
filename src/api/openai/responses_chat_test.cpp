#include "api/openai/responses_chat.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace tollbooth::openai {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::object chat_of(std::string_view body, bool drop = false) {
  auto r = responses_to_chat(body, "bedrock-us", drop);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? json::parse(r.value().chat_body).as_object() : json::object{};
}

TEST(ResponsesToChat, InstructionsInputItemsAndToolsBecomeTheChatRequest) {
  auto r = responses_to_chat(R"({"model":"claude","instructions":"be brief","stream":true,
    "max_output_tokens":200,"reasoning":{"effort":"low"},
    "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}},
    "tools":[{"type":"function","name":"exec_command","description":"run","parameters":{"type":"object"}},
             {"type":"custom","name":"apply_patch","description":"patch","format":{"type":"grammar","syntax":"lark","definition":"start: x"}}],
    "tool_choice":"auto","parallel_tool_calls":false,
    "input":[
      {"type":"message","role":"developer","content":[{"type":"input_text","text":"rules"}]},
      {"role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"data:image/png;base64,AAAA"}]},
      {"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"gAAAA"},
      {"type":"function_call","call_id":"c1","name":"exec_command","arguments":"{\"cmd\":\"ls\"}"},
      {"type":"custom_tool_call","call_id":"c2","name":"apply_patch","input":"*** Begin"},
      {"type":"function_call_output","call_id":"c1","output":"a.txt"},
      {"type":"custom_tool_call_output","call_id":"c2","output":"done"}]})",
                             "bedrock-us", false);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value().custom_tools, std::vector<std::string>{"apply_patch"});
  EXPECT_EQ(r.value().dropped, std::vector<std::string>{"input[2] (reasoning)"})
      << "reasoning never goes to another organisation";
  auto c = json::parse(r.value().chat_body).as_object();
  EXPECT_EQ(c.at("model"), "claude");
  EXPECT_EQ(c.at("max_completion_tokens"), 200);
  EXPECT_EQ(c.at("reasoning_effort"), "low");
  EXPECT_EQ(c.at("response_format").at("type"), "json_schema");
  EXPECT_EQ(c.at("response_format").at("json_schema").at("name"), "out");
  EXPECT_EQ(c.at("stream_options").at("include_usage"), true);
  EXPECT_EQ(c.at("parallel_tool_calls"), false);
  const auto& m = c.at("messages").as_array();
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[0].at("role"), "system");
  EXPECT_EQ(m[0].at("content"), "be brief");
  EXPECT_EQ(m[1].at("role"), "developer");
  EXPECT_EQ(m[1].at("content"), "rules");
  EXPECT_EQ(m[2].at("content").as_array()[1].at("type"), "image_url");
  // Both calls in one assistant turn; the custom tool's input as {"input": ...}.
  const auto& calls = m[3].at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].at("id"), "c1");
  EXPECT_EQ(calls[0].at("function").at("arguments"), R"({"cmd":"ls"})");
  EXPECT_EQ(calls[1].at("function").at("arguments"), R"({"input":"*** Begin"})");
  EXPECT_EQ(m[4].at("role"), "tool");
  EXPECT_EQ(m[4].at("tool_call_id"), "c1");
  EXPECT_EQ(m[4].at("content"), "a.txt");
  EXPECT_EQ(m[5].at("tool_call_id"), "c2");
  // Flat tools nested as chat's; the custom one a function of one string.
  const auto& tools = c.at("tools").as_array();
  EXPECT_EQ(tools[0].at("function").at("name"), "exec_command");
  EXPECT_EQ(tools[1].at("function").at("parameters").at("required").as_array()[0], "input");
  EXPECT_THAT(std::string(tools[1].at("function").at("description").as_string()),
              HasSubstr("start: x"));
}

TEST(ResponsesToChat, BuiltInToolsAreRefusedNamingTheRouteOrDroppedWhenItSaysSo) {
  constexpr std::string_view kBody =
      R"({"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":{}},{"type":"web_search"}]})";
  auto refused = responses_to_chat(kBody, "bedrock-us", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().param, "tools[1].type");
  EXPECT_THAT(refused.error().message, HasSubstr("'web_search' cannot run on route bedrock-us"));
  auto dropped = responses_to_chat(kBody, "bedrock-us", true);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped.value().dropped, std::vector<std::string>{"tools[1] (web_search)"});
  EXPECT_EQ(json::parse(dropped.value().chat_body).at("tools").as_array().size(), 1u);

  // An item reference names state the route does not have: refused, or dropped when it says.
  constexpr std::string_view kRef =
      R"({"model":"m","input":[{"role":"user","content":"x"},{"type":"item_reference","id":"msg_1"}]})";
  auto ref = responses_to_chat(kRef, "bedrock-us", false);
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().param, "input[1].type");
  EXPECT_TRUE(responses_to_chat(kRef, "bedrock-us", true).ok());

  auto chained = responses_to_chat(R"({"model":"m","previous_response_id":"resp_1","input":"x"})",
                                   "bedrock-us", true);
  ASSERT_FALSE(chained.ok());
  EXPECT_EQ(chained.error().param, "previous_response_id");
  EXPECT_EQ(chat_of(R"({"model":"m","input":"hi"})").at("messages").as_array()[0].at("content"),
            "hi");
}

// Real tool schemas nest deeper than Boost.JSON's default of 32 levels; past 512 the refusal
// says what it is rather than "not a JSON object".
TEST(ResponsesToChat, DeepSchemasTranslateAndTooDeepIsSaid) {
  auto nested = [](int depth) {
    std::string schema = R"({"type":"object"})";
    for (int i = 0; i < depth; ++i)
      schema = R"({"type":"object","properties":{"x":)" + schema + "}}";
    return R"({"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":)" +
           schema + "}]}";
  };
  auto deep = responses_to_chat(nested(100), "bedrock-us", false);
  ASSERT_TRUE(deep.ok()) << deep.error().message;
  auto too_deep = responses_to_chat(nested(300), "bedrock-us", false);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error().code, "too_deep");
  EXPECT_THAT(too_deep.error().message, HasSubstr("deeper than 512 levels"));
  EXPECT_THAT(too_deep.error().message, HasSubstr("bedrock-us"));
}

TEST(ChatToResponse, AWholeCompletionBecomesTheResponseObject) {
  auto r = chat_completion_to_response(
      R"({"id":"chatcmpl-1","object":"chat.completion","created":5,"model":"claude",
          "choices":[{"index":0,"message":{"role":"assistant","content":"hello",
             "tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},
                           {"id":"t2","type":"function","function":{"name":"apply_patch","arguments":"{\"input\":\"*** P\"}"}}]},
             "finish_reason":"tool_calls"}],
          "usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,
                   "prompt_tokens_details":{"cached_tokens":6}}})",
      "resp_x", {"apply_patch"});
  ASSERT_TRUE(r);
  auto v = json::parse(*r).as_object();
  EXPECT_EQ(v.at("id"), "resp_x");
  EXPECT_EQ(v.at("status"), "completed");
  const auto& out = v.at("output").as_array();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].at("content").as_array()[0].at("text"), "hello");
  EXPECT_EQ(out[1].at("type"), "function_call");
  EXPECT_EQ(out[1].at("call_id"), "t1");
  EXPECT_EQ(out[2].at("type"), "custom_tool_call");
  EXPECT_EQ(out[2].at("input"), "*** P");
  EXPECT_EQ(v.at("usage").at("input_tokens"), 10);
  EXPECT_EQ(v.at("usage").at("input_tokens_details").at("cached_tokens"), 6);

  auto cut = chat_completion_to_response(
      R"({"choices":[{"message":{"content":"a b"},"finish_reason":"length"}]})", "r", {});
  ASSERT_TRUE(cut);
  auto c = json::parse(*cut).as_object();
  EXPECT_EQ(c.at("status"), "incomplete");
  EXPECT_EQ(c.at("incomplete_details").at("reason"), "max_output_tokens");
  EXPECT_FALSE(chat_completion_to_response(R"({"error":{}})", "r", {}));
}

// The events of a Responses stream, by type, and the parsed terminal event.
struct Events {
  std::vector<std::string> types;
  json::object last;
};
Events parse_events(const std::string& sse) {
  Events e;
  std::int64_t seq = -1;
  std::size_t at = 0;
  while (true) {
    const auto d = sse.find("data: ", at);
    if (d == std::string::npos) break;
    const auto end = sse.find("\n\n", d);
    auto v = json::parse(sse.substr(d + 6, end - d - 6)).as_object();
    EXPECT_GT(v.at("sequence_number").as_int64(), seq);
    seq = v.at("sequence_number").as_int64();
    e.types.push_back(std::string(v.at("type").as_string()));
    e.last = v;
    at = end;
  }
  return e;
}

TEST(ChatToResponsesStream, TextAndACallStreamAsItemsWithOneTerminalEvent) {
  ChatToResponsesStream s("resp_s", "claude", {"apply_patch"});
  std::string out;
  const std::string chat =
      R"(data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"content":"lo"}}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"f","arguments":""}}]}}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]}}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"t2","type":"function","function":{"name":"apply_patch","arguments":"{\"input\":\"*** P\"}"}}]}}]})"
      "\n\n"
      R"(data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"
      "\n\n"
      R"(data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}})"
      "\n\n"
      "data: [DONE]\n\n";
  // Fed in pieces cut anywhere: the same events.
  for (std::size_t i = 0; i < chat.size(); i += 37)
    s.feed(std::string_view(chat).substr(i, 37), out);
  EXPECT_TRUE(s.done());
  Events e = parse_events(out);
  EXPECT_EQ(e.types.front(), "response.created");
  EXPECT_EQ(std::count(e.types.begin(), e.types.end(), "response.output_item.added"), 3);
  EXPECT_EQ(std::count(e.types.begin(), e.types.end(), "response.output_item.done"), 3);
  EXPECT_EQ(std::count(e.types.begin(), e.types.end(), "response.output_text.delta"), 2);
  EXPECT_EQ(std::count(e.types.begin(), e.types.end(), "response.function_call_arguments.delta"),
            2);
  EXPECT_EQ(std::count(e.types.begin(), e.types.end(), "response.custom_tool_call_input.done"), 1);
  EXPECT_EQ(e.types.back(), "response.completed");
  const auto& resp = e.last.at("response").as_object();
  const auto& output = resp.at("output").as_array();
  ASSERT_EQ(output.size(), 3u);
  EXPECT_EQ(output[0].at("content").as_array()[0].at("text"), "Hello");
  EXPECT_EQ(output[1].at("arguments"), R"({"a":1})");
  EXPECT_EQ(output[2].at("type"), "custom_tool_call");
  EXPECT_EQ(output[2].at("input"), "*** P");
  EXPECT_EQ(resp.at("usage").at("input_tokens"), 9);
  const std::size_t size = out.size();
  s.finish(out);
  EXPECT_EQ(out.size(), size) << "nothing after the terminal event";
}

TEST(ChatToResponsesStream, AHostileToolCallIndexEndsTheStreamInsteadOfSizingAVector) {
  for (const char* index : {"4000000000", "-1", "1024"}) {
    ChatToResponsesStream s("resp_h", "m", {});
    std::string out;
    s.feed(std::string(R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":)") + index +
               R"(,"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]}}]})"
               "\n\n",
           out);
    EXPECT_TRUE(s.done()) << index;
    Events e = parse_events(out);
    EXPECT_EQ(e.types.back(), "response.failed") << index;
  }
  // Every index once (the bound's worth of calls, more arguments for the last): still an
  // answer; one output item more (a message after them): the same failure.
  ChatToResponsesStream many("resp_m", "m", {});
  std::string out;
  std::string chat;
  for (std::size_t i = 0; i < ChatToResponsesStream::kMaxOutputItems; ++i) {
    chat += R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":)" + std::to_string(i) +
            R"(,"id":"t)" + std::to_string(i) +
            R"(","function":{"name":"f","arguments":"{}"}}]}}]})"
            "\n\n";
  }
  chat +=
      R"(data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1023,"function":{"arguments":" "}}]}}]})"
      "\n\n";
  many.feed(chat, out);
  EXPECT_FALSE(many.done()) << "exactly the bound is an answer";
  many.feed(R"(data: {"choices":[{"index":0,"delta":{"content":"and text"}}]})"
            "\n\n",
            out);
  EXPECT_TRUE(many.done());
  EXPECT_EQ(parse_events(out).types.back(), "response.failed");
}

TEST(ChatToResponsesStream, AnEndlessAnswerEndsInResponseFailedAtTheBound) {
  ChatToResponsesStream s("resp_e", "m", {});
  std::string out;
  const std::string piece(64 * 1024, 'a');
  const std::string chunk = R"(data: {"choices":[{"index":0,"delta":{"content":")" + piece +
                            R"("}}]})"
                            "\n\n";
  std::size_t fed = 0;
  while (!s.done() && fed <= ChatToResponsesStream::kMaxAnswerBytes + piece.size()) {
    out.clear();  // the client has taken what was written
    s.feed(chunk, out);
    fed += piece.size();
  }
  EXPECT_TRUE(s.done());
  EXPECT_GT(fed, ChatToResponsesStream::kMaxAnswerBytes);
  EXPECT_THAT(out, HasSubstr("response.failed"));
}

TEST(ChatToResponsesStream, ErrorsAndCutStreamsEndInResponseFailed) {
  ChatToResponsesStream a("resp_a", "m", {});
  std::string out;
  a.feed(
      R"(data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]})"
      "\n\n"
      R"(data: {"error":{"message":"throttled","type":"rate_limit_error","code":"rate_limit_exceeded"}})"
      "\n\n",
      out);
  Events e = parse_events(out);
  EXPECT_EQ(e.types.back(), "response.failed");
  EXPECT_EQ(e.last.at("response").at("error").at("code"), "rate_limit_exceeded");

  ChatToResponsesStream b("resp_b", "m", {});
  std::string out2;
  b.feed(R"(data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]})"
         "\n\n",
         out2);
  b.finish(out2);
  EXPECT_EQ(parse_events(out2).types.back(), "response.failed");

  ChatToResponsesStream c("resp_c", "m", {});
  std::string out3;
  c.feed(R"(data: {"choices":[{"index":0,"delta":{"content":"a b"},"finish_reason":"length"}]})"
         "\n\n"
         "data: [DONE]\n\n",
         out3);
  Events ce = parse_events(out3);
  EXPECT_EQ(ce.types.back(), "response.incomplete");
  EXPECT_EQ(ce.last.at("response").at("incomplete_details").at("reason"), "max_output_tokens");
}

}  // namespace
}  // namespace tollbooth::openai
