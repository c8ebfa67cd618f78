#pragma once
// The strategies that order a model's eligible routes. Each takes `positions` (indices into the
// model's routes, in config order on entry) and reorders it in place from per-position keys;
// pure, allocation-free, and stable so ties keep config order.
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "config/config.hpp"
#include "routing/catalog.hpp"

namespace tollbooth::routing {

using Position = std::uint8_t;  // index into a model's routes (at most kMaxRoutesPerModel)
inline constexpr std::uint64_t kUnpriced = std::numeric_limits<std::uint64_t>::max();

// "ordered", "weighted", "least_cost", "least_latency", "commitment_burn"
std::string_view strategy_name(Strategy s) noexcept;

// Random order without replacement, each next pick with probability weight / remaining weight.
// One random value seeds a small generator, so the same value gives the same order.
void order_weighted(std::span<Position> positions, std::span<const std::uint32_t> weights,
                    std::uint64_t random) noexcept;

// Ascending EWMA time to first byte; routes with no samples (kNoSamples) go first, so every
// route gets measured.
void order_least_latency(std::span<Position> positions,
                         std::span<const std::int64_t> ttfb_us) noexcept;

// Ascending estimated cost; unpriced routes (kUnpriced) last; ties keep config order.
void order_least_cost(std::span<Position> positions, std::span<const std::uint64_t> cost) noexcept;

// Descending `behind`: micro-dollars each route's contract is behind its pro-rata commitment
// target today (routing/burn.hpp `standing`; negative when ahead, 0 for a route without a
// commitment in force, which so comes after every contract behind and before every one ahead);
// ties keep config order.
void order_commitment_burn(std::span<Position> positions,
                           std::span<const std::int64_t> behind) noexcept;

// What this request would cost on a route at `price` (after the route's discount), in 1e-12
// USD (micro-dollars per million tokens × tokens), saturating. With no token counts at all,
// input + output price per million, so routes still compare by price.
std::uint64_t estimated_cost(const TokenPrices& price, std::uint32_t input_tokens,
                             std::uint32_t output_tokens) noexcept;

}  // namespace tollbooth::routing
