#pragma once
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

}  // namespace tollbooth
