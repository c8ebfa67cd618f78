#include "mock/mock_handler.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace tollbooth::mock {
namespace {
namespace json = boost::json;

constexpr std::string_view kBody =
    R"({"model":"gpt-4o","messages":[{"role":"user","content":"hello there"}]})";

MockConfig demo_config() {
  auto env = [](const std::string&) -> std::optional<std::string> { return "sekret"; };
  return parse_mock_config(R"(
clouds:
  openai: {kind: openai, prefix: /openai, api_key: ok-key, stream_delay_ms: 5}
  azure-east:
    kind: azure
    prefix: /azure-east
    api_key: env:X
    deployments: {gpt4o-prod: gpt-4o-2024-08-06}
  azure-west: {kind: azure, prefix: /azure-west, fault: "status=503"}
)",
                           "test.yaml", env);
}

// A request under construction: post(url).bearer("k").fault("status=503")...
struct Call {
  std::string method = "POST";
  std::string target;
  std::string authorization;
  std::string api_key;
  std::optional<std::string> fault_header;
  std::string body{kBody};

  Call& get() {
    method = "GET";
    return *this;
  }
  Call& bearer(std::string key) {
    authorization = "Bearer " + key;
    return *this;
  }
  Call& auth(std::string value) {
    authorization = std::move(value);
    return *this;
  }
  Call& key(std::string k) {
    api_key = std::move(k);
    return *this;
  }
  Call& fault(std::string spec) {
    fault_header = std::move(spec);
    return *this;
  }
  Call& with_body(std::string b) {
    body = std::move(b);
    return *this;
  }
};

Call post(std::string target) {
  Call c;
  c.target = std::move(target);
  return c;
}

Reply run(MockHandler& h, const Call& c) {
  MockRequest req{c.method, c.target, c.authorization, c.api_key, std::nullopt, c.body};
  if (c.fault_header) req.fault = *c.fault_header;
  Reply reply;
  h.handle(req, reply);
  return reply;
}

json::object body_of(const Reply& r) {
  return json::parse(r.body).as_object();
}

TEST(MockHandler, DefaultCloudsAnswerAtTheRoot) {
  MockHandler h(default_mock_config());
  auto r = run(h, post("/v1/chat/completions").bearer("anything"));
  EXPECT_EQ(r.status, 200);
  auto b = body_of(r);
  EXPECT_EQ(b["model"], "gpt-4o");
  EXPECT_EQ(b["choices"].as_array()[0].as_object()["message"].as_object()["content"],
            "openai says: hello there");
  ASSERT_NE(r.cloud, nullptr);
  EXPECT_EQ(r.cloud->name, "openai");
  EXPECT_NE(r.headers.find("x-request-id: req-mock-1\r\n"), std::string::npos);

  r = run(h, post("/openai/deployments/any/chat/completions?api-version=2024-10-21").key("k"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body_of(r)["model"], "any");
  EXPECT_EQ(r.cloud->name, "azure");
}

TEST(MockHandler, ACloudContinuesOnlyTheResponsesItMade) {
  MockHandler h(default_mock_config());
  auto first = run(h, post("/v1/responses").bearer("k").with_body(R"({"model":"m","input":"hi"})"));
  ASSERT_EQ(first.status, 200);
  const std::string id(body_of(first)["id"].as_string());
  EXPECT_EQ(id.rfind("resp_mock_openai_", 0), 0u) << id;
  auto next = run(
      h, post("/v1/responses")
             .bearer("k")
             .with_body(R"({"model":"m","input":"again","previous_response_id":")" + id + R"("})"));
  EXPECT_EQ(next.status, 200);
  auto elsewhere =
      run(h, post("/v1/responses")
                 .bearer("k")
                 .with_body(R"({"model":"m","previous_response_id":"resp_mock_azure_1"})"));
  EXPECT_EQ(elsewhere.status, 400);
  EXPECT_EQ(body_of(elsewhere)["error"].as_object()["code"], "previous_response_not_found");
}

TEST(MockHandler, ACloudDeletesOnlyTheResponsesItMade) {
  MockHandler h(default_mock_config());
  Call del = post("/v1/responses/resp_mock_openai_3").bearer("k");
  del.method = "DELETE";
  auto r = run(h, del);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body_of(r)["deleted"], true);
  EXPECT_EQ(body_of(r)["id"], "resp_mock_openai_3");
  Call other = post("/v1/responses/resp_elsewhere").bearer("k");
  other.method = "DELETE";
  EXPECT_EQ(run(h, other).status, 404);
  EXPECT_EQ(run(h, post("/v1/responses/resp_mock_openai_3").bearer("k")).status, 405);
}

