#include "routing/burn.hpp"

#include <algorithm>

namespace tollbooth::routing {

BurnTable::BurnTable(std::span<const ContractConfig* const> contracts, bool wanted)
    : burned_(std::make_unique<std::atomic<Money>[]>(contracts.size())), wanted_(wanted) {
  for (const ContractConfig* c : contracts) {
    names_.push_back(c->name);
    // The period's name as the ledger and the store give it (config.hpp).
    periods_.push_back(c->commitment ? commitment_period(*c->commitment) : std::string());
  }
}

Money BurnTable::burned(int contract) const noexcept {
  if (!known_.load(std::memory_order_acquire)) return kBurnUnknown;
  return burned_[static_cast<std::size_t>(contract)].load(std::memory_order_relaxed);
}

void BurnTable::set_burn(std::span<const CommitmentBurn> burn) noexcept {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    Money value = 0;
    if (!periods_[i].empty()) {
      for (const CommitmentBurn& b : burn)
        if (b.contract == names_[i] && b.period == periods_[i]) value = b.burned;
    }
    burned_[i].store(value, std::memory_order_relaxed);
  }
  known_.store(true, std::memory_order_release);
}

Standing standing(const CommitmentConfig* commitment, Days day, Money burned) noexcept {
  Standing s;
  if (!commitment || day < commitment->from || day > commitment->to) return s;
  s.committed = true;
  const std::int64_t days = std::int64_t{commitment->to} - commitment->from + 1;
  const std::int64_t elapsed = std::int64_t{day} - commitment->from + 1;  // 1 .. days
  // usd is at most 1e15 micro-dollars and elapsed <= days: the product fits in 128 bits, the
  // quotient is at most usd. Usually it fits in 64, and a 64-bit division is much the cheaper
  // (the planner makes one per committed route).
  const Money usd = std::max<Money>(commitment->usd, 0);
  Money product = 0;
  s.target = __builtin_mul_overflow(usd, elapsed, &product)
                 ? static_cast<Money>(static_cast<__int128>(usd) * elapsed / days)
                 : product / days;
  // target >= 0 and burned is clamped to >= 0: the difference cannot overflow.
  s.behind = s.target - std::max<Money>(burned, 0);
  return s;
}

}  // namespace tollbooth::routing
