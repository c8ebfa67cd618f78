#include "cli/top_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace tollbooth::cli::top {
namespace {

Exposition parse(std::string_view text) {
  auto e = parse_exposition(text);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
  return e.ok() ? *e : Exposition{};
}

const ModelRow* model(const Frame& f, std::string_view name) {
  for (const ModelRow& m : f.models)
    if (m.model == name) return &m;
  return nullptr;
}

const RouteRow* route(const Frame& f, std::string_view model, std::string_view name) {
  for (const RouteRow& r : f.routes)
    if (r.model == model && r.route == name) return &r;
  return nullptr;
}

// A gateway's scrape as gateway/metrics.cpp writes it, with `n` requests served by route
// openai of model direct, `failed` of model broken failing on route down, and its breaker.
std::string scrape(int n, int failed, bool down_open, int generation = 1) {
  return "# HELP tollbooth_requests_total Requests answered.\n"
         "# TYPE tollbooth_requests_total counter\n"
         "tollbooth_requests_total{model=\"direct\",route=\"openai\",status=\"200\"} " +
         std::to_string(n) +
         "\n"
         "tollbooth_requests_total{model=\"direct\",route=\"none\",status=\"429\"} " +
         std::to_string(n / 10) +
         "\n"
         "tollbooth_requests_total{model=\"broken\",route=\"none\",status=\"503\"} " +
         std::to_string(failed) +
         "\n"
         "# TYPE tollbooth_refusals_total counter\n"
         "tollbooth_refusals_total{model=\"direct\",reason=\"rate_limit\"} " +
         std::to_string(n / 10) +
         "\n"
         "# TYPE tollbooth_attempts_total counter\n"
         "tollbooth_attempts_total{model=\"direct\",route=\"openai\",outcome=\"served\"} " +
         std::to_string(n) +
         "\n"
         "tollbooth_attempts_total{model=\"broken\",route=\"down\",outcome=\"failed\"} " +
         std::to_string(failed) +
         "\n"
         "# TYPE tollbooth_route_up gauge\n"
         "tollbooth_route_up{model=\"direct\",route=\"openai\"} 1\n"
         "tollbooth_route_up{model=\"broken\",route=\"down\"} " +
         (down_open ? "0" : "1") +
         "\n"
         "# TYPE tollbooth_config_reloads_total counter\n"
         "tollbooth_config_reloads_total{result=\"applied\"} " +
         std::to_string(generation - 1) +
         "\n"
         "tollbooth_config_reloads_total{result=\"refused\"} 0\n"
         "# TYPE tollbooth_config_generation gauge\n"
         "tollbooth_config_generation " +
         std::to_string(generation) + "\n";
}

// A histogram's series of `family` for model `m`: `fast` observations of 5 ms, `slow` of 3 s.
std::string histogram(std::string_view family, std::string_view labels, int fast, int slow) {
  std::string out = "# TYPE " + std::string(family) + " histogram\n";
  const char* bounds[] = {"0.01", "0.02", "0.04", "0.08", "0.16", "0.32",
                          "0.64", "1.28", "2.56", "5.12", "+Inf"};
  for (const char* le : bounds) {
    const int n =
        fast + (std::string_view(le) == "5.12" || std::string_view(le) == "+Inf" ? slow : 0);
    out += std::string(family) + "_bucket{" + std::string(labels) + ",le=\"" + le + "\"} " +
           std::to_string(n) + "\n";
  }
  out += std::string(family) + "_sum{" + std::string(labels) + "} " +
         std::to_string(fast * 0.005 + slow * 3.0) + "\n";
  out += std::string(family) + "_count{" + std::string(labels) + "} " +
         std::to_string(fast + slow) + "\n";
  return out;
}

TEST(TopParse, ReadsSamplesLabelsAndTypes) {
  const Exposition e = parse(
      "# HELP x_total A help line, with {braces} and \"quotes\".\n"
      "# TYPE x_total counter\n"
      "x_total{a=\"1\",b=\"with \\\"quotes\\\", a \\\\ and\\na newline\"} 42\n"
      "x_total{a=\"2\",} 1.5e3 1700000000000\r\n"
      "\n"
      "# a comment\n"
      "  bare  7  \n"
      "h_bucket{le=\"+Inf\"} +Inf\n");
  ASSERT_EQ(e.samples.size(), 4u);
  EXPECT_EQ(e.samples[0].name, "x_total");
  EXPECT_EQ(e.samples[0].label("a"), "1");
  EXPECT_EQ(e.samples[0].label("b"), "with \"quotes\", a \\ and\na newline");
  EXPECT_EQ(e.samples[0].label("c"), "");
  EXPECT_EQ(e.samples[0].value, 42);
  EXPECT_EQ(e.samples[1].value, 1500);
  EXPECT_EQ(e.samples[2].name, "bare");
  EXPECT_EQ(e.samples[2].value, 7);
  EXPECT_TRUE(std::isinf(e.samples[3].value));
  EXPECT_EQ(e.type_of("x_total"), "counter");
  EXPECT_TRUE(e.has("x_total"));
  EXPECT_TRUE(e.has("bare"));
  EXPECT_FALSE(e.has("y_total"));
  EXPECT_FALSE(looks_like_tollbooth(e));
  EXPECT_TRUE(looks_like_tollbooth(parse(scrape(1, 0, false))));
}

TEST(TopParse, SomethingElseIsRefusedWithItsLine) {
  auto html = parse_exposition("<!DOCTYPE html>\n<html></html>\n");
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.error().message, "line 1: not a metric name: <!DOCTYPE html>");
  auto json = parse_exposition("# TYPE a gauge\na 1\n{\"error\":{\"message\":\"no\"}}\n");
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().message.substr(0, 7), "line 3:");
  EXPECT_FALSE(parse_exposition("a{b=\"unclosed} 1\n").ok());
  EXPECT_FALSE(parse_exposition("a{b=1} 1\n").ok());
  EXPECT_FALSE(parse_exposition("a 1 2 3\n").ok());
  EXPECT_FALSE(parse_exposition("a one\n").ok());
  EXPECT_FALSE(parse_exposition("a\n").ok());
}

