#pragma once
// Calendar dates for contract and route windows: whole UTC days since 1970-01-01 in an int32.
// Windows are inclusive on both ends and compared as integers, so the planner never touches a
// calendar; only parsing and printing do.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace tollbooth {

using Days = std::int32_t;  // days since 1970-01-01 (UTC); negative before it

// Open ends of a window: no lower / no upper bound.
inline constexpr Days kNoStartDate = std::numeric_limits<Days>::min();
inline constexpr Days kNoEndDate = std::numeric_limits<Days>::max();

// "2026-12-01" exactly (4-digit year 1970..9999, real month and day); nullopt otherwise.
std::optional<Days> parse_date(std::string_view text) noexcept;
// "2026-12-01"
std::string format_date(Days days);
// An instant as Unix milliseconds, from "2026-12-01" (that day's 00:00 UTC),
// "2026-12-01T18:30:00Z", with optional fractional seconds ("...:00.250Z", at most
// millisecond precision kept) or an offset instead of Z ("+01:00", "-05:30"). nullopt otherwise.
std::optional<std::int64_t> parse_instant(std::string_view text) noexcept;
// "2026-12-01T18:30:00Z", or "2026-12-01T18:30:00.250Z" when the milliseconds are not zero.
std::string format_instant(std::int64_t unix_ms);

// The UTC day that contains a Unix time in milliseconds (floor, also before 1970).
constexpr Days days_from_unix_ms(std::int64_t unix_ms) noexcept {
  constexpr std::int64_t kMsPerDay = 86'400'000;
  std::int64_t q = unix_ms / kMsPerDay;
  if (unix_ms % kMsPerDay < 0) --q;
  return static_cast<Days>(q);
}

}  // namespace tollbooth
