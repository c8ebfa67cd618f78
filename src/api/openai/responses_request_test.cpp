#include "api/openai/responses_request.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tollbooth::openai {
namespace {

using ::testing::HasSubstr;

ChatInspection ok(std::string_view body) {
  auto r = inspect_responses_request(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : ChatInspection{};
}

Error refused(std::string_view body) {
  auto r = inspect_responses_request(body);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? Error{} : r.error();
}

TEST(ResponsesRequest, ReadsModelStreamAndTheModelsSpan) {
  const std::string body = R"({"input":"hello","model":"gpt-5","stream":true})";
  ChatInspection f = ok(body);
  EXPECT_EQ(f.model, "gpt-5");
  EXPECT_TRUE(f.stream);
  EXPECT_TRUE(f.include_usage) << "a Responses answer always carries its usage";
  EXPECT_EQ(body.substr(f.model_value.begin, f.model_value.end - f.model_value.begin), "\"gpt-5\"");
  EXPECT_EQ(body[f.object_end], '}');
  EXPECT_TRUE(f.needs.has(Capability::responses_api));
  EXPECT_EQ(f.message_count, 1u);
}

TEST(ResponsesRequest, FactsForRouting) {
  ChatInspection f = ok(R"({"model":"m","input":[
    {"role":"user","content":[{"type":"input_text","text":"look"},
                               {"type":"input_image","image_url":"https://x/y.png"}]},
    {"type":"function_call","call_id":"c1","name":"f","arguments":"{\"a\":1}"},
    {"type":"function_call_output","call_id":"c1","output":"done"}],
    "tools":[{"type":"function","name":"f","parameters":{}}],
    "text":{"format":{"type":"json_schema","name":"x","schema":{}}},
    "reasoning":{"effort":"high"},"max_output_tokens":300})");
  EXPECT_TRUE(f.needs.has(Capability::vision));
  EXPECT_TRUE(f.needs.has(Capability::tools));
  EXPECT_TRUE(f.needs.has(Capability::parallel_tools));
  EXPECT_TRUE(f.needs.has(Capability::json_schema));
  EXPECT_TRUE(f.needs.has(Capability::reasoning));
  EXPECT_EQ(f.max_output_tokens, 300u);
  EXPECT_EQ(f.message_count, 3u);
  // 765 for the image, 4 per item, and the text bytes / 4.
  EXPECT_GT(f.estimated_input_tokens, 765u + 12u);

  ChatInspection serial = ok(R"({"model":"m","input":"x","tools":[{"type":"custom","name":"p"}],
                                 "parallel_tool_calls":false})");
  EXPECT_TRUE(serial.needs.has(Capability::tools));
  EXPECT_FALSE(serial.needs.has(Capability::parallel_tools));
  EXPECT_FALSE(ok(R"({"model":"m","input":"x","tools":[]})").needs.has(Capability::tools));
}

TEST(ResponsesRequest, RefusesWhatItCannotRouteWithTheParamNamed) {
  EXPECT_EQ(refused(R"({"input":"x"})").param, "model");
  EXPECT_EQ(refused(R"({"model":7,"input":"x"})").param, "model");
  EXPECT_EQ(refused(R"({"model":"","input":"x"})").code, "empty_string");
  EXPECT_EQ(refused(R"({"model":"m","input":42})").param, "input");
  EXPECT_EQ(refused(R"({"model":"m","stream":"yes"})").param, "stream");
  EXPECT_EQ(refused(R"({"model":"m","max_output_tokens":-1})").param, "max_output_tokens");
  EXPECT_EQ(refused(R"({"model":"m","max_output_tokens":1.5})").code, "invalid_type");
  EXPECT_THAT(refused(R"({"model":"m",)").message, HasSubstr("not valid JSON"));
  EXPECT_EQ(refused(R"([1])").code, "invalid_type");
}

TEST(ResponsesRequest, DuplicateKeysAreRefusedWhereTheyWouldChangeTheAnswer) {
  Error e = refused(R"({"model":"a","input":"x","model":"b"})");
  EXPECT_EQ(e.code, "duplicate_key");
  EXPECT_EQ(e.param, "model");
  EXPECT_EQ(
      refused(R"({"model":"a","input":[{"role":"user","role":"system","content":"x"}]})").param,
      "input[0].role");
  EXPECT_EQ(
      refused(R"({"model":"a","text":{"format":{"type":"text","type":"json_schema"}}})").param,
      "text.format.type");
  EXPECT_EQ(
      refused(
          R"({"model":"a","input":[{"role":"user","content":[{"type":"input_text","text":"a","text":"b"}]}]})")
          .param,
      "input[0].content[0].text");
}

TEST(ResponsesRequest, InputMayBeAbsentWhenAPreviousResponseCarriesIt) {
  ChatInspection f = ok(R"({"model":"m","previous_response_id":"resp_1"})");
  EXPECT_EQ(f.message_count, 0u);
  EXPECT_EQ(f.previous_response_id, "resp_1");
}

TEST(ResponsesRequest, StoreIsOnUnlessTheRequestSaysFalse) {
  EXPECT_TRUE(ok(R"({"model":"m","input":"x"})").store);
  EXPECT_TRUE(ok(R"({"model":"m","input":"x","store":null})").store);
  EXPECT_TRUE(ok(R"({"model":"m","input":"x","store":true})").store);
  EXPECT_FALSE(ok(R"({"model":"m","input":"x","store":false})").store);
  EXPECT_EQ(refused(R"({"model":"m","input":"x","store":"no"})").param, "store");
  EXPECT_TRUE(ok(R"({"model":"m","input":"x"})").previous_response_id.empty());
}

TEST(ResponsesRequest, APreviousResponseIdMustLookLikeOne) {
  for (const char* body :
       {R"({"model":"m","previous_response_id":7})", R"({"model":"m","previous_response_id":""})",
        R"({"model":"m","previous_response_id":"resp 1"})",
        R"({"model":"m","previous_response_id":"resp_\u00e9"})"}) {
    EXPECT_EQ(refused(body).param, "previous_response_id") << body;
  }
  const std::string long_id =
      R"({"model":"m","previous_response_id":")" + std::string(257, 'a') + R"("})";
  EXPECT_EQ(refused(long_id).param, "previous_response_id");
}

}  // namespace
}  // namespace tollbooth::openai
