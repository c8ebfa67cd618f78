#include "app/ledger_writer.hpp"

#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <span>
#include <utility>

#include "core/thread_name.hpp"

namespace tollbooth {

namespace {

int this_thread_id() noexcept {
  return static_cast<int>(::syscall(SYS_gettid));
}

bool set_policy(int tid, int policy) noexcept {
  sched_param param{};
  return ::sched_setscheduler(tid, policy, &param) == 0;
}

// Whether a thread put under SCHED_IDLE may be put back under the normal policy: tried on a
// thread of its own, which ends either way (a thread stuck under SCHED_IDLE would be the
// writer's fate if it were tried on the writer).
bool can_leave_idle_policy() {
  bool ok = false;
  std::thread probe([&] { ok = set_policy(0, SCHED_IDLE) && set_policy(0, SCHED_OTHER); });
  probe.join();
  return ok;
}

// Milliseconds of a coarse monotonic clock (the kernel's tick: a few ms; read from the vDSO
// without reading the hardware clock), enough to tell a writer late_ms() behind.
std::int64_t coarse_ms() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

LedgerWriter::LedgerWriter(LedgerTarget& target, std::chrono::milliseconds flush,
                           std::size_t queue_rows)
    : target_(target), flush_(flush), limit_(queue_rows), background_(can_leave_idle_policy()) {
  if (!background_) {
    spdlog::info(
        "ledger: the writer runs under the normal scheduling policy (running it in the "
        "background needs CAP_SYS_NICE or an RLIMIT_NICE of 20)");
  }
  std::unique_lock lock(mu_);
  thread_ = std::thread([this] {
    name_this_thread("tb-ledger");
    {
      std::lock_guard lock(mu_);
      tid_ = this_thread_id();
      if (background_) set_urgent(false);
    }
    cv_.notify_all();
    run();
  });
  cv_.wait(lock, [&] { return tid_ != 0; });
}

void LedgerWriter::set_urgent(bool urgent) noexcept {
  if (!background_) return;
  if (!set_policy(tid_, urgent ? SCHED_OTHER : SCHED_IDLE)) {
    spdlog::warn("ledger: could not change the writer's scheduling policy: {}",
                 std::strerror(errno));
  }
}

LedgerWriter::~LedgerWriter() {
  stop();
}

// Asks for the cache lines of slot i, to write, without waiting for them. A slot comes cold to
// the worker: the writer read it a batch ago, on the other core, and the kernel's work since
// has evicted it. Filling it asked for its 8 lines one string assignment after another, a miss
// each: 0.35-0.39 µs of the worker's time a request (perf, bench/instructions --wrk 14
// --money); with this slot's lines asked for together, and the next slot's after each push,
// 0.12-0.14 µs, for 0.03 µs more in push itself.
void LedgerWriter::prefetch_slot(std::size_t i) const noexcept {
  const auto begin = reinterpret_cast<std::uintptr_t>(&queue_[i]);
  for (std::uintptr_t line = begin & ~std::uintptr_t{63}; line < begin + sizeof(LedgerRow);
       line += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(line), 1, 3);
}

void LedgerWriter::push(const LedgerRowSource& source) noexcept {
  try {
    std::lock_guard lock(mu_);
    if (live_ == 0) {
      oldest_push_ms_ = coarse_ms();
    } else if (background_ && !boosted_ && coarse_ms() - oldest_push_ms_ > late_ms()) {
      // The writer has not taken the queue for late_ms(): the cores are busy. It writes under
      // the normal policy until it has caught up.
      boosted_ = true;
      boosts_.fetch_add(1, std::memory_order_relaxed);
      set_urgent(true);
    }
    // The row is made in a slot a written row left (its strings keep their storage), or in a
    // new one while the queue is warming up.
    if (live_ == queue_.size()) queue_.emplace_back();
    prefetch_slot(live_);  // its lines together, not a miss per field (prefetch_slot)
    source.fill(queue_[live_]);
    ++live_;
    if (live_ < queue_.size()) prefetch_slot(live_);  // the next push's, in the meantime
    queued_.store(live_, std::memory_order_relaxed);
  } catch (...) {
    // Out of memory: nothing else can be done for this row (its slot stays a spare); the log
    // says so.
    spdlog::error("ledger: a row could not be queued (out of memory)");
  }
}

bool LedgerWriter::backlogged() const noexcept {
  return queued_.load(std::memory_order_relaxed) >= limit_;
}

std::uint64_t LedgerWriter::rows_written() const noexcept {
  std::lock_guard lock(mu_);
  return written_;
}

std::uint64_t LedgerWriter::batches_failed() const noexcept {
  std::lock_guard lock(mu_);
  return failed_;
}

void LedgerWriter::stop() noexcept {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    if (!boosted_) {
      boosted_ = true;  // the last batch waits for no one
      set_urgent(true);
    }
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LedgerWriter::run() {
  // The rows [0, live) of `batch` are to be written; the rest are spares. The two vectors
  // change places at each batch, so the rows written become the slots of the next pushes.
  std::vector<LedgerRow> batch;
  std::size_t live = 0;
  std::unique_lock lock(mu_);
  for (;;) {
    // A batch every flush interval (or at once when stopping): rows pushed meanwhile ride in
    // the same transaction.
    cv_.wait_for(lock, flush_, [&] { return stopping_; });
    if (live == 0) {
      batch.swap(queue_);  // a failed batch is tried again first
      live = std::exchange(live_, 0);
      queued_.store(0, std::memory_order_relaxed);
    }
    if (live == 0) {
      if (stopping_) return;
      continue;
    }
    const bool last_chance = stopping_;
    lock.unlock();
    bool ok = false;
    try {
      target_.write(std::span<LedgerRow>(batch.data(), live));
      ok = true;
    } catch (const std::exception& e) {
      spdlog::error("ledger: writing {} rows failed, kept to try again: {}", live, e.what());
    }
    lock.lock();
    if (ok) {
      written_ += live;
      // Spares beyond this batch's size go: a burst's slots are not kept for ever.
      batch.resize(live);
      live = 0;
      // Caught up: what waits now came within the last interval.
      if (boosted_ && !stopping_ &&
          (live_ == 0 || coarse_ms() - oldest_push_ms_ < flush_.count())) {
        boosted_ = false;
        set_urgent(false);
      }
    } else {
      ++failed_;
      if (last_chance) {
        // Stopping and the store refuses: wait a little and try again, a few times, rather
        // than lose the rows at once.
        if (failed_ % 50 == 0) {
          spdlog::error("ledger: {} rows could not be written at shutdown; they are lost",
                        live + live_);
          return;
        }
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        lock.lock();
      }
    }
    if (stopping_ && live_ == 0 && live == 0) return;
  }
}

}  // namespace tollbooth
