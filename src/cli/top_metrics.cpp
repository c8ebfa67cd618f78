#include "cli/top_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "cli/table.hpp"

namespace tollbooth::cli::top {
namespace {

// The text format is read by hand: it is a simple line format, and Debian packages no C++
// library for it (prometheus-cpp, which has a parser of sorts, is not in Debian).

constexpr double kInf = std::numeric_limits<double>::infinity();

bool is_space(char c) {
  return c == ' ' || c == '\t';
}
bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<double> parse_number(std::string_view s) {
  if (s == "+Inf" || s == "Inf") return kInf;
  if (s == "-Inf") return -kInf;
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// One sample line into `out`; on failure, what is wrong with it.
std::optional<std::string> parse_sample(std::string_view line, Sample& out) {
  std::size_t i = 0;
  if (!name_start(line[i])) return "not a metric name";
  while (i < line.size() && name_char(line[i])) ++i;
  out.name = std::string(line.substr(0, i));
  while (i < line.size() && is_space(line[i])) ++i;
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      while (i < line.size() && is_space(line[i])) ++i;
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      const std::size_t start = i;
      if (i >= line.size() || !name_start(line[i])) return "a label without a name";
      while (i < line.size() && name_char(line[i])) ++i;
      std::string name(line.substr(start, i - start));
      while (i < line.size() && is_space(line[i])) ++i;
      if (i >= line.size() || line[i] != '=') return "a label without '='";
      ++i;
      while (i < line.size() && is_space(line[i])) ++i;
      if (i >= line.size() || line[i] != '"') return "a label value without quotes";
      ++i;
      std::string value;
      for (;;) {
        if (i >= line.size()) return "a label value without its closing quote";
        const char c = line[i++];
        if (c == '"') break;
        if (c != '\\') {
          value += c;
          continue;
        }
        if (i >= line.size()) return "a label value without its closing quote";
        const char e = line[i++];
        value += e == 'n' ? '\n' : e;  // \\ and \" stand for themselves
      }
      out.labels.emplace_back(std::move(name), std::move(value));
      while (i < line.size() && is_space(line[i])) ++i;
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      return "labels not closed by '}'";
    }
  }
  std::string_view rest = trim(line.substr(i));
  const std::size_t gap = rest.find_first_of(" \t");
  const std::string_view value = rest.substr(0, gap);
  const std::optional<double> v = parse_number(value);
  if (!v) return "no value";
  out.value = *v;
  if (gap != std::string_view::npos) {
    const std::string_view stamp = trim(rest.substr(gap));
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), ms);
    if (ec != std::errc{} || end != stamp.data() + stamp.size()) return "more than a value";
  }
  return std::nullopt;
}

// Client-made bytes cut short and kept printable, for an error message.
std::string excerpt(std::string_view line) {
  std::string out;
  for (char c : line.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (line.size() > 60) out += "...";
  return out;
}

// A series' identity: its name and its labels in name order, `le` left out when `without_le`
// (a histogram's buckets then share their series' key).
std::string series_key(std::string_view name, const Labels& labels, bool without_le = false) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  for (const auto& l : labels)
    if (!without_le || l.first != "le") sorted.push_back(&l);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string key(name);
  for (const auto* l : sorted) {
    key += '\x1f';
    key += l->first;
    key += '=';
    key += l->second;
  }
  return key;
}

constexpr std::string_view kRequests = "tollbooth_requests_total";
constexpr std::string_view kRefusals = "tollbooth_refusals_total";
constexpr std::string_view kAttempts = "tollbooth_attempts_total";
constexpr std::string_view kTtfb = "tollbooth_upstream_ttfb_seconds";
constexpr std::string_view kRouteUp = "tollbooth_route_up";
constexpr std::string_view kDuration = "gen_ai_server_request_duration_seconds";
constexpr std::string_view kOverhead = "tollbooth_gateway_overhead_seconds";
constexpr std::string_view kTtft = "gen_ai_server_time_to_first_token_seconds";
constexpr std::string_view kCost = "tollbooth_cost_micros_total";
constexpr std::string_view kCharge = "tollbooth_charge_micros_total";
constexpr std::string_view kToll = "tollbooth_toll_due_micros_total";
constexpr std::string_view kBudget = "tollbooth_team_budget_remaining_micros";
constexpr std::string_view kReloads = "tollbooth_config_reloads_total";
constexpr std::string_view kGeneration = "tollbooth_config_generation";

