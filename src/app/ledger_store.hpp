#pragma once
// The ledger writer's target: the store, on a connection of its own (so a batch never waits
// behind admin calls), with this process's run recorded: begun at start (saying what a previous
// run that was killed had written, and since when nothing was), ended after the last batch.
// With a CommitmentBurnSink that wants burn (strategy commitment_burn), it also reads the
// contracts' burn from the store into it: at start, and after every batch (so the burn of other
// gateways on the same store counts too).
#include <cstdint>
#include <memory>

#include "core/clock.hpp"
#include "core/commitment_burn.hpp"
#include "core/ledger.hpp"

namespace tollbooth {

struct Config;
class Store;

class LedgerStore final : public LedgerTarget {
 public:
  // Opens the config's store and begins a run; throws when the store cannot be opened.
  // `burn` (may be null) must outlive this.
  LedgerStore(const Config& config, const Clock& clock, CommitmentBurnSink* burn = nullptr);
  ~LedgerStore() override;

  void write(std::span<LedgerRow> rows) override;
  // Records the run's clean end: call after the writer's last batch.
  void finish() noexcept;

 private:
  // The store's accruals into burn_ (when it wants them); a failure is logged and the last
  // figures stay.
  void read_burn() noexcept;

  const Clock& clock_;
  std::unique_ptr<Store> store_;
  std::int64_t run_ = 0;
  CommitmentBurnSink* burn_ = nullptr;  // null, or not wanting it: nobody routes by burn
};

}  // namespace tollbooth
