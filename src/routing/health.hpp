#pragma once
// Per-route health shared by every worker thread: a circuit breaker and an EWMA of time to
// first byte. The planner only reads (a few relaxed atomic loads per route); outcomes are
// recorded under a tiny per-route mutex at the end of an upstream attempt (an answer's before
// its last bytes go out), where a lock is cheap compared with the network. Time is always
// passed in (Unix milliseconds): no clock reads.
//
// Breaker: closed -> open after `failures` consecutive failures, or when at least
// `min_requests` requests in the current window failed `error_percent` or more -> after
// `cooldown`, half-open: exactly one probe request is let through -> its success closes the
// breaker, its failure re-opens it for another cooldown.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "config/config.hpp"
#include "routing/catalog.hpp"

namespace tollbooth::routing {

inline constexpr std::int64_t kNoSamples = -1;

// What the planner needs to know about a route at one instant.
struct RouteStatus {
  bool admits = true;              // closed, or half-open with the probe slot free
  std::int64_t open_until_ms = 0;  // when !admits: when a probe may go (for Retry-After)
  std::int64_t ttfb_ewma_us = kNoSamples;
};

enum class Admission : std::uint8_t {
  go,      // closed: send it
  probe,   // half-open: this request is the one probe; record its outcome
  refuse,  // open (or another request holds the probe)
};

class Health {
 public:
  Health(std::size_t routes, BreakerConfig config);

  RouteStatus status(RouteId route, std::int64_t now_ms) const noexcept;
  // Call right before sending to a route: claims the half-open probe slot when there is one.
  Admission admit(RouteId route, std::int64_t now_ms) noexcept;
  // Outcome of an attempt. A failure is what the gateway would fall back on (connect error,
  // timeout, 429, 5xx); a 4xx caused by the request itself is neither (not recorded).
  void record_success(RouteId route, std::int64_t now_ms, std::int64_t ttfb_us) noexcept;
  void record_failure(RouteId route, std::int64_t now_ms) noexcept;

  // A reload: route `to` takes over the breaker and latency of `from`'s route `from_id` (the
  // same model and route in the config before), so a reload opens or closes nothing.
  void carry(RouteId to, const Health& from, RouteId from_id) noexcept;

  std::size_t size() const noexcept { return size_; }

 private:
  struct alignas(64) Slot {
    // Read lock-free by the planner.
    std::atomic<std::int64_t> open_until_ms{0};   // 0 = closed
    std::atomic<std::int64_t> probe_since_ms{0};  // 0 = no probe in flight
    std::atomic<std::int64_t> ttfb_ewma_us{kNoSamples};
    // Guarded by mutex.
    std::mutex mutex;
    std::uint32_t consecutive_failures = 0;
    std::uint32_t window_requests = 0;
    std::uint32_t window_failures = 0;
    std::int64_t window_start_ms = 0;
  };

  void open(Slot& s, std::int64_t now_ms) noexcept;
  void roll_window(Slot& s, std::int64_t now_ms) noexcept;
  bool probe_slot_free(const Slot& s, std::int64_t now_ms) const noexcept;

  BreakerConfig config_;
  std::size_t size_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace tollbooth::routing
