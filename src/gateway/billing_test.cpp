#include "gateway/billing.hpp"

#include <gtest/gtest.h>

namespace tollbooth::gateway {
namespace {

Days day(const char* text) {
  return *parse_date(text);
}

// docs/money.md's worked example: gpt-5 on Bedrock at $1.25 / $0.125 cached / $10 per million,
// a contract with 5 % off, a 20 % share of charge and this year's commitment, a 10 % markup.
struct Example {
  routing::CatalogRoute route;
  ContractConfig contract;
  Usage usage;
  Days today = day("2026-12-01");

  Example() {
    TokenPrices p;
    p.input_per_mtok = 1'250'000;
    p.cached_input_per_mtok = 125'000;
    p.output_per_mtok = 10'000'000;
    route.prices.push_back(routing::DatedPrice{day("2025-08-07"), p, "test"});
    route.discount = 500;
    contract.name = "aws";
    contract.revenue_share = RevenueShareConfig{2000, ShareBase::charge, std::nullopt, kNoEndDate};
    contract.commitment = CommitmentConfig{1'000'000'000, day("2026-01-01"), day("2026-12-31")};
    usage.input_tokens = 12'000;  // Bedrock's 4,000 + 8,000 read from the cache
    usage.cached_input_tokens = 8'000;
    usage.output_tokens = 1'500;
    usage.reported = true;
  }
};

TEST(Billing, TheWorkedExampleOfDocsMoney) {
  Example e;
  Bill b = bill_usage(e.route, &e.contract, e.today, e.usage, 1000);
  ASSERT_TRUE(b.priced);
  EXPECT_EQ(b.cost, 19'950);  // 21,000 less 5 %
  EXPECT_EQ(b.charge, 21'945);
  EXPECT_EQ(b.toll_due, 4'389);  // 20 % of the charge
  EXPECT_EQ(b.toll_cap_micros, -1);
  EXPECT_EQ(b.commitment_burn, 19'950);
  ASSERT_NE(b.commitment, nullptr);
  EXPECT_EQ(commitment_period(*b.commitment), "2026-01-01..2026-12-31");
  EXPECT_EQ(format_dollars(b.charge), "0.021945");
}

TEST(Billing, OutsideTheShareAndCommitmentWindowsNothingAccrues) {
  Example e;
  e.contract.revenue_share->until = day("2026-06-30");
  e.contract.revenue_share->of = ShareBase::cost;
  Bill after = bill_usage(e.route, &e.contract, day("2027-01-02"), e.usage, 0);
  EXPECT_EQ(after.toll_due, 0);
  EXPECT_EQ(after.commitment_burn, 0);
  EXPECT_EQ(after.commitment, nullptr);
  Bill inside = bill_usage(e.route, &e.contract, day("2026-06-30"), e.usage, 0);
  EXPECT_EQ(inside.toll_due, 3'990);  // 20 % of the cost, 19,950
  EXPECT_EQ(inside.charge, inside.cost);
}

TEST(Billing, ARouteWithoutAPriceThatDayIsUnpricedAndFree) {
  Example e;
  Bill before = bill_usage(e.route, &e.contract, day("2025-08-06"), e.usage, 1000);
  EXPECT_FALSE(before.priced);
  EXPECT_EQ(before.charge, 0);
  EXPECT_EQ(before.toll_due, 0);
  EXPECT_EQ(before.commitment_burn, 0);
}

// The writer makes each row in a slot an earlier row left (for its strings' storage): a row
// made there must be exactly the row made fresh, with nothing of the earlier one: no contract,
// commitment period, id or toll of a row billed under another contract.
TEST(Billing, ARowMadeInTheSlotOfAnEarlierRowKeepsNothingOfIt) {
  Example e;
  e.route.label = "bedrock/gpt-5";
  e.route.provider = "bedrock";
  e.route.region = "us-east-1";
  RequestOutcome first;
  first.request_id = "req-first-0123456789abcdef0123456789";
  first.received_unix_ms = 1'796'083'200'000;  // 2026-12-01
  first.key_id = "key_0123456789abcdef";
  first.team = "research";
  first.model = "gpt-5";
  AttemptRecord& a = first.attempts.emplace_back();
  a.usage = e.usage;
  a.end = AttemptEnd::served;
  a.upstream_status = 200;
  a.latency_ms = 850;
  LedgerRow slot;
  fill_ledger_row(slot, first, 0, e.route, &e.contract,
                  bill_usage(e.route, &e.contract, e.today, e.usage, 1000));
  slot.id = 42;      // as the store numbers it
  slot.toll = 4389;  // and fills in what it paid
  ASSERT_EQ(slot.contract, "aws");
  ASSERT_EQ(slot.commitment_period, "2026-01-01..2026-12-31");

  RequestOutcome second;
  second.request_id = "req-2";
  second.received_unix_ms = first.received_unix_ms + 5;
  second.model = "gpt-5";
  AttemptRecord& b = second.attempts.emplace_back();
  b.usage.input_tokens = 10;
  b.usage.output_tokens = 3;
  b.usage.reported = true;
  b.end = AttemptEnd::failed_final;
  routing::CatalogRoute plain = e.route;
  plain.label = "openai";
  plain.provider = "openai";
  plain.region.clear();
  const Bill bill = bill_usage(plain, nullptr, e.today, b.usage, 0);
  LedgerRow fresh;
  fill_ledger_row(fresh, second, 0, plain, nullptr, bill);
  fill_ledger_row(slot, second, 0, plain, nullptr, bill);
  EXPECT_EQ(slot, fresh);
  EXPECT_EQ(slot.id, 0);
  EXPECT_EQ(slot.toll, 0);
  EXPECT_EQ(slot.contract, "");
  EXPECT_EQ(slot.commitment_period, "");
  EXPECT_EQ(slot.key_id, "");
  EXPECT_EQ(slot.end, "failed_final");
}

TEST(Billing, AMillionOneMicroDollarRequestsSumToExactlyOneDollar) {
  // One output token at $1 per million is one micro-dollar: no drift, however many.
  routing::CatalogRoute route;
  TokenPrices p;
  p.input_per_mtok = 0;
  p.output_per_mtok = 1'000'000;
  route.prices.push_back(routing::DatedPrice{kNoStartDate, p, "test"});
  Usage u;
  u.output_tokens = 1;
  u.reported = true;
  Money total = 0;
  for (int i = 0; i < 1'000'000; ++i) total += bill_usage(route, nullptr, 0, u, 0).charge;
  EXPECT_EQ(total, kMicrosPerDollar);
}

}  // namespace
}  // namespace tollbooth::gateway
