#include "mock/mock_answer.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace tollbooth::mock {
namespace {
namespace json = boost::json;

ChatInput parse_ok(std::string_view body, bool model_required = true) {
  auto in = parse_chat_input(body, model_required);
  EXPECT_TRUE(in.ok()) << (in.ok() ? "" : in.error().message);
  return in.ok() ? *in : ChatInput{};
}

Error parse_err(std::string_view body, bool model_required = true) {
  auto in = parse_chat_input(body, model_required);
  EXPECT_FALSE(in.ok());
  return in.ok() ? Error{} : in.error();
}

json::value event_json(const std::string& event) {
  EXPECT_EQ(event.substr(0, 6), "data: ");
  EXPECT_EQ(event.substr(event.size() - 2), "\n\n");
  return json::parse(event.substr(6, event.size() - 8));
}

TEST(MockAnswer, CountsWords) {
  EXPECT_EQ(count_words(""), 0);
  EXPECT_EQ(count_words("   "), 0);
  EXPECT_EQ(count_words("hello"), 1);
  EXPECT_EQ(count_words("  hello \n there\tyou "), 3);
}

TEST(MockAnswer, ReadsTheRequestAndCountsPromptTokens) {
  auto in = parse_ok(R"({"model":"gpt-4o","messages":[
      {"role":"system","content":"be brief"},
      {"role":"user","content":"hello there"},
      {"role":"assistant","content":null},
      {"role":"user","content":[{"type":"text","text":"one two"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"three"}]}],
      "stream":true,"stream_options":{"include_usage":true},"max_tokens":9,"max_completion_tokens":5})");
  EXPECT_EQ(in.model, "gpt-4o");
  EXPECT_TRUE(in.stream);
  EXPECT_TRUE(in.include_usage);
  EXPECT_EQ(in.max_tokens, 5);
  EXPECT_EQ(in.last_user_text, "one two three");
  EXPECT_EQ(in.prompt_tokens, 2 + 2 + 0 + 3 + 4 * 3);
}

TEST(MockAnswer, RejectsBodiesLikeTheService) {
  EXPECT_EQ(parse_err("{not json").param, "");
  EXPECT_EQ(parse_err(R"({"messages":[{"role":"user","content":"x"}]})").param, "model");
  EXPECT_TRUE(parse_chat_input(R"({"messages":[{"role":"user","content":"x"}]})", false).ok());
  auto missing = parse_err(R"({"model":"m"})");
  EXPECT_EQ(missing.param, "messages");
  EXPECT_EQ(missing.code, "missing_required_parameter");
  EXPECT_EQ(parse_err(R"({"model":"m","messages":[]})").code, "empty_array");
  EXPECT_EQ(parse_err(R"({"model":"m","messages":"hi"})").code, "invalid_type");
  EXPECT_EQ(parse_err(R"({"model":"m","messages":[{"content":"x"}]})").param, "messages[0].role");
  EXPECT_EQ(parse_err(R"({"model":7,"messages":[]})").param, "model");
  EXPECT_EQ(parse_err(R"({"model":"m","messages":[{"role":"user"}],"stream":"yes"})").param,
            "stream");
  EXPECT_EQ(parse_err(R"({"model":"m","messages":[{"role":"user"}],"max_tokens":0})").param,
            "max_tokens");
  EXPECT_EQ(parse_err("[1,2]").code, "invalid_type");
}

TEST(MockAnswer, EchoesTheLastUserMessage) {
  auto a = make_answer("openai", parse_ok(R"({"model":"m","messages":[
      {"role":"user","content":"first"},{"role":"user","content":"hello there"}]})"));
  EXPECT_EQ(a.content, "openai says: hello there");
  EXPECT_EQ(a.finish_reason, "stop");
  EXPECT_EQ(a.completion_tokens, 4);
  EXPECT_EQ(a.prompt_tokens, 1 + 2 + 6);
  ASSERT_EQ(a.pieces.size(), 4u);
  EXPECT_EQ(a.pieces[0], "openai");
  EXPECT_EQ(a.pieces[1], " says:");
  EXPECT_EQ(a.pieces[3], " there");
}

TEST(MockAnswer, TruncatesTheEchoTo64Characters) {
  const std::string word = "\xc3\xa9";  // é: two bytes, one character
  std::string text;
  for (int i = 0; i < 70; ++i) text += word;
  ChatInput in;
  in.last_user_text = text;
  auto a = make_answer("c", in);
  std::string expected = "c says: ";
  for (int i = 0; i < 64; ++i) expected += word;
  EXPECT_EQ(a.content, expected);
}

TEST(MockAnswer, MaxTokensCutsTheAnswer) {
  ChatInput in;
  in.last_user_text = "a b c d";
  in.max_tokens = 3;
  auto a = make_answer("x", in);
  EXPECT_EQ(a.content, "x says: a");
  EXPECT_EQ(a.finish_reason, "length");
  EXPECT_EQ(a.completion_tokens, 3);
  in.max_tokens = 6;  // exactly the answer's length: not cut
  EXPECT_EQ(make_answer("x", in).finish_reason, "stop");
}