TEST(TopFrame, RatesAreDifferencesOverTheInterval) {
  const Frame f = compute_frame(parse(scrape(100, 4, false)), parse(scrape(120, 8, true)), 2.0);
  EXPECT_FALSE(f.reset);
  EXPECT_DOUBLE_EQ(f.seconds, 2.0);
  // direct: 20 served, 2 throttled (and refused by the gateway); broken: 4 answered 503.
  EXPECT_DOUBLE_EQ(f.requests, (20 + 2 + 4) / 2.0);
  EXPECT_DOUBLE_EQ(f.not_2xx, (2 + 4) / 2.0);
  EXPECT_DOUBLE_EQ(f.server_errors, 2.0);
  EXPECT_DOUBLE_EQ(f.throttled, 1.0);
  ASSERT_EQ(f.refusals.size(), 1u);
  EXPECT_EQ(f.refusals[0].first, "rate_limit");
  EXPECT_DOUBLE_EQ(f.refusals[0].second, 1.0);
  EXPECT_DOUBLE_EQ(f.attempts, (20 + 4) / 2.0);
  EXPECT_DOUBLE_EQ(f.failed_attempts, 2.0);

  ASSERT_EQ(f.models.size(), 2u);
  EXPECT_EQ(f.models[0].model, "direct") << "the busiest first";
  EXPECT_DOUBLE_EQ(f.models[0].requests, 11.0);
  EXPECT_DOUBLE_EQ(f.models[0].throttled, 1.0);
  EXPECT_DOUBLE_EQ(f.models[0].refused, 1.0);
  EXPECT_DOUBLE_EQ(model(f, "broken")->server_errors, 2.0);

  const RouteRow* openai = route(f, "direct", "openai");
  ASSERT_NE(openai, nullptr);
  EXPECT_EQ(openai->up, true);
  EXPECT_DOUBLE_EQ(openai->requests, 10.0);
  EXPECT_DOUBLE_EQ(openai->attempts, 10.0);
  const RouteRow* down = route(f, "broken", "down");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->up, false);
  EXPECT_DOUBLE_EQ(down->failed, 2.0);
  EXPECT_EQ(route(f, "direct", "none"), nullptr) << "requests no route served have no row";

  EXPECT_EQ(f.generation, 1);
  EXPECT_EQ(f.reloads_applied, 0);
  EXPECT_EQ(f.reloads_refused, 0);
}

TEST(TopFrame, ACounterThatWentDownCountsFromZero) {
  // A restart between the scrapes: the new process has counted 30 and 1 so far.
  Frame f = compute_frame(parse(scrape(100, 4, false)), parse(scrape(30, 1, false)), 1.0);
  EXPECT_TRUE(f.reset);
  EXPECT_DOUBLE_EQ(model(f, "direct")->requests, 33.0);
  EXPECT_DOUBLE_EQ(model(f, "broken")->requests, 1.0);

  // A reload: the new generation's counters start from zero, even those already past the old
  // values.
  f = compute_frame(parse(scrape(100, 4, false, 1)), parse(scrape(110, 5, false, 2)), 1.0);
  EXPECT_TRUE(f.reset);
  EXPECT_DOUBLE_EQ(model(f, "direct")->requests, 121.0);
  EXPECT_EQ(f.generation, 2);
  EXPECT_EQ(f.reloads_applied, 1);

  // A series that appeared since the first scrape counts whole.
  f = compute_frame(parse("# TYPE tollbooth_requests_total counter\n"), parse(scrape(5, 0, false)),
                    1.0);
  EXPECT_FALSE(f.reset);
  EXPECT_DOUBLE_EQ(model(f, "direct")->requests, 5.0);
  for (const ModelRow& m : f.models) EXPECT_GE(m.requests, 0.0);
}

