#include "api/openai/responses_state.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <vector>

namespace tollbooth::openai {
namespace {

namespace json = boost::json;

TEST(ResponsesState, AStringInputIsKeptAsOneUserMessage) {
  json::value items = json::parse(input_items_json(R"({"model":"m","input":"hi there"})"));
  ASSERT_EQ(items.as_array().size(), 1u);
  EXPECT_EQ(items.at_pointer("/0/role"), "user");
  EXPECT_EQ(items.at_pointer("/0/content/0/type"), "input_text");
  EXPECT_EQ(items.at_pointer("/0/content/0/text"), "hi there");
  EXPECT_EQ(input_items_json(R"({"model":"m","previous_response_id":"resp_1"})"), "[]");
  EXPECT_EQ(input_items_json(R"({"model":"m","input":[{"type":"function_call_output",)"
                             R"("call_id":"c1","output":"42"}]})"),
            R"([{"type":"function_call_output","call_id":"c1","output":"42"}])");
}

TEST(ResponsesState, AContinuedConversationSpellsOutItsHistoryInOrder) {
  const std::string in1 = input_items_json(R"({"model":"m","input":"my name is Ada"})");
  const std::string out1 =
      R"({"id":"resp_1","status":"completed","output":[{"type":"message","id":"msg_1",)"
      R"("role":"assistant","content":[{"type":"output_text","text":"hello Ada"}]}]})";
  const std::string in2 = input_items_json(R"({"model":"m","input":"call the tool"})");
  const std::string out2 =
      R"({"id":"resp_2","output":[{"type":"reasoning","id":"rs_1","encrypted_content":"x"},)"
      R"({"type":"function_call","id":"fc_1","call_id":"call_9","name":"f","arguments":"{}"}]})";
  const std::vector<KeptTurn> turns{{in1, out1}, {in2, out2}};
  auto body = continue_conversation(
      R"({"model":"m","previous_response_id":"resp_2","stream":true,"input":[)"
      R"({"type":"function_call_output","call_id":"call_9","output":"done"}]})",
      turns, 1 << 20);
  ASSERT_TRUE(body) << body.error().message;
  json::object req = json::parse(*body).as_object();
  EXPECT_FALSE(req.contains("previous_response_id"));
  EXPECT_EQ(req.at("stream"), true);
  const json::array& input = req.at("input").as_array();
  ASSERT_EQ(input.size(), 5u);  // the reasoning item is not replayed
  EXPECT_EQ(input[0].at_pointer("/content/0/text"), "my name is Ada");
  EXPECT_EQ(input[1].at("type"), "message");
  EXPECT_EQ(input[1].at_pointer("/content/0/text"), "hello Ada");
  EXPECT_FALSE(input[1].as_object().contains("id"));  // the gateway's id, unknown upstream
  EXPECT_EQ(input[2].at_pointer("/content/0/text"), "call the tool");
  EXPECT_EQ(input[3].at("type"), "function_call");
  EXPECT_EQ(input[3].at("call_id"), "call_9");
  EXPECT_EQ(input[4].at("type"), "function_call_output");
}

TEST(ResponsesState, AConversationLargerThanARequestMayBeIsRefused) {
  const std::string in1 =
      input_items_json(R"({"model":"m","input":")" + std::string(2000, 'a') + R"("})");
  const std::vector<KeptTurn> turns{{in1, R"({"id":"r","output":[]})"}};
  auto body = continue_conversation(R"({"model":"m","input":"more"})", turns, 1000);
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().code, "conversation_too_long");
  EXPECT_EQ(body.error().param, "previous_response_id");
  EXPECT_EQ(http_status(body.error().kind), 400);
}

TEST(ResponsesState, TheTerminalEventsResponseIsFoundInAStreamsLastBytes) {
  const std::string sse =
      "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\"}\n\n"
      "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":9,"
      "\"response\":{\"id\":\"resp_7\",\"status\":\"completed\",\"output\":[]}}\n\n";
  auto r = terminal_response(sse);
  ASSERT_TRUE(r);
  auto facts = response_facts(*r);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->id, "resp_7");
  EXPECT_EQ(facts->status, "completed");
  // CRLF lines and a data field split over two lines are one event's data, as SSE says.
  auto split = terminal_response(
      "event: response.incomplete\r\ndata: {\"type\":\"response.incomplete\",\r\n"
      "data: \"response\":{\"id\":\"resp_8\",\"status\":\"incomplete\"}}\r\n\r\n");
  ASSERT_TRUE(split);
  EXPECT_EQ(response_facts(*split)->id, "resp_8");
  EXPECT_FALSE(
      terminal_response("event: response.failed\ndata: {\"type\":\"response.failed\","
                        "\"response\":{\"id\":\"r\"}}\n\n"));
  EXPECT_FALSE(response_facts("[1]"));
}