TEST(MockHandler, OpenAiNeedsTheBearerKey) {
  MockHandler h(demo_config());
  auto r = run(h, post("/openai/v1/chat/completions"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(body_of(r)["error"].as_object()["code"], "invalid_api_key");
  r = run(h, post("/openai/v1/chat/completions").bearer("wrong"));
  EXPECT_EQ(r.status, 401);
  r = run(h, post("/openai/v1/chat/completions").auth("bearer ok-key"));
  EXPECT_EQ(r.status, 200);
}

TEST(MockHandler, AzureDeploymentForm) {
  MockHandler h(demo_config());
  const std::string url = "/azure-east/openai/deployments/gpt4o-prod/chat/completions";
  auto r = run(h, post(url).key("sekret"));
  EXPECT_EQ(r.status, 404);  // no api-version
  EXPECT_EQ(r.body, R"({"error":{"code":"404","message":"Resource not found"}})");
  r = run(h, post(url + "?api-version=2024-10-21").key("nope"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(body_of(r)["error"].as_object()["code"], "401");
  r = run(h, post(url + "?api-version=2024-10-21").bearer("sekret"));
  EXPECT_EQ(r.status, 401);  // the dated API wants api-key
  r = run(h,
          post("/azure-east/openai/deployments/nope/chat/completions?api-version=1").key("sekret"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_of(r)["error"].as_object()["code"], "DeploymentNotFound");
  r = run(h, post(url + "?x=1&api-version=2024-10-21")
                 .key("sekret")
                 .with_body(R"({"messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(r.status, 200);
  auto b = body_of(r);
  EXPECT_EQ(b["model"], "gpt-4o-2024-08-06");
  EXPECT_TRUE(b.contains("prompt_filter_results"));
  EXPECT_NE(r.headers.find("apim-request-id: "), std::string::npos);
}

TEST(MockHandler, AzureV1FormUsesTheModelAsDeployment) {
  MockHandler h(demo_config());
  auto r = run(
      h, post("/azure-east/openai/v1/chat/completions")
             .bearer("sekret")
             .with_body(R"({"model":"gpt4o-prod","messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body_of(r)["model"], "gpt-4o-2024-08-06");
  r = run(h, post("/azure-east/openai/v1/chat/completions").key("sekret"));
  EXPECT_EQ(r.status, 404);  // model gpt-4o is not a deployment here
  r = run(h, post("/azure-east/openai/v1/chat/completions")
                 .key("sekret")
                 .with_body(R"({"messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_of(r)["error"].as_object()["param"], "model");
}

TEST(MockHandler, UnknownPathsAndMethods) {
  MockHandler h(demo_config());
  auto r = run(h, post("/nowhere"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.cloud, nullptr);
  r = run(h, post("/openai/v1/chat/completions").get());
  EXPECT_EQ(r.status, 405);
  r = run(h, post("/openai/v1/models").get().bearer("ok-key"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body_of(r)["object"], "list");
  r = run(h, post("/azure-east/openai/v1/models").get().key("sekret"));
  EXPECT_EQ(body_of(r)["data"].as_array()[0].as_object()["id"], "gpt4o-prod");
}

TEST(MockHandler, BadBodiesGet400) {
  MockHandler h(demo_config());
  auto r = run(h, post("/openai/v1/chat/completions").bearer("ok-key").with_body("nope"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_of(r)["error"].as_object()["type"], "invalid_request_error");
}

TEST(MockHandler, StreamsWithTheCloudsDelay) {
  MockHandler h(demo_config());
  auto r = run(
      h, post("/openai/v1/chat/completions")
             .bearer("ok-key")
             .with_body(
                 R"({"model":"m","stream":true,"messages":[{"role":"user","content":"a b"}]})"));
  EXPECT_TRUE(r.stream);
  EXPECT_EQ(r.content_type, "text/event-stream");
  EXPECT_EQ(r.event_delay_ms, 5);
  EXPECT_EQ(r.events.size(), 1 + 4 + 1 + 1u);
  EXPECT_TRUE(r.body.empty());
}

TEST(MockHandler, CloudFaultAndHeaderOverride) {
  MockHandler h(demo_config());
  const std::string url = "/azure-west/openai/deployments/d/chat/completions?api-version=1";
  auto r = run(h, post(url).key("k"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(body_of(r)["error"].as_object()["code"], "503");
  EXPECT_NE(r.headers.find("x-mock-fault-applied: status=503\r\n"), std::string::npos);
  r = run(h, post(url).key("k").fault(""));
  EXPECT_EQ(r.status, 200);
  r = run(h, post(url).key("k").fault("status=429"));
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.headers.find("retry-after: 1\r\n"), std::string::npos);
  r = run(h, post(url).key("k").fault("status=429;retry_after=7"));
  EXPECT_NE(r.headers.find("retry-after: 7\r\n"), std::string::npos);
  r = run(h, post(url).key("k").fault("bogus"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(body_of(r)["error"].as_object()["param"], "x-mock-fault");
}

TEST(MockHandler, OpenAiFaultBodies) {
  MockHandler h(demo_config());
  auto c = post("/openai/v1/chat/completions").bearer("ok-key");
  c.fault("status=429");
  auto e = body_of(run(h, c))["error"].as_object();
  EXPECT_EQ(e["code"], "rate_limit_exceeded");
  c.fault("status=503");
  e = body_of(run(h, c))["error"].as_object();
  EXPECT_EQ(e["type"], "service_unavailable_error");
  c.fault("status=502");
  auto r = run(h, c);
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(body_of(r)["error"].as_object()["type"], "server_error");
}

TEST(MockHandler, TimingFaultsAreCarriedToTheServer) {
  MockHandler h(demo_config());
  auto c = post("/openai/v1/chat/completions").bearer("ok-key");
  c.fault("latency_ms=200;stall_ms=300;drop_after=2");
  auto r = run(h, c);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.latency_ms, 200);
  EXPECT_EQ(r.stall_ms, 300);
  EXPECT_EQ(r.drop_after, 2);
  c.fault("close");
  EXPECT_TRUE(run(h, c).close_without_reply);
}

TEST(MockHandler, FailFirstStopsAfterNRequestsAndResets) {
  MockHandler h(demo_config());
  auto c = post("/openai/v1/chat/completions").bearer("ok-key");
  c.fault("status=500;fail_first=2");
  EXPECT_EQ(run(h, c).status, 500);
  EXPECT_EQ(run(h, c).status, 500);
  EXPECT_EQ(run(h, c).status, 200);
  h.reset_counters();
  EXPECT_EQ(run(h, c).status, 500);
}

}  // namespace
}  // namespace tollbooth::mock

namespace tollbooth::mock {
namespace {

TEST(MockHandlerUsage, AWholeAnswerCarriesItsUsageForTheRecord) {
  MockHandler h(demo_config());
  auto r =
      run(h, post("/openai/v1/chat/completions")
                 .bearer("ok-key")
                 .with_body(R"({"model":"gpt-4o","prompt_cache_key":"k","reasoning_effort":"low",)"
                            R"("messages":[{"role":"user","content":"hello there"}]})"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.usage), body_of(r).at("usage")) << "the same bytes as the answer's";
  EXPECT_EQ(json::parse(r.usage).at_pointer("/prompt_tokens_details/cached_tokens"), 2);
  EXPECT_EQ(r.usage_model, "gpt-4o");
  EXPECT_TRUE(r.usage_reported);
  EXPECT_EQ(r.usage_event, -1);
  EXPECT_GT(r.seq, 0u);
  EXPECT_NE(r.headers.find("x-request-id: req-mock-" + std::to_string(r.seq)), std::string::npos);
}

TEST(MockHandlerUsage, AStreamNamesTheEventThatCarriesItsUsage) {
  MockHandler h(demo_config());
  const std::string body = R"({"stream":true,"stream_options":{"include_usage":true},)"
                           R"("messages":[{"role":"user","content":"a b"}]})";
  auto r = run(h, post("/azure-east/openai/deployments/gpt4o-prod/chat/completions?api-version=1")
                      .key("sekret")
                      .with_body(body));
  ASSERT_TRUE(r.stream);
  ASSERT_GE(r.usage_event, 0);
  const std::string& chunk = r.events[static_cast<std::size_t>(r.usage_event)];
  EXPECT_EQ(json::parse(chunk.substr(6)).at("usage"), json::parse(r.usage));
  EXPECT_EQ(r.usage_model, "gpt4o-prod") << "the deployment the request named";
  // Without include_usage the answer carries none, but the cloud still counted it.
  auto quiet = run(
      h, post("/openai/v1/chat/completions")
             .bearer("ok-key")
             .with_body(
                 R"({"model":"m","stream":true,"messages":[{"role":"user","content":"a b"}]})"));
  EXPECT_FALSE(quiet.usage.empty());
  EXPECT_FALSE(quiet.usage_reported);
  EXPECT_EQ(quiet.usage_event, -1);
}

TEST(MockHandlerUsage, ErrorsAndFaultsReportNoUsage) {
  MockHandler h(demo_config());
  EXPECT_TRUE(run(h, post("/openai/v1/chat/completions").bearer("wrong")).usage.empty());
  EXPECT_TRUE(run(h, post("/azure-west/openai/v1/chat/completions").key("k")).usage.empty());
  EXPECT_TRUE(
      run(h, post("/openai/v1/chat/completions").bearer("ok-key").with_body("{")).usage.empty());
}

}  // namespace
}  // namespace tollbooth::mock
