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

// `body` is refused as invalid_request, code duplicate_key, with `param` the duplicated key's
// path and the message naming it.
void expect_duplicate_key(std::string_view body, std::string_view param) {
  SCOPED_TRACE(body);
  Error e = inspect_err(body);
  EXPECT_EQ(e.kind, ErrorKind::invalid_request);
  EXPECT_EQ(e.code, "duplicate_key");
  EXPECT_EQ(e.param, param);
  EXPECT_NE(e.message.find("Duplicate key `" + std::string(param) + "`"), std::string::npos)
      << e.message;
}

// Routing on one `model` while the upstream's parser keeps the other would serve a model the
// gateway never allowed.
TEST(OpenAiChatRequest, DuplicateModelKeyIsRefusedNamingTheKey) {
  std::string body =
      R"({"model":"o1-pro","messages":[{"role":"user","content":"Hi"}],"model":"gpt-4o"})";
  Error e = inspect_err(body);
  EXPECT_EQ(e.kind, ErrorKind::invalid_request);
  EXPECT_EQ(e.param, "model");
  EXPECT_EQ(e.code, "duplicate_key");
  EXPECT_EQ(e.message, "Duplicate key `model` in the request body: send each field once.");
}

// An upstream unescapes keys, so "mod\u0065l" is `model` to it.
TEST(OpenAiChatRequest, EscapedDuplicateKeyIsRefusedUnderItsUnescapedName) {
  expect_duplicate_key(R"({"model":"cheap","messages":[{"role":"user"}],"mod\u0065l":"expensive"})",
                       "model");
  expect_duplicate_key(R"({"\u006dodel":"a","model":"b","messages":[{"role":"user"}]})", "model");
}

TEST(OpenAiChatRequest, DuplicateUnknownKeyIsRefused) {
  expect_duplicate_key(R"({"model":"m","user":"a","messages":[{"role":"user"}],"user":"b"})",
                       "user");
  expect_duplicate_key(R"({"model":"m","us\u0065r":"a","messages":[{"role":"user"}],"user":1})",
                       "user");
}

TEST(OpenAiChatRequest, DuplicateInsideStreamOptionsIsRefused) {
  const std::string head = R"({"model":"m","messages":[{"role":"user"}],"stream":true,)";
  expect_duplicate_key(head + R"("stream_options":{"include_usage":false,"include_usage":true}})",
                       "stream_options.include_usage");
  expect_duplicate_key(head + R"("stream_options":{"x":1,"include_usage":true,"x":2}})",
                       "stream_options.x");
  expect_duplicate_key(head + R"("stream_options":null,"stream_options":{}})", "stream_options");
}

TEST(OpenAiChatRequest, DuplicateInsideAMessageIsRefused) {
  expect_duplicate_key(
      R"({"model":"m","messages":[{"role":"user"},{"role":"user","role":"tool"}]})",
      "messages[1].role");
  expect_duplicate_key(
      R"({"model":"m","messages":[{"role":"user","content":"a","name":"x","content":"b"}]})",
      "messages[0].content");
}

// A duplicate makes the body ambiguous, so it is reported before any other field error.
TEST(OpenAiChatRequest, DuplicateIsReportedBeforeOtherFieldErrors) {
  expect_duplicate_key(R"({"model":5,"messages":"x","model":"m","messages":[{"role":"tool"}]})",
                       "model");
  expect_duplicate_key(R"({"messages":[{"role":"robot"}],"stream":1,"stream":true})", "stream");
}

// The first duplicate in the document is the one named.
TEST(OpenAiChatRequest, FirstDuplicateIsTheOneNamed) {
  expect_duplicate_key(
      R"({"model":"m","messages":[{"role":"user","role":"user"}],"model":"n","n":1,"n":2})",
      "messages[0].role");
}

// Keys repeat across objects (every message has a `role`); only a repeat within one object
// is a duplicate.
TEST(OpenAiChatRequest, SameKeyInDifferentObjectsIsNotADuplicate) {
  ChatInspection facts =
      inspect_ok(R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"assistant",)"
                 R"("content":"b"}],"stream":true,"stream_options":{"include_usage":true},)"
                 R"("metadata":{"model":"x","stream":false}})");
  EXPECT_EQ(facts.message_count, 2u);
  EXPECT_TRUE(facts.include_usage);
}

// Objects the gateway does not read (metadata, tool schemas) are the upstream's to judge.
TEST(OpenAiChatRequest, DuplicatesInsideObjectsNotReadHereArePassedOn) {
  inspect_ok(R"({"model":"m","messages":[{"role":"user"}],"metadata":{"k":"a","k":"b"},)"
             R"("tools":[{"type":"function","function":{"name":"f","name":"g"}}]})");
}

// A body of distinct keys n_0, n_1, ... (lengths repeat, which takes the compare path).
std::string body_with_keys(std::size_t count, std::string_view extra = {}) {
  std::string body = R"({"model":"m","messages":[{"role":"user"}])";
  for (std::size_t i = 0; i < count; ++i)
    body += ",\"n_" + std::to_string(i) + "\":" + std::to_string(i);
  return body + std::string(extra) + "}";
}

// Real bodies have 5 to 30 keys. Past the 32 kept inline, keys spill into a hash set; a
// quadratic check would take seconds at 100000.
TEST(OpenAiChatRequest, BodyWithManyDistinctKeysIsAccepted) {
  for (std::size_t count : {20, 30, 31, 32, 33, 200, 100000}) {
    EXPECT_EQ(inspect_ok(body_with_keys(count)).model, "m") << count;
  }
}

TEST(OpenAiChatRequest, DuplicateAmongManyKeysIsStillFound) {
  expect_duplicate_key(body_with_keys(200, R"(,"n_7":0)"), "n_7");
  expect_duplicate_key(body_with_keys(200, R"(,"n_150":0)"), "n_150");
  expect_duplicate_key(body_with_keys(200, R"(,"model":"x")"), "model");
  expect_duplicate_key(body_with_keys(100000, R"(,"n_99999":0)"), "n_99999");
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
