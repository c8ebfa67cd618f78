#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace tollbooth {

// Money is integer micro-dollars (1e-6 USD); never a double.
using Money = std::int64_t;
inline constexpr Money kMicrosPerDollar = 1'000'000;

// `micros` as a decimal number of dollars, exact and shortest: no exponent, no trailing zeros
// in the fraction and no fraction when it is whole (0 → "0", 1 → "0.000001", 1'500'000 →
// "1.5", -2'500 → "-0.0025"). Valid as a JSON number and as a header value.
std::string format_dollars(Money micros);

// The most characters write_dollars writes: a minus, 13 digits of dollars, a point and 6 more.
inline constexpr std::size_t kMaxDollarsChars = 21;
// format_dollars' text written at `p`, which has room for kMaxDollarsChars; returns its end.
// For a header written on every answer: no string is made.
char* write_dollars(char* p, Money micros) noexcept;

}  // namespace tollbooth
