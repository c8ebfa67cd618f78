#pragma once
// The ledger writer's target: the store, on a connection of its own (so a batch never waits
// behind admin calls), with this process's run recorded: begun at start (saying what a previous
// run that was killed had written, and since when nothing was), ended after the last batch.
#include <cstdint>
#include <memory>

#include "core/clock.hpp"
#include "core/ledger.hpp"

namespace tollbooth {

struct Config;
class Store;

class LedgerStore final : public LedgerTarget {
 public:
  // Opens the config's store and begins a run; throws when the store cannot be opened.
  LedgerStore(const Config& config, const Clock& clock);
  ~LedgerStore() override;

  void write(std::vector<LedgerRow>& rows) override;
  // Records the run's clean end: call after the writer's last batch.
  void finish() noexcept;

 private:
  const Clock& clock_;
  std::unique_ptr<Store> store_;
  std::int64_t run_ = 0;
};

}  // namespace tollbooth
