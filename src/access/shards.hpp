#pragma once
// The sharding the two per-process books share (access/limiter, access/budget): subjects in a
// power-of-two number of shards, each a lock and a hash map keyed by name, and an admission
// that touches several subjects locking each of their shards once, in index order, so that
// two admissions sharing shards cannot deadlock.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tollbooth::access {

// A subject name's hash, for the shard and the map alike. A snapshot keeps it with each of its
// subjects' names: each admission of a key and its team hashed both names in the limiter and
// again in the budgets, about 290 instructions a request of bench/instructions --money.
inline std::size_t name_hash(std::string_view name) noexcept {
  return std::hash<std::string_view>{}(name);
}

// A subject's name with its hash worked out once: an admission picks the shard and looks the
// name up in the shard's map with the same hash (hashing each name twice cost about 270
// instructions a request of bench/instructions --money).
struct HashedName {
  std::string_view text;
  std::size_t hash = 0;
  HashedName() = default;
  explicit HashedName(std::string_view name) noexcept : text(name), hash(name_hash(name)) {}
  // `name` with the hash a subject carries (LimitSubject::name_hash, BudgetSubject::name_hash):
  // worked out here when the subject did not bring it (0).
  static HashedName of(std::string_view name, std::size_t known_hash) noexcept {
    if (known_hash == 0) return HashedName(name);
    HashedName h;
    h.text = name;
    h.hash = known_hash;
    return h;
  }
};

// Heterogeneous lookup by string_view or HashedName in a map keyed by std::string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return name_hash(s); }
  std::size_t operator()(const HashedName& h) const noexcept { return h.hash; }
};
struct NameEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  bool operator()(const HashedName& a, std::string_view b) const noexcept { return a.text == b; }
  bool operator()(std::string_view a, const HashedName& b) const noexcept { return a == b.text; }
};

// A name's shard of `shards` (a power of two), by the hash's high bits: the maps' buckets use
// the hash modulo a prime, mostly its low bits.
inline std::uint32_t shard_index(const HashedName& name, std::size_t shards) noexcept {
  return static_cast<std::uint32_t>((name.hash >> 32) & (shards - 1));
}
inline std::uint32_t shard_index(std::string_view name, std::size_t shards) noexcept {
  return shard_index(HashedName(name), shards);
}

// A shard's lock. Held for a few counter updates and one hash lookup, never across a call
// that may block, so a waiter spins (yielding the core after a while) rather than sleeping.
// Written here because the standard library has none: std::mutex costs an atomic
// read-modify-write and a library call to unlock, and a request with keys, limits and budgets
// locks shards eight times (bench/instructions --wrk --money: about 0.3 µs of the worker's
// CPU a request went to pthread's lock and unlock). Unlocking here is one store.
class ShardLock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0;;) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
          _mm_pause();
#endif
        } else {
          std::this_thread::yield();  // the holder may have lost its core
        }
      }
    }
  }
  void unlock() noexcept {
    locked_.store(false, std::memory_order_release);
  }

 private:
  std::atomic<bool> locked_{false};
};

// Locks the locks `lock_of(i)` of the first `n` shard indexes of `order` (sorted here,
// duplicates locked once) into `held`, in index order.
template <std::size_t N, class Lock, class LockOf>
void lock_in_order(std::array<std::uint32_t, N>& order, std::size_t n,
                   std::array<std::unique_lock<Lock>, N>& held, LockOf lock_of) {
  // An insertion sort: n is at most a handful, where std::sort's set-up costs more than it
  // sorts.
  for (std::size_t i = 1; i < n; ++i)
    for (std::size_t j = i; j > 0 && order[j] < order[j - 1]; --j)
      std::swap(order[j], order[j - 1]);
  const std::size_t locks = std::unique(order.begin(), order.begin() + n) - order.begin();
  for (std::size_t i = 0; i < locks; ++i) held[i] = std::unique_lock<Lock>(lock_of(order[i]));
}

}  // namespace tollbooth::access
