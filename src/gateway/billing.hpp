#pragma once
// What one attempt's usage costs, is charged and owes its contract, at the route's price in
// force on the request's day: pure arithmetic over core/cost, used at three places that must
// agree to the micro-dollar: the client's figure (`x-tollbooth-cost`, `usage.cost`), the
// budget's settle, and the ledger row. The worst case a request can cost, for the budget's
// reservation at admission.
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "core/cost.hpp"
#include "core/date.hpp"
#include "core/ledger.hpp"
#include "core/money.hpp"
#include "core/outcome.hpp"
#include "core/usage.hpp"
#include "providers/translator.hpp"
#include "routing/catalog.hpp"
#include "routing/planner.hpp"

namespace tollbooth::gateway {

struct Bill {
  bool priced = false;  // false: no price in force (served under `unpriced: allow`): all 0
  TokenPrices prices;   // list prices, per million tokens
  std::int32_t discount_bp = 0;
  std::int32_t markup_bp = 0;
  Money cost = 0;              // list price × tokens, less the contract's discount
  Money charge = 0;            // cost plus the team's markup
  Money toll_due = 0;          // the revenue share before its cap (0 outside its window)
  Money toll_cap_micros = -1;  // -1: no cap
  Money commitment_burn = 0;   // cost, when the day is inside the commitment's period
  const CommitmentConfig* commitment = nullptr;
};

// The bill for `usage` on `route` (whose contract, if any, is `contract`) on UTC day `day`.
Bill bill_usage(const routing::CatalogRoute& route, const ContractConfig* contract, Days day,
                const Usage& usage, std::int32_t markup_bp) noexcept;

// The contract of `route`, or nullptr.
const ContractConfig* contract_of(const routing::Catalog& catalog,
                                  const routing::CatalogRoute& route) noexcept;

// The bill of attempt usage `usage` on route `id` for the request of `outcome` (its day and
// markup).
Bill bill_attempt(const routing::Catalog& catalog, const RequestOutcome& outcome,
                  routing::RouteId id, const Usage& usage) noexcept;

// Whether an attempt has usage to bill: reported, or an estimate of what was delivered.
inline bool has_usage(const Usage& u) noexcept {
  return u.reported || u.input_tokens > 0 || u.output_tokens > 0;
}

inline AttemptBill attempt_bill_of(const Bill& b) noexcept {
  return AttemptBill{
      b.priced,      b.cost,      b.charge,          b.toll_due,        b.prices,
      b.discount_bp, b.markup_bp, b.toll_cap_micros, b.commitment_burn, b.commitment != nullptr};
}

// The Bill an attempt was recorded with (attempt_bill_of's inverse), `contract` being its
// route's: what the ledger row keeps, without pricing the usage a second time.
Bill bill_of(const AttemptBill& b, const ContractConfig* contract) noexcept;

// A recorded attempt's bill: the one made when it was recorded, else made now (an outcome put
// together by hand, as tests do); all 0 without usage.
AttemptBill recorded_bill(const routing::Catalog& catalog, const RequestOutcome& outcome,
                          const AttemptRecord& attempt) noexcept;

// The most a request can be charged on any candidate of `plan`: `input_tokens` at the input
// price and `output_tokens` at the output price (no cached discount), after discount and
// markup. Routes without a price count 0.
Money worst_charge(const routing::Catalog& catalog, const routing::Plan& plan, Days day,
                   std::int64_t input_tokens, std::int64_t output_tokens,
                   std::int32_t markup_bp) noexcept;

// Makes `row` the ledger row of one attempt of `outcome` (which has usage), with its bill:
// every field is set, whatever the row held before (a LedgerRowSource's fill).
void fill_ledger_row(LedgerRow& row, const RequestOutcome& outcome, std::uint32_t attempt_index,
                     const routing::CatalogRoute& route, const ContractConfig* contract,
                     const Bill& bill);

// The observer that bills every request: a ledger row per attempt with usage, pushed to the
// writer (app/ledger_writer) on the worker's thread.
class LedgerObserver final : public OutcomeObserver {
 public:
  LedgerObserver(const routing::Catalog& catalog, LedgerSink& sink) noexcept
      : catalog_(catalog), sink_(sink) {}
  void on_outcome(const RequestOutcome& outcome) noexcept override;

 private:
  const routing::Catalog& catalog_;
  LedgerSink& sink_;
};

// A translator's pricer for one attempt (the usage chunk's `cost`): the same bill.
class AttemptPricer final : public UsagePricer {
 public:
  AttemptPricer(const routing::Catalog& catalog, routing::RouteId id, Days day,
                std::int32_t markup_bp) noexcept;
  std::optional<Money> charge(const Usage& usage) const noexcept override;

 private:
  const routing::CatalogRoute& route_;
  const ContractConfig* contract_;
  Days day_;
  std::int32_t markup_bp_;
};

}  // namespace tollbooth::gateway
