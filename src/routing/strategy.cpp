#include "routing/strategy.hpp"

#include "routing/health.hpp"

namespace tollbooth::routing {
namespace {

// splitmix64: a tiny, well-mixed generator, enough to spread one random value over a few
// picks (statistics, not security).
std::uint64_t next_random(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Insertion sort: n is at most 16, it is stable and it never allocates.
template <class Less>
void stable_order(std::span<Position> positions, Less less) noexcept {
  for (std::size_t i = 1; i < positions.size(); ++i) {
    Position p = positions[i];
    std::size_t j = i;
    while (j > 0 && less(p, positions[j - 1])) {
      positions[j] = positions[j - 1];
      --j;
    }
    positions[j] = p;
  }
}

std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t out = 0;
  return __builtin_mul_overflow(a, b, &out) ? kUnpriced - 1 : out;
}

}  // namespace

std::string_view strategy_name(Strategy s) noexcept {
  switch (s) {
    case Strategy::ordered: return "ordered";
    case Strategy::weighted: return "weighted";
    case Strategy::least_cost: return "least_cost";
    case Strategy::least_latency: return "least_latency";
    case Strategy::commitment_burn: return "commitment_burn";
  }
  return "ordered";
}

void order_weighted(std::span<Position> positions, std::span<const std::uint32_t> weights,
                    std::uint64_t random) noexcept {
  std::uint64_t remaining = 0;
  for (Position p : positions) remaining += weights[p];
  std::uint64_t state = random;
  for (std::size_t i = 0; i + 1 < positions.size() && remaining > 0; ++i) {
    std::uint64_t ticket = next_random(state) % remaining;
    std::size_t pick = i;
    while (ticket >= weights[positions[pick]]) ticket -= weights[positions[pick++]];
    Position chosen = positions[pick];
    // Shift instead of swap so the routes not yet drawn keep their relative order.
    for (std::size_t k = pick; k > i; --k) positions[k] = positions[k - 1];
    positions[i] = chosen;
    remaining -= weights[chosen];
  }
}

void order_least_latency(std::span<Position> positions,
                         std::span<const std::int64_t> ttfb_us) noexcept {
  auto key = [&](Position p) { return ttfb_us[p] == kNoSamples ? std::int64_t{-1} : ttfb_us[p]; };
  stable_order(positions, [&](Position a, Position b) { return key(a) < key(b); });
}

void order_least_cost(std::span<Position> positions, std::span<const std::uint64_t> cost) noexcept {
  stable_order(positions, [&](Position a, Position b) { return cost[a] < cost[b]; });
}

void order_commitment_burn(std::span<Position> positions,
                           std::span<const std::int64_t> behind) noexcept {
  stable_order(positions, [&](Position a, Position b) { return behind[a] > behind[b]; });
}

std::uint64_t estimated_cost(const TokenPrices& price, std::uint32_t input_tokens,
                             std::uint32_t output_tokens) noexcept {
  if (input_tokens == 0 && output_tokens == 0) input_tokens = output_tokens = 1;
  auto in = static_cast<std::uint64_t>(price.input_per_mtok < 0 ? 0 : price.input_per_mtok);
  auto out = static_cast<std::uint64_t>(price.output_per_mtok < 0 ? 0 : price.output_per_mtok);
  std::uint64_t a = saturating_mul(in, input_tokens);
  std::uint64_t b = saturating_mul(out, output_tokens);
  return a > kUnpriced - 1 - b ? kUnpriced - 1 : a + b;
}

}  // namespace tollbooth::routing
