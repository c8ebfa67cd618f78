#pragma once
// One row of the ledger: what one upstream attempt that reported usage (or whose usage was
// estimated) cost, was charged, and owed to its contract. Filled by the gateway off the
// request's outcome; written by a batching writer into the store, which fills in `toll` under
// the contract's cap and accrues the commitment burn in the same transaction (so two instances
// never pay past a cap). Money is integer micro-dollars; prices per million tokens.
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "core/cost.hpp"
#include "core/money.hpp"
#include "core/usage.hpp"

namespace tollbooth {

struct LedgerRow {
  // The row's id in the ledger: 0 until the store first writes it, which numbers it (its run
  // times 2^40 plus its number in the run); a batch sent again keeps it, so no row lands twice.
  std::int64_t id = 0;
  std::string request_id;
  std::uint32_t attempt = 1;  // 1-based among the request's upstream attempts
  std::int64_t at_ms = 0;     // when the request arrived (Unix ms, UTC)
  std::string key_id;         // empty: no virtual key (auth: none, the admin key)
  std::string team;
  std::string model;     // the public model name
  std::string route;     // the route's label (provider, or provider/upstream model)
  std::string provider;  // provider name
  std::string contract;  // empty: none
  std::string region;
  Usage usage;  // usage.reported false: estimated (the client left, the upstream never said)
  bool priced = false;           // false: served under `unpriced: allow`, every money figure 0
  TokenPrices prices;            // the list prices in force at at_ms, per million tokens
  std::int32_t discount_bp = 0;  // the contract's discount, basis points
  std::int32_t markup_bp = 0;    // the team's markup, basis points
  Money cost = 0;                // list price × tokens, less the discount
  Money charge = 0;              // billed to the key and team: cost plus the markup
  // The contract's revenue share before its cap (0 outside its window or without one); the
  // store turns it into `toll`, cut to what is left under `toll_cap_micros` (-1: no cap).
  Money toll_due = 0;
  Money toll_cap_micros = -1;
  Money toll = 0;  // paid: filled by the store
  // Cost counted against the contract's commitment when at_ms falls inside its period (0
  // otherwise); `commitment_period` names that period ("2026-01-01..2026-12-31").
  Money commitment_burn = 0;
  std::string commitment_period;
  std::int64_t latency_ms = 0;  // request arrival → this attempt's end
  int status = 0;               // the upstream's HTTP status (0: none)
  std::string end;              // how the attempt ended: served, failed_final, ...
  bool operator==(const LedgerRow&) const = default;
};

// What a row is made of, for a sink that makes it in place: fill() sets every field of `row`,
// which may hold an earlier row's values (kept for their strings' storage, so that once the
// writer's queue has warmed up a request's row allocates nothing and is never moved).
class LedgerRowSource {
 public:
  virtual void fill(LedgerRow& row) const = 0;  // throws only when out of memory

 protected:
  ~LedgerRowSource() = default;
};

// Where the gateway hands ledger rows: a writer that writes them away from the request path
// (app/ledger_writer). Called from every worker thread; never blocks on I/O.
class LedgerSink {
 public:
  virtual ~LedgerSink() = default;
  // A row made in the sink's own storage by `source`.
  virtual void push(const LedgerRowSource& source) noexcept = 0;
  // A finished row, moved in.
  void push(LedgerRow&& row) noexcept {
    struct Whole final : LedgerRowSource {
      LedgerRow& row;
      explicit Whole(LedgerRow& r) noexcept : row(r) {}
      void fill(LedgerRow& out) const override { out = std::move(row); }
    };
    push(Whole(row));
  }
  // The queue is at its bound: new requests are refused (billing cannot keep up) while the
  // rows of requests already admitted are still taken.
  virtual bool backlogged() const noexcept = 0;
};

// Where the writer puts a batch: the store, in one transaction (fills each row's `toll`).
class LedgerTarget {
 public:
  virtual ~LedgerTarget() = default;
  virtual void write(std::span<LedgerRow> rows) = 0;  // throws when the batch was not written
};

}  // namespace tollbooth
