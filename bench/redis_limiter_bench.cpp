// The shared limiter on one connection, with `depth` requests in flight at once so their
// commands are pipelined: admissions alone (key and team, rpm + tpm, and max_parallel on the
// key), and a request's whole share (admit, then settle and release). Needs a Redis: run it under
// scripts/with-redis, e.g.
//   scripts/with-redis build/micro_bench --benchmark_filter=Redis
// Without TOLLBOOTH_TEST_REDIS_URL it reports itself skipped. Redis runs on the same 2 cores,
// so the figure is the pair's, not the gateway's alone.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>

#include "limits/redis_client.hpp"
#include "limits/redis_limiter.hpp"
#include "limits/redis_url.hpp"

namespace tl = tollbooth::limits;
namespace asio = boost::asio;

namespace {

void run(benchmark::State& state, bool settle_and_release) {
  const char* env = std::getenv("TOLLBOOTH_TEST_REDIS_URL");
  if (env == nullptr) {
    state.SkipWithError("TOLLBOOTH_TEST_REDIS_URL is not set: run under scripts/with-redis");
    return;
  }
  auto url = tl::parse_redis_url(env);
  if (!url) {
    state.SkipWithError(url.error().message.c_str());
    return;
  }
  asio::io_context io(1);
  tl::RedisClient client(io.get_executor(), *url);
  tl::RedisLimiter limiter(client);
  client.start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!client.ready() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(10));
  }
  if (!client.ready()) {
    state.SkipWithError("no connection to Redis");
    return;
  }

  std::string suffix = std::to_string(std::random_device{}());
  std::string key = "key:bench-" + suffix, team = "team:bench-" + suffix;
  constexpr std::int64_t kHuge = 1'000'000'000'000;
  const tl::Subject subjects[] = {{key, {kHuge, kHuge, kHuge}}, {team, {kHuge, kHuge, 0}}};
  const int depth = static_cast<int>(state.range(0));
  std::int64_t refused = 0;

  for (auto _ : state) {
    int pending = depth;
    for (int i = 0; i < depth; ++i) {
      asio::co_spawn(
          io.get_executor(),
          [&]() -> tollbooth::Awaitable<void> {
            tl::Decision d = co_await limiter.admit(subjects, 500);
            if (d.admitted && settle_and_release) {
              limiter.settle(subjects, d.ticket, 321);
              limiter.release(subjects, d.ticket);
            } else if (!d.admitted) {
              ++refused;
            }
            --pending;
          },
          asio::detached);
    }
    while (pending > 0) io.run_one();
  }
  state.SetItemsProcessed(state.iterations() * depth);
  state.counters["refused"] = static_cast<double>(refused);
  client.stop();
  io.restart();
  io.poll();
}

void BM_RedisAdmit(benchmark::State& state) {
  run(state, false);
}
void BM_RedisAdmitSettleRelease(benchmark::State& state) {
  run(state, true);
}

BENCHMARK(BM_RedisAdmit)->Arg(1)->Arg(16)->Arg(128)->UseRealTime();
BENCHMARK(BM_RedisAdmitSettleRelease)->Arg(1)->Arg(16)->Arg(128)->UseRealTime();

}  // namespace
