#include "providers/openai_chat.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tollbooth {
namespace {

namespace json = boost::json;

// A pricer that charges a fixed figure (or none) and counts its calls.
class FixedPricer final : public UsagePricer {
 public:
  explicit FixedPricer(std::optional<Money> figure) : figure_(figure) {}
  std::optional<Money> charge(const Usage& usage) const noexcept override {
    ++calls;
    seen = usage;
    return figure_;
  }
  mutable int calls = 0;
  mutable Usage seen;

 private:
  std::optional<Money> figure_;
};

// One attempt of the OpenAI-wire translator, with what its ChatInput refers to.
struct Attempt {
  ProviderConfig provider;
  RouteConfig route;
  Endpoint endpoint;
  std::string body;
  openai::ChatInspection facts;
  std::optional<ChatInput> input;
  std::optional<OpenAiWireChat> translator;
  UpstreamRequest request;

  Attempt(ProviderKind kind, std::string client_body, const UsagePricer* pricer)
      : body(std::move(client_body)) {
    provider.name = kind == ProviderKind::azure ? "azure" : "openai";
    provider.kind = kind;
    provider.api_key = "k";
    provider.api_version = "2024-10-21";
    route.provider = provider.name;
    route.upstream_model = "gpt-4o";
    endpoint = parse_endpoint("http://127.0.0.1:4101").value();
    facts = openai::inspect_chat_request(body).value();
    input.emplace(ChatInput{
        provider, endpoint, route, body, facts, 0, "chatcmpl-1", nullptr, nullptr, {}, pricer});
    translator.emplace(*input);
    EXPECT_TRUE(translator->build(request).ok());
  }

  // The stream fed in slices of `step` bytes, as the client gets it.
  std::string stream(std::string_view upstream, std::size_t step = 7) {
    EXPECT_EQ(translator->plan({200, "text/event-stream", {}, {}}), BodyPlan::stream);
    std::string out;
    for (std::size_t at = 0; at < upstream.size(); at += step)
      translator->feed(upstream.substr(at, step), out);
    translator->end(out);
    return out;
  }
};

constexpr std::string_view kAsk =
    R"({"model":"fast","stream":true,"messages":[{"role":"user","content":"hi"}]})";
constexpr std::string_view kAskWithUsage =
    R"({"model":"fast","stream":true,"stream_options":{"include_usage":true},)"
    R"("messages":[{"role":"user","content":"hi"}]})";

constexpr std::string_view kContent =
    "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},"
    "\"finish_reason\":null}],\"usage\":null}\n\n";
constexpr std::string_view kUsageChunk =
    "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,"
    "\"total_tokens\":29,\"prompt_tokens_details\":{\"cached_tokens\":16},"
    "\"completion_tokens_details\":{\"reasoning_tokens\":4}}}\n\n";
constexpr std::string_view kDone = "data: [DONE]\n\n";

std::string upstream_stream() {
  return std::string(kContent) + std::string(kUsageChunk) + std::string(kDone);
}

TEST(OpenAiWireChat, EveryStreamAsksTheUpstreamForUsage) {
  for (ProviderKind kind : {ProviderKind::openai, ProviderKind::azure}) {
    Attempt a(kind, std::string(kAsk), nullptr);
    auto sent = json::parse(a.request.body);
    EXPECT_EQ(sent.at("stream_options").at("include_usage"), true)
        << "a stream the client did not ask usage for is still metered";
  }
  Attempt plain(ProviderKind::openai,
                R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})", nullptr);
  EXPECT_FALSE(json::parse(plain.request.body).as_object().contains("stream_options"))
      << "OpenAI refuses stream_options without stream";
}

TEST(OpenAiWireChat, TheForcedUsageChunkIsReadButNotShownOrPriced) {
  FixedPricer pricer(1234);
  Attempt a(ProviderKind::openai, std::string(kAsk), &pricer);
  std::string out = a.stream(upstream_stream());
  EXPECT_EQ(out, std::string(kContent) + std::string(kDone));
  Usage u = a.translator->usage();
  EXPECT_TRUE(u.reported);
  EXPECT_EQ(u.input_tokens, 20);
  EXPECT_EQ(u.cached_input_tokens, 16);
  EXPECT_EQ(u.output_tokens, 9);
  EXPECT_EQ(u.reasoning_tokens, 4);
  EXPECT_EQ(pricer.calls, 0) << "no chunk to price";
}

