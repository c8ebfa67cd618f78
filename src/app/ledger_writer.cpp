#include "app/ledger_writer.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "core/thread_name.hpp"

namespace tollbooth {

LedgerWriter::LedgerWriter(LedgerTarget& target, std::chrono::milliseconds flush,
                           std::size_t queue_rows)
    : target_(target), flush_(flush), limit_(queue_rows), thread_([this] {
        name_this_thread("tb-ledger");
        run();
      }) {}

LedgerWriter::~LedgerWriter() {
  stop();
}

void LedgerWriter::push(LedgerRow&& row) noexcept {
  try {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(row));
    queued_.store(queue_.size(), std::memory_order_relaxed);
  } catch (...) {
    // Out of memory: nothing else can be done for this row; the log says so.
    spdlog::error("ledger: a row for request {} could not be queued (out of memory)",
                  row.request_id);
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
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LedgerWriter::run() {
  std::vector<LedgerRow> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    // A batch every flush interval (or at once when stopping): rows pushed meanwhile ride in
    // the same transaction.
    cv_.wait_for(lock, flush_, [&] { return stopping_; });
    if (batch.empty()) {
      batch.swap(queue_);  // a failed batch is tried again first
      queued_.store(0, std::memory_order_relaxed);
    }
    if (batch.empty()) {
      if (stopping_) return;
      continue;
    }
    const bool last_chance = stopping_;
    lock.unlock();
    bool ok = false;
    try {
      target_.write(batch);
      ok = true;
    } catch (const std::exception& e) {
      spdlog::error("ledger: writing {} rows failed, kept to try again: {}", batch.size(),
                    e.what());
    }
    lock.lock();
    if (ok) {
      written_ += batch.size();
      batch.clear();
    } else {
      ++failed_;
      if (last_chance) {
        // Stopping and the store refuses: wait a little and try again, a few times, rather
        // than lose the rows at once.
        if (failed_ % 50 == 0) {
          spdlog::error("ledger: {} rows could not be written at shutdown; they are lost",
                        batch.size() + queue_.size());
          return;
        }
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        lock.lock();
      }
    }
    if (stopping_ && queue_.empty() && batch.empty()) return;
  }
}

}  // namespace tollbooth
