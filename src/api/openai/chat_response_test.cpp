#include "api/openai/chat_response.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <random>
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

// Model output that talks about the very keys the classifier looks for arrives JSON-escaped
// inside a string; it must neither hide the chunk's content nor look like usage or an error.
TEST(OpenAiChunk, ContentQuotingUsageErrorAndChoicesIsStillContent) {
  for (std::string_view text : {
           R"(set \"usage\":{\"prompt_tokens\":1} in the config)",
           R"(the \"error\": {\"message\":\"x\"} field)",
           R"(an empty \"choices\":[] means a prelude)",
           R"(prompt_filter_results and \"usage\" : { and \"error\")",
           R"(ends with a quote: \"usage)",
           R"(backslashes \\\\ then \\\"usage\\\":{)",
           R"(braces { [ unbalanced ] { in text)",
       }) {
    std::string chunk =
        R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
        R"("choices":[{"index":0,"delta":{"content":")" +
        std::string(text) + R"("},"finish_reason":null}],"usage":null})";
    ChunkInfo info = classify_chunk(chunk);
    EXPECT_EQ(info.kind, ChunkKind::content) << chunk;
    EXPECT_FALSE(info.usage.has_value()) << chunk;
  }
}

TEST(OpenAiChunk, WhitespaceAroundKeysAndValuesChangesNothing) {
  ChunkInfo content = classify_chunk(
      "{ \"choices\" :\t[ {\"index\":0,\"delta\":{\"content\":\"x\"}} ] ,\r\n \"usage\" : null }");
  EXPECT_EQ(content.kind, ChunkKind::content);
  EXPECT_FALSE(content.usage.has_value());

  ChunkInfo usage = classify_chunk(
      "{\"choices\" : [ ] , \"usage\"\n:\n{ \"prompt_tokens\" : 7 , \"completion_tokens\" : 3 } }");
  EXPECT_EQ(usage.kind, ChunkKind::usage_only);
  ASSERT_TRUE(usage.usage.has_value());
  EXPECT_EQ(usage.usage->input_tokens, 7);

  EXPECT_EQ(classify_chunk("{\"choices\"\t:\t[\t]\t,\"prompt_filter_results\":[]}").kind,
            ChunkKind::azure_prelude);
  EXPECT_EQ(classify_chunk("{\"choices\":[{}], \"error\" : {\"message\":\"x\"}}").kind,
            ChunkKind::error);
}

TEST(OpenAiChunk, MembersInAnyOrderClassifyAlike) {
  EXPECT_EQ(classify_chunk(R"({"usage":null,"choices":[{"index":0}],"id":"x"})").kind,
            ChunkKind::content);
  EXPECT_EQ(classify_chunk(R"({"error":null,"choices":[{"index":0}]})").kind, ChunkKind::content);
  ChunkInfo info = classify_chunk(
      R"({"prompt_filter_results":[{"prompt_index":0}],"usage":{"prompt_tokens":2},"choices":[]})");
  EXPECT_EQ(info.kind, ChunkKind::usage_only);
  ASSERT_TRUE(info.usage.has_value());
  EXPECT_EQ(info.usage->input_tokens, 2);
}

TEST(OpenAiChunk, UsageNullUsageAbsentAndUsageOfOtherTypesCarryNoUsage) {
  for (std::string_view usage :
       {"", R"(,"usage":null)", R"(,"usage":0)", R"(,"usage":[])", R"(,"usage":"none")"}) {
    std::string chunk =
        R"({"choices":[{"index":0,"delta":{"content":"x"}}])" + std::string(usage) + "}";
    ChunkInfo info = classify_chunk(chunk);
    EXPECT_EQ(info.kind, ChunkKind::content) << chunk;
    EXPECT_FALSE(info.usage.has_value()) << chunk;
  }
}

// The header promises that an in-band error wins over everything; it used to be missed when it
// came after the choices and a null usage.
TEST(OpenAiChunk, InBandErrorAfterChoicesAndUsageStillWins) {
  EXPECT_EQ(
      classify_chunk(R"({"choices":[{"index":0}],"usage":null,"error":{"message":"x"}})").kind,
      ChunkKind::error);
}

// Only the object's own `choices` makes a content chunk; the same key deeper down does not.
TEST(OpenAiChunk, NestedChoicesDoNotMakeAContentChunk) {
  EXPECT_EQ(classify_chunk(R"({"data":{"choices":[{"index":0}]}})").kind, ChunkKind::other);
  EXPECT_EQ(classify_chunk(R"({"data":[{"choices":[{"index":0}]}],"id":"x"})").kind,
            ChunkKind::other);
  EXPECT_EQ(classify_chunk(R"({"data":{"choices":[1]},"choices":[]})").kind,
            ChunkKind::azure_prelude);
}

