#include "gateway/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "routing/health.hpp"
#include "routing/test_world.hpp"

namespace tollbooth::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RequestOutcome served(routing::RouteId route, std::string_view model, int status = 200) {
  RequestOutcome o;
  o.front = Front::chat_completions;
  o.model = std::string(model);
  o.status = status;
  o.received = RequestOutcome::Steady(std::chrono::milliseconds(1000));
  o.done = o.received + std::chrono::milliseconds(30);
  AttemptRecord a;
  a.route = route;
  a.end = AttemptEnd::served;
  o.attempts.push_back(a);
  o.usage.reported = true;
  o.usage.input_tokens = 12;
  o.usage.output_tokens = 3;
  return o;
}

// The series (non-comment lines) of a rendering.
std::size_t series(const std::string& text) {
  std::istringstream in(text);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty() && line[0] != '#';
  return n;
}

TEST(Metrics, RequestsAreCountedByModelRouteAndStatusOverEveryWorker) {
  routing::testing::World w(routing::testing::kTwoClouds);
  routing::Health health(w.catalog.route_count(), BreakerConfig{});
  Metrics m(w.catalog, health);
  const routing::RouteId openai = w.id("gpt-5", "openai");
  m.shard(0).on_outcome(served(openai, "gpt-5"));
  m.shard(1).on_outcome(served(openai, "gpt-5"));  // another worker's shard: summed
  const std::string text = m.render(0);
  EXPECT_THAT(text, HasSubstr("# TYPE tollbooth_requests_total counter\n"));
  EXPECT_THAT(
      text,
      HasSubstr("tollbooth_requests_total{model=\"gpt-5\",route=\"openai\",status=\"200\"} 2\n"));
  // 30 ms: not in the 0.02 s bucket, in the 0.04 s one; cumulative after it.
  EXPECT_THAT(text, HasSubstr("gen_ai_server_request_duration_seconds_bucket{gen_ai_operation_name="
                              "\"chat\",gen_ai_request_model=\"gpt-5\",gen_ai_provider_name="
                              "\"openai\",le=\"0.02\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("le=\"0.04\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("gen_ai_server_request_duration_seconds_count{gen_ai_operation_name="
                              "\"chat\",gen_ai_request_model=\"gpt-5\",gen_ai_provider_name="
                              "\"openai\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("gen_ai_server_request_duration_seconds_sum{gen_ai_operation_name="
                              "\"chat\",gen_ai_request_model=\"gpt-5\",gen_ai_provider_name="
                              "\"openai\"} 0.060000\n"));
  // 12 input tokens: the 16 bucket; the sum is the tokens.
  EXPECT_THAT(text, HasSubstr("gen_ai_token_type=\"input\",le=\"4\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("gen_ai_token_type=\"input\",le=\"16\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("gen_ai_client_token_usage_sum{gen_ai_operation_name=\"chat\","
                              "gen_ai_request_model=\"gpt-5\",gen_ai_provider_name=\"openai\","
                              "gen_ai_token_type=\"input\"} 24\n"));
  EXPECT_THAT(text, HasSubstr("tollbooth_attempts_total{model=\"gpt-5\",route=\"openai\","
                              "outcome=\"served\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("tollbooth_route_up{model=\"gpt-5\",route=\"openai\"} 1\n"));
}

TEST(Metrics, TheGatewaysOverheadIsItsTimeLessTheUpstreamsAndAStreamsFirstBytesAreTimed) {
  routing::testing::World w(routing::testing::kTwoClouds);
  routing::Health health(w.catalog.route_count(), BreakerConfig{});
  Metrics m(w.catalog, health);
  const routing::RouteId openai = w.id("gpt-5", "openai");
  // 30 ms in the gateway, of which the attempt took 29.2 ms: 800 µs its own.
  RequestOutcome o = served(openai, "gpt-5");
  o.attempts[0].upstream_us = 29'200;
  o.attempts[0].upstream_status = 200;
  o.attempts[0].reused_connection = true;
  o.stream = true;
  o.first_byte = o.received + std::chrono::milliseconds(7);
  m.shard(0).on_outcome(o);
  const std::string text = m.render(0);
  EXPECT_THAT(
      text,
      HasSubstr("tollbooth_gateway_overhead_seconds_bucket{model=\"gpt-5\",le=\"0.0005\"} 0\n"));
  EXPECT_THAT(
      text,
      HasSubstr("tollbooth_gateway_overhead_seconds_bucket{model=\"gpt-5\",le=\"0.001\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("tollbooth_gateway_overhead_seconds_sum{model=\"gpt-5\"} 0.000800\n"));
  // 7 ms to the stream's first bytes.
  EXPECT_THAT(text, HasSubstr("gen_ai_server_time_to_first_token_seconds_sum{gen_ai_operation_name="
                              "\"chat\",gen_ai_request_model=\"gpt-5\",gen_ai_provider_name="
                              "\"openai\"} 0.007000\n"));
  // The pooled connection, and the new kind shown at 0 beside it.
  EXPECT_THAT(text,
              HasSubstr("tollbooth_upstream_connections_total{model=\"gpt-5\",route=\"openai\","
                        "connection=\"reused\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("tollbooth_upstream_connections_total{model=\"gpt-5\",route=\"openai\","
                        "connection=\"new\"} 0\n"));
}

TEST(Metrics, AnOpenBreakerAndAFailedAttemptShow) {
  routing::testing::World w(routing::testing::kTwoClouds);
  BreakerConfig breaker;
  breaker.failures = 1;
  routing::Health health(w.catalog.route_count(), breaker);
  Metrics m(w.catalog, health);
  const routing::RouteId azure = w.id("gpt-5", "azure-east");
  health.record_failure(azure, 1'000);
  RequestOutcome o = served(w.id("gpt-5", "openai"), "gpt-5");
  AttemptRecord failed;
  failed.route = azure;
  failed.end = AttemptEnd::failed;
  failed.upstream_status = 503;
  failed.ttfb_us = 5'000;
  o.attempts.insert(o.attempts.begin(), failed);
  m.shard(0).on_outcome(o);
  const std::string text = m.render(2'000);
  EXPECT_THAT(text, HasSubstr("tollbooth_route_up{model=\"gpt-5\",route=\"azure-east\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("tollbooth_attempts_total{model=\"gpt-5\",route=\"azure-east\","
                              "outcome=\"failed\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tollbooth_upstream_ttfb_seconds_bucket{model=\"gpt-5\","
                              "route=\"azure-east\",le=\"0.01\"} 1\n"));
}

TEST(Metrics, WhatAClientMakesUpFoldsIntoOneSeries) {
  routing::testing::World w(routing::testing::kTwoClouds);
  routing::Health health(w.catalog.route_count(), BreakerConfig{});
  Metrics m(w.catalog, health);
  RequestOutcome unknown;
  unknown.front = Front::chat_completions;
  unknown.status = 404;
  unknown.model = "made-up-1";
  m.shard(0).on_outcome(unknown);
  const std::size_t after_first = series(m.render(0));
  for (int i = 0; i < 1000; ++i) {
    unknown.model = "made-up-" + std::to_string(i);
    m.shard(0).on_outcome(unknown);
  }
  RequestOutcome odd;  // a status without a series of its own, no model, no front
  odd.status = 418;
  m.shard(0).on_outcome(odd);
  const std::string text = m.render(0);
  EXPECT_THAT(
      text,
      HasSubstr("tollbooth_requests_total{model=\"other\",route=\"none\",status=\"404\"} 1001\n"));
  EXPECT_THAT(
      text,
      HasSubstr("tollbooth_requests_total{model=\"none\",route=\"none\",status=\"other\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("error_type=\"404\""));
  EXPECT_THAT(text, Not(HasSubstr("made-up")));
  EXPECT_EQ(series(text), after_first + 1) << "one series more: the odd status's";
}

TEST(Metrics, RefusalsAreCountedByModelAndReason) {
  routing::testing::World w(routing::testing::kTwoClouds);
  routing::Health health(w.catalog.route_count(), BreakerConfig{});
  Metrics m(w.catalog, health);
  RequestOutcome o;
  o.front = Front::chat_completions;
  o.model = "gpt-5";
  o.status = 429;
  o.refusal = refusal_of("budget_exceeded");
  m.shard(0).on_outcome(o);
  o.refusal = refusal_of("rate_limit_exceeded");
  m.shard(0).on_outcome(o);
  m.shard(0).on_outcome(o);
  const std::string text = m.render(0);
  EXPECT_THAT(text, HasSubstr("tollbooth_refusals_total{model=\"gpt-5\",reason=\"budget\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("tollbooth_refusals_total{model=\"gpt-5\",reason=\"rate_limit\"} 2\n"));
  EXPECT_EQ(refusal_of("model_not_found"), GatewayRefusal::none);
}

}  // namespace
}  // namespace tollbooth::gateway
