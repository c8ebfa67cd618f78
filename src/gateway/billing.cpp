#include "gateway/billing.hpp"

#include <algorithm>

namespace tollbooth::gateway {

Bill bill_usage(const routing::CatalogRoute& route, const ContractConfig* contract, Days day,
                const Usage& usage, std::int32_t markup_bp) noexcept {
  Bill b;
  b.markup_bp = markup_bp;
  const routing::DatedPrice* price = routing::price_at(route, day);
  if (!price) return b;
  b.priced = true;
  b.prices = price->prices;
  b.discount_bp = route.discount;
  const Money gross = token_cost(usage, b.prices);
  b.cost = gross - percent_of(gross, b.discount_bp);
  b.charge = b.cost + percent_of(b.cost, markup_bp);
  if (!contract) return b;
  if (const auto& share = contract->revenue_share; share && day <= share->until) {
    b.toll_due = percent_of(share->of == ShareBase::charge ? b.charge : b.cost, share->percent);
    if (share->cap_usd) b.toll_cap_micros = *share->cap_usd;
  }
  if (const auto& c = contract->commitment; c && day >= c->from && day <= c->to) {
    b.commitment_burn = b.cost;
    b.commitment = &*c;
  }
  return b;
}

const ContractConfig* contract_of(const routing::Catalog& catalog,
                                  const routing::CatalogRoute& route) noexcept {
  return route.contract >= 0 ? catalog.contracts()[route.contract].config : nullptr;
}

Bill bill_attempt(const routing::Catalog& catalog, const RequestOutcome& outcome,
                  routing::RouteId id, const Usage& usage) noexcept {
  const routing::CatalogRoute& route = catalog.route(id);
  return bill_usage(route, contract_of(catalog, route), days_from_unix_ms(outcome.received_unix_ms),
                    usage, outcome.markup_bp);
}

AttemptBill recorded_bill(const routing::Catalog& catalog, const RequestOutcome& outcome,
                          const AttemptRecord& attempt) noexcept {
  if (attempt.billed) return attempt.bill;
  if (!has_usage(attempt.usage)) return AttemptBill{};
  return attempt_bill_of(bill_attempt(catalog, outcome, attempt.route, attempt.usage));
}

Money worst_charge(const routing::Catalog& catalog, const routing::Plan& plan, Days day,
                   std::int64_t input_tokens, std::int64_t output_tokens,
                   std::int32_t markup_bp) noexcept {
  Usage worst;
  worst.input_tokens = input_tokens;
  worst.output_tokens = output_tokens;
  worst.reported = true;
  Money most = 0;
  for (const auto& candidate : plan.candidates()) {
    const routing::CatalogRoute& route = catalog.route(candidate.route);
    const routing::DatedPrice* price = routing::price_at(route, day);
    if (!price) continue;
    // The worst case pays full input price for every token: cached and cache-write prices
    // are left out on purpose (a cache write can cost more than input; count it as input at
    // the higher of the two).
    TokenPrices p = price->prices;
    if (p.cache_write_per_mtok > p.input_per_mtok) p.input_per_mtok = p.cache_write_per_mtok;
    p.cached_input_per_mtok = -1;
    p.cache_write_per_mtok = -1;
    const Money gross = token_cost(worst, p);
    const Money cost = gross - percent_of(gross, route.discount);
    most = std::max(most, cost + percent_of(cost, markup_bp));
  }
  return most;
}

void fill_ledger_row(LedgerRow& row, const RequestOutcome& o, std::uint32_t attempt_index,
                     const routing::CatalogRoute& route, const ContractConfig* contract,
                     const Bill& bill) {
  // Every field, in the order LedgerRow declares them: the row may be a slot an earlier row
  // left, and a field not set here would keep that row's value. The strings are assigned, so
  // they reuse the storage they have.
#if defined(__x86_64__) && defined(__GLIBCXX__)
  static_assert(sizeof(LedgerRow) == 504,
                "LedgerRow changed: set its new field here, then update this size");
#endif
  const AttemptRecord& a = o.attempts[attempt_index];
  row.id = 0;
  row.request_id.assign(o.request_id);
  row.attempt = attempt_index + 1;
  row.at_ms = o.received_unix_ms;
  row.key_id.assign(o.key_id);
  row.team.assign(o.team);
  row.model.assign(o.model);
  row.route.assign(route.label);
  row.provider.assign(route.provider);
  if (contract)
    row.contract.assign(contract->name);
  else
    row.contract.clear();
  row.region.assign(route.region);
  row.usage = a.usage;
  row.priced = bill.priced;
  row.prices = bill.prices;
  row.discount_bp = bill.discount_bp;
  row.markup_bp = bill.markup_bp;
  row.cost = bill.cost;
  row.charge = bill.charge;
  row.toll_due = bill.toll_due;
  row.toll_cap_micros = bill.toll_cap_micros;
  row.toll = 0;
  row.commitment_burn = bill.commitment_burn;
  if (bill.commitment)
    row.commitment_period = commitment_period(*bill.commitment);
  else
    row.commitment_period.clear();
  row.latency_ms = a.latency_ms;
  row.status = a.upstream_status;
  row.end.assign(attempt_end_name(a.end));
}

namespace {

// An attempt's row, made by the writer in a slot of its queue.
struct AttemptRow final : LedgerRowSource {
  const RequestOutcome& outcome;
  std::uint32_t index;
  const routing::CatalogRoute& route;
  const ContractConfig* contract;
  const Bill& bill;
  AttemptRow(const RequestOutcome& o, std::uint32_t i, const routing::CatalogRoute& r,
             const ContractConfig* c, const Bill& b) noexcept
      : outcome(o), index(i), route(r), contract(c), bill(b) {}
  void fill(LedgerRow& row) const override {
    fill_ledger_row(row, outcome, index, route, contract, bill);
  }
};

}  // namespace

Bill bill_of(const AttemptBill& b, const ContractConfig* contract) noexcept {
  Bill out;
  out.priced = b.priced;
  out.prices = b.prices;
  out.discount_bp = b.discount_bp;
  out.markup_bp = b.markup_bp;
  out.cost = b.cost;
  out.charge = b.charge;
  out.toll_due = b.toll_due;
  out.toll_cap_micros = b.toll_cap_micros;
  out.commitment_burn = b.commitment_burn;
  if (b.in_commitment && contract && contract->commitment) out.commitment = &*contract->commitment;
  return out;
}

void LedgerObserver::on_outcome(const RequestOutcome& outcome) noexcept {
  for (std::uint32_t i = 0; i < outcome.attempts.size(); ++i) {
    const AttemptRecord& a = outcome.attempts[i];
    if (!has_usage(a.usage)) continue;
    try {
      const routing::CatalogRoute& route = catalog_.route(a.route);
      const ContractConfig* contract = contract_of(catalog_, route);
      // The bill the attempt was recorded with, the one the client's figure and the budget
      // used (an attempt recorded by hand, as in tests, is priced here).
      const Bill bill =
          a.billed ? bill_of(a.bill, contract)
                   : bill_usage(route, contract, days_from_unix_ms(outcome.received_unix_ms),
                                a.usage, outcome.markup_bp);
      sink_.push(AttemptRow(outcome, i, route, contract, bill));
    } catch (...) {
      // Out of memory making the row: the writer's push logs its own failures; nothing here
      // may throw into the worker.
    }
  }
}

AttemptPricer::AttemptPricer(const routing::Catalog& catalog, routing::RouteId id, Days day,
                             std::int32_t markup_bp) noexcept
    : route_(catalog.route(id)),
      contract_(contract_of(catalog, route_)),
      day_(day),
      markup_bp_(markup_bp) {}

std::optional<Money> AttemptPricer::charge(const Usage& usage) const noexcept {
  Bill b = bill_usage(route_, contract_, day_, usage, markup_bp_);
  if (!b.priced) return std::nullopt;
  return b.charge;
}

}  // namespace tollbooth::gateway
