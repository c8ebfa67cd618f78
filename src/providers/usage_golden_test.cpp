// Golden usage fixtures (tests/golden/usage/<provider>/): a real-shaped answer of each cloud,
// whole and streamed, carrying cached and reasoning (or cache-write) tokens, run through the
// real translator; expected.json holds the normalised Usage and its exact cost at fixed test
// prices, worked out by hand in its comment. The streamed and whole answers of one cloud are
// the same answer, so they must cost the same.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/eventstream.hpp"
#include "aws/sigv4.hpp"
#include "config/config.hpp"
#include "core/cost.hpp"
#include "core/endpoint.hpp"
#include "providers/chat_translators.hpp"
#include "testing/test_files.hpp"

namespace tollbooth {
namespace {

namespace json = boost::json;
const auto kUsageDir = testdata::kGoldenDir / "usage";

struct Expected {
  TokenPrices prices;
  Usage usage;
  Money cost = 0;
  std::string cost_text;  // as the usage chunk writes it
};

Expected expected_of(std::string_view provider) {
  json::value v = json::parse(testdata::read_file(kUsageDir / provider / "expected.json"));
  const json::object& p = v.at("prices").as_object();
  const json::object& u = v.at("usage").as_object();
  Expected e;
  e.prices = TokenPrices{p.at("input_per_mtok").to_number<Money>(),
                         p.at("output_per_mtok").to_number<Money>(),
                         p.at("cached_input_per_mtok").to_number<Money>(),
                         p.at("cache_write_per_mtok").to_number<Money>()};
  e.usage.input_tokens = u.at("input_tokens").to_number<std::int64_t>();
  e.usage.cached_input_tokens = u.at("cached_input_tokens").to_number<std::int64_t>();
  e.usage.cache_write_input_tokens = u.at("cache_write_input_tokens").to_number<std::int64_t>();
  e.usage.output_tokens = u.at("output_tokens").to_number<std::int64_t>();
  e.usage.reasoning_tokens = u.at("reasoning_tokens").to_number<std::int64_t>();
  e.usage.reported = true;
  e.cost = v.at("cost_micros").to_number<Money>();
  e.cost_text = std::string(v.at("cost").as_string());
  return e;
}

// Prices usage as the gateway will: token_cost at the route's prices.
class PricesPricer final : public UsagePricer {
 public:
  explicit PricesPricer(TokenPrices prices) : prices_(prices) {}
  std::optional<Money> charge(const Usage& usage) const noexcept override {
    return token_cost(usage, prices_);
  }

 private:
  TokenPrices prices_;
};

void expect_same_usage(const Usage& got, const Usage& want) {
  EXPECT_EQ(got.input_tokens, want.input_tokens);
  EXPECT_EQ(got.cached_input_tokens, want.cached_input_tokens);
  EXPECT_EQ(got.cache_write_input_tokens, want.cache_write_input_tokens);
  EXPECT_EQ(got.output_tokens, want.output_tokens);
  EXPECT_EQ(got.reasoning_tokens, want.reasoning_tokens);
  EXPECT_EQ(got.reported, want.reported);
}

struct Cloud {
  std::string_view name;  // its folder
  ProviderKind kind;
};
constexpr Cloud kClouds[] = {
    {"openai", ProviderKind::openai},
    {"azure", ProviderKind::azure},
    {"bedrock", ProviderKind::bedrock},
};

// One attempt through the real translator of the cloud's kind.
struct Attempt {
  ProviderConfig provider;
  RouteConfig route;
  Endpoint endpoint;
  ServerConfig server;
  aws::Auth auth;
  aws::Signer signer;
  std::string body;
  openai::ChatInspection facts;
  std::optional<ChatInput> input;
  AnyChatTranslator storage;
  Translator* translator = nullptr;

