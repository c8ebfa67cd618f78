#include "mock/mock_bedrock.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "aws/eventstream.hpp"
#include "mock/mock_handler.hpp"

namespace tollbooth::mock {
namespace {
namespace json = boost::json;

ConverseAnswer answer_for(std::string_view body) {
  auto in = parse_converse_input(body);
  EXPECT_TRUE(in) << (in ? "" : in.error().message);
  return make_converse_answer("br", in ? *in : ConverseInput{});
}

std::string validation_error(std::string_view body) {
  auto in = parse_converse_input(body);
  EXPECT_FALSE(in);
  return in ? std::string() : in.error().message;
}

constexpr std::string_view kTools =
    R"("toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":{}}}},)"
    R"({"toolSpec":{"name":"get_time","inputSchema":{"json":{}}}}]})";

TEST(MockBedrock, TextAnswerAndUsage) {
  const auto a = answer_for(
      R"({"system":[{"text":"be terse"}],"messages":[{"role":"user","content":[{"text":"hello there"}]}]})");
  ASSERT_EQ(a.blocks.size(), 1u);
  EXPECT_EQ(a.blocks[0].text, "br says: hello there");
  EXPECT_EQ(a.stop_reason, "end_turn");
  EXPECT_EQ(a.input_tokens, 2 + 3 + 2);
  EXPECT_EQ(a.output_tokens, 4);
  std::string out;
  render_converse(a, out);
  const auto v = json::parse(out);
  EXPECT_EQ(v.at_pointer("/output/message/content/0/text"), "br says: hello there");
  EXPECT_EQ(v.at_pointer("/usage/totalTokens"), 11);
  EXPECT_EQ(v.at_pointer("/stopReason"), "end_turn");
}

TEST(MockBedrock, MaxTokensCutsTheAnswer) {
  const auto a = answer_for(
      R"({"messages":[{"role":"user","content":[{"text":"one two three four"}]}],"inferenceConfig":{"maxTokens":3}})");
  EXPECT_EQ(a.blocks[0].text, "br says: one");
  EXPECT_EQ(a.stop_reason, "max_tokens");
  EXPECT_EQ(a.output_tokens, 3);
}

TEST(MockBedrock, ToolUseAnswers) {
  auto a =
      answer_for(std::string(R"({"messages":[{"role":"user","content":[{"text":"weather?"}]}],)") +
                 std::string(kTools) + "}");
  ASSERT_EQ(a.blocks.size(), 1u);
  EXPECT_EQ(a.blocks[0].tool_name, "get_weather");
  EXPECT_EQ(a.blocks[0].tool_use_id, "tooluse_mock_1");
  EXPECT_EQ(a.blocks[0].tool_input, R"({"echo":"weather?"})");
  EXPECT_EQ(a.stop_reason, "tool_use");

  a = answer_for(
      std::string(R"({"messages":[{"role":"user","content":[{"text":"do it in parallel"}]}],)") +
      std::string(kTools) + "}");
  ASSERT_EQ(a.blocks.size(), 2u);
  EXPECT_EQ(a.blocks[1].tool_name, "get_time");
  EXPECT_EQ(a.blocks[1].tool_use_id, "tooluse_mock_2");

  std::string named(kTools);
  named.insert(named.size() - 1, R"(,"toolChoice":{"tool":{"name":"get_time"}})");
  a = answer_for(std::string(R"({"messages":[{"role":"user","content":[{"text":"parallel"}]}],)") +
                 named + "}");
  ASSERT_EQ(a.blocks.size(), 1u);
  EXPECT_EQ(a.blocks[0].tool_name, "get_time");

  a = answer_for(
      std::string(
          R"({"messages":[{"role":"user","content":[{"text":"weather?"}]},)"
          R"({"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":{}}}]},)"
          R"({"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"18C sunny"}]}}]}],)") +
      std::string(kTools) + "}");
  ASSERT_EQ(a.blocks.size(), 1u);
  EXPECT_EQ(a.blocks[0].text, "br got tool results: 18C sunny");
  EXPECT_EQ(a.stop_reason, "end_turn");
}

