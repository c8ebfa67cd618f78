#pragma once
// The admin API's reports, as JSON text: spend (GET /admin/v1/spend, the ledger summed by one
// dimension) and contracts (GET /admin/v1/contracts, the config's contracts against what they
// have accrued). Pure: values in, text out. Money is shown twice, as integer micro-dollars
// (`cost_micros`) and as the same amount in exact decimal dollars (`cost_usd`).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "core/money.hpp"
#include "store/store.hpp"

namespace tollbooth {
struct Config;
}  // namespace tollbooth

namespace tollbooth::admin {

// Where a commitment of `usd` over [from, to] (inclusive UTC days) should be on `today`, pro
// rata: usd × days elapsed / days in the period, rounded down to the micro-dollar. Days
// elapsed count today (the target is the one for the end of today): 0 before the period, all
// of them from its last day on.
struct CommitmentSchedule {
  std::int64_t days_in_period = 0;
  std::int64_t days_elapsed = 0;
  Money target = 0;
};
CommitmentSchedule commitment_schedule(Money usd, Days from, Days to, Days today);

// {"object":"spend_report","by","over","since","until","key","team","data":[{"group",...sums}],
//  "total":{...sums}}; over, until, key and team null when not given; with over, each row of
// data has a "bucket" after its "group". docs/money.md ("Reports").
std::string spend_view(const SpendQuery& query, const SpendReport& report);

// {"object":"list","today":"2027-01-15","data":[{"object":"contract","name",...}]}: every
// contract of the config (by name), then any contract the store has accruals of that the config
// no longer names ("configured": false). docs/money.md ("Reports").
std::string contracts_view(const Config& config, const std::vector<ContractAccrual>& accruals,
                           std::int64_t now_ms);

}  // namespace tollbooth::admin
