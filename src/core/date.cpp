#include "core/date.hpp"

#include <fmt/format.h>

#include <chrono>

namespace tollbooth {
namespace {

bool digits(std::string_view text) {
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

int number(std::string_view text) {
  int n = 0;
  for (char c : text) n = n * 10 + (c - '0');
  return n;
}

}  // namespace

std::optional<Days> parse_date(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  std::string_view y = text.substr(0, 4), m = text.substr(5, 2), d = text.substr(8, 2);
  if (!digits(y) || !digits(m) || !digits(d)) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(number(y)),
                                  std::chrono::month(static_cast<unsigned>(number(m))),
                                  std::chrono::day(static_cast<unsigned>(number(d)))};
  if (!ymd.ok() || number(y) < 1970) return std::nullopt;
  return static_cast<Days>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

std::optional<std::int64_t> parse_instant(std::string_view text) noexcept {
  if (text.size() < 10) return std::nullopt;
  auto day = parse_date(text.substr(0, 10));
  if (!day) return std::nullopt;
  constexpr std::int64_t kMsPerDay = 86'400'000;
  std::int64_t ms = static_cast<std::int64_t>(*day) * kMsPerDay;
  if (text.size() == 10) return ms;
  // "THH:MM:SS" then optional ".fff", then "Z" or "+HH:MM" / "-HH:MM".
  std::string_view rest = text.substr(10);
  if (rest.size() < 10 || (rest[0] != 'T' && rest[0] != 't') || rest[3] != ':' || rest[6] != ':')
    return std::nullopt;
  std::string_view hh = rest.substr(1, 2), mm = rest.substr(4, 2), ss = rest.substr(7, 2);
  if (!digits(hh) || !digits(mm) || !digits(ss)) return std::nullopt;
  int h = number(hh), m = number(mm), s = number(ss);
  if (h > 23 || m > 59 || s > 59) return std::nullopt;  // no leap second: Unix time has none
  ms += (h * 3600 + m * 60 + s) * std::int64_t{1000};
  rest.remove_prefix(9);
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    std::size_t n = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 0 || n > 9) return std::nullopt;
    std::string_view frac = rest.substr(0, n);
    int millis = 0;
    for (std::size_t i = 0; i < 3; ++i) millis = millis * 10 + (i < n ? frac[i] - '0' : 0);
    ms += millis;
    rest.remove_prefix(n);
  }
  if (rest == "Z" || rest == "z") return ms;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':') return std::nullopt;
  std::string_view oh = rest.substr(1, 2), om = rest.substr(4, 2);
  if (!digits(oh) || !digits(om) || number(oh) > 23 || number(om) > 59) return std::nullopt;
  std::int64_t offset = (number(oh) * 60 + number(om)) * std::int64_t{60'000};
  return rest[0] == '+' ? ms - offset : ms + offset;
}

std::string format_instant(std::int64_t unix_ms) {
  constexpr std::int64_t kMsPerDay = 86'400'000;
  Days day = days_from_unix_ms(unix_ms);
  std::int64_t in_day = unix_ms - static_cast<std::int64_t>(day) * kMsPerDay;
  int h = static_cast<int>(in_day / 3'600'000), m = static_cast<int>(in_day / 60'000 % 60),
      s = static_cast<int>(in_day / 1000 % 60), millis = static_cast<int>(in_day % 1000);
  if (millis == 0) return fmt::format("{}T{:02}:{:02}:{:02}Z", format_date(day), h, m, s);
  return fmt::format("{}T{:02}:{:02}:{:02}.{:03}Z", format_date(day), h, m, s, millis);
}

std::string format_date(Days days) {
  std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

}  // namespace tollbooth
