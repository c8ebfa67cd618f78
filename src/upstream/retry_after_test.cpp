#include "upstream/retry_after.hpp"

#include <gtest/gtest.h>

namespace tollbooth {
namespace {

using std::chrono::milliseconds;
constexpr std::int64_t kNow = 784111777000;  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(RetryAfter, DelaySecondsAsSent) {
  EXPECT_EQ(parse_retry_after("7", kNow), milliseconds(7000));
  EXPECT_EQ(parse_retry_after(" 0 ", kNow), milliseconds(0));
  EXPECT_EQ(parse_retry_after("120", kNow), milliseconds(120'000));
}

TEST(RetryAfter, HttpDateIsTheTimeLeftUntilThen) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", kNow), milliseconds(10'000));
  EXPECT_EQ(parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", kNow), milliseconds(86'400'000));
  EXPECT_EQ(parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", kNow), milliseconds(0))
      << "a date in the past means: now";
}

TEST(RetryAfter, GarbageIsIgnoredAndHugeValuesAreCapped) {
  EXPECT_FALSE(parse_retry_after("", kNow));
  EXPECT_FALSE(parse_retry_after("soon", kNow));
  EXPECT_FALSE(parse_retry_after("1.5", kNow));
  EXPECT_FALSE(parse_retry_after("-3", kNow));
  EXPECT_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:49:37 UTC", kNow));
  EXPECT_EQ(parse_retry_after("99999999999999999999", kNow), milliseconds(86'400'000));
  EXPECT_EQ(parse_retry_after("604800", kNow), milliseconds(86'400'000));
}

}  // namespace
}  // namespace tollbooth