// A key that merely ends in `"usage` (an escaped quote inside the key) is not usage.
TEST(OpenAiChunk, KeyEndingInAQuotedUsageIsNotUsage) {
  ChunkInfo info =
      classify_chunk(R"({"choices":[{"index":0}],"x\"usage":{"prompt_tokens":5},"usage":null})");
  EXPECT_EQ(info.kind, ChunkKind::content);
  EXPECT_FALSE(info.usage.has_value());
}

TEST(OpenAiChunk, KeyEndingInAQuotedChoicesIsNotChoices) {
  EXPECT_EQ(classify_chunk(R"({"id":"x","say \"choices":[{"index":0}]})").kind, ChunkKind::other);
}

TEST(OpenAiChunk, RepeatedChoicesKeepTheLastOne) {
  EXPECT_EQ(classify_chunk(R"({"choices":[{"index":0}],"choices":[]})").kind,
            ChunkKind::azure_prelude);
  EXPECT_EQ(classify_chunk(R"({"choices":[],"choices":[{"index":0}]})").kind, ChunkKind::content);
}

TEST(OpenAiChunk, LongContentChunksAreClassifiedToo) {
  std::string text;
  for (int i = 0; i < 400; ++i) text += "tok\\\"en {" + std::to_string(i) + "} ";
  std::string chunk =
      R"({"id":"x","choices":[{"index":0,"delta":{"content":")" + text + R"("}}],"usage":null})";
  EXPECT_EQ(classify_chunk(chunk).kind, ChunkKind::content);
  chunk.insert(chunk.size() - 1, R"(,"usage":{"prompt_tokens":1})");
  ChunkInfo info = classify_chunk(chunk);
  EXPECT_EQ(info.kind, ChunkKind::content);
  ASSERT_TRUE(info.usage.has_value());
  EXPECT_EQ(info.usage->input_tokens, 1);
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

// Random chunks in the shapes upstreams send and a few they might: members in any order,
// whitespace anywhere, text full of quotes, backslashes, braces and the keys themselves, usage
// and errors at the top or nested. The pre-scan must give exactly the full parse's answer.
class ChunkMaker {
 public:
  explicit ChunkMaker(unsigned seed) : rng_(seed) {}

  std::string chunk() {
    std::vector<std::string> members;
    members.push_back(R"("id":"chatcmpl-B9MHDbslfkBe")");
    if (coin()) members.push_back(R"("object":"chat.completion.chunk")");
    if (coin()) members.push_back(R"("created":1741569952)");
    if (coin()) members.push_back(R"("model":"gpt-4o-2024-08-06")");
    switch (pick(4)) {
      case 0: break;
      case 1: members.push_back(key("choices") + "[]"); break;
      default: members.push_back(key("choices") + choices()); break;
    }
    switch (pick(5)) {
      case 0: break;
      case 1: members.push_back(key("usage") + "{" + key("prompt_tokens") + "3}"); break;
      default: members.push_back(key("usage") + "null"); break;
    }
    if (pick(6) == 0) members.push_back(key("error") + (coin() ? "null" : R"({"message":"x"})"));
    if (pick(4) == 0) {
      members.push_back(key("prompt_filter_results") + R"([{"prompt_index":0}])");
    }
    if (pick(5) == 0) {  // the same keys, nested
      members.push_back(key("metadata") + "{" + key(pick_word()) + pick_value() + "}");
    }
    if (pick(5) == 0) {  // keys that end like them, after an escaped quote
      members.push_back(key("x\\\"" + std::string(pick_word())) + pick_value());
    }
    std::shuffle(members.begin(), members.end(), rng_);
    std::string out = space() + "{";
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out += space() + "," + space();
      out += members[i];
    }
    return out + space() + "}" + space();
  }

  // A copy with a few bytes deleted, inserted or changed, or cut short.
  std::string broken(std::string s) {
    for (int edits = 1 + pick(3); edits > 0 && !s.empty(); --edits) {
      std::size_t at = pick(s.size());
      static constexpr std::string_view kBytes = "{}[]\":,\\ \tn0eu\x01\xc3";
      char c = kBytes[pick(kBytes.size())];
      switch (pick(4)) {
        case 0: s.erase(at, 1); break;
        case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        case 2: s[at] = c; break;
        default: s.resize(at); break;
      }
    }
    return s;
  }

 private:
  bool coin() { return pick(2) == 0; }
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  std::string space() {
    static constexpr std::string_view kSpaces[] = {"", "", "", " ", "\t", "\n", "\r\n "};
    return std::string(kSpaces[pick(std::size(kSpaces))]);
  }
  std::string key(std::string_view name) {
    return "\"" + std::string(name) + "\"" + space() + ":" + space();
  }
  std::string_view pick_word() {
    static constexpr std::string_view kWords[] = {"choices", "usage", "error", "x"};
    return kWords[pick(std::size(kWords))];
  }
  std::string pick_value() {
    static constexpr std::string_view kValues[] = {"{}", R"({"prompt_tokens":1})", "[1]", "[]",
                                                   "null"};
    return std::string(kValues[pick(std::size(kValues))]);
  }
  std::string text() {
    static constexpr std::string_view kPieces[] = {
        "hello",
        " ",
        "\\\"usage\\\":{",
        "\\\"error\\\"",
        "\\\"choices\\\":[]",
        "\\\\",
        "\\\"",
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\\n",
        "caf\xc3\xa9",
        "\\u0022",
        "usage",
        "\\\\\\\"",
    };
    std::string t;
    for (int n = static_cast<int>(pick(8)); n > 0; --n) t += kPieces[pick(std::size(kPieces))];
    return t;
  }
  std::string choices() {
    std::string out = "[";
    for (int n = 1 + static_cast<int>(pick(2)), i = 0; i < n; ++i) {
      if (i > 0) out += ",";
      out += "{" + key("index") + std::to_string(i) + "," + key("delta") + "{" + key("content") +
             "\"" + text() + "\"}" + space() + "," + key("finish_reason") + "null}";
    }
    return out + "]";
  }

  std::mt19937 rng_;
};

