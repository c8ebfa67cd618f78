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
// pushed since the last write, one flush interval.
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

class LedgerWriter final : public LedgerSink {
 public:
  LedgerWriter(LedgerTarget& target, std::chrono::milliseconds flush, std::size_t queue_rows);
  ~LedgerWriter() override;
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  void push(LedgerRow&& row) noexcept override;
  bool backlogged() const noexcept override;
  // Writes everything queued, then stops the thread. Idempotent.
  void stop() noexcept;

  std::uint64_t rows_written() const noexcept;
  std::uint64_t batches_failed() const noexcept;

 private:
  void run();

  LedgerTarget& target_;
  const std::chrono::milliseconds flush_;
  const std::size_t limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<LedgerRow> queue_;
  // queue_.size(), kept for backlogged(): asked at every admission, it reads this rather than
  // take the lock the rows are pushed under (that was one lock more a request).
  std::atomic<std::size_t> queued_{0};
  std::uint64_t written_ = 0;
  std::uint64_t failed_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tollbooth
