// Micro-benchmarks of SigV4 signing, which runs once per Bedrock request: a typical Converse
// request (about 1 KB of JSON) signed with a cached signing key, with a cold key (a new day each
// iteration, so the four-HMAC derivation runs every time), and with the body hashed beforehand.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "aws/sigv4.hpp"

namespace {

namespace aws = tollbooth::aws;

std::string converse_body(std::size_t target) {
  std::string body = R"({"system":[{"text":"You are a helpful assistant. Answer briefly."}],)"
                     R"("messages":[)";
  for (int turn = 0; body.size() + 120 < target; ++turn) {
    if (turn > 0) body += ',';
    body += turn % 2 ? R"({"role":"assistant","content":[{"text":"Sure, here is the answer )"
                     : R"({"role":"user","content":[{"text":"Tell me about toll roads, part )";
    body += std::to_string(turn) + R"(."}]})";
  }
  body += R"(],"inferenceConfig":{"maxTokens":1024,"temperature":0.7}})";
  return body;
}

struct Fixture {
  std::string body = converse_body(1024);
  std::vector<aws::HeaderRef> headers = {
      {"Host", "bedrock-runtime.us-east-1.amazonaws.com"},
      {"Content-Type", "application/json"},
      {"Accept", "application/json"},
  };
  aws::Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               "IQoJb3JpZ2luX2VjEXAMPLEsessiontokenvalue"};
  aws::SigningRequest request() const {
    return {"POST", "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse",
            "",     headers,
            body,   {}};
  }
  aws::SigningParams params(std::int64_t unix_time) const {
    aws::SigningParams p;
    p.region = "us-east-1";
    p.service = "bedrock";
    p.unix_time = unix_time;
    return p;
  }
};

constexpr std::int64_t kStart = 1735787045;  // 2025-01-02T03:04:05Z

void BM_SigV4SignConverseCachedKey(benchmark::State& state) {
  Fixture f;
  aws::Signer signer;
  auto request = f.request();
  std::int64_t now = kStart;
  for (auto _ : state) {
    auto out = signer.sign(request, f.credentials, f.params(now));
    benchmark::DoNotOptimize(out);
    if (!out.ok()) state.SkipWithError("signing failed");
    now = kStart + (now - kStart + 1) % 3600;  // the clock moves; the day does not
  }
  state.counters["body_bytes"] = static_cast<double>(f.body.size());
  state.counters["keys_derived"] = static_cast<double>(signer.keys_derived());
}
BENCHMARK(BM_SigV4SignConverseCachedKey);

void BM_SigV4SignConverseColdKey(benchmark::State& state) {
  Fixture f;
  aws::Signer signer;
  auto request = f.request();
  std::int64_t now = kStart;
  for (auto _ : state) {
    now += 86400;  // a new day: the key cache misses every time
    auto out = signer.sign(request, f.credentials, f.params(now));
    benchmark::DoNotOptimize(out);
    if (!out.ok()) state.SkipWithError("signing failed");
  }
  state.counters["body_bytes"] = static_cast<double>(f.body.size());
  state.counters["keys_derived"] = static_cast<double>(signer.keys_derived());
}
BENCHMARK(BM_SigV4SignConverseColdKey);

void BM_SigV4SignConversePrehashedBody(benchmark::State& state) {
  Fixture f;
  aws::Signer signer;
  auto request = f.request();
  std::string hash = aws::sha256_hex(f.body);
  request.payload_hash = hash;
  for (auto _ : state) {
    auto out = signer.sign(request, f.credentials, f.params(kStart));
    benchmark::DoNotOptimize(out);
    if (!out.ok()) state.SkipWithError("signing failed");
  }
}
BENCHMARK(BM_SigV4SignConversePrehashedBody);

}  // namespace
