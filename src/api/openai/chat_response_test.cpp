#include "api/openai/chat_response.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/openai/sse.hpp"

namespace tollbooth::openai {
namespace {

constexpr std::string_view kCompletion = R"({"id":"chatcmpl-1","object":"chat.completion",
 "created":1741569952,"model":"gpt-4o-2024-08-06",
 "choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null,
   "annotations":[]},"logprobs":null,"finish_reason":"stop"}],
 "usage":{"prompt_tokens":1900,"completion_tokens":310,"total_tokens":2210,
   "prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},
   "completion_tokens_details":{"reasoning_tokens":256,"audio_tokens":0,
     "accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},
 "service_tier":"default","system_fingerprint":"fp_1"})";

TEST(OpenAiChunk, UsageFromCompletionMapsEveryCounter) {
  std::optional<Usage> usage = usage_from_completion(kCompletion);
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(usage->input_tokens, 1900);
  EXPECT_EQ(usage->output_tokens, 310);
  EXPECT_EQ(usage->cached_input_tokens, 1024);
  EXPECT_EQ(usage->reasoning_tokens, 256);
  EXPECT_TRUE(usage->reported);
}

TEST(OpenAiChunk, UsageFromCompletionWithoutDetails) {
  auto usage = usage_from_completion(
      R"({"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,)"
      R"("prompt_tokens_details":null}})");
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(usage->input_tokens, 9);
  EXPECT_EQ(usage->output_tokens, 2);
  EXPECT_EQ(usage->cached_input_tokens, 0);
  EXPECT_EQ(usage->reasoning_tokens, 0);
  EXPECT_TRUE(usage->reported);
}

TEST(OpenAiChunk, UsageFromCompletionAbsentNullOrBroken) {
  EXPECT_FALSE(usage_from_completion(R"({"id":"x","choices":[]})").has_value());
  EXPECT_FALSE(usage_from_completion(R"({"id":"x","usage":null})").has_value());
  EXPECT_FALSE(usage_from_completion(R"({"usage":{"prompt_tokens":1)").has_value());
  EXPECT_FALSE(usage_from_completion("not json").has_value());
  EXPECT_FALSE(usage_from_completion("").has_value());
  EXPECT_FALSE(usage_from_completion(R"([{"usage":{}}])").has_value());
}

TEST(OpenAiChunk, UsageCountersOfOddTypesCountAsZero) {
  auto usage = usage_from_completion(
      R"({"usage":{"prompt_tokens":null,"completion_tokens":"7","total_tokens":1.5,)"
      R"("completion_tokens_details":{"reasoning_tokens":-3}}})");
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(usage->input_tokens, 0);
  EXPECT_EQ(usage->output_tokens, 0);
  EXPECT_EQ(usage->reasoning_tokens, 0);
}

TEST(OpenAiChunk, DoneIsExactData) {
  EXPECT_EQ(classify_chunk("[DONE]").kind, ChunkKind::done);
  EXPECT_EQ(classify_chunk("[DONE] ").kind, ChunkKind::other);
  EXPECT_EQ(classify_chunk("[done]").kind, ChunkKind::other);
}

TEST(OpenAiChunk, ContentChunkWithNullUsage) {
  ChunkInfo info = classify_chunk(
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
      R"("choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null})");
  EXPECT_EQ(info.kind, ChunkKind::content);
  EXPECT_FALSE(info.usage.has_value());
}

TEST(OpenAiChunk, UsageOnlyChunkCarriesTheTotals) {
  ChunkInfo info = classify_chunk(
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
      R"("choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,)"
      R"("prompt_tokens_details":{"cached_tokens":4},)"
      R"("completion_tokens_details":{"reasoning_tokens":1}}})");
  EXPECT_EQ(info.kind, ChunkKind::usage_only);
  ASSERT_TRUE(info.usage.has_value());
  EXPECT_EQ(info.usage->input_tokens, 9);
  EXPECT_EQ(info.usage->output_tokens, 2);
  EXPECT_EQ(info.usage->cached_input_tokens, 4);
  EXPECT_EQ(info.usage->reasoning_tokens, 1);
  EXPECT_TRUE(info.usage->reported);
}

