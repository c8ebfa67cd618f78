#include "mock/mock_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

namespace tollbooth::mock {
namespace {

std::optional<std::string> fake_env(const std::string& name) {
  if (name == "MOCK_AZURE_KEY") return std::string("azure-secret");
  return std::nullopt;
}

MockConfig parse(const std::string& yaml) {
  return parse_mock_config(yaml, "mock.yaml", fake_env);
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(MockConfig, DefaultsServeBothWiresAtTheRoot) {
  auto c = default_mock_config();
  ASSERT_EQ(c.clouds.size(), 2u);
  EXPECT_EQ(c.clouds[0].name, "openai");
  EXPECT_EQ(c.clouds[0].kind, CloudKind::openai);
  EXPECT_EQ(c.clouds[1].kind, CloudKind::azure);
  EXPECT_EQ(c.clouds[1].prefix, "");
  EXPECT_TRUE(c.clouds[1].api_key.empty());
}

TEST(MockConfig, ReadsEveryKey) {
  auto c = parse(R"(
clouds:
  openai:
    kind: openai
    prefix: /openai/
    api_key: mock-openai-key
    fault: "status=503;fail_first=1"
    stream_delay_ms: 30
    models: [gpt-4o, gpt-4o-mini]
    record: false
  azure-east:
    kind: azure
    prefix: /azure-east
    api_key: env:MOCK_AZURE_KEY
    deployments: { gpt4o-prod: gpt-4o-2024-08-06, mini: gpt-4o-mini-2024-07-18 }
)");
  ASSERT_EQ(c.clouds.size(), 2u);
  const auto& o = c.clouds[0];
  EXPECT_EQ(o.prefix, "/openai");
  EXPECT_EQ(o.api_key, "mock-openai-key");
  EXPECT_EQ(o.fault.status, 503);
  EXPECT_EQ(o.fault.fail_first, 1);
  EXPECT_EQ(o.stream_delay_ms, 30);
  EXPECT_EQ(o.models.size(), 2u);
  EXPECT_FALSE(o.record);
  const auto& a = c.clouds[1];
  EXPECT_EQ(a.kind, CloudKind::azure);
  EXPECT_EQ(a.api_key, "azure-secret");
  ASSERT_EQ(a.deployments.size(), 2u);
  EXPECT_EQ(a.deployments[0].first, "gpt4o-prod");
  EXPECT_EQ(a.deployments[0].second, "gpt-4o-2024-08-06");
  EXPECT_TRUE(a.record);
}

TEST(MockConfig, RejectsUnknownKeysWithFileAndLine) {
  auto err = error_of("clouds:\n  a:\n    kind: openai\n    prefx: /a\n");
  EXPECT_NE(err.find("mock.yaml:4:"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown key 'prefx'"), std::string::npos) << err;
  err = error_of("clouds:\n  a: {kind: openai}\nlisten: 1\n");
  EXPECT_NE(err.find("mock.yaml:3:"), std::string::npos) << err;
}

TEST(MockConfig, BedrockCloud) {
  auto env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "SECRET") return "s3cr3t";
    return std::nullopt;
  };
  const auto c = parse_mock_config(
      "clouds:\n  br:\n    kind: bedrock\n    prefix: /br\n    region: eu-west-1\n"
      "    access_key_id: AKID\n    secret_access_key: env:SECRET\n",
      "mock.yaml", env);
  ASSERT_EQ(c.clouds.size(), 1u);
  EXPECT_EQ(c.clouds[0].kind, CloudKind::bedrock);
  EXPECT_EQ(c.clouds[0].region, "eu-west-1");
  EXPECT_EQ(c.clouds[0].access_key_id, "AKID");
  EXPECT_EQ(c.clouds[0].secret_access_key, "s3cr3t");
  EXPECT_EQ(parse_mock_config("clouds:\n  br: {kind: bedrock}\n", "m", env).clouds[0].region,
            "us-east-1");
  EXPECT_THROW(parse_mock_config("clouds:\n  br: {kind: bedrock, access_key_id: A}\n", "m", env),
               std::runtime_error);
  EXPECT_THROW(parse_mock_config("clouds:\n  o: {kind: openai, region: us-east-1}\n", "m", env),
               std::runtime_error);
}

TEST(MockConfig, RejectsBadValues) {
  EXPECT_NE(error_of("clouds:\n  a:\n    kind: vertex\n").find("kind must be"), std::string::npos);
  EXPECT_NE(error_of("clouds:\n  a:\n    prefix: /a\n").find("kind is required"),
            std::string::npos);
  EXPECT_NE(error_of("clouds:\n  a:\n    kind: openai\n    fault: boom\n").find("mock.yaml:4:"),
            std::string::npos);
  EXPECT_NE(error_of("clouds:\n  a:\n    kind: azure\n    api_key: env:NOPE\n").find("NOPE"),
            std::string::npos);
  EXPECT_NE(error_of("clouds:\n  a:\n    kind: openai\n    prefix: a\n").find("start with"),
            std::string::npos);
  EXPECT_NE(error_of("clouds:\n  a:\n    kind: openai\n    stream_delay_ms: x\n").find("integer"),
            std::string::npos);
  EXPECT_NE(error_of("clouds:\n  a:\n    kind: openai\n    deployments: {d: m}\n").find("azure"),
            std::string::npos);
  EXPECT_NE(error_of("clouds: {}\n").find("non-empty"), std::string::npos);
  EXPECT_NE(error_of("clouds: [\n").find("mock.yaml:"), std::string::npos);
}

TEST(MockConfig, TheShippedExampleLoads) {
  const std::string path = std::string(TOLLBOOTH_SOURCE_DIR) + "/examples/mock-clouds.yaml";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto env = [](const std::string& name) -> std::optional<std::string> { return "key-" + name; };
  auto c = parse_mock_config(text, path, env);
  // openai, azure-east, azure-west (down), bedrock, bedrock-eu: what the demo and
  // examples/routing.yaml expect to find.
  ASSERT_EQ(c.clouds.size(), 5u);
  EXPECT_EQ(c.clouds[0].prefix, "/openai");
  EXPECT_EQ(c.clouds[0].api_key, "key-MOCK_OPENAI_KEY");
  EXPECT_EQ(c.clouds[1].deployments.size(), 4u);
  EXPECT_EQ(c.clouds[2].fault.status, 503);
  EXPECT_EQ(c.clouds[3].kind, CloudKind::bedrock);
  EXPECT_EQ(c.clouds[3].prefix, "/bedrock");
  EXPECT_EQ(c.clouds[4].region, "eu-central-1");
}

}  // namespace
}  // namespace tollbooth::mock
