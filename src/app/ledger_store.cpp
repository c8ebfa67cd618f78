#include "app/ledger_store.hpp"

#include <spdlog/spdlog.h>

#include "app/access_service.hpp"
#include "app/ledger_writer.hpp"
#include "config/config.hpp"
#include "core/date.hpp"
#include "store/store.hpp"

namespace tollbooth {

LedgerStore::LedgerStore(const Config& config, const Clock& clock, CommitmentBurnSink* burn)
    : clock_(clock), burn_(burn) {
  store_ = open_config_store(config);
  run_ = store_->begin_run(clock_.unix_ms());
  if (auto previous = store_->unfinished_run_before(run_)) {
    // What the previous run left: rows are written every billing.ledger.flush_interval (or
    // up to ledger_late_ms later while the cores were busy), so a process killed without its
    // shutdown lost at most that much after its last row.
    spdlog::warn(
        "ledger: the previous run (started {}) did not shut down cleanly; it wrote {} rows, the "
        "last for a request at {}; usage of requests answered in its last flush interval ({} "
        "ms, up to {} ms if its cores were busy) may be missing (on a store shared by several "
        "instances, that run may be another instance that is still running)",
        format_instant(previous->started_ms), previous->rows,
        previous->last_row_ms ? format_instant(previous->last_row_ms) : std::string("(none)"),
        config.billing.ledger_flush.count(), ledger_late_ms(config.billing.ledger_flush));
  }
  read_burn();  // strategy commitment_burn starts from what every run has burned
}

LedgerStore::~LedgerStore() = default;

void LedgerStore::write(std::span<LedgerRow> rows) {
  store_->append_ledger(run_, rows);
  read_burn();  // after the batch is in: a failure here must not make the writer repeat it
}

void LedgerStore::read_burn() noexcept {
  // Asked each time: a reload may start or stop routing by commitment burn.
  if (!burn_ || !burn_->wants_burn()) return;
  try {
    // Every contract's accruals, all gateways on this store together: a few rows.
    const std::vector<ContractAccrual> accruals = store_->contract_accruals();
    std::vector<CommitmentBurn> burn;
    for (const auto& contract : accruals) {
      for (const auto& period : contract.burn)
        burn.push_back(CommitmentBurn{contract.contract, period.period, period.burn});
    }
    burn_->set_burn(burn);
  } catch (const std::exception& e) {
    spdlog::warn(
        "ledger: the contracts' commitment burn could not be read (routing keeps the "
        "last figures): {}",
        e.what());
  }
}

void LedgerStore::finish() noexcept {
  try {
    store_->end_run(run_, clock_.unix_ms());
  } catch (const std::exception& e) {
    spdlog::warn("ledger: the run's end could not be recorded: {}", e.what());
  }
}

}  // namespace tollbooth
