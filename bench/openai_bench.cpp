// Micro-benchmarks of the OpenAI wire code on the request path: body inspection and splicing
// (every request), SSE framing and chunk classification (every streamed event).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "api/openai/chat_request.hpp"
#include "api/openai/chat_response.hpp"
#include "api/openai/sse.hpp"

namespace {

using namespace tollbooth::openai;

std::string message(const char* role, std::size_t words, int seed) {
  std::string text;
  for (std::size_t i = 0; i < words; ++i) {
    text += (i % 7 == 0) ? "gateway " : (i % 5 == 0) ? "caf\\u00e9 " : "token ";
    if (i % 11 == 0) text += std::to_string(seed + i) + ", ";
  }
  return std::string(R"({"role":")") + role + R"(","content":")" + text + R"("})";
}

constexpr std::string_view kTools =
    R"("tools":[{"type":"function","function":{"name":"get_weather","description":)"
    R"("Current weather for a city","parameters":{"type":"object","properties":{"city":)"
    R"({"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}}},)"
    R"({"type":"function","function":{"name":"web_search","description":"Search the web",)"
    R"("parameters":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}}}],)"
    R"("parallel_tool_calls":true,)";

constexpr std::string_view kImageTurn =
    R"({"role":"user","content":[{"type":"text","text":"What is in this picture, and will it )"
    R"(rain there today?"},{"type":"image_url","image_url":{"url":)"
    R"("https://example.com/photos/street-2024-06-01.jpg","detail":"auto"}}]})";

// A chat request of roughly `target` bytes: a system prompt, then user/assistant turns; with
// `tools_and_image`, two tool definitions and a last user turn of a text and an image part.
std::string chat_body(std::size_t target, bool tools_and_image = false) {
  std::string body = R"({"model":"gpt-4o","messages":[)" + message("system", 24, 0);
  std::size_t extra = tools_and_image ? kTools.size() + kImageTurn.size() + 1 : 0;
  for (int turn = 1; body.size() + extra + 160 < target; ++turn) {
    body += ',';
    body += message(turn % 2 ? "user" : "assistant", 16, turn);
  }
  if (tools_and_image) {
    body += ',';
    body += kImageTurn;
  }
  body += "],";
  if (tools_and_image) body += kTools;
  body += R"("temperature":0.7,"max_completion_tokens":1024,"stream":true,)"
          R"("stream_options":{"include_usage":false},"user":"u-123"})";
  return body;
}

void BM_InspectChatRequest(benchmark::State& state) {
  std::string body = chat_body(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto result = inspect_chat_request(body);
    benchmark::DoNotOptimize(result);
    if (!result.ok()) state.SkipWithError("inspection failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_InspectChatRequest)->Arg(1 << 10)->Arg(100 << 10);

// The facts' other paths: tool lists, content parts, an image.
void BM_InspectChatRequestToolsImage(benchmark::State& state) {
  std::string body = chat_body(static_cast<std::size_t>(state.range(0)), true);
  for (auto _ : state) {
    auto result = inspect_chat_request(body);
    benchmark::DoNotOptimize(result);
    if (!result.ok() || !result->needs.has(tollbooth::Capability::vision)) {
      state.SkipWithError("inspection failed");
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_InspectChatRequestToolsImage)->Arg(2 << 10);

void BM_SpliceChatRequest(benchmark::State& state) {
  std::string body = chat_body(1 << 10);
  auto facts = inspect_chat_request(body);
  for (auto _ : state) {
    std::string out = splice_chat_request(body, facts.value(), "gpt-4o-2024-08-06", true);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_SpliceChatRequest);

std::string content_chunk(int i) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      R"({"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk",)"
      R"("created":1741569952,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1",)"
      R"("choices":[{"index":0,"delta":{"content":" word%d"},"logprobs":null,)"
      R"("finish_reason":null}],"usage":null})",
      i);
  return buf;
}

constexpr std::string_view kUsageChunk =
    R"({"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk",)"
    R"("created":1741569952,"model":"gpt-4o-2024-08-06","choices":[],"usage":{)"
    R"("prompt_tokens":19,"completion_tokens":48,"total_tokens":67,)"
    R"("prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},)"
    R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}}})";

void BM_SseParserFeed(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 48; ++i) stream += "data: " + content_chunk(i) + "\n\n";
  stream += "data: " + std::string(kUsageChunk) + "\n\ndata: [DONE]\n\n";
  std::int64_t events = 0;
  for (auto _ : state) {
    SseParser parser;  // one per stream, as the relay does
    for (std::size_t pos = 0; pos < stream.size(); pos += 512) {
      events +=
          static_cast<std::int64_t>(parser.feed(std::string_view(stream).substr(pos, 512)).size());
    }
  }
  if (events != 50 * state.iterations()) state.SkipWithError("wrong event count");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(events);
}
BENCHMARK(BM_SseParserFeed);

// A short content chunk as OpenAI streams it: 186 bytes of data.
std::string short_chunk(int i) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                R"({"id":"chatcmpl-B9MHDbslfkBe","object":"chat.completion.chunk","created":)"
                R"(1741569952,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":" w%02d"},)"
                R"("finish_reason":null}],"usage":null})",
                i);
  return buf;
}