TEST(MockBedrock, ValidationLikeBedrock) {
  EXPECT_NE(validation_error("{}").find("Member must not be null"), std::string::npos);
  EXPECT_NE(validation_error(R"({"messages":[]})").find("must start with a user message"),
            std::string::npos);
  EXPECT_NE(validation_error(R"({"messages":[{"role":"assistant","content":[{"text":"x"}]}]})")
                .find("must start with a user message"),
            std::string::npos);
  EXPECT_NE(
      validation_error(
          R"({"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]})")
          .find("must alternate"),
      std::string::npos);
  EXPECT_NE(
      validation_error(
          R"({"messages":[{"role":"user","content":[{"text":"a"}]}],"inferenceConfig":{"temperature":1.5}})")
          .find("inferenceConfig.temperature"),
      std::string::npos);
  EXPECT_NE(
      validation_error(
          R"({"messages":[{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[]}}]}]})")
          .find("toolConfig field must be defined"),
      std::string::npos);
  EXPECT_NE(validation_error("not json").find("Malformed input request"), std::string::npos);
}

TEST(MockBedrock, StreamFrames) {
  const auto a = answer_for(R"({"messages":[{"role":"user","content":[{"text":"hi you"}]}]})");
  const auto frames = render_converse_stream(a);
  std::string all;
  for (const auto& f : frames) all += f;
  auto events = aws::decode_events(all);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), frames.size());
  EXPECT_EQ(events->front().event_type(), "messageStart");
  std::string text;
  for (const auto& e : *events) {
    if (e.event_type() != "contentBlockDelta") continue;
    const auto v = json::parse(e.payload);
    text += v.at_pointer("/delta/text").as_string();
    EXPECT_TRUE(v.as_object().contains("p"));
  }
  EXPECT_EQ(text, "br says: hi you");
  EXPECT_EQ((*events)[events->size() - 2].event_type(), "messageStop");
  EXPECT_EQ(events->back().event_type(), "metadata");

  auto ex = aws::decode_events(render_stream_exception("throttlingException"));
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->front().message_type(), "exception");
  EXPECT_EQ(ex->front().exception_type(), "throttlingException");
}

TEST(MockBedrock, ToolUseStreamHasStartAndTwoFragments) {
  const auto a =
      answer_for(std::string(R"({"messages":[{"role":"user","content":[{"text":"weather?"}]}],)") +
                 std::string(kTools) + "}");
  std::string all;
  for (const auto& f : render_converse_stream(a)) all += f;
  auto events = aws::decode_events(all);
  ASSERT_TRUE(events);
  std::string input;
  int starts = 0;
  for (const auto& e : *events) {
    if (e.event_type() == "contentBlockStart") ++starts;
    if (e.event_type() != "contentBlockDelta") continue;
    input += json::parse(e.payload).at_pointer("/delta/toolUse/input").as_string();
  }
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(input, R"({"echo":"weather?"})");
}