TEST(ResponsesState, InputItemsArePagedNewestFirstByDefault) {
  const std::string items =
      R"([{"type":"message","role":"user","content":"a"},{"type":"message","id":"msg_b",)"
      R"("role":"user","content":"b"},{"type":"message","role":"user","content":"c"}])";
  auto page = input_items_page(items, "resp_1", "");
  ASSERT_TRUE(page);
  json::value v = json::parse(*page);
  EXPECT_EQ(v.at("object"), "list");
  ASSERT_EQ(v.at("data").as_array().size(), 3u);
  EXPECT_EQ(v.at_pointer("/data/0/content"), "c");
  EXPECT_EQ(v.at_pointer("/data/0/id"), "resp_1_item_2");
  EXPECT_EQ(v.at("first_id"), "resp_1_item_2");
  EXPECT_EQ(v.at("last_id"), "resp_1_item_0");
  EXPECT_EQ(v.at("has_more"), false);

  auto asc = input_items_page(items, "resp_1", "order=asc&limit=1");
  ASSERT_TRUE(asc);
  v = json::parse(*asc);
  ASSERT_EQ(v.at("data").as_array().size(), 1u);
  EXPECT_EQ(v.at_pointer("/data/0/content"), "a");
  EXPECT_EQ(v.at("has_more"), true);
  auto next = input_items_page(items, "resp_1", "order=asc&limit=1&after=resp_1_item_0");
  ASSERT_TRUE(next);
  EXPECT_EQ(json::parse(*next).at_pointer("/data/0/id"), "msg_b");

  for (const char* bad : {"limit=0", "limit=101", "limit=x", "order=up", "after=nope"}) {
    auto refused = input_items_page(items, "resp_1", bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(http_status(refused.error().kind), 400) << bad;
  }
}

TEST(ResponsesState, AFallbackToAnotherOrganisationGetsNoReasoningItems) {
  auto stripped = without_reasoning(
      R"({"model":"m","input":[{"type":"message","role":"user","content":"hi"},)"
      R"({"type":"reasoning","id":"rs_1","encrypted_content":"gAAA","summary":[]},)"
      R"({"type":"function_call","call_id":"c","name":"f","arguments":"{}"}],"reasoning":{}})");
  ASSERT_TRUE(stripped);
  json::object req = json::parse(*stripped).as_object();
  const json::array& input = req.at("input").as_array();
  ASSERT_EQ(input.size(), 2u);
  EXPECT_EQ(input[0].at("type"), "message");
  EXPECT_EQ(input[1].at("type"), "function_call");
  EXPECT_TRUE(req.contains("reasoning")) << "the reasoning settings stay: only the items go";
  // Nothing to remove: the body goes as it is.
  EXPECT_FALSE(without_reasoning(R"({"model":"m","input":"hi","reasoning":{"effort":"low"}})"));
  EXPECT_FALSE(without_reasoning(R"({"model":"m","input":[{"type":"message","content":"x"}]})"));
}

TEST(ResponsesState, ADeletionSaysWhatWasDeleted) {
  json::value v = json::parse(response_deleted_body("resp_9"));
  EXPECT_EQ(v.at("id"), "resp_9");
  EXPECT_EQ(v.at("object"), "response");
  EXPECT_EQ(v.at("deleted"), true);
}

}  // namespace
}  // namespace tollbooth::openai
