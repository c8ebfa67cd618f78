// Who may ask: auth:, store:, limits:, teams: and keys: (with their budgets, and a team's markup).
// Keys and teams declared here are kept in version control with the rest of the file and are
// read-only at run time; the ones made through the admin API or the CLI live in the store.
#include <fmt/format.h>

#include <set>

#include "access/secret.hpp"
#include "config/config_sections.hpp"
#include "core/date.hpp"

namespace tollbooth::config_detail {
namespace {

constexpr std::uint64_t kMaxLimit = 1'000'000'000'000;  // rpm / tpm / max_parallel
// A budget's limit: a billion dollars, so every sum of it stays exact in the shared book's Lua
// numbers (doubles: integers to 2^53 micro-dollars, about nine billion dollars).
constexpr std::int64_t kMaxBudgetMicros = 1'000'000'000 * kMicrosPerDollar;
constexpr std::int64_t kMaxMarkupBp = 100'000;  // 1000 %
constexpr std::string_view kBudgetUsdForm = "US dollars more than 0 like 500 or 12.50";
constexpr std::string_view kSoftForm = "a percentage from 1 to 100 like 80 or 92.5";
constexpr std::string_view kNameForm = "letters, digits, '_', '.' and '-', 1 to 64 characters";

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void read_scopes(Reader& r, const Field& f, access::ScopeSet& out) {
  access::ScopeSet set = 0;
  bool ok = true;
  for (const Field& item : r.items(f, "a list of scopes like [chat, models]")) {
    std::string name;
    if (!r.text(item, name, "a scope name")) {
      ok = false;
      continue;
    }
    auto scope = access::parse_scope(name);
    if (!scope) {
      r.problem(item, fmt::format("unknown scope {}; expected one of: chat, responses, "
                                  "embeddings, models, routing:explain, admin, metrics",
                                  quote_value(name)));
      ok = false;
      continue;
    }
    set |= access::scope_bit(*scope);
  }
  if (ok) out = set;
}

// Model names or globs, or region globs: non-empty text without spaces.
void read_patterns(Reader& r, const Field& f, std::string_view what,
                   std::vector<std::string>& out) {
  std::vector<std::string> list;
  for (const Field& item : r.items(f, fmt::format("a list of {}", what))) {
    std::string text;
    if (!r.text(item, text, what)) continue;
    if (text.empty() || text.find_first_of(" \t") != std::string::npos) {
      r.problem(item, fmt::format("{} is not one of {}", quote_value(text), what));
      continue;
    }
    list.push_back(std::move(text));
  }
  out = std::move(list);
}

void read_limit(Reader& r, const Field& f, std::int64_t& out) {
  std::uint64_t n = 0;
  if (r.count(f, 1, kMaxLimit, n)) out = static_cast<std::int64_t>(n);
}

// budget: {usd: 500, per: month, soft_percent: 80}; usd is required, per defaults to month,
// soft_percent to none. The budget is stored only when every part of it is valid.
void read_budget(Reader& r, const Field& f, access::Budget& out) {
  access::Budget budget;
  bool ok = true;
  auto usd = [&](const Field& v) {
    std::int64_t micros = 0;
    if (!r.decimal(v, 6, kMaxBudgetMicros, micros, kBudgetUsdForm)) {
      ok = false;
    } else if (micros == 0) {
      r.problem(v, fmt::format("{} is not a budget; expected {} (leave budget: out for none)",
                               quote_value(v.node.Scalar()), kBudgetUsdForm));
      ok = false;
    } else {
      budget.limit_micros = micros;
    }
  };
  auto per = [&](const Field& v) {
    std::size_t i = 0;
    if (!r.choice(v, {"day", "week", "month", "total"}, i)) {
      ok = false;
      return;
    }
    static constexpr access::BudgetPeriod kPeriods[] = {
        access::BudgetPeriod::day, access::BudgetPeriod::week, access::BudgetPeriod::month,
        access::BudgetPeriod::total};
    budget.per = kPeriods[i];
  };
  auto soft = [&](const Field& v) {
    std::int64_t bp = 0;
    if (!r.decimal(v, 2, 10'000, bp, kSoftForm)) {
      ok = false;
    } else if (bp < 100) {
      r.problem(v, fmt::format("{} is out of range; expected {}", quote_value(v.node.Scalar()),
                               kSoftForm));
      ok = false;
    } else {
      budget.soft_bp = static_cast<std::int32_t>(bp);
    }
  };
  auto seen = r.read_map(f, {{"usd", usd}, {"per", per}, {"soft_percent", soft}});
  if (!seen) return;
  if (!seen->contains("usd")) {
    r.missing(f, "usd", kBudgetUsdForm);
    return;
  }
  if (ok) out = budget;
}

// The keys a team and a key share: scopes, models, regions, the three limits and the budget.
std::vector<KeyRule> common_rules(Reader& r, access::ScopeSet& scopes,
                                  std::vector<std::string>& models,
                                  std::vector<std::string>& regions, access::Limits& limits,
                                  access::Budget& budget) {
  return {
      {"scopes", [&](const Field& v) { read_scopes(r, v, scopes); }},
      {"models", [&](const Field& v) { read_patterns(r, v, "model names or globs", models); }},
      {"regions", [&](const Field& v) { read_patterns(r, v, "region globs like us-*", regions); }},
      {"rpm", [&](const Field& v) { read_limit(r, v, limits.rpm); }},
      {"tpm", [&](const Field& v) { read_limit(r, v, limits.tpm); }},
      {"max_parallel", [&](const Field& v) { read_limit(r, v, limits.max_parallel); }},
      {"budget", [&](const Field& v) { read_budget(r, v, budget); }},
  };
}

}  // namespace

void read_auth(Reader& r, const Field& f, AuthMode& auth) {
  std::size_t i = 0;
  if (r.choice(f, {"keys", "none"}, i)) auth = i == 0 ? AuthMode::keys : AuthMode::none;
}

void read_store(Reader& r, const Field& f, StoreSettings& store) {
  store.declared = true;
  auto failure = [&](const Field& v) {
    std::size_t i = 0;
    if (r.choice(v, {"fail_closed", "fail_open"}, i))
      store.redis_failure = i == 0 ? LimitFailure::fail_closed : LimitFailure::fail_open;
  };
  auto seen = r.read_map(
      f,
      {
          {"sqlite", [&](const Field& v) { r.path(v, store.sqlite_path, "a database file path"); }},
          {"postgres",
           [&](const Field& v) { r.secret(v, store.postgres_url, &store.postgres_env); }},
          {"redis", [&](const Field& v) { r.secret(v, store.redis_url); }},
          {"refresh", [&](const Field& v) { r.duration(v, store.refresh); }},
          {"responses_retention",
           [&](const Field& v) { r.duration(v, store.responses_retention); }},
          {"redis_failure", failure},
      });
  if (!seen) return;
  if (seen->contains("sqlite") && seen->contains("postgres"))
    r.problem_at_key(seen->at("postgres"),
                     "store.sqlite and store.postgres are both set; expected one of them");
  if (seen->contains("redis_failure") && !seen->contains("redis"))
    r.problem_at_key(seen->at("redis_failure"),
                     "redis_failure applies only with store.redis; expected redis: too");
}

void read_metrics(Reader& r, const Field& f, MetricsConfig& metrics) {
  r.read_map(f, {{"enabled", [&](const Field& v) { r.boolean(v, metrics.enabled); }}});
}

void read_limits(Reader& r, const Field& f, LimitsConfig& limits) {
  r.read_map(f, {
                    {"default_output_tokens",
                     [&](const Field& v) {
                       std::uint64_t n = 0;
                       if (r.count(v, 1, 10'000'000, n))
                         limits.default_output_tokens = static_cast<std::uint32_t>(n);
                     }},
                });
}

void read_teams(Reader& r, const Field& f, Config& config) {
  for (const Field& entry : r.entries(f)) {
    access::Team team;
    team.id = entry.key;
    team.from_config = true;
    team.metadata = "{}";
    if (!valid_name(team.id)) {
      r.problem_at_key(entry, fmt::format("{} is not a team name; expected {}",
                                          quote_value(team.id), kNameForm));
      continue;
    }
    auto rules = common_rules(r, team.scopes, team.models, team.regions, team.limits, team.budget);
    rules.push_back(
        {"markup_percent", [&](const Field& v) {
           std::int64_t bp = 0;
           if (r.decimal(v, 2, kMaxMarkupBp, bp, "a percentage from 0 to 1000 like 10 or 2.5"))
             team.markup_bp = static_cast<std::int32_t>(bp);
         }});
    r.read_map(entry, rules);
    config.teams.push_back(std::move(team));
  }
}

void read_keys(Reader& r, const Field& f, Config& config) {
  std::set<std::string, std::less<>> secrets;
  for (const Field& entry : r.entries(f)) {
    DeclaredKey declared;
    access::Key& key = declared.key;
    key.id = entry.key;
    key.alias = entry.key;
    key.from_config = true;
    key.metadata = "{}";
    declared.line = entry.key_mark.line + 1;
    if (!valid_name(key.id) || key.id.starts_with("key_")) {
      r.problem_at_key(entry, fmt::format("{} is not a key name; expected {}, not starting with "
                                          "key_ (the prefix of keys made at run time)",
                                          quote_value(key.id), kNameForm));
      continue;
    }
    auto rules = common_rules(r, key.scopes, key.models, key.regions, key.limits, key.budget);
    rules.push_back({"secret", [&](const Field& v) {
                       std::string secret;
                       if (!r.secret(v, secret)) return;
                       if (secret == kSecretNotRead) return;  // a command that reads none
                       if (!access::looks_like_secret(secret)) {
                         // Never the value: it is a secret.
                         r.problem(v,
                                   "the secret does not have the form of a key: expected tk- "
                                   "and 43 letters, digits, '_' or '-' (make one with "
                                   "`tollbooth keys secret`)");
                         return;
                       }
                       if (secret == config.server.admin_key) {
                         // It would be taken for the admin key, every scope and no limit.
                         r.problem(v,
                                   "the secret is server.admin_key's; expected a secret of "
                                   "this key's own");
                         return;
                       }
                       if (!secrets.insert(secret).second) {
                         r.problem(v,
                                   "the same secret is given to another key; expected one "
                                   "secret per key");
                         return;
                       }
                       declared.secret = std::move(secret);
                     }});
    rules.push_back({"team", [&](const Field& v) {
                       std::string team;
                       if (!r.text(v, team, "a team name declared under teams:")) return;
                       bool known = false;
                       for (const auto& t : config.teams) known = known || t.id == team;
                       if (!known) {
                         r.problem(v, fmt::format("team {} is not declared under teams:; "
                                                  "expected one of the teams in this file",
                                                  quote_value(team)));
                         return;
                       }
                       key.team = std::move(team);
                     }});
    rules.push_back({"expires", [&](const Field& v) {
                       std::string text;
                       if (!r.text(v, text, "a date or an instant")) return;
                       auto at = parse_instant(text);
                       if (!at) {
                         r.problem(v, fmt::format("{} is not a date or an instant; expected "
                                                  "2027-01-01 or 2027-01-01T12:00:00Z",
                                                  quote_value(text)));
                         return;
                       }
                       key.expires_ms = *at;
                     }});
    auto seen = r.read_map(entry, rules);
    if (!seen) continue;
    if (!seen->contains("secret")) {
      r.missing(entry, "secret", "env:NAME holding the key's secret");
      continue;
    }
    config.keys.push_back(std::move(declared));
  }
}

}  // namespace tollbooth::config_detail