// The family a sample belongs to, and whether it counts up (a counter or a histogram's part).
struct Family {
  std::string_view name;
  bool counts = false;
};

Family family_of(const Exposition& e, std::string_view name) {
  if (const std::string_view t = e.type_of(name); !t.empty()) return {name, t == "counter"};
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (!name.ends_with(suffix)) continue;
    const std::string_view base = name.substr(0, name.size() - suffix.size());
    const std::string_view t = e.type_of(base);
    if (t == "histogram" || t == "summary") return {base, true};
  }
  return {name, name.ends_with("_total")};  // undeclared: a _total is a counter by convention
}

// The model a sample is about: `model`, or the GenAI conventions' `gen_ai_request_model`.
std::string_view model_of(const Sample& s) {
  const std::string_view m = s.label("model");
  return m.empty() ? s.label("gen_ai_request_model") : m;
}

// What each sample of `after` added since `before`.
struct Deltas {
  std::vector<double> of;  // by index of after.samples; 0 for gauges
  bool reset = false;
};

Deltas deltas(const Exposition& before, const Exposition& after) {
  std::unordered_map<std::string, double> was;
  std::unordered_map<std::string, double> was_count;  // a histogram's _count, by series
  auto generation = [](const Exposition& e) -> std::optional<double> {
    for (const Sample& s : e.samples)
      if (s.name == kGeneration) return s.value;
    return std::nullopt;
  };
  const auto g0 = generation(before);
  const auto g1 = generation(after);
  Deltas d;
  // A new config generation starts its metrics from zero: every counter counts from there,
  // even one that has already climbed past its old value.
  d.reset = g0 && g1 && *g0 != *g1;
  for (const Sample& s : before.samples) {
    const Family f = family_of(before, s.name);
    if (!f.counts) continue;
    was.emplace(series_key(s.name, s.labels), s.value);
    if (f.name != s.name && s.name.ends_with("_count"))
      was_count.emplace(series_key(f.name, s.labels, true), s.value);
  }
  std::unordered_map<std::string, bool> histogram_reset;  // by series
  for (const Sample& s : after.samples) {
    const Family f = family_of(after, s.name);
    if (f.name == s.name || !s.name.ends_with("_count")) continue;
    const std::string key = series_key(f.name, s.labels, true);
    const auto it = was_count.find(key);
    histogram_reset[key] = it != was_count.end() && s.value < it->second;
  }
  d.of.assign(after.samples.size(), 0.0);
  for (std::size_t i = 0; i < after.samples.size(); ++i) {
    const Sample& s = after.samples[i];
    const Family f = family_of(after, s.name);
    if (!f.counts || std::isnan(s.value)) continue;
    const auto it = was.find(series_key(s.name, s.labels));
    bool reset = d.reset;
    if (f.name != s.name) {
      const auto h = histogram_reset.find(series_key(f.name, s.labels, true));
      if (h != histogram_reset.end() && h->second) reset = true;
    }
    if (it != was.end() && s.value < it->second) reset = true;
    if (reset && it != was.end()) d.reset = true;
    d.of[i] = reset || it == was.end() ? s.value : s.value - it->second;
  }
  return d;
}

// A histogram's observations summed over series, for a latency.
struct LatencySum {
  double sum = 0;
  double count = 0;
  std::map<double, double> buckets;  // by bound: cumulative counts, summed over series

  void add(const Sample& s, std::string_view family, double delta) {
    const std::string_view suffix = std::string_view(s.name).substr(family.size());
    if (suffix == "_sum") {
      sum += delta;
    } else if (suffix == "_count") {
      count += delta;
    } else if (suffix == "_bucket") {
      if (const auto le = parse_number(s.label("le"))) buckets[*le] += delta;
    }
  }

  Latency latency() const {
    Latency l;
    l.count = count;
    if (count <= 0) return l;
    l.mean = sum / count;
    // The smallest bound with at least 95 % of the observations at or under it.
    const double rank = std::ceil(0.95 * count - 1e-9);
    for (const auto& [bound, n] : buckets) {
      if (std::isinf(bound)) break;
      l.p95_bound = bound;
      if (n >= rank) return l;
    }
    l.p95_above = true;  // over the last finite bound (or no buckets at all)
    return l;
  }
};