TEST(OpenAiChunk, UsageBeforeChoicesIsStillRead) {
  ChunkInfo info =
      classify_chunk(R"({"usage":{"prompt_tokens":3,"completion_tokens":4},"choices":[]})");
  EXPECT_EQ(info.kind, ChunkKind::usage_only);
  ASSERT_TRUE(info.usage.has_value());
  EXPECT_EQ(info.usage->output_tokens, 4);
}

// Some OpenAI-compatible servers report running usage on every content chunk.
TEST(OpenAiChunk, ContentChunkWithUsageKeepsBoth) {
  ChunkInfo info = classify_chunk(
      R"({"choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":5,"completion_tokens":1}})");
  EXPECT_EQ(info.kind, ChunkKind::content);
  ASSERT_TRUE(info.usage.has_value());
  EXPECT_EQ(info.usage->input_tokens, 5);
}

TEST(OpenAiChunk, UsageWithoutChoicesIsUsageOnly) {
  ChunkInfo info = classify_chunk(R"({"usage":{"prompt_tokens":3,"completion_tokens":4}})");
  EXPECT_EQ(info.kind, ChunkKind::usage_only);
}

TEST(OpenAiChunk, InBandErrorIsRecognised) {
  EXPECT_EQ(classify_chunk(R"({"error":{"message":"overloaded","type":"server_error"}})").kind,
            ChunkKind::error);
  EXPECT_EQ(classify_chunk(R"({"choices":[{"index":0}],"error":{"message":"x"}})").kind,
            ChunkKind::error);
  EXPECT_EQ(classify_chunk(R"({"choices":[{"index":0,"delta":{}}],"error":null})").kind,
            ChunkKind::content);
}

TEST(OpenAiChunk, NonJsonOrNonObjectIsOther) {
  EXPECT_EQ(classify_chunk("hello").kind, ChunkKind::other);
  EXPECT_EQ(classify_chunk("").kind, ChunkKind::other);
  EXPECT_EQ(classify_chunk("[1,2]").kind, ChunkKind::other);
  EXPECT_EQ(classify_chunk(R"({"choices":[{"index":0})").kind, ChunkKind::other);
  EXPECT_EQ(classify_chunk(R"({"id":"x","object":"something.else"})").kind, ChunkKind::other);
  EXPECT_EQ(classify_chunk(R"({"choices":null})").kind, ChunkKind::other);
}

// A stream as Azure OpenAI sends it (PROTOCOLS.md §4.3): an empty prompt-filter prelude, chunks
// with per-choice content_filter_results, an asynchronous-filter chunk, usage, [DONE].
constexpr std::string_view kAzureStream =
    "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
    "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{"
    "\"hate\":{\"filtered\":false,\"severity\":\"safe\"},\"jailbreak\":{\"filtered\":false,"
    "\"detected\":false},\"self_harm\":{\"filtered\":false,\"severity\":\"safe\"},"
    "\"sexual\":{\"filtered\":false,\"severity\":\"safe\"},\"violence\":{\"filtered\":false,"
    "\"severity\":\"safe\"}}}]}\n\n"
    "data: {\"choices\":[{\"content_filter_results\":{},\"delta\":{\"content\":\"\","
    "\"refusal\":null,\"role\":\"assistant\"},\"finish_reason\":null,\"index\":0,"
    "\"logprobs\":null}],\"created\":1741569952,\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"model\":\"gpt-4o-2024-08-06\",\"object\":\"chat.completion.chunk\","
    "\"system_fingerprint\":\"fp_b705f0c291\",\"usage\":null}\n\n"
    "data: {\"choices\":[{\"content_filter_results\":{\"hate\":{\"filtered\":false,"
    "\"severity\":\"safe\"},\"self_harm\":{\"filtered\":false,\"severity\":\"safe\"},"
    "\"sexual\":{\"filtered\":false,\"severity\":\"safe\"},\"violence\":{\"filtered\":false,"
    "\"severity\":\"safe\"}},\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null,"
    "\"index\":0,\"logprobs\":null}],\"created\":1741569952,"
    "\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"model\":\"gpt-4o-2024-08-06\","
    "\"object\":\"chat.completion.chunk\",\"system_fingerprint\":\"fp_b705f0c291\","
    "\"usage\":null}\n\n"
    "data: {\"choices\":[{\"content_filter_results\":{},\"delta\":{},\"finish_reason\":\"stop\","
    "\"index\":0,\"logprobs\":null}],\"created\":1741569952,"
    "\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\",\"model\":\"gpt-4o-2024-08-06\","
    "\"object\":\"chat.completion.chunk\",\"system_fingerprint\":\"fp_b705f0c291\","
    "\"usage\":null}\n\n"
    "data: {\"choices\":[{\"content_filter_offsets\":{\"check_offset\":35,\"start_offset\":35,"
    "\"end_offset\":44},\"content_filter_results\":{\"protected_material_text\":{"
    "\"filtered\":false,\"detected\":false}},\"finish_reason\":null,\"index\":0}],"
    "\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\"}\n\n"
    "data: "
    "{\"choices\":[],\"created\":1741569952,\"id\":\"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG\","
    "\"model\":\"gpt-4o-2024-08-06\",\"object\":\"chat.completion.chunk\","
    "\"system_fingerprint\":\"fp_b705f0c291\",\"usage\":{\"completion_tokens\":2,"
    "\"completion_tokens_details\":{\"accepted_prediction_tokens\":0,\"audio_tokens\":0,"
    "\"reasoning_tokens\":0,\"rejected_prediction_tokens\":0},\"prompt_tokens\":19,"
    "\"prompt_tokens_details\":{\"audio_tokens\":0,\"cached_tokens\":0},\"total_tokens\":21}}\n\n"
    "data: [DONE]\n\n";

