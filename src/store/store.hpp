#pragma once
// The store: keys, teams, the audit log, rate-limit windows, the ledger (with the contracts'
// accruals and the gateway's runs) and kept Responses API responses, in SQLite (one file, the
// default) or PostgreSQL (several instances). Every call blocks on the database, so nothing on
// an event loop calls it: the request path reads in-memory snapshots, and writes go through a
// background thread (app/). The CLI calls it directly.
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "access/records.hpp"
#include "core/ledger.hpp"
#include "core/money.hpp"
#include "core/stored_response.hpp"

namespace tollbooth {

// Where the store lives (config `store:`). Exactly one of sqlite_path / postgres_url is set.
struct StoreConfig {
  std::string sqlite_path;   // a file, created on first use
  std::string postgres_url;  // a libpq connection string or postgres:// URL
};

// A store call failed: the database is unreachable, a constraint failed, a migration is missing.
// The message names the store and what failed, never a password.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// put_key refused a key naming a team that is not in the store when the write would commit
// (TeamCheck::in_store): another process may have deleted it since the caller looked. Nothing
// was written.
class TeamMissing : public StoreError {
 public:
  TeamMissing(const std::string& message, std::string team)
      : StoreError(message), team_(std::move(team)) {}
  const std::string& team() const noexcept { return team_; }

 private:
  std::string team_;
};

// What put_key checks of the team a key names.
enum class TeamCheck : std::uint8_t {
  none,      // nothing: a team declared in the config file (not in the store), or no team
  in_store,  // key.team, when not empty, must be a team in the store, checked in the writing
             // transaction; else TeamMissing
};

// What delete_team did.
struct TeamDeletion {
  enum class Outcome : std::uint8_t {
    deleted,
    not_found,  // there was no such team
    in_use,     // keys that are not revoked name it: deleting it would lock them out
  };
  Outcome outcome = Outcome::not_found;
  std::int64_t keys_in_use = 0;  // in_use: how many such keys
};

// A rate-limit window as saved across restarts (the local limiter's state): `subject` is
// "key:<id>" or "team:<id>", `kind` "rpm" or "tpm".
struct WindowState {
  std::string subject;
  std::string kind;
  std::int64_t start_ms = 0;  // the window runs [start_ms, start_ms + 60 s)
  std::int64_t used = 0;

  bool operator==(const WindowState&) const = default;
};

// One start of a gateway process, as the ledger's writer records it (begin_run, end_run).
struct LedgerRun {
  std::int64_t id = 0;
  std::int64_t started_ms = 0;
  std::int64_t ended_ms = 0;     // 0: it never ended cleanly (it is running, or was killed)
  std::int64_t rows = 0;         // ledger rows it wrote
  std::int64_t last_row_ms = 0;  // the latest at_ms among them; 0: none

  bool operator==(const LedgerRun&) const = default;
};

// What a spend report groups by.
enum class SpendGroup : std::uint8_t {
  key,       // the key's id ("" for requests without a virtual key)
  team,      // "" for none
  model,     // the public model name
  provider,  // the provider's name
  contract,  // "" for none
  route,     // the route's label
  day,       // the UTC date of at_ms, "2026-12-01"
};
std::string_view spend_group_name(SpendGroup g) noexcept;  // "key", "team", ..., "day"
std::optional<SpendGroup> parse_spend_group(std::string_view name) noexcept;

// How a spend report splits each group over time: not at all, or into UTC hours or days (a
// time series per group, for charts).
enum class SpendBucket : std::uint8_t { none, hour, day };
std::string_view spend_bucket_name(SpendBucket b) noexcept;                     // "", "hour", "day"
std::optional<SpendBucket> parse_spend_bucket(std::string_view name) noexcept;  // hour, day

struct SpendQuery {
  SpendGroup by = SpendGroup::key;
  std::int64_t since_ms = 0;  // rows with since_ms <= at_ms < until_ms
  std::int64_t until_ms = std::numeric_limits<std::int64_t>::max();
  std::optional<std::string> key;        // only this key's rows ("" : rows without a key)
  std::optional<std::string> team;       // only this team's rows
  SpendBucket over = SpendBucket::none;  // each group's rows per hour or day
};

// One group of a spend report, or the whole of it. Sums are exact.
struct SpendRow {
  std::string group;  // the group's value (see SpendGroup); "" in the total
  // With SpendQuery::over, the UTC hour ("2026-12-01T13:00:00Z") or day ("2026-12-01") these
  // sums are of; "" otherwise and in the total.
  std::string bucket;
  std::int64_t requests = 0;  // distinct requests (a fallback's two rows are one request)
  std::int64_t rows = 0;      // ledger rows (upstream attempts that were billed)
  // Token counts as in core::Usage: input includes the cached and cache-write tokens, output
  // the reasoning tokens.
  std::int64_t input_tokens = 0;
  std::int64_t cached_input_tokens = 0;
  std::int64_t cache_write_input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t reasoning_tokens = 0;
  Money cost = 0;
  Money charge = 0;
  Money toll = 0;
  Money commitment_burn = 0;
  std::int64_t estimated_rows = 0;  // rows whose usage was estimated, not reported
  std::int64_t unpriced_rows = 0;   // rows served without a price (every figure 0)

