#pragma once
// Commitment burn for `strategy: commitment_burn`: per contract of the catalog, what it has
// burned of its commitment in the commitment's period, as the store last said (every gateway on
// the store together), and where that puts it against its pro-rata target on a day.
//
// The table is shared by all workers like routing::Health: the planner reads one relaxed atomic
// per route and never touches the store; app/ replaces the figures through CommitmentBurnSink
// (core/commitment_burn.hpp) at start-up and after each ledger batch. Routing only reads it.
#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/commitment_burn.hpp"
#include "core/date.hpp"
#include "core/money.hpp"

namespace tollbooth::routing {

// The burn is not known: nothing was read from a store (there is none, or not yet).
inline constexpr Money kBurnUnknown = -1;

class BurnTable final : public CommitmentBurnSink {
 public:
  // `contracts[i]` is the catalog's contract i. `wanted`: a model routes by commitment_burn over
  // a contract with a commitment (wants_burn).
  BurnTable(std::span<const ContractConfig* const> contracts, bool wanted);

  // What catalog contract `contract` has burned in its commitment's period: kBurnUnknown until
  // set_burn was first called; 0 for a contract without a commitment. Lock-free.
  Money burned(int contract) const noexcept;

  bool wants_burn() const noexcept override { return wanted_; }
  // Entries for contracts or periods the catalog does not know are ignored.
  void set_burn(std::span<const CommitmentBurn> burn) noexcept override;

 private:
  std::vector<std::string> names_;
  std::vector<std::string> periods_;  // each contract's commitment period; empty: none
  std::unique_ptr<std::atomic<Money>[]> burned_;
  std::atomic<bool> known_{false};
  bool wanted_ = false;
};

// Where a contract stands against its commitment on `day`, having burned `burned`
// (kBurnUnknown counts as nothing burned). Exact integer arithmetic.
struct Standing {
  bool committed = false;  // it has a commitment whose period includes `day`
  // usd × days elapsed / days in the period, rounded down, days elapsed counting `day` itself
  // (the contracts report's target); 0 when not committed.
  Money target = 0;
  Money behind = 0;  // target − burned: negative when ahead; 0 when not committed
};
Standing standing(const CommitmentConfig* commitment, Days day, Money burned) noexcept;

}  // namespace tollbooth::routing
