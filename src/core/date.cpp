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

std::string format_date(Days days) {
  std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

}  // namespace tollbooth
