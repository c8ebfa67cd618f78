#include "core/money.hpp"

#include <charconv>

namespace tollbooth {

char* write_dollars(char* p, Money micros) noexcept {
  // The magnitude as unsigned, so the most negative Money has one too.
  const std::uint64_t v =
      micros < 0 ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  const auto per_dollar = static_cast<std::uint64_t>(kMicrosPerDollar);
  if (micros < 0) *p++ = '-';
  p = std::to_chars(p, p + 20, v / per_dollar).ptr;
  std::uint64_t fraction = v % per_dollar;
  if (fraction == 0) return p;
  *p++ = '.';
  for (int i = 5; i >= 0; --i) {
    p[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int length = 6;
  while (p[length - 1] == '0') --length;  // at least one digit is not 0
  return p + length;
}

std::string format_dollars(Money micros) {
  char buf[kMaxDollarsChars];
  return std::string(buf, write_dollars(buf, micros));
}

}  // namespace tollbooth
