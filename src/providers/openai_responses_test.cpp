#include "providers/openai_responses.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/openai/responses_request.hpp"
#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tollbooth {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Fixture {
  ProviderConfig provider;
  RouteConfig route;
  Endpoint endpoint;
  std::string body;
  openai::ChatInspection facts;
  std::optional<ChatInput> input;

  explicit Fixture(ProviderKind kind, std::string body_text, AzureApi api = AzureApi::deployments)
      : body(std::move(body_text)) {
    provider.name = kind == ProviderKind::azure ? "azure-east" : "openai";
    provider.kind = kind;
    provider.api_key = kind == ProviderKind::azure ? "azure-key" : "sk-openai";
    provider.api_version = "2025-04-01-preview";
    provider.azure_api = api;
    route.provider = provider.name;
    if (kind == ProviderKind::azure) route.upstream_model = "gpt5 prod";
    endpoint = parse_endpoint(kind == ProviderKind::azure ? "https://contoso.openai.azure.com"
                                                          : "https://api.openai.com/v1")
                   .value();
    auto f = openai::inspect_responses_request(body);
    EXPECT_TRUE(f.ok());
    facts = f.value();
    input.emplace(ChatInput{
        provider, endpoint, route, body, facts, 0, "resp_req_1", nullptr, nullptr, {}, nullptr});
  }
  std::string request_line(const UpstreamRequest& r) {
    return r.head.substr(0, r.head.find("\r\n"));
  }
};

constexpr std::string_view kBody = R"({"model":"gpt-5","input":"hi","stream":true})";

TEST(OpenAiResponses, OpenAiGetsTheBodyAtBaseResponsesWithItsBearerKey) {
  Fixture f(ProviderKind::openai, std::string(kBody));
  OpenAiWireResponses t(*f.input);
  UpstreamRequest out;
  ASSERT_TRUE(t.build(out).ok());
  EXPECT_EQ(f.request_line(out), "POST /v1/responses HTTP/1.1");
  EXPECT_THAT(out.head, HasSubstr("\r\nAuthorization: Bearer sk-openai\r\n"));
  EXPECT_THAT(out.head, HasSubstr("\r\nAccept: text/event-stream\r\n"));
  EXPECT_EQ(out.body, kBody) << "nothing spliced: no stream_options for the Responses API";
}

TEST(OpenAiResponses, TheClientsForwardedHeadersGoBeforeTheBlankLine) {
  Fixture f(ProviderKind::openai, std::string(kBody));
  f.input->client_headers = "session_id: s-1\r\nx-codex-window-id: w\r\n";
  OpenAiWireResponses t(*f.input);
  UpstreamRequest out;
  ASSERT_TRUE(t.build(out).ok());
  EXPECT_THAT(out.head, HasSubstr("\r\nsession_id: s-1\r\nx-codex-window-id: w\r\n\r\n"));
  EXPECT_EQ(out.head.find("\r\n\r\n"), out.head.size() - 4) << "one blank line, at the end";
}

TEST(OpenAiResponses, AzureUsesTheDeploymentAsModelOnBothForms) {
  Fixture classic(ProviderKind::azure, std::string(kBody));
  OpenAiWireResponses a(*classic.input);
  UpstreamRequest out;
  ASSERT_TRUE(a.build(out).ok());
  EXPECT_EQ(classic.request_line(out),
            "POST /openai/responses?api-version=2025-04-01-preview HTTP/1.1");
  EXPECT_THAT(out.head, HasSubstr("\r\napi-key: azure-key\r\n"));
  EXPECT_EQ(out.body, R"({"model":"gpt5 prod","input":"hi","stream":true})");

  Fixture v1(ProviderKind::azure, std::string(kBody), AzureApi::v1);
  OpenAiWireResponses b(*v1.input);
  UpstreamRequest out1;
  ASSERT_TRUE(b.build(out1).ok());
  EXPECT_EQ(v1.request_line(out1), "POST /openai/v1/responses HTTP/1.1");
}

TEST(OpenAiResponses, ADeleteReachesTheResponseOnEachFormWithTheProvidersKey) {
  Fixture openai(ProviderKind::openai, std::string(kBody));
  UpstreamRequest out;
  build_responses_delete(openai.provider, openai.endpoint, "resp_1/../x", out);
  EXPECT_EQ(openai.request_line(out), "DELETE /v1/responses/resp_1%2F..%2Fx HTTP/1.1")
      << "the id is one path segment, whatever it holds";
  EXPECT_THAT(out.head, HasSubstr("\r\nAuthorization: Bearer sk-openai\r\n"));
  EXPECT_THAT(out.head, HasSubstr("\r\nContent-Length: 0\r\n"));
  EXPECT_TRUE(out.body.empty());

  Fixture classic(ProviderKind::azure, std::string(kBody));
  build_responses_delete(classic.provider, classic.endpoint, "resp_2", out);
  EXPECT_EQ(classic.request_line(out),
            "DELETE /openai/responses/resp_2?api-version=2025-04-01-preview HTTP/1.1");
  EXPECT_THAT(out.head, HasSubstr("\r\napi-key: azure-key\r\n"));
  Fixture v1(ProviderKind::azure, std::string(kBody), AzureApi::v1);
  build_responses_delete(v1.provider, v1.endpoint, "resp_3", out);
  EXPECT_EQ(v1.request_line(out), "DELETE /openai/v1/responses/resp_3 HTTP/1.1");
  EXPECT_EQ(out.head.find("\r\n\r\n"), out.head.size() - 4);
}

