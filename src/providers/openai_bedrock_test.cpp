#include "providers/openai_bedrock.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tollbooth {
namespace {

struct Fixture {
  ProviderConfig provider;
  RouteConfig route;
  Endpoint endpoint;
  aws::Auth auth;
  aws::Signer signer;

  Fixture() {
    provider.name = "bedrock-us";
    provider.kind = ProviderKind::bedrock;
    provider.region = "us-east-1";
    route.provider = "bedrock-us";
    route.upstream_model = "us.anthropic.claude-3-5-sonnet-20240620-v1:0";
    endpoint = parse_endpoint("http://127.0.0.1:4101/bedrock").value();
    auth.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  }
};

constexpr std::int64_t kTime = 1440938160;  // 2015-08-30T12:36:00Z, the AWS suite's date
constexpr std::string_view kBody =
    R"({"model":"claude","messages":[{"role":"user","content":"hi"}]})";

TEST(OpenAiBedrock, SignsTheTranslatedRequestForTheEncodedModelPath) {
  Fixture f;
  BedrockCall call;
  ASSERT_TRUE(
      build_bedrock_chat(f.provider, f.endpoint, f.route, f.auth, f.signer, kTime, kBody, {}, call)
          .ok());
  const std::string& h = call.wire.head;
  EXPECT_TRUE(
      h.starts_with("POST /bedrock/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/"
                    "converse HTTP/1.1\r\nHost: 127.0.0.1:4101\r\n"))
      << h;
  EXPECT_NE(h.find("\r\nContent-Length: " + std::to_string(call.wire.body.size()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(h.find("\r\nAccept: application/json\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nX-Amz-Date: 20150830T123600Z\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                   "bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, "
                   "Signature="),
            std::string::npos);
  EXPECT_TRUE(h.ends_with("\r\n\r\n"));
  EXPECT_EQ(call.wire.body, call.converse.body);
  EXPECT_EQ(call.wire.body, R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})");
  // Signing is deterministic for a given time: the same request signs the same.
  BedrockCall again;
  ASSERT_TRUE(
      build_bedrock_chat(f.provider, f.endpoint, f.route, f.auth, f.signer, kTime, kBody, {}, again)
          .ok());
  EXPECT_EQ(again.wire.head, call.wire.head);
}

TEST(OpenAiBedrock, SessionTokenIsSentAndStreamsAskForTheEventStream) {
  Fixture f;
  f.auth.credentials.session_token = "session-token-value";
  BedrockCall call;
  std::string body =
      R"({"model":"claude","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  ASSERT_TRUE(
      build_bedrock_chat(f.provider, f.endpoint, f.route, f.auth, f.signer, kTime, body, {}, call)
          .ok());
  const std::string& h = call.wire.head;
  EXPECT_NE(h.find("/converse-stream HTTP/1.1"), std::string::npos);
  EXPECT_NE(h.find("\r\nAccept: application/vnd.amazon.eventstream\r\n"), std::string::npos);
  EXPECT_NE(h.find("\r\nX-Amz-Security-Token: session-token-value\r\n"), std::string::npos);
  EXPECT_NE(h.find("x-amz-date;x-amz-security-token, Signature="), std::string::npos);
  EXPECT_TRUE(call.converse.stream);
}

TEST(OpenAiBedrock, ApiKeyIsABearerTokenAndNothingIsSigned) {
  Fixture f;
  f.auth.mode = aws::AuthMode::bearer;
  f.auth.bearer_token = "br-key";
  BedrockCall call;
  ASSERT_TRUE(
      build_bedrock_chat(f.provider, f.endpoint, f.route, f.auth, f.signer, kTime, kBody, {}, call)
          .ok());
  EXPECT_NE(call.wire.head.find("\r\nAuthorization: Bearer br-key\r\n"), std::string::npos);
  EXPECT_EQ(call.wire.head.find("X-Amz-Date"), std::string::npos);
}

TEST(OpenAiBedrock, TranslationRefusalIsTheClientsErrorNamingTheField) {
  Fixture f;
  BedrockCall call;
  auto r = build_bedrock_chat(
      f.provider, f.endpoint, f.route, f.auth, f.signer, kTime,
      R"({"model":"c","temperature":2,"messages":[{"role":"user","content":"x"}]})", {}, call);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::invalid_request);
  EXPECT_EQ(r.error().param, "temperature");
  EXPECT_FALSE(r.error().retryable);

  f.route.drop_unsupported = true;
  auto dropped = build_bedrock_chat(
      f.provider, f.endpoint, f.route, f.auth, f.signer, kTime,
      R"({"model":"c","logprobs":true,"messages":[{"role":"user","content":"x"}]})", {}, call);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(call.converse.dropped, std::vector<std::string>{"logprobs"});
}

TEST(OpenAiBedrock, UnsignableRequestIsRetryableSoTheNextRouteServes) {
  Fixture f;
  f.provider.region = "";  // a region the signer cannot scope to
  BedrockCall call;
  auto r =
      build_bedrock_chat(f.provider, f.endpoint, f.route, f.auth, f.signer, kTime, kBody, {}, call);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(r.error().message.find("wJalr"), std::string::npos);
}

}  // namespace
}  // namespace tollbooth
