#include "core/money.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tollbooth {
namespace {

TEST(FormatDollars, WholeDollarsHaveNoFraction) {
  EXPECT_EQ(format_dollars(0), "0");
  EXPECT_EQ(format_dollars(1'000'000), "1");
  EXPECT_EQ(format_dollars(42'000'000), "42");
}

TEST(FormatDollars, FractionsAreExactWithoutTrailingZeros) {
  EXPECT_EQ(format_dollars(1), "0.000001");
  EXPECT_EQ(format_dollars(10), "0.00001");
  EXPECT_EQ(format_dollars(1'234), "0.001234");
  EXPECT_EQ(format_dollars(1'500'000), "1.5");
  EXPECT_EQ(format_dollars(1'000'001), "1.000001");
  EXPECT_EQ(format_dollars(999'999), "0.999999");
  EXPECT_EQ(format_dollars(12'340'000), "12.34");
}

TEST(FormatDollars, NegativeAmountsCarryAMinus) {
  EXPECT_EQ(format_dollars(-1), "-0.000001");
  EXPECT_EQ(format_dollars(-2'500), "-0.0025");
  EXPECT_EQ(format_dollars(-3'000'000), "-3");
}

TEST(FormatDollars, TheExtremesDoNotOverflow) {
  EXPECT_EQ(format_dollars(std::numeric_limits<Money>::max()), "9223372036854.775807");
  EXPECT_EQ(format_dollars(std::numeric_limits<Money>::min()), "-9223372036854.775808");
}

// The header on every priced answer is written into a buffer of kMaxDollarsChars: the longest
// amount fills it exactly and writes nothing past it.
TEST(WriteDollars, TheLongestAmountFitsItsBufferExactly) {
  char buf[kMaxDollarsChars + 1];
  buf[kMaxDollarsChars] = '#';
  char* end = write_dollars(buf, std::numeric_limits<Money>::min());
  EXPECT_EQ(std::string(buf, end), "-9223372036854.775808");
  EXPECT_EQ(end, buf + kMaxDollarsChars);
  EXPECT_EQ(buf[kMaxDollarsChars], '#');
  end = write_dollars(buf, 1'500'000);
  EXPECT_EQ(std::string(buf, end), "1.5");
}

}  // namespace
}  // namespace tollbooth
