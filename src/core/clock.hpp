#pragma once
// The one clock of the request path, injected: the flow, the server's deadlines and the
// translators read time only through it, so tests can set the date (contract windows, licences)
// and the flow is testable beside the code.
#include <chrono>
#include <cstdint>

namespace tollbooth {

class Clock {
 public:
  using Steady = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // Monotonic time: deadlines, durations, timestamps of a request's phases.
  virtual Steady steady() const noexcept = 0;
  // Wall-clock Unix time in milliseconds: dates of contracts and prices, signatures, ledger rows.
  virtual std::int64_t unix_ms() const noexcept = 0;
};

class SystemClock final : public Clock {
 public:
  Steady steady() const noexcept override { return std::chrono::steady_clock::now(); }
  std::int64_t unix_ms() const noexcept override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock for tests: the date is whatever the test sets (contract windows, licences, prices),
// and steady time runs with the real steady clock plus what the test advanced, because I/O
// deadlines are kept by real timers.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t unix_ms) noexcept : unix_ms_(unix_ms) {}
  Steady steady() const noexcept override { return std::chrono::steady_clock::now() + ahead_; }
  std::int64_t unix_ms() const noexcept override { return unix_ms_; }
  void advance(std::chrono::milliseconds d) noexcept {
    ahead_ += d;
    unix_ms_ += d.count();
  }
  void set_unix_ms(std::int64_t ms) noexcept { unix_ms_ = ms; }

 private:
  std::int64_t unix_ms_;
  std::chrono::steady_clock::duration ahead_{};
};

}  // namespace tollbooth
