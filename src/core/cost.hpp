#pragma once
// What tokens cost, in integer micro-dollars: the one place a price times a count becomes money,
// so the rounding rule is written once. Prices are micro-dollars per million tokens (a config's
// `input_per_mtok: 1.25` is 1,250,000), usage is core::Usage as every provider normalises it:
// input_tokens include the cached and cache-write ones, output_tokens the reasoning ones.
//
// The rounding rule: the exact cost of a request (every token class, summed in 128 bits) is
// divided by a million once and rounded half up to a whole micro-dollar. Rounding once per
// request, not per token class, means splitting the same tokens into classes differently never
// changes the total by more than that one rounding; and integers add exactly, so a ledger's sum
// is the sum of its rows whatever their number.
#include <cstdint>

#include "core/money.hpp"
#include "core/usage.hpp"

namespace tollbooth {

// Per million tokens, in micro-dollars; a class without its own price costs what input costs.
struct TokenPrices {
  Money input_per_mtok = 0;
  Money output_per_mtok = 0;
  Money cached_input_per_mtok = -1;  // -1: the input price
  Money cache_write_per_mtok = -1;   // -1: the input price
  bool operator==(const TokenPrices&) const = default;
};

// The cost of `usage` at `prices`. Counts an upstream reports inconsistently (more cached tokens
// than input tokens) are clamped so that no class is negative and no token is counted twice;
// negative counts or prices count as 0. Saturates at the largest Money instead of overflowing.
Money token_cost(const Usage& usage, const TokenPrices& prices) noexcept;

// `amount` × `basis_points` / 10,000 (a discount, a share, a markup: 1 % = 100), rounded half up
// like token_cost; 0 for a negative amount or share.
Money percent_of(Money amount, std::int64_t basis_points) noexcept;

}  // namespace tollbooth