// Keys in the order they were first seen.
class Order {
 public:
  std::size_t index(const std::string& key) {
    const auto [it, added] = at_.emplace(key, keys_.size());
    if (added) keys_.push_back(key);
    return it->second;
  }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  std::unordered_map<std::string, std::size_t> at_;
  std::vector<std::string> keys_;
};

Money per_minute(double micros, double seconds) {
  if (seconds <= 0) return 0;
  return static_cast<Money>(std::llround(micros * 60.0 / seconds));
}

// ---- formatting ------------------------------------------------------------------------------

constexpr std::string_view kAbsent = "–";      // the gateway does not report it
constexpr std::string_view kNoData = "-";      // nothing observed in the interval
constexpr std::string_view kBold = "\x1b[1m";  // ANSI
constexpr std::string_view kRed = "\x1b[1;31m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kPlain = "\x1b[0m";

// `s` cut to `width` columns, never inside a character.
std::string cut(std::string s, std::size_t width) {
  if (width == 0 || display_columns(s) <= width) return s;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (n++ == width) {
      s.resize(i);
      break;
    }
  }
  return s;
}

std::string rate(double per_second) {
  return fmt::format("{:.1f}", per_second);
}

std::string dollars(const std::optional<Money>& m) {
  return m ? "$" + format_dollars(*m) : std::string(kAbsent);
}

std::string mean(const std::optional<Latency>& l) {
  if (!l) return std::string(kAbsent);
  return l->count > 0 ? format_seconds(l->mean) : std::string(kNoData);
}

std::string p95(const std::optional<Latency>& l) {
  if (!l) return std::string(kAbsent);
  if (l->count <= 0) return std::string(kNoData);
  return (l->p95_above ? ">" : "≤") + format_seconds(l->p95_bound);
}

struct Line {
  std::string text;
  std::string_view colour;  // empty: plain
};

// Rows aligned into lines (cli/table.hpp), each with its colour.
void table(std::vector<Line>& out, const Table& rows, std::size_t first_number,
           const std::vector<std::string_view>& colours) {
  std::vector<std::string> lines = table_lines(rows, first_number);
  for (std::size_t r = 0; r < lines.size(); ++r) out.push_back({std::move(lines[r]), colours[r]});
}

}  // namespace

std::string_view Sample::label(std::string_view key) const {
  for (const auto& [name, value] : labels)
    if (name == key) return value;
  return {};
}

bool Exposition::has(std::string_view family) const {
  if (!type_of(family).empty()) return true;
  for (const Sample& s : samples)
    if (s.name == family) return true;
  return false;
}

std::string_view Exposition::type_of(std::string_view family) const {
  for (const auto& [name, type] : types)
    if (name == family) return type;
  return {};
}

Result<Exposition> parse_exposition(std::string_view text) {
  Exposition e;
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    const std::string_view line = trim(raw);
    if (line.empty()) continue;
    if (line.front() == '#') {
      // "# TYPE name type"; "# HELP ..." and other comments say nothing a frame needs.
      std::vector<std::string_view> words;
      std::string_view rest = line.substr(1);
      while (!(rest = trim(rest)).empty()) {
        const std::size_t gap = rest.find_first_of(" \t");
        words.push_back(rest.substr(0, gap));
        rest = gap == std::string_view::npos ? std::string_view() : rest.substr(gap);
      }
      if (words.size() == 3 && words[0] == "TYPE")
        e.types.emplace_back(std::string(words[1]), std::string(words[2]));
      continue;
    }
    Sample s;
    if (auto problem = parse_sample(line, s))
      return make_error(ErrorKind::invalid_request,
                        fmt::format("line {}: {}: {}", number, *problem, excerpt(line)));
    e.samples.push_back(std::move(s));
  }
  return e;
}

bool looks_like_tollbooth(const Exposition& e) {
  for (const auto& [name, type] : e.types)
    if (name.starts_with("tollbooth_")) return true;
  for (const Sample& s : e.samples)
    if (s.name.starts_with("tollbooth_")) return true;
  return false;
}

