#include "routing/chat_needs.hpp"

#include <gtest/gtest.h>

namespace tollbooth::routing {
namespace {

TEST(ChatNeeds, PlainRequestNeedsNothing) {
  ChatNeeds n = needs_from_chat_body(
      R"({"model":"gpt-5","messages":[{"role":"user","content":"Say hello in five words"}]})");
  EXPECT_EQ(n.error, "");
  EXPECT_EQ(n.model, "gpt-5");
  EXPECT_TRUE(n.needs.empty());
  EXPECT_EQ(n.estimated_input_tokens, 6u);  // 23 bytes / 4, rounded up
  EXPECT_EQ(n.max_output_tokens, 0u);
}

TEST(ChatNeeds, ImagesToolsSchemasAndReasoningAreNeeds) {
  ChatNeeds n = needs_from_chat_body(R"({
    "model": "gpt-5",
    "messages": [{"role": "user", "content": [
      {"type": "text", "text": "What is this?"},
      {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}],
    "tools": [{"type": "function", "function": {"name": "f"}}],
    "response_format": {"type": "json_schema", "json_schema": {"name": "x"}},
    "reasoning_effort": "high",
    "max_completion_tokens": 2048
  })");
  EXPECT_EQ(n.error, "");
  for (Capability c : {Capability::vision, Capability::tools, Capability::parallel_tools,
                       Capability::json_schema, Capability::reasoning}) {
    EXPECT_TRUE(n.needs.has(c)) << capability_name(c);
  }
  EXPECT_FALSE(n.needs.has(Capability::json_object));
  EXPECT_EQ(n.max_output_tokens, 2048u);
}

TEST(ChatNeeds, ParallelToolCallsFalseNeedsOnlyTools) {
  ChatNeeds n = needs_from_chat_body(
      R"({"model":"m","messages":[],"tools":[{"type":"function"}],"parallel_tool_calls":false,"max_tokens":5})");
  EXPECT_TRUE(n.needs.has(Capability::tools));
  EXPECT_FALSE(n.needs.has(Capability::parallel_tools));
  EXPECT_EQ(n.max_output_tokens, 5u);
}

TEST(ChatNeeds, BodiesWithoutAModelAreErrors) {
  EXPECT_NE(needs_from_chat_body("not json").error, "");
  EXPECT_NE(needs_from_chat_body("[]").error, "");
  EXPECT_EQ(needs_from_chat_body(R"({"messages":[]})").error, "the body has no \"model\" string");
}

}  // namespace
}  // namespace tollbooth::routing
