// Micro-benchmarks of the Responses front's translation, beside the chat translators' figures
// (bedrock_translate_bench.cpp, openai_bench.cpp): reading a Codex-like Responses request
// (instructions, a developer message, the user's, a function call and its output, three tools
// of which one custom; ~3 KB), bridging it to chat for a translated route, turning a chat
// answer into a response object, and turning a 50-chunk chat stream into Responses events
// (per event). Per request and per event, as the issue asks.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "api/openai/responses_chat.hpp"
#include "api/openai/responses_request.hpp"
#include "api/openai/responses_response.hpp"

namespace {

namespace oa = tollbooth::openai;

const std::string kRequest =
    R"({"model":"gpt-5","instructions":"You are a coding agent running in a terminal. Be concise. )"
    R"(Use the tools to read and change files; never guess file contents.","store":false,"stream":true,)"
    R"("include":["reasoning.encrypted_content"],"prompt_cache_key":"0198c3a1-5b0e-7d21-9c3e-2f4a6b8d0e11",)"
    R"("reasoning":{"effort":"medium","summary":"auto"},"tool_choice":"auto","parallel_tool_calls":true,)"
    R"("input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":)"
    R"("<permissions instructions>Filesystem sandboxing: workspace-write. Network: restricted.</permissions instructions>"}]},)"
    R"({"type":"message","role":"user","content":[{"type":"input_text","text":"<environment_context><cwd>/home/ana/src/app</cwd>)"
    R"(<shell>bash</shell></environment_context>"}]},)"
    R"({"type":"message","role":"user","content":[{"type":"input_text","text":"Find where the retry budget is )"
    R"(computed and make it honour Retry-After when the upstream sends one."}]},)"
    R"({"type":"function_call","call_id":"call_1","name":"exec_command","arguments":)"
    R"("{\"cmd\":\"rg -n retry_budget src\",\"yield_time_ms\":2000}"},)"
    R"({"type":"function_call_output","call_id":"call_1","output":"Chunk ID: 3c2f\nWall time: 0.0210 seconds\n)"
    R"(Process exited with code 0\nOutput:\nsrc/gateway/flow.cpp:212:  auto budget = retry_budget(plan);\n)"
    R"(src/routing/retry.cpp:40:Budget retry_budget(const Plan& plan) {\n"}],)"
    R"("tools":[{"type":"function","name":"exec_command","description":"Runs a command in a PTY, returning )"
    R"(output or a session ID for ongoing interaction.","strict":false,"parameters":{"type":"object",)"
    R"("properties":{"cmd":{"type":"string","description":"Shell command to execute."},"workdir":)"
    R"({"type":"string"},"yield_time_ms":{"type":"number"},"max_output_tokens":{"type":"number"}},)"
    R"("required":["cmd"],"additionalProperties":false}},)"
    R"({"type":"function","name":"view_image","description":"Attach a local image to the conversation.",)"
    R"("strict":false,"parameters":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}},)"
    R"({"type":"custom","name":"apply_patch","description":"Use the apply_patch tool to edit files.",)"
    R"("format":{"type":"grammar","syntax":"lark","definition":"start: begin_patch hunk+ end_patch\n)"
    R"(begin_patch: \"*** Begin Patch\" LF\nend_patch: \"*** End Patch\" LF?\nhunk: add_hunk | delete_hunk | update_hunk\n"}}]})";

const std::string kChatAnswer =
    R"({"id":"chatcmpl-1","object":"chat.completion","created":1764633600,"model":"claude",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"The budget is computed in )"
    R"(src/routing/retry.cpp; I will make it honour Retry-After.","tool_calls":[{"id":"tooluse_1",)"
    R"("type":"function","function":{"name":"apply_patch","arguments":"{\"input\":\"*** Begin Patch\\n)"
    R"(*** Update File: src/routing/retry.cpp\\n@@\\n-  return base;\\n+  return std::max(base, retry_after);\\n)"
    R"(*** End Patch\\n\"}"}}]},"finish_reason":"tool_calls"}],)"
    R"("usage":{"prompt_tokens":3120,"completion_tokens":96,"total_tokens":3216,)"
    R"("prompt_tokens_details":{"cached_tokens":2048}}})";

// A 50-chunk chat stream: a role chunk, 46 word deltas, the finish, the usage chunk, [DONE].
std::string chat_stream() {
  std::string s =
      R"(data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"claude",)"
      R"("choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})"
      "\n\n";
  for (int i = 0; i < 46; ++i) {
    s += R"(data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"claude",)"
         R"("choices":[{"index":0,"delta":{"content":" word)" +
         std::to_string(i) +
         R"("}}]})"
         "\n\n";
  }
  s += R"(data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"claude",)"
       R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"
       "\n\n";
  s +=
      R"(data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"claude","choices":[],)"
      R"("usage":{"prompt_tokens":3120,"completion_tokens":46,"total_tokens":3166}})"
      "\n\n";
  s += "data: [DONE]\n\n";
  return s;
}

void BM_ResponsesInspect(benchmark::State& state) {
  for (auto _ : state) {
    auto r = oa::inspect_responses_request(kRequest);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kRequest.size()));
}
BENCHMARK(BM_ResponsesInspect);

void BM_ResponsesToChat(benchmark::State& state) {
  for (auto _ : state) {
    auto r = oa::responses_to_chat(kRequest, "bedrock-us", true);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kRequest.size()));
}
BENCHMARK(BM_ResponsesToChat);

void BM_ChatAnswerToResponse(benchmark::State& state) {
  const std::vector<std::string> custom{"apply_patch"};
  for (auto _ : state) {
    auto r = oa::chat_completion_to_response(kChatAnswer, "resp_req_1", custom);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ChatAnswerToResponse);

// Per chat chunk turned into Responses events (items_per_second = chunks/s).
void BM_ChatStreamToResponsesPerEvent(benchmark::State& state) {
  const std::string stream = chat_stream();
  std::string out;
  for (auto _ : state) {
    oa::ChatToResponsesStream s("resp_req_1", "claude", {});
    out.clear();
    s.feed(stream, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 50));
}
BENCHMARK(BM_ChatStreamToResponsesPerEvent);

// A passed-through stream's terminal event: classified and its usage read (the other events
// are only classified by their `event:` name).
void BM_ResponsesTerminalEvent(benchmark::State& state) {
  const std::string data =
      R"({"type":"response.completed","sequence_number":61,"response":{"id":"resp_1","object":)"
      R"("response","status":"completed","model":"gpt-5","output":[],"usage":{"input_tokens":3120,)"
      R"("input_tokens_details":{"cached_tokens":2048},"output_tokens":96,)"
      R"("output_tokens_details":{"reasoning_tokens":40},"total_tokens":3216}}})";
  for (auto _ : state) {
    auto r = oa::classify_responses_event("response.completed", data);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ResponsesTerminalEvent);

}  // namespace
