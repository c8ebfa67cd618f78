#pragma once
// For the tests that run against a private Redis (redis_limiter_test, redis_budgets_test): the
// server scripts/with-redis started, subject names no other test uses, and a coroutine run to
// its end on a client's busy event loop. Include only from tests.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include "limits/redis_url.hpp"

namespace tollbooth::limits::test_support {

#define REQUIRE_TEST_REDIS()                                                                      \
  if (::tollbooth::limits::test_support::test_redis_url().empty())                                \
  GTEST_SKIP() << "TOLLBOOTH_TEST_REDIS_URL is not set: run the tests under scripts/with-redis, " \
                  "e.g. scripts/with-redis build/unit_tests --gtest_filter='*Redis*'"

inline std::string test_redis_url() {
  const char* url = std::getenv("TOLLBOOTH_TEST_REDIS_URL");
  return url ? url : "";
}

inline RedisUrl test_url() {
  auto parsed = parse_redis_url(test_redis_url());
  if (!parsed) throw std::runtime_error("TOLLBOOTH_TEST_REDIS_URL: " + parsed.error().message);
  return *parsed;
}

// Subject names no other test (or other run on the same server) uses.
inline std::string unique(std::string_view kind) {
  static std::mt19937_64 rng(std::random_device{}());
  return std::string(kind) + ":test-" + std::to_string(rng());
}

// Runs a coroutine on `io` until it finishes (the client keeps the loop busy, so io.run() would
// not return by itself).
template <class F>
void run(boost::asio::io_context& io, F f, std::chrono::seconds limit = std::chrono::seconds(20)) {
  bool done = false;
  std::exception_ptr error;
  boost::asio::co_spawn(io.get_executor(), std::move(f), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  io.restart();
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(done) << "the test's coroutine did not finish within " << limit.count() << " s";
  if (error) std::rethrow_exception(error);
}

}  // namespace tollbooth::limits::test_support
