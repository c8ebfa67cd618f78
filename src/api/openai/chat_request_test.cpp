#include "api/openai/chat_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tollbooth::openai {
namespace {

constexpr std::string_view kTypical =
    R"({"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},)"
    R"({"role":"user","content":"Hi"}],"stream":true,"temperature":0.2})";

std::string_view slice(std::string_view body, Span span) {
  return body.substr(span.begin, span.end - span.begin);
}

ChatInspection inspect_ok(std::string_view body) {
  auto result = inspect_chat_request(body);
  EXPECT_TRUE(result.ok()) << body << "\n  -> " << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : ChatInspection{};
}

Error inspect_err(std::string_view body) {
  auto result = inspect_chat_request(body);
  EXPECT_FALSE(result.ok()) << body;
  return result.ok() ? Error{} : result.error();
}

TEST(OpenAiChatRequest, ExtractsRoutingFactsFromTypicalBody) {
  ChatInspection facts = inspect_ok(kTypical);
  EXPECT_EQ(facts.model, "gpt-4o");
  EXPECT_TRUE(facts.stream);
  EXPECT_FALSE(facts.include_usage);
  EXPECT_EQ(facts.message_count, 2u);
  EXPECT_EQ(slice(kTypical, facts.model_value), R"("gpt-4o")");
  EXPECT_TRUE(facts.stream_options_value.empty());
  EXPECT_TRUE(facts.include_usage_value.empty());
  EXPECT_EQ(facts.object_end, kTypical.size() - 1);
}

TEST(OpenAiChatRequest, StreamDefaultsToFalse) {
  ChatInspection facts = inspect_ok(R"({"model":"m","messages":[{"role":"user","content":"x"}]})");
  EXPECT_FALSE(facts.stream);
  EXPECT_FALSE(facts.include_usage);
}

TEST(OpenAiChatRequest, SpansAreExactDespiteWhitespaceEverywhere) {
  std::string body =
      " \n{ \"messages\" :\t[ { \"role\" : \"user\" , \"content\" : \"hi\" } ] ,\r\n"
      "  \"model\"\t:\n \"gpt-4o-mini\"  ,\n  \"stream_options\" : {\n   \"include_usage\" :"
      "  true \n } ,\n \"stream\" : true\n}\n\t ";
  ChatInspection facts = inspect_ok(body);
  EXPECT_EQ(facts.model, "gpt-4o-mini");
  EXPECT_EQ(slice(body, facts.model_value), "\"gpt-4o-mini\"");
  EXPECT_EQ(slice(body, facts.stream_options_value), "{\n   \"include_usage\" :  true \n }");
  EXPECT_EQ(slice(body, facts.include_usage_value), "true");
  EXPECT_TRUE(facts.include_usage);
  EXPECT_EQ(body[facts.object_end], '}');
  EXPECT_EQ(body.find_last_of('}'), facts.object_end);
}

TEST(OpenAiChatRequest, StreamOptionsNullIsAcceptedAndSpanned) {
  std::string body =
      R"({"model":"m","stream":true,"stream_options": null ,"messages":[{"role":"user"}]})";
  ChatInspection facts = inspect_ok(body);
  EXPECT_EQ(slice(body, facts.stream_options_value), "null");
  EXPECT_FALSE(facts.include_usage);
  EXPECT_TRUE(facts.include_usage_value.empty());
}

TEST(OpenAiChatRequest, StreamOptionsWithoutIncludeUsage) {
  std::string body =
      R"({"model":"m","stream_options":{"include_obfuscation":false},"messages":[{"role":"user"}]})";
  ChatInspection facts = inspect_ok(body);
  EXPECT_EQ(slice(body, facts.stream_options_value), R"({"include_obfuscation":false})");
  EXPECT_TRUE(facts.include_usage_value.empty());
  EXPECT_FALSE(facts.include_usage);
}

TEST(OpenAiChatRequest, EscapedModelIsUnescapedButSpanKeepsRawToken) {
  std::string body = R"({"model":"gpt\u002d4o\/x","messages":[{"role":"user"}]})";
  ChatInspection facts = inspect_ok(body);
  EXPECT_EQ(facts.model, "gpt-4o/x");
  EXPECT_EQ(slice(body, facts.model_value), R"("gpt\u002d4o\/x")");
}

