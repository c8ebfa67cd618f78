#include "core/money.hpp"

namespace tollbooth {

std::string format_dollars(Money micros) {
  // The magnitude as unsigned, so the most negative Money has one too.
  const std::uint64_t v =
      micros < 0 ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  const auto per_dollar = static_cast<std::uint64_t>(kMicrosPerDollar);
  std::string out;
  if (micros < 0) out.push_back('-');
  out += std::to_string(v / per_dollar);
  std::uint64_t fraction = v % per_dollar;
  if (fraction == 0) return out;
  char digits[6];
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  int length = 6;
  while (digits[length - 1] == '0') --length;  // at least one digit is not 0
  out.push_back('.');
  out.append(digits, static_cast<std::size_t>(length));
  return out;
}

}  // namespace tollbooth
