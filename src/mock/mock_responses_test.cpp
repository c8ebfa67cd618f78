#include "mock/mock_responses.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace tollbooth::mock {
namespace {

using ::testing::HasSubstr;
using Kind = ToolTurn::Kind;

constexpr std::string_view kTools =
    R"("tools":[{"type":"function","name":"exec_command","parameters":{}},
                {"type":"custom","name":"apply_patch"}])";

ResponsesInput parse(const std::string& body) {
  auto r = parse_responses_input(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : ResponsesInput{};
}

TEST(MockResponses, ACallOfAToolTheRequestHasIsScripted) {
  auto in = parse(R"({"model":"m",)" + std::string(kTools) +
                  R"(,"input":[{"role":"user","content":[{"type":"input_text",
                      "text":"call exec_command {\"cmd\":\"echo hi\"}"}]}]})");
  EXPECT_EQ(in.turn.kind, Kind::call);
  EXPECT_EQ(in.turn.name, "exec_command");
  EXPECT_FALSE(in.turn.custom);
  EXPECT_EQ(in.turn.arguments, R"({"cmd":"echo hi"})");

  auto patch = parse(R"({"model":"m",)" + std::string(kTools) +
                     R"(,"input":[{"role":"user","content":"call apply_patch *** Begin"}]})");
  EXPECT_EQ(patch.turn.kind, Kind::call);
  EXPECT_TRUE(patch.turn.custom);
  EXPECT_EQ(patch.turn.arguments, "*** Begin");

  // A tool the request does not offer, or no "call": a plain answer.
  EXPECT_EQ(parse(R"({"model":"m",)" + std::string(kTools) +
                  R"(,"input":[{"role":"user","content":"call rm -rf /"}]})")
                .turn.kind,
            Kind::none);
  EXPECT_EQ(parse(R"({"model":"m","input":"call exec_command {}"})").turn.kind, Kind::none);
}

TEST(MockResponses, AfterTheToolsOutputTheAnswerQuotesItsLastLine) {
  auto in = parse(R"({"model":"m",)" + std::string(kTools) + R"(,"input":[
      {"role":"user","content":"call exec_command {}"},
      {"type":"function_call","call_id":"c1","name":"exec_command","arguments":"{}"},
      {"type":"function_call_output","call_id":"c1","output":"Exit code: 0\nOutput:\nhello\n"}]})");
  EXPECT_EQ(in.turn.kind, Kind::after_output);
  EXPECT_EQ(in.chat.last_user_text, "tool output: hello");
}

TEST(MockResponses, AScriptedCallRendersAsTheItemAndTheEventsCodexReads) {
  ToolTurn turn{Kind::call, "exec_command", false, R"({"cmd":"echo hi"})"};
  ChatInput chat;
  chat.model = "m";
  chat.last_user_text = turn.arguments;
  const Answer a = make_answer("openai", chat);
  const ResponseMeta meta{"resp_mock_7", "m", kCreated};
  std::string whole;
  render_response(meta, a, turn, whole);
  auto v = boost::json::parse(whole).as_object();
  const auto& item = v.at("output").as_array().at(0).as_object();
  EXPECT_EQ(item.at("type"), "function_call");
  EXPECT_EQ(item.at("call_id"), "call_mock_7");
  EXPECT_EQ(item.at("arguments"), R"({"cmd":"echo hi"})");
  EXPECT_EQ(v.at("status"), "completed");

  auto events = render_response_stream(meta, a, turn);
  ASSERT_GE(events.size(), 5u);
  EXPECT_THAT(events.at(events.size() - 2), HasSubstr("event: response.output_item.done\n"));
  EXPECT_THAT(events.at(events.size() - 2), HasSubstr(R"("name":"exec_command")"));
  EXPECT_THAT(events.back(), HasSubstr("event: response.completed\n"));
  EXPECT_THAT(events.back(), HasSubstr(R"("usage":{"input_tokens")"));
}

}  // namespace
}  // namespace tollbooth::mock
