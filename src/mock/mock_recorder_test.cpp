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

namespace tollbooth::mock {
namespace {

UsageRecord usage_record(std::uint64_t seq, std::string cloud) {
  return UsageRecord{seq,   std::move(cloud),        "openai", "gpt-4o", true, true,
                     false, R"({"prompt_tokens":5})"};
}

TEST(MockUsageLog, KeepsEveryRecordInOrderWithItsDelivery) {
  UsageLog log;
  std::vector<std::uint64_t> tickets;
  for (std::uint64_t i = 1; i <= 250; ++i)
    tickets.push_back(log.add(usage_record(i, i % 2 ? "a" : "b")));
  log.mark_delivered(tickets[0]);
  log.mark_delivered(tickets[249]);
  auto v = json::parse(log.to_json()).as_object();
  auto& all = v.at("usage").as_array();
  ASSERT_EQ(all.size(), 250u) << "not a ring: a ledger needs every answer";
  EXPECT_EQ(all[0].at("seq"), 1);
  EXPECT_EQ(all[0].at("delivered"), true);
  EXPECT_EQ(all[1].at("delivered"), false);
  EXPECT_EQ(all[249].at("delivered"), true);
  EXPECT_EQ(all[0].at("usage").at("prompt_tokens"), 5);
  EXPECT_EQ(all[0].at("kind"), "openai");
  EXPECT_EQ(all[0].at("model"), "gpt-4o");
  EXPECT_EQ(all[0].at("stream"), true);
  EXPECT_EQ(all[0].at("reported"), true);
  EXPECT_EQ(v.at("dropped"), 0);
  EXPECT_EQ(json::parse(log.to_json("b")).at("usage").as_array().size(), 125u);
}

TEST(MockUsageLog, ATicketFromBeforeAClearMarksNothing) {
  UsageLog log;
  const auto old = log.add(usage_record(1, "a"));
  EXPECT_EQ(log.clear(), 1u);
  log.add(usage_record(2, "a"));
  log.mark_delivered(old);
  auto all = json::parse(log.to_json()).at("usage").as_array();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].at("delivered"), false);
}

TEST(MockUsageLog, RecordsPastTheCapacityAreCountedAsDropped) {
  UsageLog log;
  for (std::size_t i = 0; i < UsageLog::kCapacity; ++i)
    ASSERT_NE(log.add(usage_record(i + 1, "a")), 0u);
  EXPECT_EQ(log.add(usage_record(0, "a")), 0u);
  EXPECT_EQ(json::parse(log.to_json("none")).at("dropped"), 1);
}

}  // namespace
}  // namespace tollbooth::mock
