#include "app/log_writer.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>

#include "core/thread_name.hpp"

namespace tollbooth {

namespace {

void write_all(int fd, const std::string& data) noexcept {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing log; the gateway carries on
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

LogWriter::LogWriter(int fd)
    : fd_(fd), thread_([this] {
        name_this_thread("tb-log");
        run();
      }) {}

LogWriter::~LogWriter() {
  stop();
}

void LogWriter::write_batch(std::string& batch) noexcept {
  if (batch.empty()) return;
  std::string taken;
  taken.swap(batch);
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queued_bytes_ + taken.size() > kMaxQueuedBytes) {
      ++dropped_;
    } else {
      queued_bytes_ += taken.size();
      wake = queue_.empty();
      queue_.push_back(std::move(taken));
      if (!spare_.empty()) {
        batch.swap(spare_.back());  // a buffer with capacity, for the next batch
        spare_.pop_back();
      }
    }
  }
  if (wake) cv_.notify_one();
}

void LogWriter::stop() noexcept {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void LogWriter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) break;
    std::string batch = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= batch.size();
    const unsigned long long dropped = dropped_;
    dropped_ = 0;
    lock.unlock();
    write_all(fd_, batch);
    // Through spdlog: a line in the log's format (JSON or readable), like every other.
    if (dropped)
      spdlog::warn("the log writer fell behind: {} batches of log lines dropped", dropped);
    batch.clear();
    lock.lock();
    if (spare_.size() < 8) spare_.push_back(std::move(batch));
  }
}

}  // namespace tollbooth
