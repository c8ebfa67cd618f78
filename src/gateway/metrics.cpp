#include "gateway/metrics.hpp"

#include <array>
#include <chrono>
#include <cstdio>

#include "config/config.hpp"
#include "gateway/billing.hpp"
#include "routing/catalog.hpp"
#include "routing/health.hpp"

namespace tollbooth::gateway {
namespace {

// Statuses with a series of their own; any other is "other".
constexpr std::array<int, 19> kStatuses{200, 201, 400, 401, 403, 404, 405, 408, 409, 413,
                                        415, 426, 429, 499, 500, 502, 503, 504, 505};
// OpenTelemetry GenAI's gen_ai.operation.name for each model front ("responses" is ours: the
// conventions have no value for the Responses API).
constexpr std::array<std::string_view, 3> kOperations{"chat", "responses", "embeddings"};
// gen_ai.provider.name for the provider kinds, then "none" for a request no provider served.
constexpr std::array<std::string_view, 4> kProviders{"openai", "azure.ai.openai", "aws.bedrock",
                                                     "none"};
// The conventions' recommended boundaries: seconds for request durations (in µs here), and
// tokens for token usage.
constexpr std::array<std::uint64_t, 14> kDurationBoundsUs{
    10'000,    20'000,    40'000,    80'000,     160'000,    320'000,    640'000,
    1'280'000, 2'560'000, 5'120'000, 10'240'000, 20'480'000, 40'960'000, 81'920'000};
// The gateway's own time is microseconds to milliseconds.
constexpr std::array<std::uint64_t, 14> kOverheadBoundsUs{
    50,     100,    250,    500,     1'000,   2'500,   5'000,
    10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000};
constexpr std::array<std::uint64_t, 14> kTokenBounds{
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
constexpr std::array<AttemptEnd, 6> kEnds{AttemptEnd::served,         AttemptEnd::failed,
                                          AttemptEnd::refused,        AttemptEnd::failed_final,
                                          AttemptEnd::failed_in_band, AttemptEnd::aborted};
constexpr std::size_t kRefusals = 5;  // the values of GatewayRefusal, none included
constexpr std::size_t kBuckets = 14;
constexpr std::size_t kHistogramSlots = kBuckets + 3;  // the buckets, +Inf, the sum, the count

std::size_t status_slot(int status) noexcept {
  for (std::size_t i = 0; i < kStatuses.size(); ++i)
    if (kStatuses[i] == status) return i;
  return kStatuses.size();  // other
}

std::size_t provider_slot(ProviderKind kind) noexcept {
  switch (kind) {
    case ProviderKind::openai: return 0;
    case ProviderKind::azure: return 1;
    case ProviderKind::bedrock: return 2;
  }
  return 3;
}

int operation_of(Front f) noexcept {
  switch (f) {
    case Front::chat_completions: return 0;
    case Front::responses: return 1;
    case Front::embeddings: return 2;
    default: return -1;
  }
}

// A label value as Prometheus's text format wants it: `\`, `"` and newlines escaped.
void label(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append("=\"");
  for (char ch : value) {
    if (ch == '\\' || ch == '"') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace

struct Metrics::Layout {
  explicit Layout(const routing::Catalog& catalog) : catalog(catalog) {
    models = catalog.models().size() + 2;  // + "other" (unknown) + "none" (no model asked)
    routes = catalog.route_count() + 1;    // + "none" (nothing served)
    statuses = kStatuses.size() + 1;       // + "other"
    errors = statuses + 1;                 // + no error
    requests = models * routes * statuses;
    duration_series = kOperations.size() * models * kProviders.size() * errors;
    token_series = kOperations.size() * models * kProviders.size() * 2;
    ttft_series = kOperations.size() * models * kProviders.size();
  }
  // The contract a route sells under, or "none".
  std::string_view contract_name(std::size_t route) const {
    const int c = catalog.route(static_cast<routing::RouteId>(route)).contract;
    return c < 0 ? std::string_view("none")
                 : std::string_view(catalog.contracts()[static_cast<std::size_t>(c)].name);
  }
  std::string_view model_name(std::size_t slot) const {
    const std::size_t n = catalog.models().size();
    if (slot < n) return catalog.models()[slot].name;
    return slot == n ? "other" : "none";
  }
  std::string_view route_name(std::size_t slot) const {
    return slot < catalog.route_count()
               ? std::string_view(catalog.route(static_cast<routing::RouteId>(slot)).label)
               : std::string_view("none");
  }
  static std::string status_name(std::size_t slot) {
    return slot < kStatuses.size() ? std::to_string(kStatuses[slot]) : "other";
  }

  const routing::Catalog& catalog;
  std::size_t models, routes, statuses, errors, requests, duration_series, token_series,
      ttft_series;
};

Metrics::Metrics(const routing::Catalog& catalog, const routing::Health& health)
    : catalog_(catalog), health_(health), layout_(std::make_unique<Layout>(catalog)) {}

Metrics::~Metrics() = default;

MetricsShard& Metrics::shard(unsigned index) {
  while (shards_.size() <= index) shards_.push_back(std::make_unique<MetricsShard>(*layout_));
  return *shards_[index];
}

MetricsShard::MetricsShard(const Metrics::Layout& layout)
    : layout_(layout),
      requests_(new std::atomic<std::uint64_t>[layout.requests]()),
      duration_(new std::atomic<std::uint64_t>[layout.duration_series * kHistogramSlots]()),
      tokens_(new std::atomic<std::uint64_t>[layout.token_series * kHistogramSlots]()),
      attempts_(new std::atomic<std::uint64_t>[layout.routes * kEnds.size()]()),
      ttfb_(new std::atomic<std::uint64_t>[layout.routes * kHistogramSlots]()),
      refusals_(new std::atomic<std::uint64_t>[layout.models * kRefusals]()),
      money_(new std::atomic<std::uint64_t>[layout.routes * 3]()),
      overhead_(new std::atomic<std::uint64_t>[layout.models * kHistogramSlots]()),
      ttft_(new std::atomic<std::uint64_t>[layout.ttft_series * kHistogramSlots]()),
      connections_(new std::atomic<std::uint64_t>[layout.routes * 2]()) {}

namespace {

// One observation into a histogram's slots: its bucket (cumulative counts are summed when
// rendered), the sum and the count.
template <class Bounds>
void observe(std::atomic<std::uint64_t>* h, const Bounds& bounds, std::uint64_t value) noexcept {
  std::size_t b = 0;
  while (b < kBuckets && value > bounds[b]) ++b;
  auto add = [](std::atomic<std::uint64_t>& v, std::uint64_t n) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  };
  add(h[b], 1);
  add(h[kBuckets + 1], value);
  add(h[kBuckets + 2], 1);
}

std::uint64_t micros_between(RequestOutcome::Steady from, RequestOutcome::Steady to) noexcept {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
  return us < 0 ? 0 : static_cast<std::uint64_t>(us);
}

}  // namespace

void MetricsShard::on_outcome(const RequestOutcome& o) noexcept {
  const Metrics::Layout& l = layout_;
  const std::size_t configured = l.catalog.models().size();
  std::size_t model = configured + 1;  // none
  if (!o.model.empty()) {
    const routing::CatalogModel* m = l.catalog.find(o.model);
    model = m ? static_cast<std::size_t>(m - l.catalog.models().data()) : configured;
  }
  std::size_t route = l.routes - 1;  // none
  std::size_t provider = kProviders.size() - 1;
  std::int64_t upstream_us = 0;
  for (const AttemptRecord& a : o.attempts) {
    add(attempts_[a.route * kEnds.size() + static_cast<std::size_t>(a.end)], 1);
    upstream_us += a.upstream_us;
    if (a.upstream_status > 0) {  // an answer's head came: its time to first byte
      observe(&ttfb_[a.route * kHistogramSlots], kDurationBoundsUs,
              static_cast<std::uint64_t>(a.ttfb_us < 0 ? 0 : a.ttfb_us));
      add(connections_[a.route * 2 + (a.reused_connection ? 1 : 0)], 1);
    }
    if (has_usage(a.usage)) {  // what the ledger bills it, the same figures
      const AttemptBill bill = recorded_bill(l.catalog, o, a);
      if (bill.priced) {
        add(money_[a.route * 3], static_cast<std::uint64_t>(bill.cost));
        add(money_[a.route * 3 + 1], static_cast<std::uint64_t>(bill.charge));
        add(money_[a.route * 3 + 2], static_cast<std::uint64_t>(bill.toll_due));
      }
    }
    if (a.end != AttemptEnd::served) continue;
    route = a.route;
    const routing::CatalogRoute& r = l.catalog.route(a.route);
    if (r.provider_config) provider = provider_slot(r.provider_config->kind);
  }
  const std::size_t status = status_slot(o.status);
  add(requests_[(model * l.routes + route) * l.statuses + status], 1);
  if (o.refusal != GatewayRefusal::none)
    add(refusals_[model * kRefusals + static_cast<std::size_t>(o.refusal)], 1);

  // The GenAI metrics are for model requests: not the gateway's own endpoints, nor a read of a
  // kept response (no model), nor a request refused before its model was read.
  const int op = operation_of(o.front);
  if (op < 0 || o.model.empty()) return;
  // The request's time in the gateway, as a client of it sees it.
  const bool timed = o.received != RequestOutcome::Steady{};
  const std::uint64_t value = timed ? micros_between(o.received, o.done) : 0;
  const std::size_t error = o.status >= 400 ? status : l.errors - 1;
  const std::size_t genai =
      (static_cast<std::size_t>(op) * l.models + model) * kProviders.size() + provider;
  observe(&duration_[(genai * l.errors + error) * kHistogramSlots], kDurationBoundsUs, value);
  // The gateway's own part: the whole time less its attempts' upstream time.
  if (timed && !o.attempts.empty()) {
    const std::uint64_t upstream = upstream_us < 0 ? 0 : static_cast<std::uint64_t>(upstream_us);
    observe(&overhead_[model * kHistogramSlots], kOverheadBoundsUs,
            value > upstream ? value - upstream : 0);
  }
  // A stream's first bytes to the client.
  if (timed && o.stream && o.status == 200 && o.first_byte != RequestOutcome::Steady{})
    observe(&ttft_[genai * kHistogramSlots], kDurationBoundsUs,
            micros_between(o.received, o.first_byte));

  const std::uint64_t counts[2] = {static_cast<std::uint64_t>(o.usage.input_tokens),
                                   static_cast<std::uint64_t>(o.usage.output_tokens)};
  if (!o.usage.reported && counts[0] == 0 && counts[1] == 0) return;
  for (std::size_t type = 0; type < 2; ++type) {
    std::atomic<std::uint64_t>* t =
        &tokens_[((((static_cast<std::size_t>(op) * l.models + model) * kProviders.size() +
                    provider) *
                       2 +
                   type)) *
                 kHistogramSlots];
    std::size_t tb = 0;
    while (tb < kBuckets && counts[type] > kTokenBounds[tb]) ++tb;
    add(t[tb], 1);
    add(t[kBuckets + 1], counts[type]);
    add(t[kBuckets + 2], 1);
  }
}

std::string Metrics::render(std::int64_t now_ms) const {
  const Layout& l = *layout_;
  auto sum = [&](auto member, std::size_t i) {
    std::uint64_t total = 0;
    for (const auto& s : shards_) total += ((*s).*member)[i].load(std::memory_order_relaxed);
    return total;
  };
  std::string out;
  out.reserve(16 * 1024);

  out += "# HELP tollbooth_requests_total Requests answered, by model, serving route and status.\n";
  out += "# TYPE tollbooth_requests_total counter\n";
  for (std::size_t m = 0; m < l.models; ++m)
    for (std::size_t r = 0; r < l.routes; ++r)
      for (std::size_t st = 0; st < l.statuses; ++st) {
        const std::uint64_t n = sum(&MetricsShard::requests_, (m * l.routes + r) * l.statuses + st);
        if (n == 0) continue;
        out += "tollbooth_requests_total{";
        label(out, "model", l.model_name(m));
        out += ',';
        label(out, "route", l.route_name(r));
        out += ',';
        label(out, "status", Layout::status_name(st));
        out += "} " + std::to_string(n) + "\n";
      }

  // A histogram's series: cumulative buckets, +Inf, the sum (in `scale` units) and the count.
  auto histogram = [&](auto member, std::size_t series, const std::string& labels,
                       std::string_view name, const auto& bounds, double scale, bool seconds) {
    const std::size_t base = series * kHistogramSlots;
    const std::uint64_t count = sum(member, base + kBuckets + 2);
    if (count == 0) return;
    std::uint64_t cumulative = 0;
    char le[32];
    for (std::size_t b = 0; b <= kBuckets; ++b) {
      cumulative += sum(member, base + b);
      if (b < kBuckets) {
        if (seconds)
          std::snprintf(le, sizeof le, "%g", static_cast<double>(bounds[b]) / 1e6);
        else
          std::snprintf(le, sizeof le, "%llu", static_cast<unsigned long long>(bounds[b]));
      } else {
        std::snprintf(le, sizeof le, "+Inf");
      }
      out.append(name).append("_bucket{").append(labels).append(",le=\"").append(le);
      out.append("\"} ").append(std::to_string(cumulative)).append("\n");
    }
    char total[40];
    const std::uint64_t raw = sum(member, base + kBuckets + 1);
    if (seconds)
      std::snprintf(total, sizeof total, "%.6f", static_cast<double>(raw) * scale);
    else
      std::snprintf(total, sizeof total, "%llu", static_cast<unsigned long long>(raw));
    out.append(name).append("_sum{").append(labels).append("} ").append(total).append("\n");
    out.append(name).append("_count{").append(labels).append("} ");
    out.append(std::to_string(count)).append("\n");
  };

  out +=
      "# HELP tollbooth_refusals_total Requests the gateway refused itself: a rate limit, a "
      "budget, the shared counters out of reach, the ledger behind.\n";
  out += "# TYPE tollbooth_refusals_total counter\n";
  for (std::size_t m = 0; m < l.models; ++m)
    for (std::size_t k = 1; k < kRefusals; ++k) {
      const std::uint64_t n = sum(&MetricsShard::refusals_, m * kRefusals + k);
      if (n == 0) continue;
      out += "tollbooth_refusals_total{";
      label(out, "model", l.model_name(m));
      out += ',';
      label(out, "reason", refusal_name(static_cast<GatewayRefusal>(k)));
      out += "} " + std::to_string(n) + "\n";
    }
  out +=
      "# HELP tollbooth_attempts_total Upstream attempts, by route and how they ended (a fallback "
      "or a retry makes more than one a request).\n";
  out += "# TYPE tollbooth_attempts_total counter\n";
  for (std::size_t r = 0; r + 1 < l.routes; ++r)
    for (std::size_t e = 0; e < kEnds.size(); ++e) {
      const std::uint64_t n = sum(&MetricsShard::attempts_, r * kEnds.size() + e);
      if (n == 0) continue;
      out += "tollbooth_attempts_total{";
      label(out, "model", l.model_name(l.catalog.route(static_cast<routing::RouteId>(r)).model));
      out += ',';
      label(out, "route", l.route_name(r));
      out += ',';
      label(out, "outcome", attempt_end_name(kEnds[e]));
      out += "} " + std::to_string(n) + "\n";
    }
  out += "# HELP tollbooth_upstream_ttfb_seconds From sending an attempt to its answer's head.\n";
  out += "# TYPE tollbooth_upstream_ttfb_seconds histogram\n";
  for (std::size_t r = 0; r + 1 < l.routes; ++r) {
    if (sum(&MetricsShard::ttfb_, r * kHistogramSlots + kBuckets + 2) == 0) continue;
    std::string labels;
    label(labels, "model", l.model_name(l.catalog.route(static_cast<routing::RouteId>(r)).model));
    labels += ',';
    label(labels, "route", l.route_name(r));
    histogram(&MetricsShard::ttfb_, r, labels, "tollbooth_upstream_ttfb_seconds", kDurationBoundsUs,
              1e-6, true);
  }
  out +=
      "# HELP tollbooth_route_up Whether a route's circuit breaker lets requests through (1) or "
      "is open (0).\n";
  out += "# TYPE tollbooth_route_up gauge\n";
  for (std::size_t r = 0; r + 1 < l.routes; ++r) {
    const auto id = static_cast<routing::RouteId>(r);
    out += "tollbooth_route_up{";
    label(out, "model", l.model_name(l.catalog.route(id).model));
    out += ',';
    label(out, "route", l.route_name(r));
    out += health_.status(id, now_ms).admits ? "} 1\n" : "} 0\n";
  }

  // What the billed attempts cost, were charged and owe their contracts (before a revenue
  // share's cap, which the store applies), per route.
  const std::array<std::pair<const char*, const char*>, 3> money{{
      {"tollbooth_cost_micros_total",
       "What billed attempts cost at list price less the contract's discount, in micro-dollars."},
      {"tollbooth_charge_micros_total",
       "What billed attempts were charged (cost plus the team's markup), in micro-dollars."},
      {"tollbooth_toll_due_micros_total",
       "The revenue share billed attempts owe their contract before its cap, in micro-dollars."},
  }};
  for (std::size_t k = 0; k < money.size(); ++k) {
    out.append("# HELP ").append(money[k].first).append(" ").append(money[k].second).append("\n");
    out.append("# TYPE ").append(money[k].first).append(" counter\n");
    for (std::size_t r = 0; r + 1 < l.routes; ++r) {
      const std::uint64_t n = sum(&MetricsShard::money_, r * 3 + k);
      if (n == 0) continue;
      out.append(money[k].first).append("{");
      label(out, "model", l.model_name(l.catalog.route(static_cast<routing::RouteId>(r)).model));
      out += ',';
      label(out, "route", l.route_name(r));
      out += ',';
      label(out, "contract", l.contract_name(r));
      out += "} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP tollbooth_upstream_connections_total Answered attempts by the connection they went "
      "on: a new one, or one the pool kept alive.\n";
  out += "# TYPE tollbooth_upstream_connections_total counter\n";
  for (std::size_t r = 0; r + 1 < l.routes; ++r) {
    // Both series once the route has answered: the second kind does not appear later.
    if (sum(&MetricsShard::connections_, r * 2) + sum(&MetricsShard::connections_, r * 2 + 1) == 0)
      continue;
    for (std::size_t k = 0; k < 2; ++k) {
      const std::uint64_t n = sum(&MetricsShard::connections_, r * 2 + k);
      out += "tollbooth_upstream_connections_total{";
      label(out, "model", l.model_name(l.catalog.route(static_cast<routing::RouteId>(r)).model));
      out += ',';
      label(out, "route", l.route_name(r));
      out += ',';
      label(out, "connection", k == 0 ? "new" : "reused");
      out += "} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP tollbooth_upstream_idle_connections Upstream connections the workers' pools keep "
      "alive for the next request, as each worker's last request left them.\n"
      "# TYPE tollbooth_upstream_idle_connections gauge\n";
  std::uint64_t idle = 0;
  for (const auto& s : shards_) idle += s->idle_connections_.load(std::memory_order_relaxed);
  out += "tollbooth_upstream_idle_connections " + std::to_string(idle) + "\n";
  out +=
      "# HELP tollbooth_gateway_overhead_seconds The gateway's own part of a model request's "
      "time: first byte in to last byte out, less its upstream attempts' time.\n";
  out += "# TYPE tollbooth_gateway_overhead_seconds histogram\n";
  for (std::size_t m = 0; m < l.models; ++m) {
    if (sum(&MetricsShard::overhead_, m * kHistogramSlots + kBuckets + 2) == 0) continue;
    std::string labels;
    label(labels, "model", l.model_name(m));
    histogram(&MetricsShard::overhead_, m, labels, "tollbooth_gateway_overhead_seconds",
              kOverheadBoundsUs, 1e-6, true);
  }

  // The labels every GenAI series starts with.
  auto genai_labels = [&](std::size_t op, std::size_t m, std::size_t p) {
    std::string labels;
    label(labels, "gen_ai_operation_name", kOperations[op]);
    labels += ',';
    label(labels, "gen_ai_request_model", l.model_name(m));
    labels += ',';
    label(labels, "gen_ai_provider_name", kProviders[p]);
    return labels;
  };
  out +=
      "# HELP gen_ai_server_request_duration_seconds The request's time in the gateway, first "
      "byte in to last byte out.\n";
  out += "# TYPE gen_ai_server_request_duration_seconds histogram\n";
  for (std::size_t op = 0; op < kOperations.size(); ++op)
    for (std::size_t m = 0; m < l.models; ++m)
      for (std::size_t p = 0; p < kProviders.size(); ++p)
        for (std::size_t e = 0; e < l.errors; ++e) {
          const std::size_t series = ((op * l.models + m) * kProviders.size() + p) * l.errors + e;
          if (sum(&MetricsShard::duration_, series * kHistogramSlots + kBuckets + 2) == 0) continue;
          std::string labels = genai_labels(op, m, p);
          if (e < l.statuses) {
            labels += ',';
            label(labels, "error_type", Layout::status_name(e));
          }
          histogram(&MetricsShard::duration_, series, labels,
                    "gen_ai_server_request_duration_seconds", kDurationBoundsUs, 1e-6, true);
        }

  out +=
      "# HELP gen_ai_server_time_to_first_token_seconds A streamed answer's first bytes: from "
      "the request's first byte in to the answer's first byte out.\n";
  out += "# TYPE gen_ai_server_time_to_first_token_seconds histogram\n";
  for (std::size_t op = 0; op < kOperations.size(); ++op)
    for (std::size_t m = 0; m < l.models; ++m)
      for (std::size_t p = 0; p < kProviders.size(); ++p) {
        const std::size_t series = (op * l.models + m) * kProviders.size() + p;
        if (sum(&MetricsShard::ttft_, series * kHistogramSlots + kBuckets + 2) == 0) continue;
        histogram(&MetricsShard::ttft_, series, genai_labels(op, m, p),
                  "gen_ai_server_time_to_first_token_seconds", kDurationBoundsUs, 1e-6, true);
      }

  out += "# HELP gen_ai_client_token_usage Tokens a request used, input and output.\n";
  out += "# TYPE gen_ai_client_token_usage histogram\n";
  for (std::size_t op = 0; op < kOperations.size(); ++op)
    for (std::size_t m = 0; m < l.models; ++m)
      for (std::size_t p = 0; p < kProviders.size(); ++p)
        for (std::size_t type = 0; type < 2; ++type) {
          const std::size_t series = ((op * l.models + m) * kProviders.size() + p) * 2 + type;
          if (sum(&MetricsShard::tokens_, series * kHistogramSlots + kBuckets + 2) == 0) continue;
          std::string labels = genai_labels(op, m, p);
          labels += ',';
          label(labels, "gen_ai_token_type", type == 0 ? "input" : "output");
          histogram(&MetricsShard::tokens_, series, labels, "gen_ai_client_token_usage",
                    kTokenBounds, 1.0, false);
        }
  return out;
}

}  // namespace tollbooth::gateway
