#include "api/openai/models.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "config/config.hpp"

namespace tollbooth::openai {
namespace {

Config two_models() {
  Config config;
  ModelConfig a;
  a.name = "gpt-4o";
  a.routes.push_back(RouteConfig{"azure-east", "gpt4o-deployment", 12});
  ModelConfig b;
  b.name = "o4-mini";
  b.owned_by = "openai";
  config.models = {a, b};
  return config;
}

boost::json::value parse(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  return v;
}

TEST(OpenAiModels, ListsConfiguredModelsInConfigOrder) {
  std::string body = models_list_body(two_models(), 1700000000);
  EXPECT_EQ(parse(body), parse(R"({"object":"list","data":[
      {"id":"gpt-4o","object":"model","created":1700000000,"owned_by":"tollbooth"},
      {"id":"o4-mini","object":"model","created":1700000000,"owned_by":"openai"}]})"));
  EXPECT_LT(body.find("gpt-4o"), body.find("o4-mini"));
}

TEST(OpenAiModels, NeverRevealsUpstreamDeployments) {
  std::string body = models_list_body(two_models(), 0);
  EXPECT_EQ(body.find("gpt4o-deployment"), std::string::npos);
  EXPECT_EQ(body.find("azure-east"), std::string::npos);
}

TEST(OpenAiModels, EmptyConfigGivesAnEmptyList) {
  EXPECT_EQ(models_list_body(Config{}, 0), R"({"object":"list","data":[]})");
}

TEST(OpenAiModels, ModelBodyIsTheSingleObject) {
  EXPECT_EQ(model_body(two_models(), "o4-mini", 42),
            R"({"id":"o4-mini","object":"model","created":42,"owned_by":"openai"})");
}

TEST(OpenAiModels, UnknownModelGivesEmptyString) {
  EXPECT_EQ(model_body(two_models(), "gpt-5", 42), "");
  EXPECT_EQ(model_body(two_models(), "GPT-4O", 42), "");
  EXPECT_EQ(model_body(Config{}, "gpt-4o", 42), "");
}

TEST(OpenAiModels, NamesAreJsonEscaped) {
  Config config;
  ModelConfig m;
  m.name = "team\"a\"/model\\1";
  m.owned_by = "acme \xC3\xA9";
  config.models.push_back(m);
  boost::json::value list = parse(models_list_body(config, 1));
  EXPECT_EQ(list.at("data").at(0).at("id"), "team\"a\"/model\\1");
  EXPECT_EQ(list.at("data").at(0).at("owned_by"), "acme \xC3\xA9");
  EXPECT_EQ(parse(model_body(config, m.name, 1)).at("id"), "team\"a\"/model\\1");
}

}  // namespace
}  // namespace tollbooth::openai