Frame compute_frame(const Exposition& before, const Exposition& after, double seconds) {
  const Deltas d = deltas(before, after);
  Frame f;
  f.seconds = seconds;
  f.reset = d.reset;
  const double per = seconds > 0 ? 1.0 / seconds : 0.0;

  Order models;
  Order routes;  // model '\x1f' route
  auto route_key = [](std::string_view model, std::string_view route) {
    return std::string(model) + '\x1f' + std::string(route);
  };
  // The configured routes first, in the gateway's order: their breakers.
  std::vector<std::optional<bool>> up;
  for (const Sample& s : after.samples) {
    if (s.name != kRouteUp) continue;
    models.index(std::string(s.label("model")));
    const std::size_t r = routes.index(route_key(s.label("model"), s.label("route")));
    if (up.size() <= r) up.resize(r + 1);
    up[r] = s.value != 0;
  }

  std::vector<ModelRow> model_rows;
  std::vector<RouteRow> route_rows;
  auto model_row = [&](std::string_view name) -> ModelRow& {
    const std::size_t i = models.index(std::string(name));
    while (model_rows.size() <= i) model_rows.emplace_back();
    model_rows[i].model = std::string(name);
    return model_rows[i];
  };
  auto route_row = [&](std::string_view model, std::string_view route) -> RouteRow& {
    model_row(model);
    const std::size_t i = routes.index(route_key(model, route));
    while (route_rows.size() <= i) route_rows.emplace_back();
    route_rows[i].model = std::string(model);
    route_rows[i].route = std::string(route);
    return route_rows[i];
  };
  for (std::size_t i = 0; i < routes.keys().size(); ++i) {
    const std::string& key = routes.keys()[i];
    const std::size_t gap = key.find('\x1f');
    route_row(std::string_view(key).substr(0, gap), std::string_view(key).substr(gap + 1)).up =
        up[i];
  }

  const bool has_ttfb = after.has(kTtfb);
  const bool has_duration = after.has(kDuration);
  const bool has_overhead = after.has(kOverhead);
  const bool has_ttft = after.has(kTtft);
  const bool has_charge = after.has(kCharge);
  const bool has_cost = after.has(kCost);
  std::map<std::string, LatencySum> duration, overhead, ttft, ttfb;
  std::map<std::string, double> model_charge, route_charge, route_cost;
  double charge = 0, cost = 0, toll = 0;
  Order reasons;
  std::vector<double> refused_by_reason;

  for (std::size_t i = 0; i < after.samples.size(); ++i) {
    const Sample& s = after.samples[i];
    const double delta = d.of[i];
    const std::string_view name = s.name;
    if (name == kRequests) {
      const std::string_view status = s.label("status");
      ModelRow& m = model_row(s.label("model"));
      const double r = delta * per;
      m.requests += r;
      f.requests += r;
      if (!status.starts_with('2')) {
        m.not_2xx += r;
        f.not_2xx += r;
      }
      if (status.starts_with('5')) {
        m.server_errors += r;
        f.server_errors += r;
      }
      if (status == "429") {
        m.throttled += r;
        f.throttled += r;
      }
      if (const std::string_view route = s.label("route"); !route.empty() && route != "none")
        route_row(s.label("model"), route).requests += r;
    } else if (name == kRefusals) {
      model_row(s.label("model")).refused += delta * per;
      const std::size_t k = reasons.index(std::string(s.label("reason")));
      if (refused_by_reason.size() <= k) refused_by_reason.resize(k + 1);
      refused_by_reason[k] += delta * per;
    } else if (name == kAttempts) {
      RouteRow& r = route_row(s.label("model"), s.label("route"));
      const std::string_view outcome = s.label("outcome");
      r.attempts += delta * per;
      f.attempts += delta * per;
      if (outcome == "failed" || outcome == "failed_final" || outcome == "failed_in_band") {
        r.failed += delta * per;
        f.failed_attempts += delta * per;
      }
    } else if (name == kCharge || name == kCost || name == kToll) {
      const std::string key = route_key(s.label("model"), s.label("route"));
      if (name == kCharge) {
        charge += delta;
        model_charge[std::string(s.label("model"))] += delta;
        route_charge[key] += delta;
      } else if (name == kCost) {
        cost += delta;
        route_cost[key] += delta;
      } else {
        toll += delta;
      }
      route_row(s.label("model"), s.label("route"));
    } else if (name.starts_with(kTtfb) && name != kTtfb) {
      route_row(s.label("model"), s.label("route"));
      ttfb[route_key(s.label("model"), s.label("route"))].add(s, kTtfb, delta);
    } else if (name.starts_with(kDuration) && name != kDuration) {
      model_row(model_of(s));
      duration[std::string(model_of(s))].add(s, kDuration, delta);
    } else if (name.starts_with(kOverhead) && name != kOverhead) {
      model_row(model_of(s));
      overhead[std::string(model_of(s))].add(s, kOverhead, delta);
    } else if (name.starts_with(kTtft) && name != kTtft) {
      model_row(model_of(s));
      ttft[std::string(model_of(s))].add(s, kTtft, delta);
    } else if (name == kGeneration) {
      f.generation = static_cast<std::int64_t>(s.value);
    } else if (name == kReloads) {
      if (s.label("result") == "applied") f.reloads_applied = static_cast<std::int64_t>(s.value);
      if (s.label("result") == "refused") f.reloads_refused = static_cast<std::int64_t>(s.value);
    } else if (name == kBudget) {
      if (!f.budgets_left) f.budgets_left.emplace();
      f.budgets_left->emplace_back(std::string(s.label("team")), static_cast<Money>(s.value));
    }
  }
  if (!f.budgets_left && after.has(kBudget)) f.budgets_left.emplace();
  for (std::size_t k = 0; k < reasons.keys().size(); ++k)
    f.refusals.emplace_back(reasons.keys()[k], refused_by_reason[k]);
  if (has_charge) f.charge_per_minute = per_minute(charge, seconds);
  if (has_cost) f.cost_per_minute = per_minute(cost, seconds);
  if (after.has(kToll)) f.toll_per_minute = per_minute(toll, seconds);

  auto latency = [](bool has, const std::map<std::string, LatencySum>& by,
                    const std::string& key) -> std::optional<Latency> {
    if (!has) return std::nullopt;
    const auto it = by.find(key);
    return it == by.end() ? Latency{} : it->second.latency();
  };
  auto money = [&](bool has, const std::map<std::string, double>& by,
                   const std::string& key) -> std::optional<Money> {
    if (!has) return std::nullopt;
    const auto it = by.find(key);
    return per_minute(it == by.end() ? 0.0 : it->second, seconds);
  };
  for (ModelRow& m : model_rows) {
    m.duration = latency(has_duration, duration, m.model);
    m.overhead = latency(has_overhead, overhead, m.model);
    m.ttft = latency(has_ttft, ttft, m.model);
    m.charge_per_minute = money(has_charge, model_charge, m.model);
  }
  for (RouteRow& r : route_rows) {
    const std::string key = route_key(r.model, r.route);
    r.ttfb = latency(has_ttfb, ttfb, key);
    r.charge_per_minute = money(has_charge, route_charge, key);
    r.cost_per_minute = money(has_cost, route_cost, key);
  }

  // The busiest models first (ties keep the gateway's order); each model's routes follow it.
  std::vector<std::size_t> order(model_rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return model_rows[a].requests > model_rows[b].requests;
  });
  for (std::size_t i : order) f.models.push_back(model_rows[i]);
  for (const ModelRow& m : f.models)
    for (const RouteRow& r : route_rows)
      if (r.model == m.model) f.routes.push_back(r);
  return f;
}

