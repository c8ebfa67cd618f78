#pragma once
// The admin API's request bodies, read and checked: each field's type, form and bounds, unknown
// fields refused by name. What needs the store (does the team exist?) is checked by the caller.
// Pure: JSON text in, values or a 400 Error (param = the field) out.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/records.hpp"
#include "core/result.hpp"

namespace tollbooth::admin {

inline constexpr std::size_t kMaxMetadataBytes = 16 * 1024;    // metadata as compact JSON
inline constexpr std::int64_t kMaxLimit = 1'000'000'000'000;   // rpm, tpm, max_parallel
inline constexpr std::int64_t kMaxGraceSeconds = 30 * 86'400;  // rotate's grace_seconds
// A budget's usd and a team's markup_percent, bounded as in the config file.
inline constexpr std::int64_t kMaxBudgetDollars = 1'000'000'000;
inline constexpr std::int32_t kMaxMarkupBp = 100'000;  // 1000 %

// A `budget` field: {"usd": "50", "per": "month", "soft_percent": 80}, or null to remove the
// budget. Only the members given are set: a record without a budget needs `usd` (then `per`
// defaults to month and there is no soft limit); one with a budget keeps what is not named,
// so {"soft_percent": 90} changes only that.
struct BudgetFields {
  bool remove = false;                       // null
  std::optional<std::int64_t> limit_micros;  // usd, > 0
  std::optional<access::BudgetPeriod> per;
  std::optional<std::int32_t> soft_bp;  // soft_percent as basis points; null/0: none
};

// What a POST /keys or PATCH /keys/{id} body sets. An unset member is not in the body; JSON
// null clears a field: alias and team to "", expires_at to 0 (never), metadata to {}, a limit
// to 0 (unlimited), models and regions to [] (any).
struct KeyFields {
  std::optional<std::string> alias;
  std::optional<std::string> team;
  std::optional<access::ScopeSet> scopes;
  std::optional<std::vector<std::string>> models;
  std::optional<std::vector<std::string>> regions;
  std::optional<std::int64_t> rpm;
  std::optional<std::int64_t> tpm;
  std::optional<std::int64_t> max_parallel;
  std::optional<std::int64_t> expires_ms;  // in the future (after now_ms) unless 0
  std::optional<std::string> metadata;     // a JSON object, compact
  std::optional<BudgetFields> budget;
};

// What a POST /teams or PATCH /teams/{id} body sets (id only on create, where it is required).
struct TeamFields {
  std::optional<std::string> id;
  std::optional<access::ScopeSet> scopes;
  std::optional<std::vector<std::string>> models;
  std::optional<std::vector<std::string>> regions;
  std::optional<std::int64_t> rpm;
  std::optional<std::int64_t> tpm;
  std::optional<std::int64_t> max_parallel;
  std::optional<std::string> metadata;
  std::optional<BudgetFields> budget;
  std::optional<std::int32_t> markup_bp;  // markup_percent as basis points; null: 0
};

// An empty body reads as {}.
Result<KeyFields> read_key_fields(std::string_view body, std::int64_t now_ms);
Result<TeamFields> read_team_fields(std::string_view body, bool create);
// POST /keys/{id}/rotate: {"grace_seconds": N}; 0 when absent.
Result<std::int64_t> read_grace_seconds(std::string_view body);
// POST /keys/{id}/revoke takes no fields: an empty body or {}.
Result<Ok> read_empty_body(std::string_view body);

// Team names: letters, digits, '_', '.', '-'; 1 to 64 bytes (the config's rule).
bool valid_team_id(std::string_view id) noexcept;

// Applies what is set.
void apply(const KeyFields& fields, access::Key& key);
void apply(const TeamFields& fields, access::Team& team);

// After apply: a budget set without an amount (on a record that had no budget) is a 400
// naming budget.usd; nullopt when the budget is whole.
std::optional<Error> incomplete_budget(const std::optional<BudgetFields>& fields,
                                       const access::Budget& result);

}  // namespace tollbooth::admin
