#include "upstream/retry_after.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace tollbooth {
namespace {

constexpr std::int64_t kMaxMs = 24LL * 3600 * 1000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool number(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

// IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"), the form RFC 9110 says senders use; the
// obsolete RFC 850 and asctime forms are not worth the code for a hint.
std::optional<std::int64_t> imf_fixdate_ms(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  int day, year, hh, mm, ss;
  if (!number(s.substr(5, 2), day) || !number(s.substr(12, 4), year) ||
      !number(s.substr(17, 2), hh) || !number(s.substr(20, 2), mm) || !number(s.substr(23, 2), ss))
    return std::nullopt;
  auto month = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  if (month == kMonths.end() || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
    return std::nullopt;
  int m = static_cast<int>(month - kMonths.begin()) + 1;
  std::int64_t secs = days_from_civil(year, m, day) * 86400 + hh * 3600 + mm * 60 + ss;
  return secs * 1000;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_unix_ms) noexcept {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    std::int64_t secs = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (ec == std::errc::result_out_of_range) return std::chrono::milliseconds(kMaxMs);
    if (ec != std::errc() || p != value.data() + value.size()) return std::nullopt;
    return std::chrono::milliseconds(std::min(secs, kMaxMs / 1000) * 1000);
  }
  auto at = imf_fixdate_ms(value);
  if (!at) return std::nullopt;
  return std::chrono::milliseconds(std::clamp<std::int64_t>(*at - now_unix_ms, 0, kMaxMs));
}

}  // namespace tollbooth
