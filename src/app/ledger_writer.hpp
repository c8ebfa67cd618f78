#pragma once
// The ledger's writer: a background thread that takes the rows every worker pushes and writes
// them to the store in batches, one transaction per batch, at most one flush interval (100 ms)
// behind. No request waits on it: push() appends under a mutex and returns.
//
// When full: the queue holds up to `queue_rows` rows; beyond that `backlogged()` turns true and
// the gateway refuses new requests (503, code `ledger_backlog`) until the writer catches up,
// while the rows of requests already under way are still taken (at most one per attempt of
// each request in flight), so no answered request goes unbilled and memory stays bounded.
// A batch the store refuses (the database is down) is kept and tried again at the next
// interval; the queue's bound then turns new requests away.
// stop() writes everything queued (SIGTERM loses nothing); `kill -9` loses at most what was
// pushed since the last write: one flush interval, or while the cores are busy up to two
// intervals and at least a quarter of a second (below).
//
// Priority: the writer's work is not urgent within its interval, the workers' is, so the
// thread runs under SCHED_IDLE: it gets a core only when no worker wants it, and a worker
// waking up takes the core from it at once. Under the normal policy its batches (a few
// milliseconds of SQLite work every interval) took cores from the workers when they woke, and
// cost a gateway with keys, budgets and the ledger about a tenth of its throughput
// (docs/benchmarks.md). Should the cores stay busy until the oldest waiting row is
// late_ms() old, the push that sees it puts the writer back under the normal policy
// (boosted) until it has caught up, so it falls behind by no more than that, and stop()
// does the same for the last batch. Putting a thread back needs CAP_SYS_NICE or an
// RLIMIT_NICE of 20 or more; without them the writer stays under the normal policy all along.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "core/ledger.hpp"

namespace tollbooth {

// How old the oldest waiting row may get before a push boosts a background writer of flush
// interval `flush`: two intervals, and no less than a quarter of a second (an idle-policy
// thread waits for a free core, and boosting it on every brief wait would give back what
// running it in the background saves). Also how far behind a writer may have been when it was
// killed.
inline std::int64_t ledger_late_ms(std::chrono::milliseconds flush) noexcept {
  return std::max<std::int64_t>(2 * flush.count(), 250);
}

class LedgerWriter final : public LedgerSink {
 public:
  LedgerWriter(LedgerTarget& target, std::chrono::milliseconds flush, std::size_t queue_rows);
  ~LedgerWriter() override;
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  using LedgerSink::push;
  void push(const LedgerRowSource& source) noexcept override;
  bool backlogged() const noexcept override;
  // Writes everything queued, then stops the thread. Idempotent.
  void stop() noexcept;

  std::uint64_t rows_written() const noexcept;
  std::uint64_t batches_failed() const noexcept;
  // Whether the writer runs in the background (SCHED_IDLE, able to be boosted), and how
  // often a push found it late and boosted it.
  bool in_background() const noexcept { return background_; }
  std::uint64_t boosts() const noexcept { return boosts_.load(std::memory_order_relaxed); }

 private:
  void run();
  // Asks for queue_[i]'s cache lines (to write) ahead of its filling.
  void prefetch_slot(std::size_t i) const noexcept;
  // Under the normal policy (true) or SCHED_IDLE (false), the writer's thread.
  void set_urgent(bool urgent) noexcept;
  std::int64_t late_ms() const noexcept { return ledger_late_ms(flush_); }

  LedgerTarget& target_;
  const std::chrono::milliseconds flush_;
  const std::size_t limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // The rows waiting are queue_[0, live_); the rest are slots of rows written before, whose
  // strings keep their storage for the next rows (no allocation on the worker, no free on the
  // writer, and a row is made where it waits rather than moved there).
  std::vector<LedgerRow> queue_;
  std::size_t live_ = 0;
  // live_, kept for backlogged(): asked at every admission, it reads this rather than take the
  // lock the rows are pushed under (that was one lock more a request).
  std::atomic<std::size_t> queued_{0};
  std::uint64_t written_ = 0;
  std::uint64_t failed_ = 0;
  bool stopping_ = false;
  // Scheduling (above). Set once before the thread starts: whether it runs in the background.
  bool background_ = false;
  int tid_ = 0;                      // the writer's thread id (its own, once it runs)
  std::int64_t oldest_push_ms_ = 0;  // when the oldest row waiting in queue_ came (coarse)
  bool boosted_ = false;             // under the normal policy until it catches up
  std::atomic<std::uint64_t> boosts_{0};
  std::thread thread_;
};

}  // namespace tollbooth
