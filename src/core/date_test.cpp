#include "core/date.hpp"

#include <gtest/gtest.h>

namespace tollbooth {
namespace {

TEST(Date, ParsesAndFormatsUtcDays) {
  EXPECT_EQ(parse_date("1970-01-01"), 0);
  EXPECT_EQ(parse_date("1970-01-02"), 1);
  EXPECT_EQ(parse_date("2000-03-01"), 11'017);
  EXPECT_EQ(format_date(*parse_date("2026-12-01")), "2026-12-01");
  EXPECT_EQ(format_date(*parse_date("2032-02-29")), "2032-02-29");
}

TEST(Date, RejectsImpossibleOrLooseDates) {
  for (const char* bad : {"2026-02-30", "2031-02-29", "2026-13-01", "2026-1-01", "26-01-01",
                          "2026/01/01", "2026-01-01T00:00", "", "1969-12-31", "2026-00-10"}) {
    EXPECT_FALSE(parse_date(bad).has_value()) << bad;
  }
}

TEST(Date, DayOfUnixMillisecondsIsTheUtcDay) {
  EXPECT_EQ(days_from_unix_ms(0), 0);
  EXPECT_EQ(days_from_unix_ms(86'399'999), 0);
  EXPECT_EQ(days_from_unix_ms(86'400'000), 1);
  EXPECT_EQ(days_from_unix_ms(-1), -1);
}

}  // namespace
}  // namespace tollbooth