bool same(const ChunkInfo& a, const ChunkInfo& b) {
  if (a.kind != b.kind || a.usage.has_value() != b.usage.has_value()) return false;
  return !a.usage || (a.usage->input_tokens == b.usage->input_tokens &&
                      a.usage->output_tokens == b.usage->output_tokens);
}

std::string kind_name(ChunkKind kind) {
  static constexpr const char* kNames[] = {"done",          "content", "usage_only",
                                           "azure_prelude", "error",   "other"};
  return kNames[static_cast<int>(kind)];
}

TEST(OpenAiChunk, ScanAgreesWithTheFullParseOnRandomChunks) {
  ChunkMaker maker(2024);
  int content = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string chunk = maker.chunk();
    ChunkInfo fast = classify_chunk(chunk);
    ChunkInfo parsed = detail::classify_chunk_by_parsing(chunk);
    ASSERT_TRUE(same(fast, parsed))
        << chunk << "\nscan: " << kind_name(fast.kind) << " parse: " << kind_name(parsed.kind);
    content += fast.kind == ChunkKind::content;
  }
  EXPECT_GT(content, 5000);  // the generator does make ordinary chunks
}

// Broken text is not JSON, so the only leeway is calling `content` what the parse calls
// `other` (both are forwarded alike); usage, errors and preludes must never be missed.
TEST(OpenAiChunk, ScanNeverMissesUsageErrorsOrPreludesInBrokenChunks) {
  ChunkMaker maker(7);
  for (int i = 0; i < 20000; ++i) {
    std::string chunk = maker.broken(maker.chunk());
    ChunkInfo fast = classify_chunk(chunk);
    ChunkInfo parsed = detail::classify_chunk_by_parsing(chunk);
    bool lenient = fast.kind == ChunkKind::content && parsed.kind == ChunkKind::other &&
                   !fast.usage && !parsed.usage;
    ASSERT_TRUE(same(fast, parsed) || lenient)
        << chunk << "\nscan: " << kind_name(fast.kind) << " parse: " << kind_name(parsed.kind);
  }
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

namespace tollbooth::openai {
namespace {

TEST(OpenAiUsage, CacheWriteTokensAreTheirOwnSubsetOfThePrompt) {
  auto u = usage_from_completion(
      R"({"usage":{"prompt_tokens":5000,"completion_tokens":40,"total_tokens":5040,)"
      R"("prompt_tokens_details":{"cached_tokens":1024,"cache_write_tokens":3000,"audio_tokens":0}}})");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->input_tokens, 5000) << "prompt_tokens already count cached and written tokens";
  EXPECT_EQ(u->cached_input_tokens, 1024);
  EXPECT_EQ(u->cache_write_input_tokens, 3000);
  EXPECT_EQ(u->output_tokens, 40);
}

TEST(OpenAiUsage, NumbersTooLargeFractionalOrNegativeCountAsZeroNeverNegative) {
  auto u = usage_from_completion(
      R"({"usage":{"prompt_tokens":99999999999999999999,"completion_tokens":1e3,)"
      R"("prompt_tokens_details":{"cached_tokens":-5,"cache_write_tokens":2.5},)"
      R"("completion_tokens_details":{"reasoning_tokens":9223372036854775807}}})");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->input_tokens, 0);
  EXPECT_EQ(u->output_tokens, 0);
  EXPECT_EQ(u->cached_input_tokens, 0);
  EXPECT_EQ(u->cache_write_input_tokens, 0);
  EXPECT_EQ(u->reasoning_tokens, 9223372036854775807);
  EXPECT_TRUE(u->reported);
}

TEST(OpenAiUsage, DetailsOfOtherShapesAreIgnored) {
  auto u = usage_from_completion(
      R"({"usage":{"prompt_tokens":10,"completion_tokens":4,"prompt_tokens_details":[1,2],)"
      R"("completion_tokens_details":"x"}})");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->input_tokens, 10);
  EXPECT_EQ(u->cached_input_tokens, 0);
  EXPECT_EQ(u->reasoning_tokens, 0);
}