TEST(MockAnswer, RendersAnOpenAiCompletion) {
  ChatInput in =
      parse_ok(R"({"model":"gpt-4o","messages":[{"role":"user","content":"say \"hi\""}]})");
  auto a = make_answer("openai", in);
  std::string body;
  render_completion({Dialect::openai, "chatcmpl-mock-7", "gpt-4o", false}, a, body);
  auto v = json::parse(body).as_object();
  EXPECT_EQ(v["id"], "chatcmpl-mock-7");
  EXPECT_EQ(v["object"], "chat.completion");
  EXPECT_EQ(v["created"], kCreated);
  EXPECT_EQ(v["model"], "gpt-4o");
  auto& choice = v["choices"].as_array()[0].as_object();
  EXPECT_EQ(choice["message"].as_object()["content"], "openai says: say \"hi\"");
  EXPECT_EQ(choice["finish_reason"], "stop");
  EXPECT_FALSE(choice.contains("content_filter_results"));
  auto& usage = v["usage"].as_object();
  EXPECT_EQ(usage["prompt_tokens"], 5);
  EXPECT_EQ(usage["completion_tokens"], 4);
  EXPECT_EQ(usage["total_tokens"], 9);
  EXPECT_FALSE(v.contains("prompt_filter_results"));
}

TEST(MockAnswer, RendersAnAzureCompletionWithFilterResults) {
  ChatInput in;
  in.last_user_text = "hi";
  std::string body;
  render_completion({Dialect::azure, "chatcmpl-mock-1", "gpt-4o-2024-08-06", false},
                    make_answer("azure-east", in), body);
  auto v = json::parse(body).as_object();
  EXPECT_EQ(v["model"], "gpt-4o-2024-08-06");
  ASSERT_TRUE(v.contains("prompt_filter_results"));
  auto& pf = v["prompt_filter_results"].as_array()[0].as_object();
  EXPECT_EQ(pf["content_filter_results"].as_object()["hate"].as_object()["severity"], "safe");
  auto& choice = v["choices"].as_array()[0].as_object();
  EXPECT_TRUE(choice["content_filter_results"].as_object().contains("violence"));
}

TEST(MockAnswer, StreamsOneChunkPerWord) {
  ChatInput in;
  in.last_user_text = "hello there";
  in.prompt_tokens = 5;
  auto events = render_stream({Dialect::openai, "chatcmpl-mock-2", "gpt-4o", false},
                              make_answer("openai", in));
  ASSERT_EQ(events.size(), 1 + 4 + 1 + 1u);  // role, words, finish, [DONE]
  auto first = event_json(events[0]).as_object();
  auto& delta0 = first["choices"].as_array()[0].as_object()["delta"].as_object();
  EXPECT_EQ(delta0["role"], "assistant");
  EXPECT_FALSE(first.contains("usage"));
  std::string joined;
  for (std::size_t i = 1; i <= 4; ++i) {
    auto chunk = event_json(events[i]).as_object();
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["id"], "chatcmpl-mock-2");
    joined +=
        chunk["choices"].as_array()[0].as_object()["delta"].as_object()["content"].as_string();
  }
  EXPECT_EQ(joined, "openai says: hello there");
  auto last = event_json(events[5]).as_object();
  EXPECT_EQ(last["choices"].as_array()[0].as_object()["finish_reason"], "stop");
  EXPECT_EQ(events[6], "data: [DONE]\n\n");
}

TEST(MockAnswer, IncludeUsageAddsTheUsageChunkAndNullUsage) {
  ChatInput in;
  in.last_user_text = "hi";
  in.prompt_tokens = 4;
  auto events = render_stream({Dialect::openai, "id", "m", true}, make_answer("o", in));
  ASSERT_EQ(events.size(), 1 + 3 + 1 + 1 + 1u);
  for (std::size_t i = 0; i + 2 < events.size(); ++i) {
    EXPECT_TRUE(event_json(events[i]).as_object()["usage"].is_null()) << i;
  }
  auto usage_chunk = event_json(events[events.size() - 2]).as_object();
  EXPECT_TRUE(usage_chunk["choices"].as_array().empty());
  EXPECT_EQ(usage_chunk["usage"].as_object()["total_tokens"], 4 + 3);
}

TEST(MockAnswer, AzureStreamsStartWithTheEmptyPrelude) {
  ChatInput in;
  in.last_user_text = "hi";
  auto events =
      render_stream({Dialect::azure, "id", "gpt-4o-2024-08-06", false}, make_answer("azure", in));
  auto prelude = event_json(events[0]).as_object();
  EXPECT_EQ(prelude["id"], "");
  EXPECT_EQ(prelude["object"], "");
  EXPECT_EQ(prelude["created"], 0);
  EXPECT_EQ(prelude["model"], "");
  EXPECT_TRUE(prelude["choices"].as_array().empty());
  EXPECT_TRUE(prelude.contains("prompt_filter_results"));
  auto word = event_json(events[2]).as_object();
  EXPECT_EQ(word["model"], "gpt-4o-2024-08-06");
  EXPECT_TRUE(word["choices"].as_array()[0].as_object().contains("content_filter_results"));
}

}  // namespace
}  // namespace tollbooth::mock

