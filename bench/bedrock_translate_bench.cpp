// Micro-benchmarks of the OpenAI ⇄ Bedrock Converse translation: a typical agent request (system
// prompt, four messages, two tools, ~2 KB), a typical Converse answer, and a 50-event
// ConverseStream. The Boost.JSON rows parse and print the same bytes with a DOM: the least a
// Boost.JSON translator would do, kept here as the yardstick that chose simdjson + a writer.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "providers/bedrock_request.hpp"
#include "providers/bedrock_response.hpp"
#include "providers/bedrock_stream.hpp"

namespace {

namespace bd = tollbooth::bedrock;

const std::string kRequest =
    R"({"model":"claude-sonnet","temperature":0.2,"max_completion_tokens":1024,)"
    R"("stream":false,"user":"team-research/alice","messages":[)"
    R"({"role":"system","content":"You are a travel assistant for a corporate travel desk. Answer )"
    R"(briefly and precisely, in the traveller's language. Use the tools for anything that depends )"
    R"(on live data (weather, local time) and never guess those. Temperatures are in Celsius unless )"
    R"(the traveller asks otherwise. If a request is ambiguous, ask one short clarifying question."},)"
    R"({"role":"user","content":"I land in Paris tomorrow morning for a two-day offsite near La )"
    R"(D\u00e9fense. What will the weather be like, and what time is it there right now? I need to )"
    R"(know whether to pack a rain jacket and when to call the hotel."},)"
    R"({"role":"assistant","content":"Let me check the forecast and the local time.","tool_calls":[)"
    R"({"id":"call_w1","type":"function","function":{"name":"get_weather","arguments":)"
    R"("{\"city\":\"Paris\",\"unit\":\"c\",\"days\":2}"}},)"
    R"({"id":"call_t1","type":"function","function":{"name":"get_time","arguments":)"
    R"("{\"tz\":\"Europe/Paris\"}"}}]},)"
    R"({"role":"tool","tool_call_id":"call_w1","content":"{\"days\":[{\"date\":\"2026-03-02\",)"
    R"(\"high\":14.5,\"low\":6.0,\"sky\":\"showers\",\"rain_mm\":4.2},{\"date\":\"2026-03-03\",)"
    R"(\"high\":12.0,\"low\":4.5,\"sky\":\"cloudy\",\"rain_mm\":0.4}]}"},)"
    R"({"role":"tool","tool_call_id":"call_t1","content":"2026-03-01T16:42:00+01:00"}],)"
    R"("tools":[{"type":"function","function":{"name":"get_weather","description":"Forecast for a )"
    R"(city, one entry per day","parameters":{"type":"object","properties":{"city":{"type":"string",)"
    R"("description":"City name, e.g. Paris"},"unit":{"type":"string","enum":["c","f"]},"days":)"
    R"({"type":"integer","minimum":1,"maximum":7}},"required":["city"]}}},)"
    R"({"type":"function","function":{"name":"get_time","description":"Current local time in an )"
    R"(IANA time zone","parameters":{"type":"object","properties":{"tz":{"type":"string",)"
    R"("description":"IANA zone, e.g. Europe/Paris"}},"required":["tz"]}}}],"tool_choice":"auto"})";

const std::string kResponse =
    R"({"output":{"message":{"role":"assistant","content":[{"text":)"
    R"("Pack the rain jacket: tomorrow brings showers in Paris (high 14.5 \u00b0C, low 6 \u00b0C, )"
    R"(about 4 mm of rain), and the day after stays cloudy but mostly dry (high 12 \u00b0C). It is )"
    R"(16:42 in Paris right now, one hour ahead of London. Hotels usually staff the front desk )"
    R"(around the clock, but calling before 20:00 local time gets you the reservations team. )"
    R"(Want me to check the commute from the airport to La D\u00e9fense as well?"},)"
    R"({"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":"get_route","input":)"
    R"({"from":"CDG","to":"La Defense","mode":"transit","depart":"2026-03-02T08:30:00+01:00"}}}]}},)"
    R"("stopReason":"tool_use","usage":{"inputTokens":1412,"outputTokens":168,"totalTokens":1580,)"
    R"("cacheReadInputTokens":0,"cacheWriteInputTokens":0},"metrics":{"latencyMs":1733}})";

// 50 events: start, 46 text deltas, block stop, message stop, metadata; with Bedrock's padding.
std::vector<std::pair<std::string, std::string>> stream_events() {
  std::vector<std::pair<std::string, std::string>> events;
  events.emplace_back("messageStart", R"({"role":"assistant","p":"abcdefghijklmnopqrstu"})");
  const char* words[] = {" Pack",           " the",   " rain", " jacket:", " showers", " tomorrow,",
                         " \\\"cloudy\\\"", " after", ".\\n"};
  for (int i = 0; i < 46; ++i) {
    events.emplace_back("contentBlockDelta",
                        std::string(R"({"contentBlockIndex":0,"delta":{"text":")") + words[i % 9] +
                            R"("},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGH"})");
  }
  events.emplace_back("contentBlockStop", R"({"contentBlockIndex":0,"p":"abcdefg"})");
  events.emplace_back("messageStop", R"({"stopReason":"end_turn","p":"abcdefghijklmn"})");
  events.emplace_back("metadata",
                      R"({"usage":{"inputTokens":1412,"outputTokens":45,"totalTokens":1457},)"
                      R"("metrics":{"latencyMs":912},"p":"abcdefghijklmnopqrstuvwxyzAB"})");
  return events;
}

