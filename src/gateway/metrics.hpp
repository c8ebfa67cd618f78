#pragma once
// Prometheus metrics (docs/operations.md, "Metrics"): every request's outcome counted by the
// worker that served it, in that worker's own shard (no lock, no shared cache line on the
// request path), and summed over the shards when GET /metrics is scraped. Label values are
// bounded: the configured models and routes, a fixed list of statuses, the three provider
// kinds; anything else (an unknown model, an odd status) folds into "other", so no client can
// grow the number of series.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/outcome.hpp"

namespace tollbooth {
namespace routing {
class Catalog;
class Health;
}  // namespace routing

namespace gateway {

class MetricsShard;

class Metrics {
 public:
  // The label tables from `catalog`; the routes' breakers from `health` (both outlive this).
  Metrics(const routing::Catalog& catalog, const routing::Health& health);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Worker `index`'s shard, made on first use: only that worker's thread may record into it.
  // Called while the workers are made (one thread), before any of them runs.
  MetricsShard& shard(unsigned index);
  // The Prometheus text exposition (format 0.0.4) of every shard's sum, and the breakers as
  // they stand at `now_ms`. Any thread.
  std::string render(std::int64_t now_ms) const;

  // The label tables and the layout of a shard's counters.
  struct Layout;

 private:
  const routing::Catalog& catalog_;
  const routing::Health& health_;
  std::unique_ptr<Layout> layout_;
  std::vector<std::unique_ptr<MetricsShard>> shards_;
};

class MetricsShard final : public OutcomeObserver {
 public:
  explicit MetricsShard(const Metrics::Layout& layout);
  void on_outcome(const RequestOutcome& outcome) noexcept override;
  // The worker's upstream pool holds `n` idle connections (set as each request ends).
  void set_idle_connections(std::size_t n) noexcept {
    idle_connections_.store(n, std::memory_order_relaxed);
  }

 private:
  friend class Metrics;
  // Written by the shard's worker only (a relaxed load and store: no read-modify-write is
  // needed with one writer), read by any thread scraping.
  static void add(std::atomic<std::uint64_t>& v, std::uint64_t n) noexcept {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  const Metrics::Layout& layout_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> requests_;  // [model][route][status]
  std::unique_ptr<std::atomic<std::uint64_t>[]> duration_;  // [series][bucket..., sum_us, count]
  std::unique_ptr<std::atomic<std::uint64_t>[]> tokens_;    // [series][bucket..., sum, count]
  std::unique_ptr<std::atomic<std::uint64_t>[]> attempts_;  // [route][how it ended]
  std::unique_ptr<std::atomic<std::uint64_t>[]> ttfb_;      // [route][bucket..., sum_us, count]
  std::unique_ptr<std::atomic<std::uint64_t>[]> refusals_;  // [model][Refusal]
  std::unique_ptr<std::atomic<std::uint64_t>[]> money_;     // [route][cost, charge, toll due]
  std::unique_ptr<std::atomic<std::uint64_t>[]> overhead_;  // [model][bucket..., sum_us, count]
  std::unique_ptr<std::atomic<std::uint64_t>[]> ttft_;      // [op][model][provider][bucket..., ...]
  std::unique_ptr<std::atomic<std::uint64_t>[]> connections_;  // [route][new, reused]
  std::atomic<std::uint64_t> idle_connections_{0};             // the worker's pool, a gauge
};

}  // namespace gateway
}  // namespace tollbooth
