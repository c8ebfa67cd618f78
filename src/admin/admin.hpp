#pragma once
// The admin operations on keys, teams and the audit log, and the ledger's reports (spend,
// contracts): one blocking function that both the HTTP admin API (/admin/v1/..., run off the
// event loops) and the CLI (`tollbooth keys ...`, `tollbooth spend`) call, so validation,
// defaults, read-only rules and the audit trail are the same for both. docs/keys.md ("Admin
// API") and docs/money.md ("Reports") describe every endpoint.
#include <cstdint>
#include <string>
#include <string_view>

namespace tollbooth {
struct Config;
class Store;
}  // namespace tollbooth

namespace tollbooth::admin {

// The prefix the gateway strips before calling handle().
inline constexpr std::string_view kPathPrefix = "/admin/v1";

struct Call {
  std::string_view method;  // "GET", "POST", "PATCH", "DELETE"
  std::string_view path;    // after "/admin/v1", e.g. "/keys", "/keys/key_ab12/rotate"
  std::string_view query;   // without '?', e.g. "after=10&limit=50"
  std::string_view body;    // JSON text, may be empty
  std::string actor;        // who, for the audit log: "admin_key", "key:<id>", "cli:<user>"
  std::int64_t now_ms = 0;  // Unix milliseconds
};

struct Reply {
  int status = 200;      // 200, 201, 400, 404, 405, 409, 503, ...
  std::string body;      // JSON; errors in OpenAI's shape (openai::error_body)
  bool changed = false;  // keys or teams changed: the caller reloads its snapshot
  std::string allow;     // a 405's allowed methods, for its Allow header ("GET, POST")
};

// Runs one admin call against the store. Never throws: a StoreError becomes a 503 naming the
// store's failure (StoreError messages never hold a password), anything else a 500.
// Secrets appear only in the replies of key creation and rotation; views and audit entries
// hold a secret's last four characters at most, never a secret or its hash.
Reply handle(Store& store, const Config& config, const Call& call);

}  // namespace tollbooth::admin