TEST(MockBedrock, PreambleWritesTextBeforeTheToolCall) {
  std::string forced(kTools);
  forced.insert(forced.size() - 1, R"(,"toolChoice":{"tool":{"name":"get_time"}})");
  const auto a = answer_for(
      std::string(R"({"messages":[{"role":"user","content":[{"text":"preamble please"}]}],)") +
      forced + "}");
  ASSERT_EQ(a.blocks.size(), 2u);
  EXPECT_EQ(a.blocks[0].text, "Let me check.");
  EXPECT_EQ(a.blocks[1].tool_name, "get_time");
  EXPECT_EQ(a.blocks[1].tool_use_id, "tooluse_mock_1");
  EXPECT_EQ(a.stop_reason, "tool_use");
  // 3 words of text + the words of {"echo":"preamble please"}.
  EXPECT_EQ(a.output_tokens, 3 + 2);

  std::string out;
  render_converse(a, out);
  const auto v = json::parse(out);
  EXPECT_EQ(v.at_pointer("/output/message/content/0/text"), "Let me check.");
  EXPECT_EQ(v.at_pointer("/output/message/content/1/toolUse/input/echo"), "preamble please");

  // The stream: text deltas on block 0, then the tool call on block 1.
  std::string all;
  for (const auto& f : render_converse_stream(a)) all += f;
  auto events = aws::decode_events(all);
  ASSERT_TRUE(events);
  std::string text, input;
  std::vector<std::string> order;
  for (const auto& e : *events) {
    if (e.event_type() != "contentBlockDelta" && e.event_type() != "contentBlockStart") continue;
    const auto p = json::parse(e.payload);
    order.push_back(std::string(e.event_type()) + "@" +
                    std::to_string(p.at("contentBlockIndex").as_int64()));
    if (e.event_type() != "contentBlockDelta") continue;
    if (const auto* t = p.at("delta").as_object().if_contains("text")) text += t->as_string();
    if (const auto* u = p.at("delta").as_object().if_contains("toolUse"))
      input += u->at("input").as_string();
  }
  EXPECT_EQ(text, "Let me check.");
  EXPECT_EQ(input, R"({"echo":"preamble please"})");
  EXPECT_EQ(order, (std::vector<std::string>{"contentBlockDelta@0", "contentBlockDelta@0",
                                             "contentBlockDelta@0", "contentBlockStart@1",
                                             "contentBlockDelta@1", "contentBlockDelta@1"}));

  // Without tools the word is only text.
  const auto plain =
      answer_for(R"({"messages":[{"role":"user","content":[{"text":"preamble please"}]}]})");
  ASSERT_EQ(plain.blocks.size(), 1u);
  EXPECT_EQ(plain.blocks[0].text, "br says: preamble please");
}

constexpr std::string_view kPath =
    "/br/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse";
constexpr std::string_view kBody = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})";

CloudConfig signed_cloud() {
  CloudConfig c;
  c.name = "br";
  c.kind = CloudKind::bedrock;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return c;
}

struct Signed {
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<aws::HeaderRef> refs() const {
    std::vector<aws::HeaderRef> out;
    for (const auto& [n, v] : headers) out.push_back({n, v});
    return out;
  }
};

Signed sign(std::int64_t t, std::string_view secret, std::string_view body) {
  const std::vector<aws::HeaderRef> in{{"Host", "127.0.0.1:8080"},
                                       {"Content-Type", "application/json"}};
  aws::SigningRequest req;
  req.method = "POST";
  req.path = kPath;
  req.headers = in;
  req.payload = body;
  aws::SigningParams p;
  p.region = "us-east-1";
  p.service = "bedrock";
  p.unix_time = t;
  p.add_content_sha256 = true;
  aws::Signer signer;
  auto out = signer.sign(req, {"AKIDEXAMPLE", std::string(secret), {}}, p);
  EXPECT_TRUE(out);
  Signed s;
  s.headers = {{"Host", "127.0.0.1:8080"}, {"Content-Type", "application/json"}};
  out->for_each([&](std::string_view n, std::string_view v) { s.headers.emplace_back(n, v); });
  return s;
}

TEST(MockBedrock, SigV4AcceptsAndRejects) {
  const auto cloud = signed_cloud();
  const std::int64_t now = 1'700'000'000;
  auto good = sign(now, cloud.secret_access_key, kBody);
  auto refs = good.refs();
  EXPECT_EQ(verify_sigv4(cloud, {"POST", kPath, refs, kBody, now + 60}).type, "");

  // A changed body, a wrong secret, a stale date, a wrong key id.
  std::string changed(kBody);
  changed[changed.size() - 5] = 'X';
  EXPECT_EQ(verify_sigv4(cloud, {"POST", kPath, refs, changed, now}).type,
            "InvalidSignatureException");
  auto bad = sign(now, "not-the-secret", kBody);
  auto bad_refs = bad.refs();
  const auto f = verify_sigv4(cloud, {"POST", kPath, bad_refs, kBody, now});
  EXPECT_EQ(f.type, "InvalidSignatureException");
  EXPECT_EQ(f.status, 403);
  EXPECT_NE(f.message.find("does not match the signature you provided"), std::string::npos);
  EXPECT_NE(verify_sigv4(cloud, {"POST", kPath, refs, kBody, now + 3600})
                .message.find("Signature expired"),
            std::string::npos);
  auto other = cloud;
  other.access_key_id = "AKIDOTHER";
  EXPECT_EQ(verify_sigv4(other, {"POST", kPath, refs, kBody, now}).type,
            "UnrecognizedClientException");
  EXPECT_EQ(verify_sigv4(cloud, {"POST", kPath, {}, kBody, now}).type,
            "MissingAuthenticationTokenException");
}

