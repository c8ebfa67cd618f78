#pragma once
// A process-wide bound on bytes held in memory for requests and answers (request bodies,
// non-streamed upstream answers). Every worker charges the same budget; a charge that would go
// past the bound fails, and the caller answers 503 instead of letting the process grow.
#include <atomic>
#include <cstddef>
#include <utility>

namespace tollbooth {

class BufferBudget {
 public:
  explicit BufferBudget(std::size_t limit) noexcept : limit_(limit) {}
  BufferBudget(const BufferBudget&) = delete;
  BufferBudget& operator=(const BufferBudget&) = delete;

  // Takes `n` bytes when they fit under the limit; false (and nothing taken) otherwise.
  bool try_take(std::size_t n) noexcept {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (n > limit_ || used > limit_ - n) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void give_back(std::size_t n) noexcept { used_.fetch_sub(n, std::memory_order_relaxed); }

  std::size_t limit() const noexcept { return limit_; }
  std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

// Bytes one request holds from the budget; given back when it goes out of scope.
class BufferCharge {
 public:
  BufferCharge() = default;
  explicit BufferCharge(BufferBudget& budget) noexcept : budget_(&budget) {}
  BufferCharge(BufferCharge&& o) noexcept : budget_(o.budget_), held_(std::exchange(o.held_, 0)) {}
  BufferCharge& operator=(BufferCharge&& o) noexcept {
    if (this != &o) {
      release();
      budget_ = o.budget_;
      held_ = std::exchange(o.held_, 0);
    }
    return *this;
  }
  ~BufferCharge() { release(); }

  // Grows what this charge holds to `total` bytes; false when the budget cannot give that much
  // (what was held before stays held).
  bool hold(std::size_t total) noexcept {
    if (total <= held_) return true;
    if (!budget_ || !budget_->try_take(total - held_)) return false;
    held_ = total;
    return true;
  }
  void release() noexcept {
    if (budget_ && held_) budget_->give_back(held_);
    held_ = 0;
  }
  std::size_t held() const noexcept { return held_; }

 private:
  BufferBudget* budget_ = nullptr;
  std::size_t held_ = 0;
};

}  // namespace tollbooth