std::string format_seconds(double seconds) {
  if (seconds < 0.001) return fmt::format("{:.0f}µs", seconds * 1e6);
  if (seconds < 0.01) return fmt::format("{:.1f}ms", seconds * 1e3);
  if (seconds < 1.0) return fmt::format("{:.0f}ms", seconds * 1e3);
  return fmt::format("{:.2f}s", seconds);
}

std::string format_frame(const Frame& f, const FormatOptions& o) {
  std::vector<Line> lines;
  auto opt = [](const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : std::string(kAbsent);
  };
  std::string head = "tollbooth top  " + o.url;
  if (!o.clock.empty()) head += "  " + o.clock;
  head += fmt::format("  over {:.1f}s", f.seconds);
  lines.push_back({std::move(head), kBold});
  if (f.reset)
    lines.push_back(
        {"the metrics started again from zero (a reload or a restart): this frame "
         "counts from there",
         kYellow});

  const std::string share =
      f.requests > 0 ? fmt::format("{:.1f}%", 100.0 * f.not_2xx / f.requests) : "-";
  lines.push_back(
      {fmt::format("requests   {}/s  not 2xx {} ({}/s; 5xx {}/s, 429 {}/s)", rate(f.requests),
                   share, rate(f.not_2xx), rate(f.server_errors), rate(f.throttled)),
       {}});
  std::string refused = "refused    ";
  if (f.refusals.empty()) {
    refused += "none";
  } else {
    for (std::size_t i = 0; i < f.refusals.size(); ++i)
      refused +=
          fmt::format("{}{} {}/s", i ? ", " : "", f.refusals[i].first, rate(f.refusals[i].second));
  }
  lines.push_back({std::move(refused), {}});
  lines.push_back({fmt::format("attempts   {}/s upstream, {}/s failed", rate(f.attempts),
                               rate(f.failed_attempts)),
                   {}});
  lines.push_back({fmt::format("spend      charge {}/min, cost {}/min, tolls {}/min",
                               dollars(f.charge_per_minute), dollars(f.cost_per_minute),
                               dollars(f.toll_per_minute)),
                   {}});
  lines.push_back({fmt::format("config     generation {}, reloads {} applied, {} refused",
                               opt(f.generation), opt(f.reloads_applied), opt(f.reloads_refused)),
                   {}});
  std::vector<std::string> open;
  std::size_t reported = 0;
  for (const RouteRow& r : f.routes) {
    if (!r.up) continue;
    ++reported;
    if (!*r.up) open.push_back(r.route + " (" + r.model + ")");
  }
  if (open.empty()) {
    lines.push_back({fmt::format("breakers   none open ({} routes)", reported), {}});
  } else {
    std::string text = fmt::format("breakers   {} OPEN: ", open.size());
    for (std::size_t i = 0; i < open.size(); ++i) text += (i ? ", " : "") + open[i];
    lines.push_back({std::move(text), kRed});
  }

  lines.push_back({"", {}});
  std::vector<std::vector<std::string>> rows{{"MODEL", "REQ/S", "NOT-2XX", "5XX/S", "429/S",
                                              "REFUSED/S", "TIME", "TIME-P95", "OVERHEAD", "TTFT",
                                              "CHARGE/MIN"}};
  std::vector<std::string_view> colours{kBold};
  for (const ModelRow& m : f.models) {
    rows.push_back({m.model, rate(m.requests),
                    m.requests > 0 ? fmt::format("{:.1f}%", 100.0 * m.not_2xx / m.requests) : "-",
                    rate(m.server_errors), rate(m.throttled), rate(m.refused), mean(m.duration),
                    p95(m.duration), mean(m.overhead), mean(m.ttft), dollars(m.charge_per_minute)});
    colours.emplace_back();
  }
  table(lines, rows, 1, colours);

  lines.push_back({"", {}});
  rows = {{"MODEL", "ROUTE", "BREAKER", "REQ/S", "ATTEMPTS/S", "FAILED/S", "TTFB", "TTFB-P95",
           "CHARGE/MIN", "COST/MIN"}};
  colours = {kBold};
  for (const RouteRow& r : f.routes) {
    rows.push_back({r.model, r.route,
                    !r.up   ? std::string(kAbsent)
                    : *r.up ? "closed"
                            : "OPEN",
                    rate(r.requests), rate(r.attempts), rate(r.failed), mean(r.ttfb), p95(r.ttfb),
                    dollars(r.charge_per_minute), dollars(r.cost_per_minute)});
    colours.push_back(r.up && !*r.up ? kRed : std::string_view());
  }
  table(lines, rows, 3, colours);

  if (f.budgets_left && !f.budgets_left->empty()) {
    lines.push_back({"", {}});
    std::string text = "budgets left";
    for (std::size_t i = 0; i < f.budgets_left->size(); ++i)
      text += fmt::format("{} {} ${}", i ? "," : "", (*f.budgets_left)[i].first,
                          format_dollars((*f.budgets_left)[i].second));
    lines.push_back({std::move(text), {}});
  }

  std::string out;
  for (Line& l : lines) {
    std::string text = cut(std::move(l.text), o.width);
    if (o.ansi && !l.colour.empty())
      out.append(l.colour).append(text).append(kPlain);
    else
      out += text;
    out += '\n';
  }
  return out;
}

}  // namespace tollbooth::cli::top