TEST(MockBedrock, HandlerRoutesConverseAndFaults) {
  auto env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  MockHandler h(parse_mock_config(R"(
clouds:
  br: {kind: bedrock, prefix: /br, api_key: bk}
  slow: {kind: bedrock, prefix: /slow, fault: "status=429"}
)",
                                  "t.yaml", env));
  MockRequest req;
  req.method = "POST";
  req.target = kPath;
  req.authorization = "Bearer bk";
  req.body = kBody;
  Reply reply;
  h.handle(req, reply);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(json::parse(reply.body).at_pointer("/output/message/content/0/text"), "br says: Hello");
  EXPECT_NE(reply.headers.find("x-amzn-RequestId: "), std::string::npos);

  reply.clear();
  req.authorization = "Bearer nope";
  h.handle(req, reply);
  EXPECT_EQ(reply.status, 403);

  reply.clear();
  req.authorization = "Bearer bk";
  req.target = "/br/model/m/converse-stream";
  std::string fault = "exception=throttlingException";
  req.fault = fault;
  h.handle(req, reply);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/vnd.amazon.eventstream");
  ASSERT_EQ(reply.events.size(), 2u);
  EXPECT_EQ(aws::decode_events(reply.events[1])->front().exception_type(), "throttlingException");

  reply.clear();
  req.fault.reset();
  req.target = "/slow/model/m/converse";
  h.handle(req, reply);
  EXPECT_EQ(reply.status, 429);
  EXPECT_NE(reply.headers.find("x-amzn-ErrorType: ThrottlingException"), std::string::npos);

  reply.clear();
  req.target = "/br/model/m/converse";
  req.body = R"({"messages":[]})";
  h.handle(req, reply);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.headers.find("x-amzn-ErrorType: ValidationException"), std::string::npos);
}

TEST(MockBedrock, PercentDecode) {
  EXPECT_EQ(percent_decode("us.anthropic.claude-v1%3A0"), "us.anthropic.claude-v1:0");
  EXPECT_EQ(percent_decode("a%2Fb%zz%"), "a/b%zz%");
}

}  // namespace
}  // namespace tollbooth::mock

namespace tollbooth::mock {
namespace {

json::value converse_usage(const ConverseAnswer& a) {
  std::string out;
  append_converse_usage(out, a);
  return json::parse(out);
}

TEST(MockBedrockUsage, ACachePointReadsHalfThePromptAndWritesAQuarter) {
  // 2 system words, then 8 words and 3 for the message: 13 prompt tokens in all.
  const auto a = answer_for(
      R"({"system":[{"text":"be terse"},{"cachePoint":{"type":"default"}}],)"
      R"("messages":[{"role":"user","content":[{"text":"one two three four five six seven eight"}]}]})");
  EXPECT_EQ(a.cache_read_tokens, 6);
  EXPECT_EQ(a.cache_write_tokens, 3);
  EXPECT_EQ(a.input_tokens, 13 - 6 - 3) << "Bedrock's inputTokens leave the cache out";
  auto u = converse_usage(a);
  EXPECT_EQ(u.at("inputTokens"), 4);
  EXPECT_EQ(u.at("cacheReadInputTokens"), 6);
  EXPECT_EQ(u.at("cacheWriteInputTokens"), 3);
  EXPECT_EQ(u.at("totalTokens"), 13 + a.output_tokens);
}

TEST(MockBedrockUsage, CachePointsInMessagesOrToolsCountAndLongPromptsAreCachedToo) {
  EXPECT_GT(
      answer_for(
          R"({"messages":[{"role":"user","content":[{"text":"hi"},{"cachePoint":{"type":"default"}}]}]})")
          .cache_read_tokens,
      0);
  EXPECT_GT(
      answer_for(std::string(R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],)") +
                 R"("toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{}}}},)" +
                 R"({"cachePoint":{"type":"default"}}]}})")
          .cache_read_tokens,
      0);
  std::string text;
  for (int i = 0; i < 1021; ++i) text += "w ";
  const auto long_prompt =
      answer_for(R"({"messages":[{"role":"user","content":[{"text":")" + text + R"("}]}]})");
  EXPECT_EQ(long_prompt.cache_read_tokens, 512);
  EXPECT_EQ(long_prompt.cache_write_tokens, 256);
  EXPECT_EQ(long_prompt.input_tokens, 1024 - 512 - 256);
  const auto plain = answer_for(R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})");
  EXPECT_EQ(plain.cache_read_tokens + plain.cache_write_tokens, 0);
  EXPECT_FALSE(converse_usage(plain).as_object().contains("cacheReadInputTokens"));
}

