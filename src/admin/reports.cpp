#include "admin/reports.hpp"
#include "core/money.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <map>

#include "admin/views.hpp"
#include "config/config.hpp"

namespace tollbooth::admin {
namespace {

namespace json = boost::json;

// "name_micros": n and "name_usd": "n as dollars".
void put_money(json::object& o, std::string_view name, Money micros) {
  o.emplace(std::string(name) + "_micros", micros);
  o.emplace(std::string(name) + "_usd", format_dollars(micros));
}

void put_money_or_null(json::object& o, std::string_view name, std::optional<Money> micros) {
  if (micros) {
    put_money(o, name, *micros);
  } else {
    o.emplace(std::string(name) + "_micros", nullptr);
    o.emplace(std::string(name) + "_usd", nullptr);
  }
}

json::value date_or_null(Days d) {
  if (d == kNoEndDate || d == kNoStartDate) return nullptr;
  return json::string(format_date(d));
}

// Days from today to `d` (0 on the day itself, negative once past), or null for no date.
json::value days_left(Days d, Days today) {
  if (d == kNoEndDate) return nullptr;
  return std::int64_t{d} - std::int64_t{today};
}

json::value percent_number(std::int64_t basis_points) {
  if (basis_points % 100 == 0) return basis_points / 100;
  return static_cast<double>(basis_points) / 100.0;
}

json::object sums(const SpendRow& s) {
  json::object o;
  o.reserve(17);
  o.emplace("requests", s.requests);
  o.emplace("rows", s.rows);
  o.emplace("input_tokens", s.input_tokens);
  o.emplace("cached_input_tokens", s.cached_input_tokens);
  o.emplace("cache_write_input_tokens", s.cache_write_input_tokens);
  o.emplace("output_tokens", s.output_tokens);
  o.emplace("reasoning_tokens", s.reasoning_tokens);
  put_money(o, "cost", s.cost);
  put_money(o, "charge", s.charge);
  put_money(o, "toll", s.toll);
  put_money(o, "commitment_burn", s.commitment_burn);
  o.emplace("estimated_rows", s.estimated_rows);
  o.emplace("unpriced_rows", s.unpriced_rows);
  return o;
}

json::value text_or_null(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  return json::string(*s);
}

json::object contract_object(const std::string& name, const ContractConfig* config,
                             const ContractAccrual* accrual, Days today) {
  json::object o;
  o.emplace("object", "contract");
  o.emplace("name", name);
  o.emplace("configured", config != nullptr);
  json::array providers;
  if (config)
    for (const auto& p : config->providers) providers.emplace_back(p);
  o.emplace("providers", std::move(providers));
  o.emplace("until", config ? date_or_null(config->until) : json::value(nullptr));
  o.emplace("license_until", config ? date_or_null(config->license_until) : json::value(nullptr));
  o.emplace("license_days_left",
            config ? days_left(config->license_until, today) : json::value(nullptr));

  const Money paid = accrual ? accrual->tolls_paid : 0;
  put_money(o, "tolls_paid", paid);
  if (config && config->revenue_share) {
    const RevenueShareConfig& rs = *config->revenue_share;
    json::object share;
    share.emplace("percent", percent_number(rs.percent));
    share.emplace("of", rs.of == ShareBase::charge ? "charge" : "cost");
    put_money_or_null(share, "cap", rs.cap_usd);
    std::optional<Money> left;
    if (rs.cap_usd) left = std::max<Money>(*rs.cap_usd - paid, 0);
    put_money_or_null(share, "left", left);
    share.emplace("until", date_or_null(rs.until));
    share.emplace("days_left", days_left(rs.until, today));
    o.emplace("revenue_share", std::move(share));
  } else {
    o.emplace("revenue_share", nullptr);
  }

  if (config && config->commitment) {
    const CommitmentConfig& cm = *config->commitment;
    const std::string period = tollbooth::commitment_period(cm);
    Money burned = 0;
    if (accrual)
      for (const auto& b : accrual->burn)
        if (b.period == period) burned = b.burn;
    const CommitmentSchedule schedule = commitment_schedule(cm.usd, cm.from, cm.to, today);
    json::object c;
    c.emplace("usd", format_dollars(cm.usd));
    c.emplace("usd_micros", cm.usd);
    c.emplace("from", format_date(cm.from));
    c.emplace("to", format_date(cm.to));
    c.emplace("period", period);
    c.emplace("days_in_period", schedule.days_in_period);
    c.emplace("days_elapsed", schedule.days_elapsed);
    put_money(c, "target", schedule.target);
    put_money(c, "burned", burned);
    put_money(c, "ahead", burned - schedule.target);
    put_money(c, "left", std::max<Money>(cm.usd - burned, 0));
    o.emplace("commitment", std::move(c));
  } else {
    o.emplace("commitment", nullptr);
  }

  json::array burn;
  if (accrual) {
    for (const auto& b : accrual->burn) {
      json::object one;
      one.emplace("period", b.period);
      put_money(one, "burned", b.burn);
      burn.emplace_back(std::move(one));
    }
  }
  o.emplace("burn", std::move(burn));
  return o;
}

}  // namespace

CommitmentSchedule commitment_schedule(Money usd, Days from, Days to, Days today) {
  CommitmentSchedule s;
  s.days_in_period = std::max<std::int64_t>(std::int64_t{to} - from + 1, 1);
  s.days_elapsed = std::clamp<std::int64_t>(std::int64_t{today} - from + 1, 0, s.days_in_period);
  // usd < 2^63 and days_elapsed <= days_in_period: the product fits in 128 bits, the quotient
  // in 64.
  s.target = static_cast<Money>(static_cast<__int128>(std::max<Money>(usd, 0)) * s.days_elapsed /
                                s.days_in_period);
  return s;
}

std::string spend_view(const SpendQuery& query, const SpendReport& report) {
  json::object o;
  o.emplace("object", "spend_report");
  o.emplace("by", spend_group_name(query.by));
  o.emplace("over", query.over == SpendBucket::none
                        ? json::value(nullptr)
                        : json::value(json::string(spend_bucket_name(query.over))));
  o.emplace("since", format_instant(query.since_ms));
  o.emplace("until", query.until_ms == std::numeric_limits<std::int64_t>::max()
                         ? json::value(nullptr)
                         : json::value(json::string(format_instant(query.until_ms))));
  o.emplace("key", text_or_null(query.key));
  o.emplace("team", text_or_null(query.team));
  json::array data;
  data.reserve(report.groups.size());
  for (const auto& g : report.groups) {
    json::object row;
    row.emplace("group", g.group);
    if (query.over != SpendBucket::none) row.emplace("bucket", g.bucket);
    for (auto& [k, v] : sums(g)) row.emplace(k, std::move(v));
    data.emplace_back(std::move(row));
  }
  o.emplace("data", std::move(data));
  o.emplace("total", sums(report.total));
  return json::serialize(o);
}

std::string contracts_view(const Config& config, const std::vector<ContractAccrual>& accruals,
                           std::int64_t now_ms) {
  const Days today = days_from_unix_ms(now_ms);
  std::map<std::string, const ContractAccrual*> by_name;
  for (const auto& a : accruals) by_name.emplace(a.contract, &a);
  json::array data;
  for (const auto& [name, contract] : config.contracts) {
    auto it = by_name.find(name);
    data.emplace_back(
        contract_object(name, &contract, it == by_name.end() ? nullptr : it->second, today));
  }
  // Accruals of contracts the config no longer names: still money paid or burned.
  for (const auto& [name, accrual] : by_name)
    if (!config.contracts.contains(name))
      data.emplace_back(contract_object(name, nullptr, accrual, today));
  json::object o;
  o.emplace("object", "list");
  o.emplace("today", format_date(today));
  o.emplace("data", std::move(data));
  return json::serialize(o);
}

}  // namespace tollbooth::admin
