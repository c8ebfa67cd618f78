#include "providers/bedrock_response.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "api/openai/errors.hpp"
#include "testing/test_files.hpp"

namespace tb = tollbooth;
namespace bd = tollbooth::bedrock;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path kGolden = fs::path(TOLLBOOTH_SOURCE_DIR) / "tests" / "golden" / "bedrock";

using tollbooth::testdata::read_file;

bd::ReplyOptions options(std::string_view json_tool = {}) {
  bd::ReplyOptions o;
  o.client_model = "claude-sonnet";
  o.response_id = "chatcmpl-0001";
  o.created = 1767225600;
  o.json_tool = json_tool;
  return o;
}

bd::ChatReply reply(std::string_view converse, std::string_view json_tool = {}) {
  auto r = bd::chat_completion_from_converse(converse, options(json_tool));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().detail);
  return r.ok() ? std::move(r).value() : bd::ChatReply{};
}

json::value message_of(const bd::ChatReply& r) {
  return json::parse(r.body).at("choices").at(0).at("message");
}

}  // namespace

TEST(OpenAiBedrock, MapsATextAnswerToAChatCompletion) {
  auto r = reply(
      R"({"output":{"message":{"role":"assistant","content":[{"text":"Hel"},{"text":"lo \"you\""}]}},)"
      R"("stopReason":"end_turn","usage":{"inputTokens":9,"outputTokens":2,"totalTokens":11},)"
      R"("metrics":{"latencyMs":120}})");
  EXPECT_EQ(
      r.body,
      R"({"id":"chatcmpl-0001","object":"chat.completion","created":1767225600,"model":"claude-sonnet",)"
      R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello \"you\"","refusal":null,)"
      R"("annotations":[]},"logprobs":null,"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,)"
      R"("prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":0,"audio_tokens":0},)"
      R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,)"
      R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}})");
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_TRUE(r.usage.reported);
}

TEST(OpenAiBedrock, MapsToolUseToToolCallsWithArgumentsAsWritten) {
  auto r = reply(
      R"({"stopReason":"tool_use","output":{"message":{"content":[)"
      R"({"toolUse":{"input":{ "city" : "Paris", "days": 1.50, "big": 123456789012345678901234567890 },)"
      R"("name":"get_weather","toolUseId":"tooluse_a"}},)"
      R"({"toolUse":{"toolUseId":"tooluse_b","name":"get_time","input":{}}}],"role":"assistant"}}})");
  EXPECT_EQ(
      json::serialize(message_of(r)),
      R"({"role":"assistant","content":null,"refusal":null,"annotations":[],"tool_calls":[)"
      R"({"id":"tooluse_a","type":"function","function":{"name":"get_weather",)"
      R"("arguments":"{\"city\":\"Paris\",\"days\":1.50,\"big\":123456789012345678901234567890}"}},)"
      R"({"id":"tooluse_b","type":"function","function":{"name":"get_time","arguments":"{}"}}]})");
  EXPECT_EQ(r.finish_reason, "tool_calls");
  EXPECT_FALSE(r.usage.reported);
  EXPECT_EQ(r.body.find("\"usage\""), std::string::npos);
}

TEST(OpenAiBedrock, KeepsTextBesideToolCalls) {
  auto r = reply(
      R"({"output":{"message":{"role":"assistant","content":[{"text":"Checking."},)"
      R"({"toolUse":{"toolUseId":"t1","name":"f","input":{"a":1}}}]}},"stopReason":"tool_use"})");
  auto m = message_of(r);
  EXPECT_EQ(m.at("content"), "Checking.");
  EXPECT_EQ(m.at("tool_calls").at(0).at("function").at("arguments"), R"({"a":1})");
}

TEST(OpenAiBedrock, MapsStopReasonsToFinishReasons) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"end_turn", "stop"},
      {"stop_sequence", "stop"},
      {"max_tokens", "length"},
      {"model_context_window_exceeded", "length"},
      {"tool_use", "tool_calls"},
      {"guardrail_intervened", "content_filter"},
      {"content_filtered", "content_filter"},
      {"malformed_model_output", "stop"},
      {"malformed_tool_use", "stop"},
      {"something_new", "stop"},
      {"", "stop"},
  };
  for (auto [stop, finish] : cases) {
    EXPECT_EQ(bd::finish_reason_from_stop(stop), finish) << stop;
    auto r =
        reply(R"({"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"t",)"
              R"("name":"f","input":{}}}]}},"stopReason":")" +
              std::string(stop) + "\"}");
    EXPECT_EQ(
        std::string_view(json::parse(r.body).at("choices").at(0).at("finish_reason").as_string()),
        finish)
        << stop;
  }
}

