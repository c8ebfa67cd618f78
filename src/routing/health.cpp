#include "routing/health.hpp"

namespace tollbooth::routing {
namespace {
// The newest sample weighs 1/kEwmaDivisor (0.2): quick to follow a slowdown, smooth enough
// that one slow answer does not reorder routes.
constexpr std::int64_t kEwmaDivisor = 5;
constexpr auto kRelaxed = std::memory_order_relaxed;
}  // namespace

Health::Health(std::size_t routes, BreakerConfig config)
    : config_(config), size_(routes), slots_(std::make_unique<Slot[]>(routes)) {}

// A probe that never reported back (cancelled request, crashed coroutine) must not keep the
// route shut forever: after a cooldown its slot is free again.
bool Health::probe_slot_free(const Slot& s, std::int64_t now_ms) const noexcept {
  std::int64_t since = s.probe_since_ms.load(kRelaxed);
  return since == 0 || now_ms - since >= config_.cooldown.count();
}

RouteStatus Health::status(RouteId route, std::int64_t now_ms) const noexcept {
  const Slot& s = slots_[route];
  RouteStatus out;
  out.ttfb_ewma_us = s.ttfb_ewma_us.load(kRelaxed);
  std::int64_t open_until = s.open_until_ms.load(kRelaxed);
  if (open_until == 0) return out;
  if (now_ms < open_until) {
    out.admits = false;
    out.open_until_ms = open_until;
  } else if (!probe_slot_free(s, now_ms)) {
    out.admits = false;  // half-open, the probe is out: expect an answer within a cooldown
    out.open_until_ms = s.probe_since_ms.load(kRelaxed) + config_.cooldown.count();
  }
  return out;
}

Admission Health::admit(RouteId route, std::int64_t now_ms) noexcept {
  Slot& s = slots_[route];
  std::int64_t open_until = s.open_until_ms.load(kRelaxed);
  if (open_until == 0) return Admission::go;
  if (now_ms < open_until) return Admission::refuse;
  std::lock_guard lock(s.mutex);
  if (s.open_until_ms.load(kRelaxed) == 0) return Admission::go;  // closed meanwhile
  if (!probe_slot_free(s, now_ms)) return Admission::refuse;
  s.probe_since_ms.store(now_ms, kRelaxed);
  return Admission::probe;
}

void Health::open(Slot& s, std::int64_t now_ms) noexcept {
  s.open_until_ms.store(now_ms + config_.cooldown.count(), kRelaxed);
  s.probe_since_ms.store(0, kRelaxed);
  s.consecutive_failures = 0;
  s.window_requests = 0;
  s.window_failures = 0;
  s.window_start_ms = now_ms;
}

// The error ratio is counted over tumbling windows: simple, and a window long enough for
// min_requests gives the same verdict as a sliding one for a route that is really failing.
void Health::roll_window(Slot& s, std::int64_t now_ms) noexcept {
  if (now_ms - s.window_start_ms < config_.window.count()) return;
  s.window_start_ms = now_ms;
  s.window_requests = 0;
  s.window_failures = 0;
}

void Health::record_success(RouteId route, std::int64_t now_ms, std::int64_t ttfb_us) noexcept {
  Slot& s = slots_[route];
  std::lock_guard lock(s.mutex);
  std::int64_t old = s.ttfb_ewma_us.load(kRelaxed);
  s.ttfb_ewma_us.store(old == kNoSamples ? ttfb_us : old + (ttfb_us - old) / kEwmaDivisor,
                       kRelaxed);
  if (s.open_until_ms.load(kRelaxed) != 0) {
    // The half-open probe (or a request sent just before the breaker opened) succeeded.
    s.open_until_ms.store(0, kRelaxed);
    s.probe_since_ms.store(0, kRelaxed);
    s.window_start_ms = now_ms;
    s.window_requests = 0;
    s.window_failures = 0;
  }
  roll_window(s, now_ms);
  s.consecutive_failures = 0;
  ++s.window_requests;
}

void Health::record_failure(RouteId route, std::int64_t now_ms) noexcept {
  Slot& s = slots_[route];
  std::lock_guard lock(s.mutex);
  std::int64_t open_until = s.open_until_ms.load(kRelaxed);
  if (open_until != 0) {
    // A failed probe re-opens for a full cooldown; a late failure of a request sent before
    // the breaker opened changes nothing.
    if (now_ms >= open_until) open(s, now_ms);
    return;
  }
  roll_window(s, now_ms);
  ++s.consecutive_failures;
  ++s.window_requests;
  ++s.window_failures;
  bool streak = s.consecutive_failures >= config_.failures;
  bool ratio = s.window_requests >= config_.min_requests &&
               s.window_failures * 100 >= config_.error_percent * s.window_requests;
  if (streak || ratio) open(s, now_ms);
}

void Health::carry(RouteId to, const Health& from, RouteId from_id) noexcept {
  if (to >= size_ || from_id >= from.size_) return;
  Slot& s = slots_[to];
  Slot& f = from.slots_[from_id];
  std::scoped_lock lock(s.mutex, f.mutex);
  s.open_until_ms.store(f.open_until_ms.load(std::memory_order_relaxed), std::memory_order_relaxed);
  s.probe_since_ms.store(f.probe_since_ms.load(std::memory_order_relaxed),
                         std::memory_order_relaxed);
  s.ttfb_ewma_us.store(f.ttfb_ewma_us.load(std::memory_order_relaxed), std::memory_order_relaxed);
  s.consecutive_failures = f.consecutive_failures;
  s.window_requests = f.window_requests;
  s.window_failures = f.window_failures;
  s.window_start_ms = f.window_start_ms;
}

}  // namespace tollbooth::routing
