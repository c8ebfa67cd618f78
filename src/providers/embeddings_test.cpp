#include "providers/embeddings.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"
#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tollbooth {
namespace {

using ::testing::HasSubstr;

TEST(EmbeddingsRequest, ReadsInputsAndRefusesWhatItCannotRoute) {
  auto r = openai::inspect_embeddings_request(
      R"({"input":["one two","three"],"model":"text-embedding-3-small","encoding_format":"base64","dimensions":256})");
  ASSERT_TRUE(r.ok());
  const auto& f = r.value();
  EXPECT_EQ(f.facts.model, "text-embedding-3-small");
  EXPECT_EQ(f.texts, (std::vector<std::string>{"one two", "three"}));
  EXPECT_TRUE(f.base64);
  EXPECT_EQ(f.dimensions, 256);
  EXPECT_EQ(f.input_count, 2u);
  EXPECT_EQ(f.facts.estimated_input_tokens, 3u) << "12 text bytes / 4";
  EXPECT_FALSE(f.facts.stream);

  auto tokens = openai::inspect_embeddings_request(R"({"model":"m","input":[1,2,3]})");
  ASSERT_TRUE(tokens.ok());
  EXPECT_TRUE(tokens.value().token_input);

  auto param = [](std::string_view body) {
    auto e = openai::inspect_embeddings_request(body);
    EXPECT_FALSE(e.ok()) << body;
    return e.ok() ? std::string("(accepted)") : e.error().param;
  };
  EXPECT_EQ(param(R"({"input":"x"})"), "model");
  EXPECT_EQ(param(R"({"model":"m"})"), "input");
  EXPECT_EQ(param(R"({"model":"m","input":""})"), "input");
  EXPECT_EQ(param(R"({"model":"m","input":[]})"), "input");
  EXPECT_EQ(param(R"({"model":"m","input":[{}]})"), "input[0]");
  EXPECT_EQ(param(R"({"model":"m","input":"x","encoding_format":"hex"})"), "encoding_format");
  EXPECT_EQ(param(R"({"model":"m","input":"x","dimensions":0})"), "dimensions");
  EXPECT_EQ(param(R"({"model":"m","input":"x","model":"n"})"), "model") << "a duplicate key";
}

TEST(EmbeddingsRequest, DeepValuesAreReadAndTooDeepIsSaid) {
  auto body = [](int depth) {
    return R"({"model":"m","input":"x","metadata":)" + std::string(depth, '[') +
           std::string(depth, ']') + "}";
  };
  EXPECT_TRUE(openai::inspect_embeddings_request(body(100)).ok());
  auto e = openai::inspect_embeddings_request(body(600));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "too_deep");
}

TEST(EmbeddingsRequest, TheModelIsSplicedWhereTheParserFoundIt) {
  // A "model" key nested before the real one must not be the one replaced.
  const std::string body = R"({"metadata":{"model":"decoy"},"input":"x","model":"m"})";
  auto r = openai::inspect_embeddings_request(body);
  ASSERT_TRUE(r.ok());
  const auto& span = r.value().facts.model_value;
  EXPECT_EQ(body.substr(span.begin, span.end - span.begin), "\"m\"");
}

TEST(EmbeddingsAnswer, Base64IsTheLittleEndianFloat32Bytes) {
  const double v[] = {1.0, -2.0};
  const auto text = openai::embeddings_answer(v, true, "titan", 7);
  auto o = boost::json::parse(text).as_object();
  EXPECT_EQ(o.at("data").at(0).at("embedding"), "AACAPwAAAMA=");  // 1.0f, -2.0f
  EXPECT_EQ(o.at("usage").at("prompt_tokens"), 7);
  EXPECT_EQ(o.at("model"), "titan");
  auto floats = boost::json::parse(openai::embeddings_answer(v, false, "titan", 7)).as_object();
  EXPECT_EQ(floats.at("data").at(0).at("embedding").as_array().size(), 2u);
}

struct TitanFixture {
  ProviderConfig provider;
  RouteConfig route;
  Endpoint endpoint = parse_endpoint("https://bedrock-runtime.us-east-1.amazonaws.com").value();
  aws::Auth auth;
  aws::Signer signer;
  std::string body;
  openai::EmbeddingsInspection facts;
  std::optional<EmbeddingsInput> input;
  explicit TitanFixture(std::string b) : body(std::move(b)) {
    provider.kind = ProviderKind::bedrock;
    provider.region = "us-east-1";
    route.provider = "bedrock-us";
    route.upstream_model = "amazon.titan-embed-text-v2:0";
    auth.mode = aws::AuthMode::bearer;
    auth.bearer_token = "bedrock-api-key";
    facts = openai::inspect_embeddings_request(body).value();
    input.emplace(
        EmbeddingsInput{provider, endpoint, route, body, facts, 1'764'633'600'000, &signer, &auth});
  }
};

TEST(BedrockEmbeddings, OneInputBecomesATitanInvokeModelCall) {
  TitanFixture f(R"({"model":"titan","input":"hello","dimensions":512})");
  BedrockEmbeddings t(*f.input);
  UpstreamRequest out;
  ASSERT_TRUE(t.build(out).ok());
  EXPECT_EQ(out.head.substr(0, out.head.find("\r\n")),
            "POST /model/amazon.titan-embed-text-v2%3A0/invoke HTTP/1.1");
  EXPECT_THAT(out.head, HasSubstr("\r\nAuthorization: Bearer bedrock-api-key\r\n"));
  EXPECT_EQ(boost::json::parse(out.body),
            boost::json::parse(R"({"inputText":"hello","normalize":true,"dimensions":512})"));
  Reply r = t.whole(ResponseHead{200, "application/json", {}, {}},
                    R"({"embedding":[0.5,-0.25],"inputTextTokenCount":3})");
  EXPECT_EQ(r.kind, Reply::Kind::respond);
  ASSERT_TRUE(r.usage);
  EXPECT_EQ(r.usage->input_tokens, 3);
  auto o = boost::json::parse(r.body).as_object();
  EXPECT_EQ(o.at("data").at(0).at("embedding").as_array().size(), 2u);
  // Throttling lets the next route try.
  Reply busy = t.whole(ResponseHead{429, "application/json", {}, "ThrottlingException"},
                       R"({"message":"slow down"})");
  EXPECT_EQ(busy.kind, Reply::Kind::retry);
}

TEST(BedrockEmbeddings, WhatTitanCannotDoIsTheClients400) {
  for (auto [body, param] :
       {std::pair{R"({"model":"t","input":["a","b"]})", "input"},
        std::pair{R"({"model":"t","input":[[1,2]]})", "input"},
        std::pair{R"({"model":"t","input":"a","dimensions":100})", "dimensions"}}) {
    TitanFixture f(body);
    BedrockEmbeddings t(*f.input);
    UpstreamRequest out;
    auto r = t.build(out);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().param, param);
    EXPECT_EQ(r.error().kind, ErrorKind::invalid_request);
  }
}

}  // namespace
}  // namespace tollbooth
