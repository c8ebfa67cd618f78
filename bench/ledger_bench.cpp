// The ledger's write path (issue 11: "the ledger writer sustains at least 50,000 rows a second on
// SQLite"), in rows per second:
//
// - BM_LedgerAppend/<db>/<batch>/<prefill>: Store::append_ledger, one transaction per batch, on a
//   fresh SQLite file in the temp directory (WAL, the store's own settings), with batches of 100,
//   1,000 and 5,000 rows (5,000 is what one 100 ms flush interval holds at 50,000 rows/s), and
//   with 5,000-row batches into a ledger that already holds 1,000,000 rows (its indexes no longer
//   fit SQLite's page cache). Wall-clock time: a commit waits for its fsync.
// - BM_LedgerWriter/<db>/<rate>: the whole path the gateway uses: rows pushed into the
//   LedgerWriter (app/ledger_writer) at a steady `rate` rows/s for 2 s from one thread, as the
//   workers push them, written by the writer's thread through LedgerStore (app/ledger_store: the
//   store on a connection of its own, a run begun) every 100 ms. Reported: the rows/s from the
//   first push until the last row is in the database (equal to `rate` when the writer keeps up),
//   and lag_ms, how long after the last push the last row was written (about one flush interval
//   and one batch's write when it keeps up; growing with the run when it does not). Rate 0: push
//   500,000 rows as fast as one thread can, the writer's ceiling.
//
// Each row is what the gateway writes for the bench's chat completion: a key in a team, no
// contract, request ids in the gateway's form.
//
// PostgreSQL too when TOLLBOOTH_TEST_PG_URL names a server (each benchmark in a schema of its
// own, dropped after it):
//   scripts/with-postgres build/micro_bench --benchmark_filter=Ledger
// Without it the PostgreSQL variants report themselves skipped.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/ledger_store.hpp"
#include "app/ledger_writer.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/ledger.hpp"
#include "store/store.hpp"

namespace fs = std::filesystem;
using namespace tollbooth;

namespace {

constexpr std::int64_t kNow = 1'798'761'600'000;  // 2027-01-01T00:00:00Z

// A ledger row as the gateway makes it for the bench's request (gpt-4o-mini at $0.15 / $0.60
// per million tokens, a team with a 10 % markup), with request id number `n`.
LedgerRow bench_row(std::uint64_t n) {
  LedgerRow r;
  char id[48];
  std::snprintf(id, sizeof id, "req_6790a3c1_0_%llx", static_cast<unsigned long long>(n));
  r.request_id = id;
  r.attempt = 1;
  r.at_ms = kNow + static_cast<std::int64_t>(n / 50);
  r.key_id = "bench";
  r.team = "bench-team";
  r.model = "gpt-4o-mini";
  r.route = "mock";
  r.provider = "mock";
  r.region = "";
  r.usage.input_tokens = 10;
  r.usage.output_tokens = 7;
  r.usage.reported = true;
  r.priced = true;
  r.prices.input_per_mtok = 150'000;
  r.prices.cached_input_per_mtok = 75'000;
  r.prices.output_per_mtok = 600'000;
  r.markup_bp = 1'000;
  r.cost = 6;
  r.charge = 7;
  r.latency_ms = 1;
  r.status = 200;
  r.end = "served";
  return r;
}

// Where a benchmark's store lives: a fresh SQLite file, or a fresh schema on the PostgreSQL
// server of TOLLBOOTH_TEST_PG_URL. Removed when the benchmark ends.
class Place {
 public:
  // Empty skip(): ready; otherwise why the benchmark cannot run.
  explicit Place(bool postgres) {
    static std::atomic<int> counter{0};
    const std::string unique = std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                               std::to_string(std::random_device{}() % 1'000'000);
    if (!postgres) {
      dir_ = fs::temp_directory_path() / ("tollbooth-ledger-bench-" + unique);
      fs::create_directories(dir_);
      config_.sqlite_path = (dir_ / "ledger.db").string();
      return;
    }
    const char* base = std::getenv("TOLLBOOTH_TEST_PG_URL");
    if (!base || !*base) {
      skip_ = "TOLLBOOTH_TEST_PG_URL is not set: run under scripts/with-postgres";
      return;
    }
    base_ = base;
    schema_ = "tbbench_" + unique;
    if (!admin("CREATE SCHEMA " + schema_)) return;
    const bool is_url = base_.find("://") != std::string::npos;
    config_.postgres_url = is_url ? base_ + (base_.find('?') == std::string::npos ? "?" : "&") +
                                        "options=-csearch_path%3D" + schema_
                                  : base_ + " options='-csearch_path=" + schema_ + "'";
  }
  ~Place() {
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
    if (!schema_.empty()) admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }
  Place(const Place&) = delete;
  Place& operator=(const Place&) = delete;