  bool operator==(const SpendRow&) const = default;
};

struct SpendReport {
  std::vector<SpendRow> groups;  // sorted by group (bytewise), then bucket (oldest first)
  SpendRow total;                // the whole selection (its requests counted once each)
};

// What a contract has accrued: the tolls paid under its revenue share's cap (over its whole
// life), and its commitment burn per period ("2026-01-01..2026-12-31").
struct ContractAccrual {
  struct PeriodBurn {
    std::string period;
    Money burn = 0;
    bool operator==(const PeriodBurn&) const = default;
  };
  std::string contract;
  Money tolls_paid = 0;
  std::vector<PeriodBurn> burn;  // sorted by period

  bool operator==(const ContractAccrual&) const = default;
};

// Safe to call from several threads (calls run one at a time), but every call blocks.
class Store {
 public:
  virtual ~Store() = default;

  // What kind of store and where, without credentials ("sqlite:/var/lib/tollbooth.db",
  // "postgres:db.internal:5432/tollbooth").
  virtual std::string describe() const = 0;

  // A number that grows with every write to keys or teams, by any process on this store.
  // Snapshots reload when it changed.
  virtual std::int64_t change_version() = 0;

  virtual std::vector<access::Key> load_keys() = 0;  // all, revoked ones too
  virtual std::vector<access::Team> load_teams() = 0;
  virtual std::optional<access::Key> find_key(const std::string& id) = 0;
  virtual std::optional<access::Team> find_team(const std::string& id) = 0;

  // Inserts or replaces the record (by id, secrets included) and appends `audit` in the same
  // transaction; returns the audit entry's id. With TeamCheck::in_store the key's team is
  // looked up in that transaction too (a check made before it, in another, could be undone by
  // another process's delete_team in between): TeamMissing when it is not there.
  virtual std::int64_t put_key(const access::Key& key, const access::AuditEntry& audit,
                               TeamCheck team_check = TeamCheck::none) = 0;
  virtual std::int64_t put_team(const access::Team& team, const access::AuditEntry& audit) = 0;
  // Deletes a team and appends `audit`, unless there is no such team or keys that are not
  // revoked name it (counted in the same transaction, so another process cannot give the team
  // a key in between); then nothing is written, `audit` included. Revoked keys naming it keep
  // the name.
  virtual TeamDeletion delete_team(const std::string& id, const access::AuditEntry& audit) = 0;

  // Audit entries with id > after_id, oldest first, at most `limit`.
  virtual std::vector<access::AuditEntry> audit(std::int64_t after_id, std::size_t limit) = 0;

  // Rate-limit windows, so a restart does not refill them. Saving replaces the saved window of
  // each (subject, kind) given and leaves the others, except those that had closed before the
  // earliest given window began (they are dropped). Does not move change_version().
  virtual void save_windows(const std::vector<WindowState>& windows) = 0;
  virtual std::vector<WindowState> load_windows(std::int64_t now_ms) = 0;  // still open at now

