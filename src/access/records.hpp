#pragma once
// Who may ask: the records of virtual keys, teams and the audit log, as the store keeps them and
// the request path reads them (through an in-memory snapshot, never the store itself). Pure
// data, no I/O. Times are Unix milliseconds (UTC); 0 means "not set" where a field says so.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollbooth::access {

// What a caller may do. A key holds a set of them; an endpoint needs one.
enum class Scope : std::uint8_t {
  chat,             // POST /v1/chat/completions
  responses,        // the Responses API
  embeddings,       // POST /v1/embeddings
  models,           // GET /v1/models[/{id}]
  routing_explain,  // see the plan header, the catalog facts, and why a cloud refused
  admin,            // /admin/v1/... (and what `metrics` allows)
  metrics,          // GET /metrics: a scraper's key, that may do nothing else
};
inline constexpr std::size_t kScopeCount = 7;

// A set of scopes as bits (1 << Scope).
using ScopeSet = std::uint32_t;
inline constexpr ScopeSet scope_bit(Scope s) noexcept {
  return ScopeSet{1} << static_cast<int>(s);
}
inline constexpr ScopeSet kAllScopes = (ScopeSet{1} << kScopeCount) - 1;
// What a key gets when created without naming scopes: every API scope, not routing:explain or
// admin.
inline constexpr ScopeSet kDefaultScopes = scope_bit(Scope::chat) | scope_bit(Scope::responses) |
                                           scope_bit(Scope::embeddings) | scope_bit(Scope::models);

// Names as written in the config, the admin API and the CLI: "chat", "responses",
// "embeddings", "models", "routing:explain", "admin".
std::string_view scope_name(Scope s) noexcept;
std::optional<Scope> parse_scope(std::string_view name) noexcept;

// Limits of a key or a team; 0 means unlimited.
struct Limits {
  std::int64_t rpm = 0;           // requests per minute
  std::int64_t tpm = 0;           // tokens per minute (input estimate + output reserved)
  std::int64_t max_parallel = 0;  // requests in flight at once

  bool operator==(const Limits&) const = default;
};

// A spending limit, in charge (integer micro-dollars), over a UTC calendar period or in total.
enum class BudgetPeriod : std::uint8_t { day, week, month, total };  // week: from Monday
std::string_view budget_period_name(BudgetPeriod p) noexcept;
std::optional<BudgetPeriod> parse_budget_period(std::string_view name) noexcept;

struct Budget {
  std::int64_t limit_micros = 0;  // 0: no budget
  BudgetPeriod per = BudgetPeriod::month;
  std::int32_t soft_bp = 0;  // an event when spend reaches this share of it (8000 = 80 %); 0: none

  bool operator==(const Budget&) const = default;
};

struct Team {
  std::string id;  // the team's name: letters, digits, '_', '.', '-'; 1 to 64 bytes
  ScopeSet scopes = kAllScopes;
  std::vector<std::string> models;   // names or globs ("gpt-4o*"); empty: every model
  std::vector<std::string> regions;  // region globs ("us-*"); empty: every region
  Limits limits;
  Budget budget;
  std::int32_t markup_bp = 0;  // charge = cost + this share of it (basis points)
  std::string metadata;        // a JSON object, as text ("{}" when none)
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  bool from_config = false;  // declared in the config file: read-only through the API and CLI

  bool operator==(const Team&) const = default;
};

// One secret of a key: only its hash is kept. A rotated-out secret stays valid until its
// `valid_until_ms`; the current secret has valid_until_ms 0.
struct KeySecret {
  std::string hash;   // lowercase hex SHA-256 of the whole secret ("tk-...")
  std::string last4;  // the secret's last four characters, for lists
  std::int64_t created_ms = 0;
  std::int64_t valid_until_ms = 0;  // 0: no end (the current secret)

  bool operator==(const KeySecret&) const = default;
};

struct Key {
  std::string id;     // "key_" + 16 lowercase hex; not a secret
  std::string alias;  // a name people recognise; may be empty
  std::string team;   // a Team id, or empty for none
  ScopeSet scopes = kDefaultScopes;
  std::vector<std::string> models;   // names or globs; empty: every model
  std::vector<std::string> regions;  // region globs; empty: every region
  Limits limits;
  Budget budget;
  std::int64_t expires_ms = 0;  // 0: never; the key is refused from this instant on
  std::string metadata;         // a JSON object, as text ("{}" when none)
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t revoked_ms = 0;     // 0: not revoked
  std::vector<KeySecret> secrets;  // the current one first
  bool from_config = false;        // declared in the config file: read-only

  bool operator==(const Key&) const = default;
};

// One admin action. Never holds a secret: before/after are the records as JSON without them.
struct AuditEntry {
  std::int64_t id = 0;  // assigned by the store, increasing
  std::int64_t at_ms = 0;
  std::string actor;   // "key:<id>", "admin_key", "cli:<user>"
  std::string action;  // "key.create", "key.update", "key.revoke", "key.rotate", "team.create", ...
  std::string target;  // "key:<id>", "team:<id>"
  std::string before;  // JSON, or empty for a create
  std::string after;   // JSON, or empty for a delete

  bool operator==(const AuditEntry&) const = default;
};

}  // namespace tollbooth::access
