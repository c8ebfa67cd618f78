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

TEST(Date, InstantsParseAsUtcMillisecondsAndRoundTrip) {
  EXPECT_EQ(tollbooth::parse_instant("1970-01-01"), 0);
  EXPECT_EQ(tollbooth::parse_instant("2026-12-01T00:00:00Z"), 1'796'083'200'000);
  EXPECT_EQ(tollbooth::parse_instant("2026-12-01"), 1'796'083'200'000);
  EXPECT_EQ(tollbooth::parse_instant("2026-12-01T18:30:05.25Z"), 1'796'149'805'250);
  // An offset names local time: 19:30 at +01:00 is 18:30 UTC.
  EXPECT_EQ(tollbooth::parse_instant("2026-12-01T19:30:05+01:00"),
            tollbooth::parse_instant("2026-12-01T18:30:05Z"));
  EXPECT_EQ(tollbooth::format_instant(1'796'149'805'250), "2026-12-01T18:30:05.250Z");
  EXPECT_EQ(tollbooth::format_instant(1'796'083'200'000), "2026-12-01T00:00:00Z");
  for (const char* bad :
       {"2026-12-01T24:00:00Z", "2026-12-01T18:30Z", "2026-12-01 18:30:00Z", "2026-12-01T18:30:00",
        "2026-12-01T18:30:00.Z", "2026-02-30", "2026-12-01T18:30:00+1:00", "tomorrow"})
    EXPECT_FALSE(tollbooth::parse_instant(bad)) << bad;
}