TEST(OpenAiWireChat, AClientThatAskedForUsageGetsItsCostSplicedIn) {
  for (ProviderKind kind : {ProviderKind::openai, ProviderKind::azure}) {
    FixedPricer pricer(1234);
    Attempt a(kind, std::string(kAskWithUsage), &pricer);
    std::string out = a.stream(upstream_stream());
    std::string usage_chunk(kUsageChunk);
    usage_chunk.insert(usage_chunk.size() - 4, ",\"cost\":0.001234");
    EXPECT_EQ(out, std::string(kContent) + usage_chunk + std::string(kDone));
    EXPECT_EQ(pricer.calls, 1);
    EXPECT_EQ(pricer.seen.input_tokens, 20);
    EXPECT_EQ(pricer.seen.reasoning_tokens, 4);
  }
}

TEST(OpenAiWireChat, NoPricerOrNoFigureLeavesTheUsageChunkAsItCame) {
  Attempt unpriced(ProviderKind::openai, std::string(kAskWithUsage), nullptr);
  EXPECT_EQ(unpriced.stream(upstream_stream()), upstream_stream());
  FixedPricer none(std::nullopt);
  Attempt no_figure(ProviderKind::openai, std::string(kAskWithUsage), &none);
  EXPECT_EQ(no_figure.stream(upstream_stream()), upstream_stream());
  EXPECT_EQ(none.calls, 1);
}

TEST(OpenAiWireChat, AzuresPreludeIsDroppedAndItsUsageChunkPriced) {
  FixedPricer pricer(2'500'000);
  Attempt a(ProviderKind::azure, std::string(kAskWithUsage), &pricer);
  const std::string prelude =
      "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
      "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}\n\n";
  std::string out = a.stream(prelude + upstream_stream(), 3);
  EXPECT_EQ(out.find("prompt_filter_results"), std::string::npos);
  EXPECT_NE(out.find("\"reasoning_tokens\":4},\"cost\":2.5}}\n\n"), std::string::npos) << out;
}

TEST(OpenAiWireChat, AUsageEventOfSeveralDataLinesIsWrittenAgainLineByLine) {
  FixedPricer pricer(7);
  Attempt a(ProviderKind::openai, std::string(kAskWithUsage), &pricer);
  const std::string split_usage =
      "data: {\"choices\":[],\r\ndata: \"usage\":{\"prompt_tokens\":3}}\r\n\r\n";
  std::string out = a.stream(std::string(kContent) + split_usage + std::string(kDone));
  EXPECT_EQ(out, std::string(kContent) +
                     "data: {\"choices\":[],\ndata: \"usage\":{\"prompt_tokens\":3,\"cost\":"
                     "0.000007}}\n\n" +
                     std::string(kDone));
  EXPECT_EQ(a.translator->usage().input_tokens, 3);
}

TEST(OpenAiWireChat, AStreamThatBreaksBeforeItsUsageIsUnreported) {
  Attempt a(ProviderKind::openai, std::string(kAsk), nullptr);
  std::string out;
  a.translator->feed(kContent, out);
  a.translator->fail(make_error(ErrorKind::bad_gateway, "cut"), out);
  EXPECT_FALSE(a.translator->usage().reported);
}

TEST(OpenAiWireChat, AWholeAnswersUsageIsNormalisedAndTheBodyUntouched) {
  Attempt a(ProviderKind::openai, R"({"model":"fast","messages":[{"role":"user","content":"hi"}]})",
            nullptr);
  const std::string body =
      R"({"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":100,)"
      R"("completion_tokens":50,"prompt_tokens_details":{"cached_tokens":64},)"
      R"("completion_tokens_details":{"reasoning_tokens":30}}})";
  Reply r = a.translator->whole({200, "application/json", {}, {}}, body);
  EXPECT_EQ(r.body, body);
  ASSERT_TRUE(r.usage.has_value());
  EXPECT_EQ(r.usage->input_tokens, 100);
  EXPECT_EQ(r.usage->cached_input_tokens, 64);
  EXPECT_EQ(r.usage->output_tokens, 50);
  EXPECT_EQ(r.usage->reasoning_tokens, 30);
  Reply no_usage = a.translator->whole({200, "application/json", {}, {}}, R"({"choices":[]})");
  EXPECT_FALSE(no_usage.usage.has_value()) << "no usage object: nothing reported";
}

}  // namespace
}  // namespace tollbooth
