#include "app/log_writer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace tollbooth {
namespace {

std::string drain(int fd) {
  std::string got;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

TEST(LogWriter, WritesEveryBatchInOrderAndAllOfThemBeforeItStops) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    LogWriter writer(fds[1]);
    for (int i = 0; i < 100; ++i) {
      std::string batch = "line " + std::to_string(i) + "\n";
      writer.write_batch(batch);
      EXPECT_TRUE(batch.empty()) << "the batch is taken, the caller's buffer left empty";
    }
    writer.stop();
  }
  ::close(fds[1]);
  std::string got = drain(fds[0]);
  ::close(fds[0]);
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace tollbooth
