#include "app/ledger_writer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>

namespace tollbooth {
namespace {

struct FakeTarget : LedgerTarget {
  std::mutex mu;
  std::vector<std::string> ids;
  std::atomic<int> batches{0};
  std::atomic<int> fail_next{0};
  void write(std::vector<LedgerRow>& rows) override {
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

}  // namespace
}  // namespace tollbooth
