// Micro-benchmarks of the AWS event-stream codec: decoding is on the path of every Bedrock
// streamed event (CRC-32 over every byte, headers, payload copy); encoding is what the mock
// Bedrock does per event.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/eventstream.hpp"

namespace {

using namespace tollbooth::aws;

// The nine events of tests/vectors/bedrock/converse-stream-tooluse.bin, byte for byte
// (EventStream.DecodesBedrockToolUseStream checks that re-encoding them gives that file).
const std::pair<const char*, const char*> kToolUseEvents[] = {
    {"messageStart", R"({"role":"assistant","p":"abc"})"},
    {"contentBlockDelta",
     R"({"contentBlockIndex":0,"delta":{"text":"Let me check."},"p":"abcdef"})"},
    {"contentBlockStop", R"({"contentBlockIndex":0})"},
    {"contentBlockStart",
     R"({"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_abc123","name":"get_weather"}}})"},
    {"contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}})"},
    {"contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}}})"},
    {"contentBlockStop", R"({"contentBlockIndex":1})"},
    {"messageStop", R"({"stopReason":"tool_use"})"},
    {"metadata",
     R"({"usage":{"inputTokens":25,"outputTokens":30,"totalTokens":55},"metrics":{"latencyMs":812}})"},
};

// Decodes `stream` fed in `piece`-byte reads, one decoder per stream as the relay does.
void decode_stream(benchmark::State& state, const std::string& stream, std::size_t piece,
                   std::int64_t events_per_stream) {
  std::vector<EventMessage> out;
  std::int64_t events = 0;
  for (auto _ : state) {
    EventStreamDecoder decoder;
    for (std::size_t pos = 0; pos < stream.size(); pos += piece) {
      if (!decoder.feed(std::string_view(stream).substr(pos, piece), out).ok()) {
        state.SkipWithError("decode failed");
      }
      events += static_cast<std::int64_t>(out.size());
      benchmark::DoNotOptimize(out.data());
      out.clear();  // the relay translates and drops them after each read
    }
  }
  if (events != events_per_stream * state.iterations()) state.SkipWithError("wrong event count");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(events);
  state.counters["per_event"] = benchmark::Counter(
      static_cast<double>(events), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_EventStreamDecodeToolUse(benchmark::State& state) {
  std::string stream;
  for (const auto& [type, json] : kToolUseEvents) stream += encode_bedrock_event(type, json);
  decode_stream(state, stream, 512, 9);
}
BENCHMARK(BM_EventStreamDecodeToolUse);

// Larger payloads show the per-byte cost (mostly CRC-32) apart from the per-event cost.
void BM_EventStreamDecodePayload(benchmark::State& state) {
  std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
  std::string stream;
  for (int i = 0; i < 16; ++i) stream += encode_bedrock_event("contentBlockDelta", payload);
  decode_stream(state, stream, 16 * 1024, 16);
}
BENCHMARK(BM_EventStreamDecodePayload)->Arg(1024)->Arg(64 * 1024);

void BM_EventStreamEncodeBedrockEvent(benchmark::State& state) {
  const auto& [type, json] = kToolUseEvents[1];
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string frame = encode_bedrock_event(type, json);
    bytes += frame.size();
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventStreamEncodeBedrockEvent);

}  // namespace