std::string ev(std::string_view type, int seq, std::string_view rest = "") {
  return "event: " + std::string(type) + "\ndata: {\"type\":\"" + std::string(type) +
         "\",\"sequence_number\":" + std::to_string(seq) + std::string(rest) + "}\n\n";
}

constexpr std::string_view kUsage =
    R"(,"response":{"id":"resp_up","status":"completed","usage":{"input_tokens":120,)"
    R"("input_tokens_details":{"cached_tokens":100},"output_tokens":30,)"
    R"("output_tokens_details":{"reasoning_tokens":12},"total_tokens":150}})";

TEST(OpenAiResponses, AStreamPassesThroughAndItsTerminalEventGivesTheUsage) {
  Fixture f(ProviderKind::openai, std::string(kBody));
  OpenAiWireResponses t(*f.input);
  const std::string in = ev("response.created", 0, R"(,"response":{"id":"resp_up","usage":null})") +
                         ev("response.output_text.delta", 1, R"(,"delta":"Hi")") +
                         ev("response.completed", 2, kUsage);
  std::string out;
  // Fed in two pieces cut inside an event: the client still gets every byte, in order.
  t.feed(std::string_view(in).substr(0, 70), out);
  t.feed(std::string_view(in).substr(70), out);
  t.end(out);
  EXPECT_EQ(out, in);
  EXPECT_EQ(t.error(), nullptr);
  const Usage u = t.usage();
  EXPECT_TRUE(u.reported);
  EXPECT_EQ(u.input_tokens, 120);
  EXPECT_EQ(u.cached_input_tokens, 100);
  EXPECT_EQ(u.output_tokens, 30);
  EXPECT_EQ(u.reasoning_tokens, 12);
}

TEST(OpenAiResponses, AStreamEndingWithoutATerminalEventEndsInResponseFailed) {
  Fixture f(ProviderKind::openai, std::string(kBody));
  OpenAiWireResponses t(*f.input);
  const std::string in = ev("response.created", 0, R"(,"response":{"id":"resp_up","usage":null})") +
                         ev("response.output_text.delta", 7, R"(,"delta":"Hi")") +
                         "event: error\ndata: {\"type\":\"error\",\"message\":\"boom\"}\n\n";
  std::string out;
  t.feed(in, out);
  t.end(out);
  ASSERT_THAT(out, StartsWith(in));
  const std::string tail = out.substr(in.size());
  EXPECT_THAT(tail, StartsWith("event: response.failed\ndata: {\"type\":\"response.failed\","
                               "\"sequence_number\":8,"));
  EXPECT_THAT(tail, HasSubstr(R"("id":"resp_up")")) << "the upstream's response id";
  EXPECT_THAT(tail, HasSubstr(R"("status":"failed")"));
  ASSERT_NE(t.error(), nullptr);
  EXPECT_TRUE(t.done());
}

TEST(OpenAiResponses, AFailureTheGatewaySeesIsWrittenAsResponseFailedOnce) {
  Fixture f(ProviderKind::openai, std::string(kBody));
  OpenAiWireResponses t(*f.input);
  std::string out;
  t.fail(make_error(ErrorKind::gateway_timeout, "the upstream stalled"), out);
  EXPECT_THAT(out, HasSubstr(R"("id":"resp_req_1")")) << "the gateway's id before the upstream's";
  EXPECT_THAT(out, HasSubstr(R"("message":"the upstream stalled")"));
  EXPECT_THAT(out, HasSubstr(R"("sequence_number":0)"));
  const std::size_t size = out.size();
  t.fail(make_error(ErrorKind::gateway_timeout, "again"), out);
  t.end(out);
  EXPECT_EQ(out.size(), size) << "one terminal event";

  // After a terminal event the client has its answer: a later failure adds nothing.
  OpenAiWireResponses done(*f.input);
  std::string out2;
  done.feed(ev("response.completed", 0, kUsage), out2);
  const std::size_t before = out2.size();
  done.fail(make_error(ErrorKind::bad_gateway, "broke after"), out2);
  EXPECT_EQ(out2.size(), before);
  EXPECT_EQ(done.error(), nullptr);
}

TEST(OpenAiResponses, WholeAnswersPassThroughWithTheirUsage) {
  Fixture f(ProviderKind::openai, R"({"model":"gpt-5","input":"hi"})");
  OpenAiWireResponses t(*f.input);
  const std::string body = std::string(R"({"id":"resp_1","object":"response")") +
                           std::string(kUsage).substr(std::string(kUsage).find("\"usage\"") - 1);
  ResponseHead head{200, "application/json", {}, {}};
  EXPECT_EQ(t.plan(head), BodyPlan::whole);
  Reply r = t.whole(head, body);
  EXPECT_EQ(r.kind, Reply::Kind::respond);
  EXPECT_EQ(r.body, body);
  ASSERT_TRUE(r.usage);
  EXPECT_EQ(r.usage->input_tokens, 120);
  EXPECT_EQ(r.usage->cached_input_tokens, 100);
  // A cloud's refusal of the gateway's key is this route's fault: the next route may serve.
  Reply denied = t.whole(ResponseHead{401, "application/json", {}, {}}, R"({"error":{}})");
  EXPECT_EQ(denied.kind, Reply::Kind::retry);
  EXPECT_TRUE(denied.error.retryable);
}

}  // namespace
}  // namespace tollbooth