  // ---- the ledger --------------------------------------------------------------------------
  // None of these moves change_version(): the ledger is neither keys nor teams.

  // Records a gateway process's start; returns its run id, which append_ledger and end_run
  // take.
  virtual std::int64_t begin_run(std::int64_t now_ms) = 0;
  // Records a clean end (after the last append_ledger).
  virtual void end_run(std::int64_t run_id, std::int64_t now_ms) = 0;
  // The run begun just before `run_id` (the newest with a smaller id) when it never ended
  // cleanly (killed, or crashed): what it wrote and the time of its last row, so a start can
  // say since when rows may be missing. nullopt when it ended cleanly or there is none. On a
  // store shared by several instances, that run may be another instance's, still running.
  virtual std::optional<LedgerRun> unfinished_run_before(std::int64_t run_id) = 0;

  // Appends `rows`, in order, in ONE transaction: for each row with a contract, its toll is
  // its toll_due cut to what is left under toll_cap_micros (no cap when negative) of the tolls
  // the contract has paid so far (never negative), and that toll is accrued; its
  // commitment_burn is added to (contract, commitment_period). Fills in each row's `toll`.
  // Exact across processes: the accrual rows are locked (SQLite's write lock; on PostgreSQL
  // the row lock of an upsert, taken in a fixed order), so a cap is never passed and the row
  // that crosses it pays exactly the rest. A row is identified by (run_id, request_id,
  // attempt): one appended again (a batch retried after an in-doubt commit) is left as it
  // was, accrues nothing again, and gets its stored toll back. Throws StoreError for an
  // unknown run id (nothing is written).
  virtual void append_ledger(std::int64_t run_id, std::span<LedgerRow> rows) = 0;

  // The sum of `charge` of a key's (team false) or a team's (team true) rows with
  // at_ms >= since_ms: what its budget has spent since the period began.
  virtual Money charge_since(bool team, const std::string& id, std::int64_t since_ms) = 0;

  // The ledger summed by one dimension over [since_ms, until_ms), in one read snapshot.
  virtual SpendReport spend(const SpendQuery& query) = 0;

  // Ledger rows with since_ms <= at_ms < until_ms, oldest first (by at_ms, request_id,
  // attempt), at most `limit`. For exports and tests: the reports above are what people read.
  virtual std::vector<LedgerRow> ledger_rows(std::int64_t since_ms, std::int64_t until_ms,
                                             std::size_t limit) = 0;

  // Every contract with anything accrued, sorted by name.
  virtual std::vector<ContractAccrual> contract_accruals() = 0;

  // ---- kept Responses API responses ----------------------------------------------------------
  // None of these moves change_version().

  // Writes `responses` in ONE transaction; a record whose (key, id) is already kept is replaced.
  virtual void put_responses(const std::vector<StoredResponse>& responses) = 0;
  // The record of `key` with `id`, unless there is none or it expired (expires_ms <= now_ms).
  virtual std::optional<StoredResponse> find_response(const std::string& key, const std::string& id,
                                                      std::int64_t now_ms) = 0;
  // Deletes the record of `key` with `id`; false when there was none (an expired one counts
  // as none).
  virtual bool delete_response(const std::string& key, const std::string& id,
                               std::int64_t now_ms) = 0;
  // Deletes every record that expired by now_ms; how many went.
  virtual std::int64_t delete_expired_responses(std::int64_t now_ms) = 0;
};

// The response `id` of `key` (not expired at now_ms) and, with conversation_bytes > 0, the
// responses it continued, newest first, following previous_id until the first of the
// conversation or one that lives at a provider: what rebuilding its history needs. too_long
// once their input items and responses pass conversation_bytes (or 10,000 turns); broken when
// a turn is gone. Throws StoreError (the caller's store_failed).
KeptConversation find_conversation(Store& store, const std::string& key, const std::string& id,
                                   std::int64_t now_ms, std::size_t conversation_bytes);

// Opens (creating and migrating to the current schema) the configured store. Throws StoreError.
std::unique_ptr<Store> open_store(const StoreConfig& config);

}  // namespace tollbooth