TEST(OpenAiChatRequest, DuplicateKeysTakeTheLastValue) {
  std::string body =
      R"({"model":"first","stream":false,"messages":[{"role":"user"}],"model":"second",)"
      R"("stream":true})";
  ChatInspection facts = inspect_ok(body);
  EXPECT_EQ(facts.model, "second");
  EXPECT_TRUE(facts.stream);
  EXPECT_EQ(facts.model_value.begin, body.rfind("\"second\""));
}

TEST(OpenAiChatRequest, LaterDuplicateOverridesAnEarlierInvalidValue) {
  ChatInspection facts =
      inspect_ok(R"({"model":5,"messages":"x","model":"m","messages":[{"role":"tool"}]})");
  EXPECT_EQ(facts.model, "m");
  EXPECT_EQ(facts.message_count, 1u);
}

// An upstream unescapes keys, so "mod\u0065l" is `model` to it: routing on an earlier plain
// `model` would bill and route one model while the upstream serves another.
TEST(OpenAiChatRequest, EscapedKeyCountsAsTheSameKey) {
  std::string body = R"({"model":"cheap","messages":[{"role":"user"}],"mod\u0065l":"expensive"})";
  ChatInspection facts = inspect_ok(body);
  EXPECT_EQ(facts.model, "expensive");
  EXPECT_EQ(slice(body, facts.model_value), "\"expensive\"");
}

TEST(OpenAiChatRequest, AcceptsEveryKnownRole) {
  std::string body =
      R"({"model":"m","messages":[{"role":"system"},{"role":"developer"},{"role":"user"},)"
      R"({"role":"assistant","content":null,"tool_calls":[]},{"role":"tool","tool_call_id":"c"},)"
      R"({"role":"function","name":"f"}]})";
  EXPECT_EQ(inspect_ok(body).message_count, 6u);
}

TEST(OpenAiChatRequest, AcceptsValidJsonThatStrictParsersMightRefuse) {
  // Integers beyond 64 bits and lone surrogates are valid JSON that OpenAI's parser takes.
  inspect_ok(R"({"model":"m","seed":123456789012345678901234567890,)"
             R"("messages":[{"role":"user","content":"half an emoji \ud83d"}]})");
}

TEST(OpenAiChatRequest, DeeplyNestedToolSchemaIsAccepted) {
  std::string schema(300, '[');
  schema += std::string(300, ']');
  std::string body = R"({"model":"m","tools":)" + schema + R"(,"messages":[{"role":"user"}]})";
  EXPECT_EQ(inspect_ok(body).model, "m");
}

// Hostile nesting must not recurse once per level: beyond a fixed depth values are skipped.
TEST(OpenAiChatRequest, AbsurdNestingDoesNotExhaustTheStack) {
  std::string body = R"({"model":"m","messages":[{"role":"user"}],"x":)" +
                     std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(inspect_ok(body).model, "m");
}

TEST(OpenAiChatRequest, ReadsNothingPastTheGivenView) {
  std::string storage = std::string(kTypical) + R"(,"model":"evil"} trailing)";
  ChatInspection facts = inspect_ok(std::string_view(storage).substr(0, kTypical.size()));
  EXPECT_EQ(facts.model, "gpt-4o");
  EXPECT_EQ(facts.object_end, kTypical.size() - 1);
}

TEST(OpenAiChatRequest, MalformedJsonIsRejectedWithoutParam) {
  const std::vector<std::string> bodies = {
      "",
      "   ",
      "{",
      R"({"model":"m","messages":[{"role":"user"}])",
      R"({"model":"m","messages":[{"role":"user"}]} trailing)",
      R"({"model":"m","messages":[{"role":"user"}]}{})",
      R"({"model":"m","messages":[{"role":"user","content":tru}]})",
      R"({"model":"m","messages":[{"role":"user","content":"x" "name":"y"}]})",
      R"({"model":"m","messages":[{"role":"user"}],"temperature":01})",
      R"({"model":"m","messages":[{"role":"user"}],"n":nul})",
      R"({"model":"m","messages":[{"role":"user"}],"stop":["a",]})",
      R"({"model":"m","messages":[{"role":"user"}],"x":[}})",
      R"({"model":"m","messages":[{"role":"user","content":"unterminated}]})",
      "{\"model\":\"m\xff\",\"messages\":[{\"role\":\"user\"}]}",
      R"({model:"m"})",
  };
  for (const std::string& body : bodies) {
    Error e = inspect_err(body);
    EXPECT_EQ(e.kind, ErrorKind::invalid_request) << body;
    EXPECT_NE(e.message.find("not valid JSON"), std::string::npos) << body << " -> " << e.message;
    EXPECT_TRUE(e.param.empty()) << body;
  }
}

