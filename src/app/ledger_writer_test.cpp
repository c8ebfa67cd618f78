#include "app/ledger_writer.hpp"

#include <gtest/gtest.h>

#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <stdexcept>
#include <string>
#include <thread>

namespace tollbooth {
namespace {

struct FakeTarget : LedgerTarget {
  std::mutex mu;
  std::vector<std::string> ids;
  std::atomic<int> batches{0};
  std::atomic<int> fail_next{0};
  void write(std::span<LedgerRow> rows) override {
    if (fail_next > 0) {
      --fail_next;
      throw std::runtime_error("database is down");
    }
    std::lock_guard lock(mu);
    for (auto& r : rows) ids.push_back(r.request_id);
    ++batches;
  }
};

LedgerRow row(int i) {
  LedgerRow r;
  r.request_id = "req-" + std::to_string(i);
  return r;
}

TEST(LedgerWriter, StopWritesEveryRowPushedInOrder) {
  FakeTarget target;
  LedgerWriter w(target, std::chrono::milliseconds(50), 100'000);
  for (int i = 0; i < 1000; ++i) w.push(row(i));
  w.stop();
  ASSERT_EQ(target.ids.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(target.ids[i], "req-" + std::to_string(i));
  EXPECT_EQ(w.rows_written(), 1000u);
}

TEST(LedgerWriter, RowsPushedTogetherGoInOneBatch) {
  FakeTarget target;
  LedgerWriter w(target, std::chrono::milliseconds(10'000), 100'000);
  for (int i = 0; i < 500; ++i) w.push(row(i));
  w.stop();
  EXPECT_EQ(target.batches.load(), 1);
  EXPECT_EQ(target.ids.size(), 500u);
}

TEST(LedgerWriter, AFailedBatchIsKeptAndWrittenLater) {
  FakeTarget target;
  target.fail_next = 2;
  LedgerWriter w(target, std::chrono::milliseconds(5), 100'000);
  for (int i = 0; i < 10; ++i) w.push(row(i));
  w.stop();
  EXPECT_EQ(target.ids.size(), 10u);
  EXPECT_GE(w.batches_failed(), 1u);
}

// Rows are made in the slots of rows written before, and the queue and the batch change places
// at each batch: over batches of different sizes, every row pushed is written once, as pushed,
// in order, and no slot left from a bigger batch is written again. (That a row made by
// fill_ledger_row keeps nothing of its slot's last row: billing_test.)
TEST(LedgerWriter, RowsMadeInTheSlotsOfWrittenRowsAreWrittenAsPushed) {
  struct Target : LedgerTarget {
    std::mutex mu;
    std::vector<LedgerRow> rows;
    void write(std::span<LedgerRow> batch) override {
      std::lock_guard lock(mu);
      for (LedgerRow& r : batch) {
        r.toll = 7;  // the store fills in what each row paid
        rows.push_back(r);
      }
    }
    std::size_t count() {
      std::lock_guard lock(mu);
      return rows.size();
    }
  };
  auto made = [](int i) {
    LedgerRow r = row(i);
    r.key_id = "key_" + std::string(static_cast<std::size_t>(i % 7) * 5, 'k');
    if (i % 3 == 0) r.contract = "a-contract-with-a-name-longer-than-fifteen";
    if (i % 5 == 0) r.commitment_period = "2026-01-01..2026-12-31";
    r.charge = i;
    return r;
  };
  Target target;
  LedgerWriter w(target, std::chrono::milliseconds(1), 100'000);
  std::vector<LedgerRow> pushed;
  int next = 0;
  for (int batch : {40, 3, 25, 1, 60}) {
    for (int i = 0; i < batch; ++i) {
      pushed.push_back(made(next));
      w.push(made(next++));
    }
    // Wait for the batch to be written, so the next rows go into its slots.
    for (int tries = 0; tries < 2000 && target.count() < pushed.size(); ++tries)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  w.stop();
  ASSERT_EQ(target.rows.size(), pushed.size());
  for (std::size_t i = 0; i < pushed.size(); ++i) {
    pushed[i].toll = 7;
    EXPECT_EQ(target.rows[i], pushed[i]) << "row " << i;
  }
}

TEST(LedgerWriter, BackloggedAtItsBoundButStillTakesRows) {
  FakeTarget target;
  target.fail_next = 1'000'000;  // the store refuses everything
  LedgerWriter w(target, std::chrono::milliseconds(10'000), 3);
  w.push(row(1));
  w.push(row(2));
  EXPECT_FALSE(w.backlogged());
  w.push(row(3));
  EXPECT_TRUE(w.backlogged());
  w.push(row(4));  // a request already admitted still gets its row queued
  target.fail_next = 0;
  w.stop();
  EXPECT_EQ(target.ids.size(), 4u);
  EXPECT_FALSE(w.backlogged());
}

// The writer runs under SCHED_IDLE while it keeps up. A push that finds the oldest waiting
// row older than late_ms() (here a quarter of a second) puts it under the normal policy, where
// it stays until what waits is younger than an interval; then it goes back.
TEST(LedgerWriter, RunsInTheBackgroundAndIsBoostedWhileLate) {
  struct Target : LedgerTarget {
    std::mutex mu;
    std::condition_variable cv;
    bool hold = false;                                // the next write waits for this to turn false
    bool holding = false;                             // a write is waiting
    std::vector<std::pair<std::size_t, int>> writes;  // rows, the writer's policy when done
    void write(std::span<LedgerRow> rows) override {
      std::unique_lock lock(mu);
      if (hold) {
        holding = true;
        cv.notify_all();
        cv.wait(lock, [&] { return !hold; });
      }
      writes.emplace_back(rows.size(), ::sched_getscheduler(0));
      cv.notify_all();
    }
    void wait_for_writes(std::size_t n) {
      std::unique_lock lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return writes.size() >= n; }));
    }
  };
  Target t;
  LedgerWriter w(t, std::chrono::milliseconds(20), 100'000);
  if (!w.in_background()) {
    GTEST_SKIP() << "this process may not put a thread back under the normal policy "
                    "(no CAP_SYS_NICE): the writer stays under it";
  }
  w.push(row(1));
  t.wait_for_writes(1);
  {
    std::unique_lock lock(t.mu);
    EXPECT_EQ(t.writes[0], std::make_pair(std::size_t{1}, int{SCHED_IDLE}));
    t.hold = true;
  }
  w.push(row(2));
  {
    std::unique_lock lock(t.mu);
    ASSERT_TRUE(t.cv.wait_for(lock, std::chrono::seconds(10), [&] { return t.holding; }));
  }
  // The writer is stuck in a write, as it would be without a core: rows wait behind it.
  w.push(row(3));
  EXPECT_EQ(w.boosts(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past late_ms()
  w.push(row(4));
  EXPECT_EQ(w.boosts(), 1u);
  w.push(row(5));
  EXPECT_EQ(w.boosts(), 1u) << "boosted once until it catches up";
  {
    std::lock_guard lock(t.mu);
    t.hold = false;
  }
  t.cv.notify_all();
  t.wait_for_writes(3);  // row 2, then rows 3 to 5 (what waited was still old: boosted)
  w.push(row(6));
  t.wait_for_writes(4);
  {
    std::lock_guard lock(t.mu);
    EXPECT_EQ(t.writes[1], std::make_pair(std::size_t{1}, int{SCHED_OTHER}));
    EXPECT_EQ(t.writes[2], std::make_pair(std::size_t{3}, int{SCHED_OTHER}));
    EXPECT_EQ(t.writes[3], std::make_pair(std::size_t{1}, int{SCHED_IDLE})) << "caught up";
  }
  w.stop();
  EXPECT_EQ(w.rows_written(), 6u);
}

}  // namespace
}  // namespace tollbooth
