#pragma once
// `tollbooth top`'s pure part: a gateway's GET /metrics (Prometheus text format 0.0.4) read
// into samples; two scrapes made into a frame of rates (requests, errors, refusals, failed
// attempts, latencies, spend per minute, breakers); the frame written as text. No I/O:
// top_command.cpp scrapes and draws.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/money.hpp"
#include "core/result.hpp"

namespace tollbooth::cli::top {

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string name;  // as written: a histogram's series end in _bucket, _sum and _count
  Labels labels;     // as written, escapes undone
  double value = 0;

  // The value of label `key`; empty when the sample has none.
  std::string_view label(std::string_view key) const;
};

struct Exposition {
  std::vector<Sample> samples;
  // Every family a `# TYPE` line declared, with its type (counter, gauge, histogram, ...): a
  // family the gateway reports but has counted nothing in yet has a type and no samples.
  std::vector<std::pair<std::string, std::string>> types;

  // Whether the gateway reports `family`: declared by a # TYPE line, or with samples.
  bool has(std::string_view family) const;
  // The # TYPE of `family`; empty when undeclared.
  std::string_view type_of(std::string_view family) const;
};

// Reads the text format: `# TYPE` lines, samples `name{label="value",...} value [timestamp]`,
// other comments and blank lines skipped. A line that is none of these is an error naming its
// number (an HTML page or a JSON error is not Prometheus text).
Result<Exposition> parse_exposition(std::string_view text);

// A histogram's observations between two scrapes.
struct Latency {
  double count = 0;  // observations in the interval
  double mean = 0;   // seconds; meaningful when count > 0
  // The bucket bound (seconds) the 95th percentile is at or under: the buckets say no more.
  // When it lies above the last finite bound: that bound, and p95_above.
  double p95_bound = 0;
  bool p95_above = false;
};

struct ModelRow {
  std::string model;
  double requests = 0;       // per second, every status
  double not_2xx = 0;        // per second
  double server_errors = 0;  // 5xx per second
  double throttled = 0;      // 429 per second
  double refused = 0;        // the gateway's own refusals per second (a subset of not_2xx)
  // nullopt: the gateway does not report the family.
  std::optional<Latency> duration;  // the request's time in the gateway
  std::optional<Latency> overhead;  // the gateway's own share of it
  std::optional<Latency> ttft;      // time to first token
  std::optional<Money> charge_per_minute;
};

struct RouteRow {
  std::string model;
  std::string route;
  std::optional<bool> up;  // the breaker lets requests through; nullopt: not reported
  double requests = 0;     // requests it served per second (any status)
  double attempts = 0;     // upstream attempts per second, however they ended
  double failed = 0;       // attempts that failed per second (failed, failed_final, in-band)
  std::optional<Latency> ttfb;
  std::optional<Money> charge_per_minute;
  std::optional<Money> cost_per_minute;
};

struct Frame {
  double seconds = 0;  // between the two scrapes
  // A counter went down, or the config generation changed: the metrics started again from
  // zero (a reload or a restart) and this frame counts from there.
  bool reset = false;
  double requests = 0;
  double not_2xx = 0;
  double server_errors = 0;
  double throttled = 0;
  std::vector<std::pair<std::string, double>> refusals;  // by reason, per second
  double attempts = 0;
  double failed_attempts = 0;
  std::optional<Money> charge_per_minute;
  std::optional<Money> cost_per_minute;
  std::optional<Money> toll_per_minute;
  std::vector<ModelRow> models;  // busiest first
  std::vector<RouteRow> routes;  // by model as above, then in the gateway's order
  std::optional<std::vector<std::pair<std::string, Money>>> budgets_left;  // by team
  std::optional<std::int64_t> generation;
  std::optional<std::int64_t> reloads_applied;
  std::optional<std::int64_t> reloads_refused;
};

// The frame for the interval between scrape `before` and scrape `after`, `seconds` apart.
// Counters are differenced series by series; one that went down (or every one, when the config
// generation changed) counts from zero, so no rate is ever negative.
Frame compute_frame(const Exposition& before, const Exposition& after, double seconds);

// Whether `e` holds any tollbooth_ family (a Prometheus endpoint of something else does not).
bool looks_like_tollbooth(const Exposition& e);

struct FormatOptions {
  std::string url;        // the gateway, for the header
  std::string clock;      // the time of the frame, for the header; empty: not shown
  bool ansi = false;      // highlight open breakers with ANSI colours
  std::size_t width = 0;  // cut lines to this many columns; 0: no limit
};

// The frame as lines of text, each ending in '\n'. "–" stands for a figure the gateway does not
// report, "-" for one without observations in the interval.
std::string format_frame(const Frame& frame, const FormatOptions& options);

// Seconds as a person reads a latency: "40µs", "2.5ms", "12ms", "1.25s".
std::string format_seconds(double seconds);

}  // namespace tollbooth::cli::top