TEST(TopFrame, LatenciesAreMeansAndBucketBoundsOverTheInterval) {
  const std::string labels =
      "gen_ai_operation_name=\"chat\",gen_ai_request_model=\"direct\","
      "gen_ai_provider_name=\"openai\"";
  const std::string ttfb = "model=\"direct\",route=\"openai\"";
  // Before: 10 fast. After: 10 + 19 fast and 1 slow (2 series of the model summed), so the
  // interval holds 19 fast and 1 slow: 95 % at or under 10 ms.
  const std::string before =
      scrape(10, 0, false) + histogram("gen_ai_server_request_duration_seconds", labels, 10, 0);
  const std::string after =
      scrape(30, 0, false) +
      histogram("gen_ai_server_request_duration_seconds", labels, 20, 1)
          .append(
              histogram("gen_ai_server_request_duration_seconds", labels + ",error_type=\"503\"", 9,
                        0)
                  .substr(std::string("# TYPE gen_ai_server_request_duration_seconds histogram\n")
                              .size())) +
      histogram("tollbooth_upstream_ttfb_seconds", ttfb, 0, 4);
  const Frame f = compute_frame(parse(before), parse(after), 1.0);
  const ModelRow* direct = model(f, "direct");
  ASSERT_TRUE(direct->duration.has_value());
  EXPECT_DOUBLE_EQ(direct->duration->count, 20.0);
  EXPECT_NEAR(direct->duration->mean, (19 * 0.005 + 3.0) / 20, 1e-9);
  EXPECT_DOUBLE_EQ(direct->duration->p95_bound, 0.01);
  EXPECT_FALSE(direct->duration->p95_above);
  // Every attempt took 3 s: the 95th percentile is in the 5.12 s bucket.
  const RouteRow* openai = route(f, "direct", "openai");
  ASSERT_TRUE(openai->ttfb.has_value());
  EXPECT_DOUBLE_EQ(openai->ttfb->p95_bound, 5.12);
  EXPECT_DOUBLE_EQ(openai->ttfb->mean, 3.0);
  // Families this gateway does not report, and a model with no observations.
  EXPECT_FALSE(direct->overhead.has_value());
  EXPECT_FALSE(direct->ttft.has_value());
  ASSERT_TRUE(model(f, "broken")->duration.has_value());
  EXPECT_EQ(model(f, "broken")->duration->count, 0.0);

  const std::string text = format_frame(f, FormatOptions{"u", "", false, 0});
  EXPECT_NE(text.find("≤10ms"), std::string::npos) << text;
  EXPECT_NE(text.find("≤5.12s"), std::string::npos) << text;
}

TEST(TopFrame, ALatencyOverTheLastBucketSaysSo) {
  std::string before = "# TYPE tollbooth_gateway_overhead_seconds histogram\n";
  const std::string after =
      before +
      "tollbooth_gateway_overhead_seconds_bucket{model=\"direct\",le=\"0.01\"} 0\n"
      "tollbooth_gateway_overhead_seconds_bucket{model=\"direct\",le=\"+Inf\"} 2\n"
      "tollbooth_gateway_overhead_seconds_sum{model=\"direct\"} 200\n"
      "tollbooth_gateway_overhead_seconds_count{model=\"direct\"} 2\n";
  const Frame f = compute_frame(parse(before), parse(after), 1.0);
  const ModelRow* direct = model(f, "direct");
  ASSERT_TRUE(direct && direct->overhead);
  EXPECT_TRUE(direct->overhead->p95_above);
  EXPECT_DOUBLE_EQ(direct->overhead->p95_bound, 0.01);
  EXPECT_DOUBLE_EQ(direct->overhead->mean, 100.0);
}

