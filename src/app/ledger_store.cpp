#include "app/ledger_store.hpp"

#include <spdlog/spdlog.h>

#include "app/access_service.hpp"
#include "config/config.hpp"
#include "core/date.hpp"
#include "store/store.hpp"

namespace tollbooth {

LedgerStore::LedgerStore(const Config& config, const Clock& clock) : clock_(clock) {
  store_ = open_config_store(config);
  run_ = store_->begin_run(clock_.unix_ms());
  if (auto previous = store_->unfinished_run_before(run_)) {
    // What the previous run left: rows are written every billing.ledger.flush_interval, so a
    // process killed without its shutdown lost at most that much after its last row.
    spdlog::warn(
        "ledger: the previous run (started {}) did not shut down cleanly; it wrote {} rows, the "
        "last for a request at {}; usage of requests answered in its last flush interval (at "
        "most {} ms) may be missing (on a store shared by several instances, that run may be "
        "another instance that is still running)",
        format_instant(previous->started_ms), previous->rows,
        previous->last_row_ms ? format_instant(previous->last_row_ms) : std::string("(none)"),
        config.billing.ledger_flush.count());
  }
}

LedgerStore::~LedgerStore() = default;

void LedgerStore::write(std::vector<LedgerRow>& rows) {
  store_->append_ledger(run_, rows);
}

void LedgerStore::finish() noexcept {
  try {
    store_->end_run(run_, clock_.unix_ms());
  } catch (const std::exception& e) {
    spdlog::warn("ledger: the run's end could not be recorded: {}", e.what());
  }
}

}  // namespace tollbooth