std::string with_cost(std::string_view data, std::string_view cost = "0.001234") {
  ChunkInfo info = classify_chunk(data);
  EXPECT_TRUE(info.usage.has_value()) << data;
  std::string out;
  append_with_usage_cost(out, data, info.spot, cost);
  return out;
}

TEST(OpenAiUsageCost, IsTheUsageObjectsLastMemberAndNothingElseMoves) {
  constexpr std::string_view chunk =
      R"({"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,)"
      R"("completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0}},)"
      R"("obfuscation":"x}"})";
  EXPECT_EQ(with_cost(chunk),
            R"({"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,)"
            R"("completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0})"
            R"(,"cost":0.001234},"obfuscation":"x}"})");
}

TEST(OpenAiUsageCost, WhitespaceAndTheLastMemberPlaceAreKept) {
  constexpr std::string_view chunk =
      "{ \"choices\" : [ ] , \"usage\" : {\n \"prompt_tokens\" : 9 \n} }";
  EXPECT_EQ(with_cost(chunk),
            "{ \"choices\" : [ ] , \"usage\" : {\n \"prompt_tokens\" : 9 \n,\"cost\":0.001234} }");
}

TEST(OpenAiUsageCost, AnEmptyUsageObjectGetsTheCostAlone) {
  EXPECT_EQ(with_cost(R"({"choices":[],"usage":{}})"),
            R"({"choices":[],"usage":{"cost":0.001234}})");
  EXPECT_EQ(with_cost(R"({"choices":[],"usage":{ }})"),
            R"({"choices":[],"usage":{ "cost":0.001234}})");
}

TEST(OpenAiUsageCost, AnUpstreamsOwnCostIsReplacedNotRepeated) {
  EXPECT_EQ(with_cost(R"({"choices":[],"usage":{"prompt_tokens":9,"cost":0.5,"x":1}})"),
            R"({"choices":[],"usage":{"prompt_tokens":9,"cost":0.001234,"x":1}})");
  EXPECT_EQ(with_cost(R"({"choices":[],"usage":{"cost" : {"a":[1]} ,"prompt_tokens":9}})"),
            R"({"choices":[],"usage":{"cost" : 0.001234 ,"prompt_tokens":9}})");
  EXPECT_EQ(with_cost(R"({"choices":[],"usage":{"prompt_tokens":9,"cost":"1.00"}})"),
            R"({"choices":[],"usage":{"prompt_tokens":9,"cost":0.001234}})");
}

TEST(OpenAiUsageCost, UsageOnAContentChunkAndBeforeChoicesIsFound) {
  EXPECT_EQ(
      with_cost(R"({"usage":{"prompt_tokens":9},"choices":[{"delta":{"content":"}"}}]})"),
      R"({"usage":{"prompt_tokens":9,"cost":0.001234},"choices":[{"delta":{"content":"}"}}]})");
}

TEST(OpenAiUsageCost, ASpotOfAnotherChunkChangesNothing) {
  std::string out;
  UsageSpot spot;
  spot.close = 3;
  append_with_usage_cost(out, R"({"a":1})", spot, "1");
  EXPECT_EQ(out, R"({"a":1})");
}

}  // namespace
}  // namespace tollbooth::openai
