#include "providers/openai_openai.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tb = tollbooth;

namespace {

tb::UpstreamRequest build(const tb::ProviderConfig& provider, const tb::RouteConfig& route,
                          const std::string& body) {
  auto endpoint = tb::parse_endpoint(provider.base_url).value();
  auto facts = tb::openai::inspect_chat_request(body);
  EXPECT_TRUE(facts.ok());
  tb::UpstreamRequest out;
  tb::build_openai_chat(provider, endpoint, route, body, facts.value(), out);
  return out;
}

tb::ProviderConfig openai_provider(std::string key) {
  tb::ProviderConfig p;
  p.name = "openai";
  p.base_url = "https://api.openai.com/v1";
  p.api_key = std::move(key);
  return p;
}

}  // namespace

TEST(OpenAiOpenAi, SameModelForwardsTheClientsBytesUntouched) {
  std::string body =
      R"({ "model": "gpt-4o", "messages": [{"role":"user","content":"hi"}], "seed": 1 })";
  tb::RouteConfig route{"openai", "gpt-4o", 0};
  auto req = build(openai_provider("sk-live"), route, body);
  EXPECT_EQ(req.body.data(), body.data()) << "no copy when nothing changes";
  EXPECT_EQ(req.head.substr(0, req.head.find("\r\n")), "POST /v1/chat/completions HTTP/1.1");
  EXPECT_NE(req.head.find("\r\nAuthorization: Bearer sk-live\r\n"), std::string::npos);
  EXPECT_NE(req.head.find("\r\nHost: api.openai.com\r\n"), std::string::npos);
  EXPECT_TRUE(req.head.ends_with("\r\n\r\n"));
}

TEST(OpenAiOpenAi, RouteModelReplacesThePublicName) {
  std::string body = R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})";
  tb::RouteConfig route{"openai", "gpt-4o-mini-2024-07-18", 0};
  auto req = build(openai_provider("sk"), route, body);
  EXPECT_EQ(req.body,
            R"({"model":"gpt-4o-mini-2024-07-18","messages":[{"role":"user","content":"hi"}]})");
}

TEST(OpenAiOpenAi, NoKeyMeansNoAuthorizationHeader) {
  std::string body = R"({"model":"llama","messages":[{"role":"user","content":"hi"}]})";
  tb::RouteConfig route{"local", "", 0};
  auto req = build(openai_provider(""), route, body);
  EXPECT_EQ(req.head.find("Authorization"), std::string::npos);
  EXPECT_EQ(req.body, body) << "empty route model keeps the public name";
}