TEST(OpenAiBedrock, MapsUsageIncludingCacheTokens) {
  auto r = reply(
      R"({"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn",)"
      R"("usage":{"inputTokens":100,"outputTokens":20,"totalTokens":1320,)"
      R"("cacheReadInputTokens":1000,"cacheWriteInputTokens":200}})");
  auto usage = json::parse(r.body).at("usage");
  EXPECT_EQ(usage.at("prompt_tokens"), 1300);
  EXPECT_EQ(usage.at("completion_tokens"), 20);
  EXPECT_EQ(usage.at("total_tokens"), 1320);
  EXPECT_EQ(usage.at("prompt_tokens_details").at("cached_tokens"), 1000);
  EXPECT_EQ(usage.at("prompt_tokens_details").at("cache_write_tokens"), 200);
  EXPECT_EQ(r.usage.input_tokens, 1300);
  EXPECT_EQ(r.usage.output_tokens, 20);
  EXPECT_EQ(r.usage.cached_input_tokens, 1000);
  EXPECT_EQ(r.usage.cache_write_input_tokens, 200);
  EXPECT_EQ(r.usage.reasoning_tokens, 0);
  EXPECT_TRUE(r.usage.reported);
}

TEST(OpenAiBedrock, UsageNullLeavesItUnreportedAndTheAnswerReadable) {
  auto r = reply(
      R"({"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn",)"
      R"("usage":null})");
  EXPECT_FALSE(r.usage.reported);
  EXPECT_EQ(r.body.find("\"usage\""), std::string::npos);
}

TEST(OpenAiBedrock, MalformedUsageNumbersCountAsZeroAndTheSumSaturates) {
  auto r = reply(
      R"({"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn",)"
      R"("usage":{"inputTokens":-5,"outputTokens":"7","cacheReadInputTokens":2.5,)"
      R"("cacheWriteInputTokens":99999999999999999999}})");
  EXPECT_TRUE(r.usage.reported);
  EXPECT_EQ(r.usage.input_tokens, 0);
  EXPECT_EQ(r.usage.output_tokens, 0);
  EXPECT_EQ(r.usage.cached_input_tokens, 0);
  EXPECT_EQ(r.usage.cache_write_input_tokens, 0);
  auto huge = reply(
      R"({"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn",)"
      R"("usage":{"inputTokens":9223372036854775807,"cacheReadInputTokens":10,"outputTokens":1}})");
  EXPECT_EQ(huge.usage.input_tokens, 9223372036854775807) << "saturated, not negative";
  EXPECT_EQ(huge.usage.cached_input_tokens, 10);
}

TEST(OpenAiBedrock, ReturnsTheResponseFormatToolInputAsContent) {
  auto converse =
      R"({"output":{"message":{"role":"assistant","content":[{"text":"Here you go:"},)"
      R"({"toolUse":{"toolUseId":"t1","name":"person","input":{"name":"Ada","born":1815}}}]}},)"
      R"("stopReason":"tool_use"})";
  auto r = reply(converse, "person");
  auto m = message_of(r);
  EXPECT_EQ(m.at("content"), R"({"name":"Ada","born":1815})");
  EXPECT_EQ(m.as_object().if_contains("tool_calls"), nullptr);
  EXPECT_EQ(r.finish_reason, "stop");
  // Without the option the same answer is an ordinary tool call.
  EXPECT_EQ(reply(converse).finish_reason, "tool_calls");
}

TEST(OpenAiBedrock, ExposesReasoningAsReasoningContent) {
  auto r = reply(
      R"({"output":{"message":{"role":"assistant","content":[)"
      R"({"reasoningContent":{"reasoningText":{"text":"Think","signature":"sig"}}},)"
      R"({"reasoningContent":{"redactedContent":"AAAA"}},{"text":"Answer"}]}},"stopReason":"end_turn"})");
  auto m = message_of(r);
  EXPECT_EQ(m.at("content"), "Answer");
  EXPECT_EQ(m.at("reasoning_content"), "Think");
}

TEST(OpenAiBedrock, AnswersAnEmptyMessageWithEmptyContent) {
  auto r = reply(
      R"({"output":{"message":{"role":"assistant","content":[]}},"stopReason":"max_tokens"})");
  EXPECT_EQ(message_of(r).at("content"), "");
  EXPECT_EQ(r.finish_reason, "length");
}

TEST(OpenAiBedrock, RejectsAnUnreadableConverseBodyAsRetryable) {
  for (std::string_view body : {"", "not json", "[]", R"({"stopReason":"end_turn"})",
                                R"({"output":{"message":{"content":"text"}}})"}) {
    auto r = bd::chat_completion_from_converse(body, options());
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().kind, tb::ErrorKind::bad_gateway);
    EXPECT_TRUE(r.error().retryable);
  }
}

// ---- errors (PROTOCOLS.md §5.5) ----------------------------------------------------------------

