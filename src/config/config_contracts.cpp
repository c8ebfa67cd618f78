// The commercial and resilience sections: contracts (which providers they cover, what they
// refuse, their windows and money terms), prices (USD per million tokens, kept as exact
// integers, optionally dated) and the routing defaults (attempts, backoff, deadline, circuit
// breaker).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "config/config_sections.hpp"

namespace tollbooth::config_detail {
namespace {

constexpr int kMicrosDigits = 6;  // Money is micro-dollars
constexpr std::int64_t kMaxUsdMicros = 1'000'000'000'000 * kMicrosPerDollar;
constexpr std::string_view kUsdForm = "US dollars like 1000000 or 1.25";
constexpr std::string_view kPercentForm = "a percentage from 0 to 100 like 20 or 12.5";

bool read_usd(Reader& r, const Field& f, Money& out) {
  return r.decimal(f, kMicrosDigits, kMaxUsdMicros, out, kUsdForm);
}

bool read_percent(Reader& r, const Field& f, BasisPoints& out) {
  std::int64_t bp = 0;
  if (!r.decimal(f, 2, kWholePercent, bp, kPercentForm)) return false;
  out = static_cast<BasisPoints>(bp);
  return true;
}

void read_commitment(Reader& r, const Field& f, std::optional<CommitmentConfig>& out) {
  CommitmentConfig c;
  auto seen = r.read_map(f, {
                                {"usd", [&](const Field& v) { read_usd(r, v, c.usd); }},
                                {"from", [&](const Field& v) { r.date(v, c.from); }},
                                {"to", [&](const Field& v) { r.date(v, c.to); }},
                            });
  if (!seen) return;
  bool complete = true;
  for (std::string_view key : {"usd", "from", "to"}) {
    if (seen->contains(key)) continue;
    r.missing(f, key, key == "usd" ? kUsdForm : "a date like 2026-01-01");
    complete = false;
  }
  if (!complete) return;
  if (c.to < c.from) {
    r.problem(seen->at("to"), fmt::format("{} is before from {}; expected a date on or after it",
                                          format_date(c.to), format_date(c.from)));
  }
  out = c;
}

void read_revenue_share(Reader& r, const Field& f, std::optional<RevenueShareConfig>& out) {
  RevenueShareConfig share;
  auto of = [&](const Field& v) {
    std::size_t i = 0;
    if (r.choice(v, {"charge", "cost"}, i)) share.of = static_cast<ShareBase>(i);
  };
  auto cap = [&](const Field& v) {
    Money usd = 0;
    if (read_usd(r, v, usd)) share.cap_usd = usd;
  };
  auto seen =
      r.read_map(f, {
                        {"percent", [&](const Field& v) { read_percent(r, v, share.percent); }},
                        {"of", of},
                        {"cap_usd", cap},
                        {"until", [&](const Field& v) { r.date(v, share.until); }},
                    });
  if (!seen) return;
  if (!seen->contains("percent")) {
    r.missing(f, "percent", kPercentForm);
    return;
  }
  out = share;
}

// Each entry names a capability or a declared model; capability names win (none is a model
// name anyone would choose).
void read_declines(Reader& r, const Field& f, const Config& config, ContractConfig& contract) {
  for (const Field& item : r.items(f, "a list of capabilities or model names")) {
    std::string name;
    if (!r.text(item, name, "a capability or a model name")) continue;
    if (auto capability = capability_from_name(name)) {
      contract.declines.add(*capability);
    } else if (config.find_model(name)) {
      contract.declined_models.push_back(name);
    } else {
      r.problem(item, fmt::format("{} is neither a capability ({}) nor a declared model",
                                  quote_value(name), capability_list(CapabilitySet::all())));
    }
  }
}

void read_contract_providers(Reader& r, const Field& f, const Declared& declared,
                             std::map<std::string, std::string>& owner, ContractConfig& c) {
  for (const Field& item : r.items(f, "a list of declared provider names")) {
    std::string name;
    if (!r.text(item, name, "a provider name")) continue;
    if (!declared.contains(name)) {
      r.problem(item, fmt::format("{} is not a declared provider", quote_value(name)));
      continue;
    }
    auto [it, inserted] = owner.emplace(name, c.name);
    if (!inserted) {
      r.problem(item, fmt::format("{} is already in contract {}; a provider belongs to at most "
                                  "one contract",
                                  quote_value(name), it->second));
      continue;
    }
    c.providers.push_back(std::move(name));
  }
}

ContractConfig read_contract(Reader& r, const Field& f, const Config& config,
                             const Declared& declared, std::map<std::string, std::string>& owner) {
  ContractConfig c;
  c.name = f.key;
  auto seen = r.read_map(
      f,
      {
          {"providers", [&](const Field& v) { read_contract_providers(r, v, declared, owner, c); }},
          {"first_refusal", [&](const Field& v) { r.boolean(v, c.first_refusal); }},
          {"declines", [&](const Field& v) { read_declines(r, v, config, c); }},
          {"available_from", [&](const Field& v) { r.date(v, c.available_from); }},
          {"until", [&](const Field& v) { r.date(v, c.until); }},
          {"license_until", [&](const Field& v) { r.date(v, c.license_until); }},
          {"discount_percent", [&](const Field& v) { read_percent(r, v, c.discount); }},
          {"commitment", [&](const Field& v) { read_commitment(r, v, c.commitment); }},
          {"revenue_share", [&](const Field& v) { read_revenue_share(r, v, c.revenue_share); }},
      });
  if (!seen) return c;
  if (!seen->contains("providers")) r.missing(f, "providers", "a list of declared provider names");
  check_window(r, *seen, c.available_from, c.until);
  auto license = seen->find("license_until");
  if (license != seen->end() && seen->contains("available_from") &&
      c.license_until < c.available_from) {
    r.problem(license->second,
              fmt::format("{} is before available_from {}; expected a date on or after it",
                          format_date(c.license_until), format_date(c.available_from)));
  }
  return c;
}

// A price for a (provider, model) pair no route uses is most likely a typo in one of the two.
bool model_uses(const ModelConfig& model, std::string_view provider) {
  return std::any_of(model.routes.begin(), model.routes.end(),
                     [&](const RouteConfig& route) { return route.provider == provider; });
}

void check_price_target(Reader& r, const Field& f, const SeenKeys& seen, const Config& config,
                        const Declared& declared, const PriceConfig& price) {
  auto provider = seen.find("provider");
  auto model = seen.find("model");
  if (provider == seen.end()) r.missing(f, "provider", "a declared provider name");
  if (model == seen.end()) r.missing(f, "model", "a declared public model name");
  for (std::string_view key : {"input_per_mtok", "output_per_mtok"}) {
    if (!seen.contains(key)) r.missing(f, key, "USD per million tokens like 1.25");
  }
  if (provider == seen.end() || model == seen.end()) return;
  bool provider_ok = declared.contains(price.provider);
  if (!provider_ok) {
    r.problem(provider->second,
              fmt::format("{} is not a declared provider", quote_value(price.provider)));
  }
  const ModelConfig* m = config.find_model(price.model);
  if (!m) {
    r.problem(model->second, fmt::format("{} is not a declared model", quote_value(price.model)));
  } else if (provider_ok && !model_uses(*m, price.provider)) {
    r.problem(f, fmt::format("no route of model {} uses provider {}; expected a pair that a "
                             "route serves",
                             price.model, price.provider));
  }
}

PriceConfig read_price(Reader& r, const Field& f, const Config& config, const Declared& declared) {
  PriceConfig p;
  p.line = f.mark.line + 1;
  auto usd = [&](Money& out) {
    return [&r, &out](const Field& v) {
      r.decimal(v, kMicrosDigits, kMaxUsdMicros, out, "USD per million tokens like 1.25");
    };
  };
  Money cached = 0;
  Money cache_write = 0;
  auto seen = r.read_map(
      f, {
             {"provider", [&](const Field& v) { r.text(v, p.provider, "a provider name"); }},
             {"model", [&](const Field& v) { r.text(v, p.model, "a public model name"); }},
             {"effective_from", [&](const Field& v) { r.date(v, p.effective_from); }},
             {"input_per_mtok", usd(p.input_per_mtok)},
             {"cached_input_per_mtok", usd(cached)},
             {"cache_write_per_mtok", usd(cache_write)},
             {"output_per_mtok", usd(p.output_per_mtok)},
         });
  if (!seen) return p;
  if (seen->contains("cached_input_per_mtok")) p.cached_input_per_mtok = cached;
  if (seen->contains("cache_write_per_mtok")) p.cache_write_per_mtok = cache_write;
  check_price_target(r, f, *seen, config, declared, p);
  return p;
}

}  // namespace

void read_contracts(Reader& r, const Field& f, Config& config, const Declared& declared) {
  std::map<std::string, std::string> owner;  // provider -> the contract that lists it
  for (const Field& entry : r.entries(f)) {
    if (entry.key.empty()) r.problem_at_key(entry, "a contract needs a non-empty name");
    config.contracts[entry.key] = read_contract(r, entry, config, declared, owner);
  }
}

void read_prices(Reader& r, const Field& f, Config& config, const Declared& declared) {
  // (provider, model, effective_from) -> the line of its first entry: a pair may have a price
  // history, but one price per day.
  std::map<std::tuple<std::string, std::string, Days>, int> priced;
  for (const Field& item : r.items(f,
                                   "a list of {provider, model, input_per_mtok, "
                                   "output_per_mtok}")) {
    PriceConfig price = read_price(r, item, config, declared);
    if (price.provider.empty() || price.model.empty()) continue;
    auto [first, inserted] =
        priced.emplace(std::tuple(price.provider, price.model, price.effective_from), price.line);
    if (!inserted) {
      std::string from = price.effective_from == kNoStartDate
                             ? std::string("without effective_from")
                             : "from " + format_date(price.effective_from);
      r.problem(item, fmt::format("a second price for provider {} and model {} {} (the first is "
                                  "at line {}); keep one, or give each its own effective_from",
                                  price.provider, price.model, from, first->second));
      continue;
    }
    config.prices.push_back(std::move(price));
  }
}

void read_routing(Reader& r, const Field& f, RoutingConfig& routing) {
  auto count = [&](std::uint64_t min, std::uint64_t max, std::uint32_t& out) {
    return [&r, min, max, &out](const Field& v) {
      std::uint64_t n = 0;
      if (r.count(v, min, max, n)) out = static_cast<std::uint32_t>(n);
    };
  };
  BreakerConfig& b = routing.breaker;
  auto breaker = [&](const Field& v) {
    r.read_map(v, {
                      {"failures", count(1, 1'000, b.failures)},
                      {"error_percent", count(1, 100, b.error_percent)},
                      {"min_requests", count(1, 1'000'000, b.min_requests)},
                      {"window", [&](const Field& w) { r.duration(w, b.window); }},
                      {"cooldown", [&](const Field& w) { r.duration(w, b.cooldown); }},
                  });
  };
  auto seen = r.read_map(
      f, {
             {"attempts", count(1, 100, routing.attempts)},
             {"backoff", [&](const Field& v) { r.duration(v, routing.backoff, true); }},
             {"max_backoff", [&](const Field& v) { r.duration(v, routing.max_backoff, true); }},
             {"deadline", [&](const Field& v) { r.duration(v, routing.deadline); }},
             {"breaker", breaker},
         });
  if (seen && routing.max_backoff < routing.backoff) {
    auto at = seen->find("max_backoff");
    r.problem(at != seen->end() ? at->second : seen->at("backoff"),
              fmt::format("max_backoff {}ms is less than backoff {}ms; expected max_backoff >= "
                          "backoff",
                          routing.max_backoff.count(), routing.backoff.count()));
  }
}

}  // namespace tollbooth::config_detail
