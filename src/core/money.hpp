#pragma once
#include <cstdint>

namespace tollbooth {

// Money is integer micro-dollars (1e-6 USD); never a double.
using Money = std::int64_t;
inline constexpr Money kMicrosPerDollar = 1'000'000;

}  // namespace tollbooth