  const std::string& skip() const { return skip_; }
  const StoreConfig& store_config() const { return config_; }
  // The same place as a gateway config's store: section.
  Config gateway_config() const {
    Config c;
    c.store.sqlite_path = config_.sqlite_path;
    c.store.postgres_url = config_.postgres_url;
    return c;
  }

 private:
  bool admin(const std::string& sql) {
    PGconn* c = PQconnectdb(base_.c_str());
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
    PGresult* r = PQexec(c, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) skip_ = std::string("PostgreSQL: ") + PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
    return ok;
  }

  fs::path dir_;
  std::string base_;
  std::string schema_;
  std::string skip_;
  StoreConfig config_;
};

// Arguments: postgres (0/1), rows per batch, rows written before the measurement.
void BM_LedgerAppend(benchmark::State& state) {
  const bool postgres = state.range(0) != 0;
  const auto batch_rows = static_cast<std::size_t>(state.range(1));
  const auto prefill = static_cast<std::uint64_t>(state.range(2));
  Place place(postgres);
  if (!place.skip().empty()) {
    state.SkipWithError(place.skip().c_str());
    return;
  }
  std::unique_ptr<Store> store = open_store(place.store_config());
  const std::int64_t run = store->begin_run(kNow);
  std::uint64_t next = 0;
  std::vector<LedgerRow> batch(batch_rows, bench_row(0));
  auto fill = [&] {
    for (LedgerRow& r : batch) r = bench_row(next++);
  };
  for (std::uint64_t done = 0; done < prefill; done += batch_rows) {
    fill();
    store->append_ledger(run, batch);
  }
  for (auto _ : state) {
    state.PauseTiming();
    fill();
    state.ResumeTiming();
    store->append_ledger(run, batch);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_rows));
}
BENCHMARK(BM_LedgerAppend)
    ->ArgNames({"pg", "batch", "prefill"})
    ->Args({0, 100, 0})
    ->Args({0, 1'000, 0})
    ->Args({0, 5'000, 0})
    ->Args({0, 5'000, 1'000'000})
    ->Args({1, 100, 0})
    ->Args({1, 1'000, 0})
    ->Args({1, 5'000, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Arguments: postgres (0/1), rows pushed per second (0: as fast as one thread can).
void BM_LedgerWriter(benchmark::State& state) {
  using Steady = std::chrono::steady_clock;
  const bool postgres = state.range(0) != 0;
  const std::int64_t rate = state.range(1);
  constexpr auto kPushFor = std::chrono::seconds(2);
  constexpr std::uint64_t kFlatOut = 500'000;
  for (auto _ : state) {
    Place place(postgres);
    if (!place.skip().empty()) {
      state.SkipWithError(place.skip().c_str());
      return;
    }
    const Config config = place.gateway_config();
    SystemClock clock;
    LedgerStore target(config, clock);
    LedgerWriter writer(target, config.billing.ledger_flush, config.billing.ledger_queue);
    const LedgerRow model = bench_row(0);
    std::uint64_t pushed = 0;
    bool backlogged = false;
    auto push = [&] {
      LedgerRow r = model;
      char id[48];
      std::snprintf(id, sizeof id, "req_6790a3c1_0_%llx", static_cast<unsigned long long>(pushed));
      r.request_id = id;
      ++pushed;
      writer.push(std::move(r));
    };
    const auto start = Steady::now();
    if (rate == 0) {
      while (pushed < kFlatOut) push();
    } else {
      // Every millisecond, the rows due by then: a steady stream, as from the workers.
      const auto end = start + kPushFor;
      for (auto now = start; now < end; now = Steady::now()) {
        const auto due = static_cast<std::uint64_t>(
            rate * std::chrono::duration_cast<std::chrono::microseconds>(now - start).count() /
            1'000'000);
        while (pushed < due) push();
        backlogged = backlogged || writer.backlogged();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    const auto last_push = Steady::now();
    while (writer.rows_written() < pushed && writer.batches_failed() == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto done = Steady::now();
    writer.stop();
    target.finish();
    if (writer.batches_failed() != 0) {
      state.SkipWithError("the store refused a batch");
      return;
    }
    const double seconds = std::chrono::duration<double>(done - start).count();
    state.SetIterationTime(seconds);
    state.counters["rows"] = static_cast<double>(pushed);
    state.counters["lag_ms"] = std::chrono::duration<double, std::milli>(done - last_push).count();
    state.counters["push_s"] = std::chrono::duration<double>(last_push - start).count();
    state.counters["backlogged"] = backlogged ? 1 : 0;
    state.SetItemsProcessed(static_cast<std::int64_t>(pushed));
  }
}
BENCHMARK(BM_LedgerWriter)
    ->ArgNames({"pg", "rate"})
    ->Args({0, 50'000})
    ->Args({0, 100'000})
    ->Args({0, 0})
    ->Args({1, 10'000})
    ->Args({1, 50'000})
    ->Args({1, 0})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
