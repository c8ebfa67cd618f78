#include "mock/mock_recorder.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace tollbooth::mock {
namespace {
namespace json = boost::json;

void add(RequestLog& log, const std::string& cloud, const std::string& body) {
  log.record([&](RecordedRequest& r) {
    r.cloud = cloud;
    r.method = "POST";
    r.target = "/v1/chat/completions";
    r.add_header("Api-Key", "k");
    r.add_header("X-Dup", "a");
    r.add_header("x-dup", "b");
    r.set_body(body);
  });
}

TEST(MockRecorder, KeepsTheLast100NewestLast) {
  RequestLog log;
  for (int i = 0; i < 130; ++i) add(log, "c", std::to_string(i));
  auto v = json::parse(log.to_json()).as_object();
  auto& reqs = v["requests"].as_array();
  ASSERT_EQ(reqs.size(), RequestLog::kCapacity);
  EXPECT_EQ(reqs.front().as_object().at("body"), "30");
  EXPECT_EQ(reqs.back().as_object().at("body"), "129");
  auto& headers = reqs.back().as_object().at("headers").as_object();
  EXPECT_EQ(headers.at("api-key"), "k");
  EXPECT_EQ(headers.at("x-dup"), "a, b");
}

TEST(MockRecorder, FiltersByCloudAndClears) {
  RequestLog log;
  add(log, "a", "1");
  add(log, "b", "{\"x\":\"y\"}");
  auto v = json::parse(log.to_json("b")).as_object();
  ASSERT_EQ(v["requests"].as_array().size(), 1u);
  EXPECT_EQ(v["requests"].as_array()[0].as_object().at("body"), "{\"x\":\"y\"}");
  EXPECT_EQ(log.clear(), 2u);
  EXPECT_EQ(log.to_json(), R"({"requests":[]})");
}

TEST(MockRecorder, CutsLargeBodies) {
  RequestLog log;
  add(log, "a", std::string(RequestLog::kMaxBody + 10, 'x'));
  auto v = json::parse(log.to_json()).as_object();
  auto& r = v["requests"].as_array()[0].as_object();
  EXPECT_EQ(r.at("body").as_string().size(), RequestLog::kMaxBody);
  EXPECT_EQ(r.at("body_truncated"), true);
}

}  // namespace
}  // namespace tollbooth::mock
