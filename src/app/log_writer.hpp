#pragma once
// A background thread that writes batches of log lines to a file descriptor (stderr), so no
// request waits on a write(2). Producers hand over whole batches (one per worker every few
// milliseconds); a batch waits in a queue, bounded: when the writer falls behind by more than
// kMaxQueuedBytes, further batches are dropped and counted (logging never blocks or grows the
// gateway), and the count is written once the writer catches up.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "core/batch_sink.hpp"

namespace tollbooth {

class LogWriter final : public BatchSink {
 public:
  static constexpr std::size_t kMaxQueuedBytes = 64u << 20;

  explicit LogWriter(int fd);
  ~LogWriter() override;
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  void write_batch(std::string& batch) noexcept override;
  // Writes everything queued, then stops the thread. Idempotent.
  void stop() noexcept;

 private:
  void run();

  const int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::deque<std::string> spare_;  // written buffers, handed back to producers
  std::size_t queued_bytes_ = 0;
  unsigned long long dropped_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tollbooth
