#pragma once
// The sharding the two per-process books share (access/limiter, access/budget): subjects in a
// power-of-two number of shards, each a mutex and a hash map keyed by name, and an admission
// that touches several subjects locking each of their shards once, in index order, so that
// two admissions sharing shards cannot deadlock.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

namespace tollbooth::access {

// Heterogeneous lookup by string_view in a map keyed by std::string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// A name's shard of `shards` (a power of two), by the hash's high bits: the maps' buckets use
// the hash modulo a prime, mostly its low bits.
inline std::uint32_t shard_index(std::string_view name, std::size_t shards) noexcept {
  return static_cast<std::uint32_t>((NameHash{}(name) >> 32) & (shards - 1));
}

// Locks the mutexes `mutex_of(i)` of the first `n` shard indexes of `order` (sorted here,
// duplicates locked once) into `held`, in index order.
template <std::size_t N, class MutexOf>
void lock_in_order(std::array<std::uint32_t, N>& order, std::size_t n,
                   std::array<std::unique_lock<std::mutex>, N>& held, MutexOf mutex_of) {
  std::sort(order.begin(), order.begin() + n);
  const std::size_t locks = std::unique(order.begin(), order.begin() + n) - order.begin();
  for (std::size_t i = 0; i < locks; ++i)
    held[i] = std::unique_lock<std::mutex>(mutex_of(order[i]));
}

}  // namespace tollbooth::access