TEST(MockBedrockUsage, ReasoningIsCountedInsideOutputTokensWithinMaxTokens) {
  const auto effort = answer_for(R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],)"
                                 R"("additionalModelRequestFields":{"reasoning_effort":"low"}})");
  EXPECT_EQ(effort.output_tokens, 3 + 16);
  const auto thinking = answer_for(
      R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":20},)"
      R"("additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}})");
  EXPECT_EQ(thinking.output_tokens, 20) << "medium's 64 cut to what maxTokens leaves";
}

TEST(MockBedrockUsage, TheStreamsMetadataCarriesTheSameUsageAsTheWholeAnswer) {
  const auto a = answer_for(
      R"({"system":[{"text":"x"},{"cachePoint":{"type":"default"}}],"messages":[{"role":"user",)"
      R"("content":[{"text":"a b c"}]}],"additionalModelRequestFields":{"reasoning_effort":"high"}})");
  std::string whole;
  render_converse(a, whole);
  const auto frames = render_converse_stream(a);
  auto metadata = aws::decode_events(frames.back());
  ASSERT_TRUE(metadata);
  EXPECT_EQ(json::parse(metadata->front().payload).at("usage"), json::parse(whole).at("usage"));
  EXPECT_EQ(json::parse(whole).at("usage"), converse_usage(a));
}

}  // namespace
}  // namespace tollbooth::mock

namespace tollbooth::mock {
namespace {

TEST(MockBedrockUsage, TheHandlerRecordsUsageUnlessAnExceptionCutTheStream) {
  auto env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  MockHandler h(parse_mock_config("clouds:\n  br: {kind: bedrock, prefix: /br}\n", "t.yaml", env));
  MockRequest req;
  req.method = "POST";
  req.target = "/br/model/us.anthropic.claude-v1%3A0/converse";
  req.body =
      R"({"messages":[{"role":"user","content":[{"text":"Hello"},{"cachePoint":{"type":"default"}}]}]})";
  Reply whole;
  h.handle(req, whole);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(json::parse(whole.usage), json::parse(whole.body).at("usage"));
  EXPECT_EQ(whole.usage_model, "us.anthropic.claude-v1:0");
  req.target = "/br/model/us.anthropic.claude-v1%3A0/converse-stream";
  Reply stream;
  h.handle(req, stream);
  ASSERT_EQ(stream.usage_event, static_cast<int>(stream.events.size()) - 1);
  auto metadata = aws::decode_events(stream.events.back());
  EXPECT_EQ(json::parse(metadata->front().payload).at("usage"), json::parse(stream.usage));
  EXPECT_EQ(stream.usage, whole.usage);
  std::string fault = "exception=throttlingException";
  req.fault = fault;
  Reply cut;
  h.handle(req, cut);
  EXPECT_TRUE(cut.usage.empty());
  EXPECT_EQ(cut.usage_event, -1);
}

}  // namespace
}  // namespace tollbooth::mock