TEST(OpenAiChunk, ClassifiesAnAzureStreamEventByEvent) {
  SseParser parser;
  std::vector<ChunkInfo> infos;
  for (std::size_t pos = 0; pos < kAzureStream.size(); pos += 97) {
    for (const SseEvent& event : parser.feed(kAzureStream.substr(pos, 97))) {
      infos.push_back(classify_chunk(event.data));
    }
  }
  ASSERT_EQ(infos.size(), 7u);
  EXPECT_EQ(infos[0].kind, ChunkKind::azure_prelude);
  EXPECT_EQ(infos[1].kind, ChunkKind::content);
  EXPECT_EQ(infos[2].kind, ChunkKind::content);
  EXPECT_EQ(infos[3].kind, ChunkKind::content);
  EXPECT_EQ(infos[4].kind, ChunkKind::content);
  EXPECT_EQ(infos[5].kind, ChunkKind::usage_only);
  ASSERT_TRUE(infos[5].usage.has_value());
  EXPECT_EQ(infos[5].usage->input_tokens, 19);
  EXPECT_EQ(infos[5].usage->output_tokens, 2);
  EXPECT_EQ(infos[6].kind, ChunkKind::done);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(infos[i].usage.has_value()) << i;
}

TEST(OpenAiChunk, AzureContentFilterErrorInStreamIsError) {
  ChunkInfo info = classify_chunk(
      R"({"error":{"message":"The response was filtered due to the prompt triggering Azure )"
      R"(OpenAI's content management policy.","type":null,"param":"prompt",)"
      R"("code":"content_filter","status":400,"innererror":{"code":"ResponsibleAIPolicyViolation",)"
      R"("content_filter_result":{"hate":{"filtered":true,"severity":"high"}}}}})");
  EXPECT_EQ(info.kind, ChunkKind::error);
}

}  // namespace
}  // namespace tollbooth::openai

TEST(OpenAiChunk, UsageIsFoundAfterChoicesWhateverTheContentSays) {
  // The answer's text talks about "usage" and contains escaped quotes and braces; only the
  // top-level key counts, wherever it stands among the members that follow.
  std::string body =
      R"({"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"the \"usage\":{\"prompt_tokens\":999} field {"},"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":3}},)"
      R"("service_tier":"default","system_fingerprint":"fp_1"})";
  auto u = tollbooth::openai::usage_from_completion(body);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->input_tokens, 11);
  EXPECT_EQ(u->output_tokens, 7);
  EXPECT_EQ(u->cached_input_tokens, 3);
}

TEST(OpenAiChunk, UsageNullIsNoUsageEvenWithAQuotedUsageInContent) {
  std::string body =
      R"({"choices":[{"message":{"content":"x\",\"usage\":{\"prompt_tokens\":5}"}}],"usage":null})";
  EXPECT_FALSE(tollbooth::openai::usage_from_completion(body).has_value());
}
