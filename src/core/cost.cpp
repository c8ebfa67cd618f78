#include "core/cost.hpp"

#include <algorithm>
#include <limits>

namespace tollbooth {
namespace {

using Wide = __int128;  // a count (< 2^63) times a price (< 2^63), summed over four classes

constexpr Money kMaxMoney = std::numeric_limits<Money>::max();

// numerator / denominator rounded half up, for numerator >= 0 and denominator > 0.
Money divide_half_up(Wide numerator, Wide denominator) noexcept {
  Wide q = (numerator + denominator / 2) / denominator;
  return q > kMaxMoney ? kMaxMoney : static_cast<Money>(q);
}

std::int64_t nonnegative(std::int64_t v) noexcept {
  return v < 0 ? 0 : v;
}

}  // namespace

Money token_cost(const Usage& usage, const TokenPrices& prices) noexcept {
  const std::int64_t input = nonnegative(usage.input_tokens);
  // Cached and cache-write tokens are parts of the input: never more than it, together.
  const std::int64_t cached = std::min(nonnegative(usage.cached_input_tokens), input);
  const std::int64_t written =
      std::min(nonnegative(usage.cache_write_input_tokens), input - cached);
  const std::int64_t plain = input - cached - written;
  const std::int64_t output = nonnegative(usage.output_tokens);  // reasoning tokens included

  const Money in_price = nonnegative(prices.input_per_mtok);
  const Money cached_price =
      prices.cached_input_per_mtok < 0 ? in_price : prices.cached_input_per_mtok;
  const Money write_price =
      prices.cache_write_per_mtok < 0 ? in_price : prices.cache_write_per_mtok;
  const Wide total = Wide{plain} * in_price + Wide{cached} * cached_price +
                     Wide{written} * write_price +
                     Wide{output} * nonnegative(prices.output_per_mtok);
  return divide_half_up(total, 1'000'000);
}

Money percent_of(Money amount, std::int64_t basis_points) noexcept {
  if (amount <= 0 || basis_points <= 0) return 0;
  return divide_half_up(Wide{amount} * basis_points, 10'000);
}

}  // namespace tollbooth