namespace tollbooth::mock {
namespace {

std::string long_prompt(int words) {
  std::string text;
  for (int i = 0; i < words; ++i) text += "word ";
  return R"({"model":"m","messages":[{"role":"user","content":")" + text + R"("}])";
}

json::value usage_of(const Answer& a) {
  std::string out;
  append_usage_object(out, a);
  return json::parse(out);
}

TEST(MockUsage, ShortPromptsWithoutHintsHaveNoCachedOrReasoningTokens) {
  auto a = make_answer("openai",
                       parse_ok(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(a.cached_tokens, 0);
  EXPECT_EQ(a.reasoning_tokens, 0);
  EXPECT_EQ(a.completion_tokens, 3);
}

TEST(MockUsage, APromptCacheKeyOrALongPromptServesHalfThePromptFromTheCache) {
  auto keyed =
      make_answer("openai", parse_ok(R"({"model":"m","prompt_cache_key":"k",)"
                                     R"("messages":[{"role":"user","content":"a b c d"}]})"));
  EXPECT_EQ(keyed.prompt_tokens, 7);
  EXPECT_EQ(keyed.cached_tokens, 3);
  auto just_short = make_answer("openai", parse_ok(long_prompt(1020) + "}"));
  EXPECT_EQ(just_short.prompt_tokens, 1023);
  EXPECT_EQ(just_short.cached_tokens, 0);
  auto long_enough = make_answer("openai", parse_ok(long_prompt(1021) + "}"));
  EXPECT_EQ(long_enough.prompt_tokens, 1024);
  EXPECT_EQ(long_enough.cached_tokens, 512);
  auto u = usage_of(long_enough);
  EXPECT_EQ(u.at_pointer("/prompt_tokens"), 1024) << "prompt_tokens include the cached ones";
  EXPECT_EQ(u.at_pointer("/prompt_tokens_details/cached_tokens"), 512);
}

TEST(MockUsage, ReasoningEffortAddsReasoningTokensInsideTheCompletion) {
  const std::pair<std::string_view, std::int64_t> efforts[] = {
      {"none", 0}, {"minimal", 8}, {"low", 16}, {"medium", 64}, {"high", 256}, {"xhigh", 64}};
  for (auto [effort, reasoning] : efforts) {
    auto a = make_answer("openai",
                         parse_ok(R"({"model":"m","reasoning_effort":")" + std::string(effort) +
                                  R"(","messages":[{"role":"user","content":"hi"}]})"));
    EXPECT_EQ(a.reasoning_tokens, reasoning) << effort;
    EXPECT_EQ(a.completion_tokens, 3 + reasoning) << effort;
    auto u = usage_of(a);
    EXPECT_EQ(u.at_pointer("/completion_tokens_details/reasoning_tokens"), reasoning);
    EXPECT_EQ(u.at_pointer("/total_tokens"), a.prompt_tokens + 3 + reasoning);
  }
}

TEST(MockUsage, ReasoningStaysWithinMaxTokens) {
  auto a =
      make_answer("openai", parse_ok(R"({"model":"m","reasoning_effort":"high","max_tokens":10,)"
                                     R"("messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(a.content, "openai says: hi");
  EXPECT_EQ(a.reasoning_tokens, 7);
  EXPECT_EQ(a.completion_tokens, 10);
  auto cut =
      make_answer("openai", parse_ok(R"({"model":"m","reasoning_effort":"high","max_tokens":2,)"
                                     R"("messages":[{"role":"user","content":"hi"}]})"));
  EXPECT_EQ(cut.reasoning_tokens, 0);
  EXPECT_EQ(cut.completion_tokens, 2);
}

TEST(MockUsage, TheStreamsUsageChunkCarriesTheSameUsageAsTheWholeAnswer) {
  auto a = make_answer("azure",
                       parse_ok(R"({"model":"m","prompt_cache_key":"k","reasoning_effort":"low",)"
                                R"("messages":[{"role":"user","content":"one two three"}]})"));
  AnswerMeta meta{Dialect::azure, "chatcmpl-mock-1", "m", true};
  std::string whole;
  render_completion(meta, a, whole);
  auto events = render_stream(meta, a);
  auto chunk = event_json(events[events.size() - 2]);
  EXPECT_EQ(chunk.at("usage"), json::parse(whole).at("usage"));
  EXPECT_EQ(chunk.at("usage"), usage_of(a));
}

}  // namespace
}  // namespace tollbooth::mock
