#pragma once
// The commitment burn the store has accrued, handed to routing for `strategy: commitment_burn`:
// app/ reads the store's accruals (Store::contract_accruals) and reports them through this
// interface; routing implements it (routing/burn.hpp). So neither area includes the other.
#include <span>
#include <string_view>

#include "core/money.hpp"

namespace tollbooth {

// What a contract has burned of its commitment in one period, every gateway on the store
// together.
struct CommitmentBurn {
  std::string_view contract;
  std::string_view period;  // "2026-01-01..2026-12-31", as LedgerRow::commitment_period
  Money burned = 0;
};

class CommitmentBurnSink {
 public:
  virtual ~CommitmentBurnSink() = default;
  // Whether anything reads the burn (a model routes by commitment_burn over a contract with a
  // commitment). When false the store need not be read.
  virtual bool wants_burn() const noexcept = 0;
  // Everything the store holds now, replacing what was known: a contract (or a period) not
  // listed has burned nothing. Thread-safe: it may run while workers plan.
  virtual void set_burn(std::span<const CommitmentBurn> burn) noexcept = 0;
};

}  // namespace tollbooth
