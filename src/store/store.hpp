#pragma once
// The store: keys, teams, the audit log and rate-limit windows, kept in SQLite (one file, the
// default) or PostgreSQL (several instances). Every call blocks on the database, so nothing on
// an event loop calls it: the request path reads in-memory snapshots, and writes go through a
// background thread (app/). The CLI calls it directly.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "access/records.hpp"

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
};

// Opens (creating and migrating to the current schema) the configured store. Throws StoreError.
std::unique_ptr<Store> open_store(const StoreConfig& config);

}  // namespace tollbooth
