#include "providers/openai_azure.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tb = tollbooth;

namespace {

struct AzureFixture {
  tb::ProviderConfig provider;
  tb::RouteConfig route;
  tb::Endpoint endpoint;
  AzureFixture(tb::AzureApi api) {
    provider.name = "azure-east";
    provider.kind = tb::ProviderKind::azure;
    provider.api_key = "secret-azure-key";
    provider.api_version = "2024-10-21";
    provider.azure_api = api;
    route.provider = "azure-east";
    route.upstream_model = "gpt4o prod";
    endpoint = tb::parse_endpoint("https://contoso.openai.azure.com/prefix").value();
  }
  tb::UpstreamRequest build(std::string_view body) {
    auto facts = tb::openai::inspect_chat_request(body);
    EXPECT_TRUE(facts.ok());
    tb::UpstreamRequest out;
    tb::build_azure_chat(provider, endpoint, route, body, facts.value(), out);
    out.spliced = std::string(out.body);  // detach from the local body for the caller
    out.body = out.spliced;
    return out;
  }
};

}  // namespace

TEST(OpenAiAzure, DeploymentsFormPutsEncodedDeploymentAndApiVersionInPath) {
  AzureFixture f(tb::AzureApi::deployments);
  auto req = f.build(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(req.head.substr(0, req.head.find("\r\n")),
            "POST /prefix/openai/deployments/gpt4o%20prod/chat/completions?api-version=2024-10-21 "
            "HTTP/1.1");
  EXPECT_NE(req.head.find("\r\nHost: contoso.openai.azure.com\r\n"), std::string::npos);
  EXPECT_NE(req.head.find("\r\napi-key: secret-azure-key\r\n"), std::string::npos);
  EXPECT_EQ(req.head.find("Authorization"), std::string::npos);
  EXPECT_EQ(req.body, R"({"model":"gpt4o prod","messages":[{"role":"user","content":"hi"}]})");
}

TEST(OpenAiAzure, V1FormUsesTheOpenAiPathWithoutApiVersion) {
  AzureFixture f(tb::AzureApi::v1);
  auto req = f.build(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(req.head.substr(0, req.head.find("\r\n")),
            "POST /prefix/openai/v1/chat/completions HTTP/1.1");
  EXPECT_EQ(req.head.find("api-version"), std::string::npos);
}

TEST(OpenAiAzure, StreamsAskForUsageAndEventStream) {
  AzureFixture f(tb::AzureApi::deployments);
  auto req =
      f.build(R"({"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_NE(req.body.find(R"("stream_options":{"include_usage":true})"), std::string::npos);
  EXPECT_NE(req.head.find("\r\nAccept: text/event-stream\r\n"), std::string::npos);
  auto len = "\r\nContent-Length: " + std::to_string(req.body.size()) + "\r\n";
  EXPECT_NE(req.head.find(len), std::string::npos);
}