TEST(OpenAiChatRequest, NonObjectBodyIsRejected) {
  for (std::string body : {"[1,2]", R"("model")", "42", "null"}) {
    Error e = inspect_err(body);
    EXPECT_EQ(e.kind, ErrorKind::invalid_request);
    EXPECT_NE(e.message.find("JSON object"), std::string::npos) << e.message;
  }
}

struct FieldCase {
  std::string body;
  std::string param;
  std::string message_part;
};

TEST(OpenAiChatRequest, FieldErrorsNameTheParam) {
  const std::string msgs = R"("messages":[{"role":"user","content":"x"}])";
  const std::vector<FieldCase> cases = {
      {"{" + msgs + "}", "model", "Missing required parameter: 'model'"},
      {R"({"model":5,)" + msgs + "}", "model", "expected a string, but got a number"},
      {R"({"model":null,)" + msgs + "}", "model", "but got null"},
      {R"({"model":"",)" + msgs + "}", "model", "empty string"},
      {R"({"model":"m"})", "messages", "Missing required parameter: 'messages'"},
      {R"({"model":"m","messages":{}})", "messages", "expected an array, but got an object"},
      {R"({"model":"m","messages":[]})", "messages", "empty array"},
      {R"({"model":"m","messages":[{"role":"user"},5]})", "messages[1]", "expected an object"},
      {R"({"model":"m","messages":[{"role":"user"},{"role":"user"},{"content":"x"}]})",
       "messages[2].role", "Missing required parameter: 'messages[2].role'"},
      {R"({"model":"m","messages":[{"role":"robot"}]})", "messages[0].role", "'robot'"},
      {R"({"model":"m","messages":[{"role":7}]})", "messages[0].role", "expected a string"},
      {R"({"model":"m","messages":[{"role":"User"}]})", "messages[0].role", "Invalid value"},
      {R"({"model":"m",)" + msgs + R"(,"stream":"true"})", "stream", "expected a boolean"},
      {R"({"model":"m",)" + msgs + R"(,"stream":1})", "stream", "expected a boolean"},
      {R"({"model":"m",)" + msgs + R"(,"stream_options":5})", "stream_options",
       "expected an object or null"},
      {R"({"model":"m",)" + msgs + R"(,"stream_options":[]})", "stream_options",
       "expected an object or null"},
      {R"({"model":"m",)" + msgs + R"(,"stream_options":{"include_usage":"yes"}})",
       "stream_options.include_usage", "expected a boolean, but got a string"},
  };
  for (const FieldCase& c : cases) {
    Error e = inspect_err(c.body);
    EXPECT_EQ(e.kind, ErrorKind::invalid_request) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body;
    EXPECT_NE(e.message.find(c.message_part), std::string::npos)
        << c.body << "\n  message: " << e.message;
  }
}

TEST(OpenAiChatRequest, FieldErrorsCarryOpenAiCodes) {
  EXPECT_EQ(inspect_err(R"({"messages":[{"role":"user"}]})").code, "missing_required_parameter");
  EXPECT_EQ(inspect_err(R"({"model":1,"messages":[{"role":"user"}]})").code, "invalid_type");
  EXPECT_EQ(inspect_err(R"({"model":"m","messages":[]})").code, "empty_array");
  EXPECT_EQ(inspect_err(R"({"model":"m","messages":[{"role":"x"}]})").code, "invalid_value");
}

TEST(OpenAiChatRequest, ReportsTheFirstBadMessageOnly) {
  Error e = inspect_err(R"({"model":"m","messages":[{"role":"user"},{"role":"x"},{}]})");
  EXPECT_EQ(e.param, "messages[1].role");
}

TEST(OpenAiChatRequest, MalformedJsonWinsOverFieldErrors) {
  Error e = inspect_err(R"({"model":5,"messages":[{"role":"user"}],"x":[1 2]})");
  EXPECT_TRUE(e.param.empty());
  EXPECT_NE(e.message.find("not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace tollbooth::openai