TEST(OpenAiBedrock, MapsBedrockExceptionsToErrors) {
  struct Case {
    std::string_view name;
    int status;
    int http;
    bool retryable;
    std::string_view code;
  };
  const Case cases[] = {
      {"ValidationException", 400, 400, false, ""},
      {"ServiceQuotaExceededException", 400, 429, true, "insufficient_quota"},
      {"AccessDeniedException", 403, 502, true, ""},
      {"ResourceNotFoundException", 404, 404, true, "model_not_found"},
      {"ModelTimeoutException", 408, 504, true, ""},
      {"ModelErrorException", 424, 502, true, ""},
      {"ThrottlingException", 429, 429, true, "rate_limit_exceeded"},
      {"ModelNotReadyException", 429, 503, true, ""},
      {"InternalServerException", 500, 502, true, ""},
      {"ServiceUnavailableException", 503, 503, true, ""},
      {"UnrecognizedClientException", 403, 502, true, ""},
      {"ExpiredTokenException", 403, 502, true, ""},
  };
  for (const auto& c : cases) {
    auto e = bd::error_from_bedrock(c.status, c.name, R"({"message":"boom"})");
    EXPECT_EQ(tb::http_status(e.kind), c.http) << c.name;
    EXPECT_EQ(e.retryable, c.retryable) << c.name;
    EXPECT_EQ(e.code, c.code) << c.name;
    EXPECT_NE(e.detail.find(c.name), std::string::npos) << e.detail;
    EXPECT_NE(e.detail.find("boom"), std::string::npos) << e.detail;
  }
}

TEST(OpenAiBedrock, PassesValidationMessagesBackToTheClient) {
  auto e = bd::error_from_bedrock(
      400, "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      R"({"message":"messages.1.content: text field is blank"})");
  EXPECT_EQ(e.kind, tb::ErrorKind::invalid_request);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.message, "messages.1.content: text field is blank");
  EXPECT_EQ(
      tb::openai::error_body(e),
      R"({"error":{"message":"messages.1.content: text field is blank","type":"invalid_request_error",)"
      R"("param":null,"code":null}})");
}

TEST(OpenAiBedrock, KeepsCredentialAndPermissionDetailsInternal) {
  auto e = bd::error_from_bedrock(
      403, "AccessDeniedException",
      R"({"Message":"User: arn:aws:iam::123456789012:user/gw is not authorized to perform: bedrock:InvokeModel"})");
  EXPECT_EQ(e.message.find("123456789012"), std::string::npos);
  EXPECT_NE(e.detail.find("123456789012"), std::string::npos);
}

TEST(OpenAiBedrock, FindsTheExceptionNameInTheBodyWhenTheHeaderIsMissing) {
  EXPECT_EQ(
      bd::error_from_bedrock(
          400, "", R"({"__type":"com.amazon.coral.service#ThrottlingException","message":"slow"})")
          .kind,
      tb::ErrorKind::rate_limited);
  EXPECT_EQ(bd::error_from_bedrock(400, "", R"({"code":"ModelNotReadyException"})").kind,
            tb::ErrorKind::unavailable);
  // Unknown names fall back to the HTTP status.
  EXPECT_EQ(bd::error_from_bedrock(429, "", "").kind, tb::ErrorKind::rate_limited);
  EXPECT_TRUE(bd::error_from_bedrock(502, "", "<html>").retryable);
  auto e = bd::error_from_bedrock(422, "SomethingNewException", R"({"message":"nope"})");
  EXPECT_EQ(e.kind, tb::ErrorKind::invalid_request);
  EXPECT_EQ(e.message, "nope");
  EXPECT_FALSE(bd::error_from_bedrock(400, "", "").message.empty());
}

TEST(OpenAiBedrock, MarksAnOverlongPromptAsContextLengthExceeded) {
  auto e = bd::error_from_bedrock(400, "ValidationException",
                                  R"({"message":"Input is too long for requested model."})");
  EXPECT_EQ(e.code, "context_length_exceeded");
  EXPECT_EQ(bd::error_from_bedrock(400, "ValidationException", R"({"message":"bad"})").code, "");
}

TEST(OpenAiBedrock, MapsStreamExceptionFrames) {
  auto e = bd::error_from_stream_exception(
      "throttlingException",
      R"({"message":"Too many requests, please wait before trying again."})");
  EXPECT_EQ(e.kind, tb::ErrorKind::rate_limited);
  EXPECT_TRUE(e.retryable);
  EXPECT_EQ(e.code, "rate_limit_exceeded");
  EXPECT_EQ(
      bd::error_from_stream_exception("validationException", R"({"message":"bad input"})").message,
      "bad input");
  EXPECT_EQ(bd::error_from_stream_exception("modelStreamErrorException", R"({"message":"x"})").kind,
            tb::ErrorKind::bad_gateway);
  EXPECT_EQ(bd::error_from_stream_exception("serviceUnavailableException", "{}").kind,
            tb::ErrorKind::unavailable);
  EXPECT_EQ(bd::error_from_stream_exception("internalServerException", "").kind,
            tb::ErrorKind::bad_gateway);
}

// ---- golden pairs ----------------------------------------------------------------------------

TEST(OpenAiBedrock, TranslatesGoldenResponses) {
  const std::pair<std::string, std::string_view> cases[] = {
      {"response-tool-use", ""},
      {"response-json-schema", "person"},
      {"response-cached-text", ""},
  };
  for (const auto& [name, json_tool] : cases) {
    SCOPED_TRACE(name);
    auto r = reply(read_file(kGolden / (name + ".converse.json")), json_tool);
    EXPECT_EQ(json::parse(r.body), json::parse(read_file(kGolden / (name + ".openai.json"))))
        << r.body;
  }
}