  Attempt(ProviderKind kind, bool stream, bool include_usage, const UsagePricer* pricer) {
    provider.name = "golden";
    provider.kind = kind;
    provider.api_key = "k";
    provider.api_version = "2024-10-21";
    provider.region = "us-east-1";
    route.provider = "golden";
    route.upstream_model =
        kind == ProviderKind::bedrock ? "us.anthropic.claude-3-7-sonnet-20250219-v1:0" : "reasoner";
    endpoint = parse_endpoint("http://127.0.0.1:4101").value();
    auth.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    body = R"({"model":"reasoner","messages":[{"role":"user","content":"Capital of France?"}])";
    if (stream) body += R"(,"stream":true)";
    if (include_usage) body += R"(,"stream_options":{"include_usage":true})";
    body += '}';
    facts = openai::inspect_chat_request(body).value();
    input.emplace(ChatInput{provider,
                            endpoint,
                            route,
                            body,
                            facts,
                            1'767'225'600'000,
                            "chatcmpl-golden",
                            &signer,
                            &auth,
                            {},
                            pricer});
    translator = &make_chat_translator(*input, server, storage);
    UpstreamRequest request;
    EXPECT_TRUE(translator->build(request).ok());
  }
};

std::string stream_bytes(const Cloud& cloud) {
  if (cloud.kind != ProviderKind::bedrock)
    return testdata::read_file(kUsageDir / cloud.name / "stream.sse");
  // The event stream, from its readable form: [{eventType: payload}, ...].
  std::string bytes;
  json::value events =
      json::parse(testdata::read_file(kUsageDir / cloud.name / "stream.events.json"));
  for (const auto& item : events.as_array())
    for (const auto& [type, payload] : item.as_object())
      bytes += aws::encode_bedrock_event(type, json::serialize(payload));
  return bytes;
}

ResponseHead stream_head(const Cloud& cloud) {
  return {200,
          cloud.kind == ProviderKind::bedrock ? "application/vnd.amazon.eventstream"
                                              : "text/event-stream",
          {},
          {}};
}

struct Streamed {
  Usage usage;
  std::string client;  // what the client got
};

// The stream fed in slices of `step` bytes, ended cleanly.
Streamed run_stream(const Cloud& cloud, bool include_usage, const UsagePricer* pricer,
                    std::size_t step) {
  Attempt a(cloud.kind, true, include_usage, pricer);
  EXPECT_EQ(a.translator->plan(stream_head(cloud)), BodyPlan::stream);
  const std::string bytes = stream_bytes(cloud);
  Streamed s;
  for (std::size_t at = 0; at < bytes.size(); at += step)
    a.translator->feed(std::string_view(bytes).substr(at, step), s.client);
  a.translator->end(s.client);
  EXPECT_TRUE(a.translator->done());
  EXPECT_EQ(a.translator->error(), nullptr) << s.client;
  s.usage = a.translator->usage();
  return s;
}

Reply run_whole(const Cloud& cloud, Attempt& a, std::string& body) {
  body = testdata::read_file(kUsageDir / cloud.name / "answer.json");
  EXPECT_EQ(a.translator->plan({200, "application/json", {}, {}}), BodyPlan::whole);
  return a.translator->whole({200, "application/json", {}, {}}, body);
}

// The data of each SSE event the client got, parsed.
std::vector<json::value> chunks_of(std::string_view client) {
  std::vector<json::value> out;
  std::size_t at = 0;
  while ((at = client.find("data: ", at)) != std::string_view::npos) {
    const std::size_t end = client.find("\n\n", at);
    std::string_view data = client.substr(at + 6, end - at - 6);
    if (data != "[DONE]") out.push_back(json::parse(data));
    at = end;
  }
  return out;
}

TEST(UsageGolden, EachCloudsWholeAnswerGivesItsExpectedUsageAndCost) {
  for (const Cloud& cloud : kClouds) {
    SCOPED_TRACE(std::string(cloud.name));
    const Expected want = expected_of(cloud.name);
    Attempt a(cloud.kind, false, false, nullptr);
    std::string body;
    Reply r = run_whole(cloud, a, body);
    EXPECT_EQ(r.kind, Reply::Kind::respond);
    ASSERT_TRUE(r.usage.has_value());
    expect_same_usage(*r.usage, want.usage);
    EXPECT_EQ(token_cost(*r.usage, want.prices), want.cost);
    // The client reads the same counts in OpenAI's shape.
    json::value usage = json::parse(r.body).at("usage");
    EXPECT_EQ(usage.at("prompt_tokens").to_number<std::int64_t>(), want.usage.input_tokens);
    EXPECT_EQ(usage.at("completion_tokens").to_number<std::int64_t>(), want.usage.output_tokens);
    EXPECT_EQ(usage.at("prompt_tokens_details").at("cached_tokens").to_number<std::int64_t>(),
              want.usage.cached_input_tokens);
  }
}

TEST(UsageGolden, EachCloudsStreamGivesItsExpectedUsageAndCostWhetherOrNotTheClientAsked) {
  for (const Cloud& cloud : kClouds) {
    SCOPED_TRACE(std::string(cloud.name));
    const Expected want = expected_of(cloud.name);
    for (bool include_usage : {false, true}) {
      for (std::size_t step : {std::size_t{1}, std::size_t{13}, std::size_t{1} << 20}) {
        Streamed s = run_stream(cloud, include_usage, nullptr, step);
        expect_same_usage(s.usage, want.usage);
        EXPECT_EQ(token_cost(s.usage, want.prices), want.cost);
        EXPECT_EQ(s.client.find("\"prompt_tokens\"") != std::string::npos, include_usage)
            << "the usage chunk reaches only a client that asked for it";
      }
    }
  }
}

TEST(UsageGolden, TheSameAnswerStreamedAndWholeCostsTheSame) {
  for (const Cloud& cloud : kClouds) {
    SCOPED_TRACE(std::string(cloud.name));
    const TokenPrices prices = expected_of(cloud.name).prices;
    Attempt a(cloud.kind, false, false, nullptr);
    std::string body;
    Reply whole = run_whole(cloud, a, body);
    Streamed streamed = run_stream(cloud, false, nullptr, 64);
    ASSERT_TRUE(whole.usage.has_value());
    expect_same_usage(streamed.usage, *whole.usage);
    EXPECT_EQ(token_cost(streamed.usage, prices), token_cost(*whole.usage, prices));
  }
}

TEST(UsageGolden, AStreamThatAskedForUsageGetsTheExactCostInItsUsageChunk) {
  for (const Cloud& cloud : kClouds) {
    SCOPED_TRACE(std::string(cloud.name));
    const Expected want = expected_of(cloud.name);
    PricesPricer pricer(want.prices);
    Streamed s = run_stream(cloud, true, &pricer, 29);
    EXPECT_NE(s.client.find("\"cost\":" + want.cost_text + "}"), std::string::npos) << s.client;
    std::vector<json::value> chunks = chunks_of(s.client);
    ASSERT_FALSE(chunks.empty());
    const json::value& last = chunks.back();
    ASSERT_TRUE(last.at("choices").as_array().empty()) << "the usage chunk is the last";
    const json::object& usage = last.at("usage").as_object();
    EXPECT_EQ(usage.at("prompt_tokens").to_number<std::int64_t>(), want.usage.input_tokens);
    EXPECT_EQ(usage.at("completion_tokens").to_number<std::int64_t>(), want.usage.output_tokens);
    // Every other chunk is valid JSON without a cost.
    for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
      const json::value* u = chunks[i].as_object().if_contains("usage");
      EXPECT_TRUE(u == nullptr || u->is_null());
    }
  }
}

TEST(UsageGolden, BedrocksClientUsageShowsTheCacheReadsAndWritesInsideThePrompt) {
  const Cloud bedrock = kClouds[2];
  Attempt a(bedrock.kind, false, false, nullptr);
  std::string body;
  Reply r = run_whole(bedrock, a, body);
  json::value details = json::parse(r.body).at("usage").at("prompt_tokens_details");
  EXPECT_EQ(details.at("cached_tokens"), 2048);
  EXPECT_EQ(details.at("cache_write_tokens"), 1203);
  EXPECT_EQ(json::parse(r.body).at("usage").at("total_tokens"), 3296 + 397);
}

}  // namespace
}  // namespace tollbooth