bd::ReplyOptions reply_options() {
  bd::ReplyOptions o;
  o.client_model = "claude-sonnet";
  o.response_id = "chatcmpl-6f1c2a9e0b7d4c3aa1e2f3b4c5d6e7f8";
  o.created = 1767225600;
  o.include_usage = true;
  return o;
}

void BM_BedrockRequestToConverse(benchmark::State& state) {
  bd::ConverseOptions options;
  for (auto _ : state) {
    auto r = bd::to_converse(kRequest, "us.anthropic.claude-3-5-sonnet-20240620-v1:0", options);
    if (!r.ok()) state.SkipWithError("translation failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kRequest.size()));
  state.counters["body_bytes"] = static_cast<double>(kRequest.size());
}
BENCHMARK(BM_BedrockRequestToConverse);

void BM_BedrockResponseToChat(benchmark::State& state) {
  auto options = reply_options();
  for (auto _ : state) {
    auto r = bd::chat_completion_from_converse(kResponse, options);
    if (!r.ok()) state.SkipWithError("translation failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kResponse.size()));
  state.counters["body_bytes"] = static_cast<double>(kResponse.size());
}
BENCHMARK(BM_BedrockResponseToChat);

// One whole 50-event stream per iteration; bytes are the event payloads.
void BM_BedrockStreamToChunks(benchmark::State& state) {
  auto events = stream_events();
  std::size_t bytes = 0;
  for (const auto& e : events) bytes += e.second.size();
  auto options = reply_options();
  std::string out;
  for (auto _ : state) {
    bd::ConverseStreamTranslator t(options);
    out.clear();
    for (const auto& [type, payload] : events) t.on_event(type, payload, out);
    if (!t.done() || t.error()) state.SkipWithError("stream did not complete");
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["events"] = static_cast<double>(events.size());
  state.counters["ns_per_event"] =
      benchmark::Counter(static_cast<double>(state.iterations() * events.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_BedrockStreamToChunks);

// Yardsticks: a DOM parse and print of the same bytes, without any translation.
void BM_BoostJsonParsePrintRequest(benchmark::State& state) {
  for (auto _ : state) {
    std::string out = boost::json::serialize(boost::json::parse(kRequest));
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kRequest.size()));
}
BENCHMARK(BM_BoostJsonParsePrintRequest);

void BM_BoostJsonParsePrintResponse(benchmark::State& state) {
  for (auto _ : state) {
    std::string out = boost::json::serialize(boost::json::parse(kResponse));
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kResponse.size()));
}
BENCHMARK(BM_BoostJsonParsePrintResponse);

void BM_BoostJsonParsePrintStream(benchmark::State& state) {
  auto events = stream_events();
  std::size_t bytes = 0;
  for (const auto& e : events) bytes += e.second.size();
  for (auto _ : state) {
    for (const auto& [type, payload] : events) {
      std::string out = boost::json::serialize(boost::json::parse(payload));
      benchmark::DoNotOptimize(out);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_BoostJsonParsePrintStream);

}  // namespace