TEST(TopFrame, SpendIsMicroDollarsPerMinute) {
  auto money = [](int charge, int cost, int toll) {
    return "# TYPE tollbooth_charge_micros_total counter\n"
           "tollbooth_charge_micros_total{model=\"direct\",route=\"openai\",contract=\"\"} " +
           std::to_string(charge) +
           "\n"
           "# TYPE tollbooth_cost_micros_total counter\n"
           "tollbooth_cost_micros_total{model=\"direct\",route=\"openai\",contract=\"\"} " +
           std::to_string(cost) +
           "\n"
           "# TYPE tollbooth_toll_due_micros_total counter\n"
           "tollbooth_toll_due_micros_total{model=\"direct\",route=\"openai\",contract=\"ms\"} " +
           std::to_string(toll) + "\n";
  };
  // Over 2 s: 150 µ$ charged, 100 µ$ cost, 10 µ$ toll → per minute × 30.
  const Frame f = compute_frame(parse(scrape(1, 0, false) + money(1000, 900, 5)),
                                parse(scrape(2, 0, false) + money(1150, 1000, 15)), 2.0);
  EXPECT_EQ(f.charge_per_minute, 4500);
  EXPECT_EQ(f.cost_per_minute, 3000);
  EXPECT_EQ(f.toll_per_minute, 300);
  EXPECT_EQ(model(f, "direct")->charge_per_minute, 4500);
  EXPECT_EQ(route(f, "direct", "openai")->cost_per_minute, 3000);
  EXPECT_EQ(model(f, "broken")->charge_per_minute, 0);
  const std::string text = format_frame(f, FormatOptions{"u", "", false, 0});
  EXPECT_NE(text.find("charge $0.0045/min, cost $0.003/min, tolls $0.0003/min"), std::string::npos)
      << text;

  // Without the families: no figure, and "–" on the screen.
  const Frame none = compute_frame(parse(scrape(1, 0, false)), parse(scrape(2, 0, false)), 2.0);
  EXPECT_FALSE(none.charge_per_minute.has_value());
  EXPECT_FALSE(model(none, "direct")->charge_per_minute.has_value());
  const std::string bare = format_frame(none, FormatOptions{"u", "", false, 0});
  EXPECT_NE(bare.find("charge –/min, cost –/min, tolls –/min"), std::string::npos) << bare;
}

TEST(TopFormat, PlainTextNamesTheOpenBreaker) {
  const Frame f = compute_frame(parse(scrape(100, 4, false)), parse(scrape(120, 8, true)), 2.0);
  const std::string text =
      format_frame(f, FormatOptions{"http://127.0.0.1:4000", "12:00:00 UTC", false, 0});
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "no ANSI escapes in plain text";
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "tollbooth top  http://127.0.0.1:4000  12:00:00 UTC  over 2.0s");
  EXPECT_NE(text.find("config     generation 1, reloads 0 applied, 0 refused"), std::string::npos)
      << text;
  EXPECT_NE(text.find("requests   13.0/s  not 2xx 23.1% (3.0/s; 5xx 2.0/s, 429 1.0/s)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("refused    rate_limit 1.0/s"), std::string::npos) << text;
  EXPECT_NE(text.find("attempts   12.0/s upstream, 2.0/s failed"), std::string::npos) << text;
  EXPECT_NE(text.find("breakers   1 OPEN: down (broken)"), std::string::npos) << text;
  // The route table's row for it.
  const auto row = text.find("broken  down");
  ASSERT_NE(row, std::string::npos) << text;
  EXPECT_NE(text.substr(row, text.find('\n', row) - row).find("OPEN"), std::string::npos);
}

TEST(TopFormat, AnsiHighlightsOpenBreakersAndCutsToTheWidth) {
  const Frame f = compute_frame(parse(scrape(100, 4, false)), parse(scrape(120, 8, true)), 2.0);
  const std::string text = format_frame(f, FormatOptions{"u", "", true, 40});
  EXPECT_NE(text.find("\x1b[1;31mbreakers   1 OPEN: down (broken)\x1b[0m"), std::string::npos)
      << text;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    for (std::string_view esc : {"\x1b[1;31m", "\x1b[1m", "\x1b[33m", "\x1b[0m"})
      for (auto at = line.find(esc); at != std::string::npos; at = line.find(esc))
        line.erase(at, esc.size());
    std::size_t columns = 0;
    for (char c : line) columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    EXPECT_LE(columns, 40u) << line;
    start = end + 1;
  }

  const Frame calm = compute_frame(parse(scrape(1, 0, false)), parse(scrape(2, 0, false)), 1.0);
  const std::string ok = format_frame(calm, FormatOptions{"u", "", true, 0});
  EXPECT_NE(ok.find("breakers   none open (2 routes)"), std::string::npos) << ok;
  EXPECT_EQ(ok.find("\x1b[1;31m"), std::string::npos);
}

TEST(TopFormat, SecondsReadAsLatencies) {
  EXPECT_EQ(format_seconds(0.00004), "40µs");
  EXPECT_EQ(format_seconds(0.0025), "2.5ms");
  EXPECT_EQ(format_seconds(0.012), "12ms");
  EXPECT_EQ(format_seconds(1.25), "1.25s");
  EXPECT_EQ(format_seconds(81.92), "81.92s");
}

}  // namespace
}  // namespace tollbooth::cli::top
