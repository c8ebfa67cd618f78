#include "api/openai/responses_response.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace tollbooth::openai {
namespace {

TEST(ResponsesResponse, UsageKeepsCachedAndReasoningTokensApart) {
  auto u = usage_from_response(
      R"({"id":"r","usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":20},)"
      R"("output_tokens":87,"output_tokens_details":{"reasoning_tokens":50},"total_tokens":123}})");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->reported);
  EXPECT_EQ(u->input_tokens, 36);
  EXPECT_EQ(u->cached_input_tokens, 20);
  EXPECT_EQ(u->output_tokens, 87);
  EXPECT_EQ(u->reasoning_tokens, 50);
  EXPECT_FALSE(usage_from_response(R"({"id":"r","usage":null})"));
  EXPECT_FALSE(usage_from_response("not json"));
}

TEST(ResponsesResponse, OnlyTerminalEventsAreTerminal) {
  constexpr std::string_view kDone =
      R"({"type":"response.completed","response":{"usage":{"input_tokens":1,"output_tokens":2}}})";
  auto named = classify_responses_event("response.completed", kDone);
  EXPECT_EQ(named.kind, ResponsesEventKind::completed);
  ASSERT_TRUE(named.usage);
  EXPECT_EQ(named.usage->output_tokens, 2);
  // Without an `event:` line the data's type says it.
  EXPECT_EQ(classify_responses_event("", kDone).kind, ResponsesEventKind::completed);
  EXPECT_EQ(classify_responses_event("response.incomplete", R"({"response":{}})").kind,
            ResponsesEventKind::incomplete);
  EXPECT_EQ(classify_responses_event("response.failed", R"({"response":{}})").kind,
            ResponsesEventKind::failed);
  EXPECT_EQ(classify_responses_event("error", R"({"type":"error"})").kind,
            ResponsesEventKind::error);
  EXPECT_EQ(classify_responses_event("response.output_text.delta", R"({"delta":"hi"})").kind,
            ResponsesEventKind::other);
  EXPECT_EQ(classify_responses_event("", R"({"type":"response.output_text.delta"})").kind,
            ResponsesEventKind::other);
}

TEST(ResponsesResponse, TheFailedEventIsValidJsonWithTheErrorAndTheNextSequenceNumber) {
  Error e = make_error(ErrorKind::gateway_timeout, "the upstream stalled \"badly\" \xff");
  const std::string ev = responses_failed_event(e, "resp_9", 12);
  ASSERT_EQ(ev.rfind("event: response.failed\ndata: ", 0), 0u);
  ASSERT_EQ(ev.substr(ev.size() - 2), "\n\n");
  const auto data = ev.substr(ev.find("data: ") + 6, ev.size() - ev.find("data: ") - 8);
  auto v = boost::json::parse(data).as_object();
  EXPECT_EQ(v.at("type"), "response.failed");
  EXPECT_EQ(v.at("sequence_number"), 12);
  EXPECT_EQ(v.at("response").at("id"), "resp_9");
  EXPECT_EQ(v.at("response").at("status"), "failed");
  EXPECT_EQ(v.at("response").at("error").at("code"), "server_error");
  EXPECT_THAT(std::string(v.at("response").at("error").at("message").as_string()),
              ::testing::HasSubstr("the upstream stalled"));
}

}  // namespace
}  // namespace tollbooth::openai