// What the relay receives for a short answer: 20 content chunks, the usage chunk it asked for,
// [DONE].
std::string openai_stream() {
  std::string stream;
  for (int i = 0; i < 20; ++i) stream += "data: " + short_chunk(i) + "\n\n";
  stream += "data: " + std::string(kUsageChunk) + "\n\ndata: [DONE]\n\n";
  return stream;
}

// The stream split into `reads` reads of equal size, cut mid-event as a socket would.
std::vector<std::string_view> split(std::string_view stream, std::size_t reads) {
  std::vector<std::string_view> parts;
  std::size_t step = (stream.size() + reads - 1) / reads;
  for (std::size_t pos = 0; pos < stream.size(); pos += step)
    parts.push_back(stream.substr(pos, step));
  return parts;
}

// Framing alone, one parser per stream as the relay has.
void BM_SseFeedStream(benchmark::State& state) {
  std::string stream = openai_stream();
  std::vector<std::string_view> reads = split(stream, static_cast<std::size_t>(state.range(0)));
  std::int64_t events = 0;
  for (auto _ : state) {
    SseParser parser;
    for (std::string_view read : reads)
      events += static_cast<std::int64_t>(parser.feed(read).size());
  }
  if (events != 22 * state.iterations()) state.SkipWithError("wrong event count");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(events);
}
BENCHMARK(BM_SseFeedStream)->Arg(3);

// The relay's loop (gateway/chat_openai.cpp): frame, classify every data event, hide the usage
// chunk the client did not ask for, and gather the rest into the chunk written to the client.
void BM_SseRelayStream(benchmark::State& state) {
  std::string stream = openai_stream();
  std::vector<std::string_view> reads = split(stream, static_cast<std::size_t>(state.range(0)));
  std::string out;
  std::int64_t usage_seen = 0;
  for (auto _ : state) {
    SseParser parser;
    for (std::string_view read : reads) {
      out.clear();
      for (const auto& ev : parser.feed(read)) {
        if (!ev.data.empty()) {
          ChunkInfo info = classify_chunk(ev.data);
          if (info.usage) ++usage_seen;
          if (info.kind == ChunkKind::azure_prelude) continue;
          if (info.kind == ChunkKind::usage_only) continue;
        }
        out.append(ev.raw);
      }
      benchmark::DoNotOptimize(out.data());
    }
  }
  if (usage_seen != state.iterations()) state.SkipWithError("usage not seen once per stream");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_SseRelayStream)->Arg(3);

// Azure's content chunk: choices first, a content_filter_results object in every choice.
constexpr std::string_view kAzureContentChunk =
    R"({"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},)"
    R"("self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,)"
    R"("severity":"safe"},"violence":{"filtered":false,"severity":"safe"}},"delta":{)"
    R"("content":"Hello"},"finish_reason":null,"index":0,"logprobs":null}],)"
    R"("created":1741569952,"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",)"
    R"("model":"gpt-4o-2024-08-06","object":"chat.completion.chunk",)"
    R"("system_fingerprint":"fp_b705f0c291","usage":null})";

// Model output that quotes the markers the classifier looks for.
constexpr std::string_view kChattyContentChunk =
    R"({"id":"chatcmpl-B9MHDbslfkBe","object":"chat.completion.chunk","created":1741569952,)"
    R"("model":"gpt-4o","choices":[{"index":0,"delta":{"content":"set \"usage\":{} or )"
    R"(\"error\": and \"choices\":[]"},"finish_reason":null}],"usage":null})";

void classify_bench(benchmark::State& state, ChunkInfo (*classify)(std::string_view)) {
  static const char* const kLabels[] = {"content", "usage", "azure_content", "content_quoting"};
  std::string chunk;
  switch (state.range(0)) {
    case 0: chunk = short_chunk(7); break;
    case 1: chunk = kUsageChunk; break;
    case 2: chunk = kAzureContentChunk; break;
    default: chunk = kChattyContentChunk; break;
  }
  for (auto _ : state) {
    ChunkInfo info = classify(chunk);
    benchmark::DoNotOptimize(info);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * chunk.size()));
  state.SetLabel(kLabels[state.range(0)]);
}

void BM_ClassifyChunk(benchmark::State& state) {
  classify_bench(state, classify_chunk);
}
BENCHMARK(BM_ClassifyChunk)->DenseRange(0, 3);

// The full parse alone, which classify_chunk falls back to: what the pre-scan saves.
void BM_ClassifyChunkByParsing(benchmark::State& state) {
  classify_bench(state, detail::classify_chunk_by_parsing);
}
BENCHMARK(BM_ClassifyChunkByParsing)->DenseRange(0, 3);

}  // namespace

// A whole non-streaming answer as OpenAI shapes it: usage after choices, two members after it.
void BM_UsageFromCompletion(benchmark::State& state) {
  const std::string body =
      R"({"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o",)"
      R"("choices":[{"index":0,"message":{"role":"assistant","content":"openai says: hello there",)"
      R"("refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],)"
      R"("usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9,)"
      R"("prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},)"
      R"("completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,)"
      R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},)"
      R"("service_tier":"default","system_fingerprint":"fp_mock"})";
  for (auto _ : state) {
    auto u = tollbooth::openai::usage_from_completion(body);
    benchmark::DoNotOptimize(u);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_UsageFromCompletion);
