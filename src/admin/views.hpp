#pragma once
// What the admin API shows of keys, teams and the audit log, as JSON text. A key's view lists
// its secrets by last four characters and times only: never a secret, never a hash. The same
// views are the before/after of audit entries.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "access/records.hpp"

namespace tollbooth::admin {

// Basis points as the percent they are: 8000 -> "80", 1250 -> "12.5", 5 -> "0.05".
std::string format_percent(std::int64_t basis_points);

// {"id","object":"key","alias","team","scopes","models","regions","rpm","tpm","max_parallel",
//  "budget","expires_at","metadata","created_at","updated_at","revoked_at",
//  "secrets":[{"last4","created_at","valid_until"}],"source":"store"|"config"}
// budget: null, or {"usd":"50","limit_micros":50000000,"per":"month","soft_percent":80|null}
// (soft_percent a JSON number: 12.5 for 1250 basis points).
std::string key_view(const access::Key& key);
// {"id","object":"team","scopes","models","regions","rpm","tpm","max_parallel","budget",
//  "markup_percent","metadata","created_at","updated_at","source"}
std::string team_view(const access::Team& team);
// {"id","object":"team","deleted":true}
std::string team_deleted(std::string_view id);

// {"key": <view>, "secret": "tk-..."}: the only replies that carry a secret.
std::string key_with_secret(const access::Key& key, std::string_view secret);
// {"object":"list","data":[views]}
std::string key_list(const std::vector<access::Key>& keys);
std::string team_list(const std::vector<access::Team>& teams);
// {"object":"list","data":[{"id","object":"audit_entry","at","actor","action","target","before",
//  "after"}],"last_id":N}; before/after as JSON values (null when empty). last_id is the last
// entry's id, or `after_id` when there is none, so a poller can pass it back as ?after=.
std::string audit_list(const std::vector<access::AuditEntry>& entries, std::int64_t after_id);

}  // namespace tollbooth::admin
