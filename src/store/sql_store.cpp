// The store's logic, once for both databases: which statements a call runs, in which
// transaction, and how rows become records. sql_db.hpp says what differs per database.
#include "store/sql_store.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace tollbooth::store_detail {
namespace {

using access::AuditEntry;
using access::Key;
using access::KeySecret;
using access::Team;

constexpr std::int64_t kWindowMs = 60'000;  // WindowState: [start_ms, start_ms + 60 s)

// models and regions are kept as JSON arrays of strings in one column: they are read and
// written whole with their record, never queried by element.
std::string encode_list(const std::vector<std::string>& items) {
  boost::json::array a;
  a.reserve(items.size());
  for (const auto& item : items) a.emplace_back(item);
  return boost::json::serialize(a);
}

std::vector<std::string> decode_list(const std::string& text, const char* column) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  std::vector<std::string> out;
  if (!ec && v.is_array()) {
    for (const auto& item : v.get_array()) {
      if (!item.is_string()) {
        ec = boost::json::error::not_string;
        break;
      }
      out.emplace_back(item.get_string());
    }
  }
  if (ec || !v.is_array()) {
    throw DbError(std::string("column ") + column + " does not hold a JSON array of strings");
  }
  return out;
}

// SELECT lists, in the order the readers below expect.
constexpr const char* kKeyColumns =
    "id, alias, team, scopes, models, regions, rpm, tpm, max_parallel, expires_ms, metadata, "
    "created_ms, updated_ms, revoked_ms, from_config";
constexpr const char* kTeamColumns =
    "id, scopes, models, regions, rpm, tpm, max_parallel, metadata, created_ms, updated_ms, "
    "from_config";
constexpr const char* kSecretColumns = "key_id, hash, last4, created_ms, valid_until_ms";
constexpr const char* kAuditColumns = "id, at_ms, actor, action, target, before_json, after_json";

Key read_key(const SqlRow& r) {
  Key k;
  k.id = r.text(0);
  k.alias = r.text(1);
  k.team = r.text(2);
  k.scopes = static_cast<access::ScopeSet>(r.int64(3));
  k.models = decode_list(r.text(4), "keys.models");
  k.regions = decode_list(r.text(5), "keys.regions");
  k.limits = {r.int64(6), r.int64(7), r.int64(8)};
  k.expires_ms = r.int64(9);
  k.metadata = r.text(10);
  k.created_ms = r.int64(11);
  k.updated_ms = r.int64(12);
  k.revoked_ms = r.int64(13);
  k.from_config = r.boolean(14);
  return k;
}

Team read_team(const SqlRow& r) {
  Team t;
  t.id = r.text(0);
  t.scopes = static_cast<access::ScopeSet>(r.int64(1));
  t.models = decode_list(r.text(2), "teams.models");
  t.regions = decode_list(r.text(3), "teams.regions");
  t.limits = {r.int64(4), r.int64(5), r.int64(6)};
  t.metadata = r.text(7);
  t.created_ms = r.int64(8);
  t.updated_ms = r.int64(9);
  t.from_config = r.boolean(10);
  return t;
}

KeySecret read_secret(const SqlRow& r) {  // columns 1.. of kSecretColumns
  return KeySecret{r.text(1), r.text(2), r.int64(3), r.int64(4)};
}

AuditEntry read_audit(const SqlRow& r) {
  return AuditEntry{r.int64(0), r.int64(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6)};
}

// Rolls back unless committed, so every exception path leaves nothing half-written.
class Transaction {
 public:
  Transaction(SqlDb& db, bool write) : db_(db) { db_.begin(write); }
  ~Transaction() {
    if (!done_) db_.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    done_ = true;  // a failed COMMIT ends the transaction too (the database rolls it back)
    db_.commit();
  }

 private:
  SqlDb& db_;
  bool done_ = false;
};

class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<SqlDb> db) : db_(std::move(db)), describe_(db_->describe()) {
    run("opening (schema migration)", [&] { migrate(); });
  }

  std::string describe() const override { return describe_; }

  std::int64_t change_version() override {
    return run("change_version",
               [&] { return scalar("SELECT version FROM change_counter WHERE id = 1", {}); });
  }

  std::vector<Key> load_keys() override {
    return run("load_keys", [&] {
      // One read transaction: keys and their secrets from the same snapshot.
      Transaction tx(*db_, false);
      std::vector<Key> keys;
      query(std::string("SELECT ") + kKeyColumns + " FROM keys", {},
            [&](const SqlRow& r) { keys.push_back(read_key(r)); });
      std::unordered_map<std::string, std::size_t> index;
      for (std::size_t i = 0; i < keys.size(); ++i) index.emplace(keys[i].id, i);
      query(std::string("SELECT ") + kSecretColumns + " FROM key_secrets ORDER BY key_id, ord", {},
            [&](const SqlRow& r) {
              auto it = index.find(r.text(0));
              if (it != index.end()) keys[it->second].secrets.push_back(read_secret(r));
            });
      tx.commit();
      // Sorted here rather than by ORDER BY: PostgreSQL would sort by the database's collation.
      std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.id < b.id; });
      return keys;
    });
  }

  std::vector<Team> load_teams() override {
    return run("load_teams", [&] {
      std::vector<Team> teams;
      query(std::string("SELECT ") + kTeamColumns + " FROM teams", {},
            [&](const SqlRow& r) { teams.push_back(read_team(r)); });
      std::sort(teams.begin(), teams.end(),
                [](const Team& a, const Team& b) { return a.id < b.id; });
      return teams;
    });
  }

  std::optional<Key> find_key(const std::string& id) override {
    return run("find_key", [&] {
      Transaction tx(*db_, false);
      std::optional<Key> key;
      query(std::string("SELECT ") + kKeyColumns + " FROM keys WHERE id = $1", {id},
            [&](const SqlRow& r) { key = read_key(r); });
      if (key) {
        query(std::string("SELECT ") + kSecretColumns +
                  " FROM key_secrets WHERE key_id = $1 ORDER BY ord",
              {id}, [&](const SqlRow& r) { key->secrets.push_back(read_secret(r)); });
      }
      tx.commit();
      return key;
    });
  }

  std::optional<Team> find_team(const std::string& id) override {
    return run("find_team", [&] {
      std::optional<Team> team;
      query(std::string("SELECT ") + kTeamColumns + " FROM teams WHERE id = $1", {id},
            [&](const SqlRow& r) { team = read_team(r); });
      return team;
    });
  }

  std::int64_t put_key(const Key& key, const AuditEntry& audit, TeamCheck team_check) override {
    return run("put_key", [&] {
      if (key.id.empty()) throw DbError("a key needs an id");
      Transaction tx(*db_, true);
      // Writers queue here (see bump_change_version), so the team is looked up after any
      // delete_team that committed first, and one that comes later sees this key.
      bump_change_version();
      if (team_check == TeamCheck::in_store && !key.team.empty()) {
        bool found = false;
        query("SELECT 1 FROM teams WHERE id = $1", {key.team},
              [&](const SqlRow&) { found = true; });
        if (!found) {
          throw TeamMissing(describe_ + ": put_key: team " + key.team + " does not exist",
                            key.team);
        }
      }
      const std::string models = encode_list(key.models);
      const std::string regions = encode_list(key.regions);
      db_->exec(
          "INSERT INTO keys (id, alias, team, scopes, models, regions, rpm, tpm, max_parallel, "
          "expires_ms, metadata, created_ms, updated_ms, revoked_ms, from_config) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
          "ON CONFLICT (id) DO UPDATE SET alias = excluded.alias, team = excluded.team, "
          "scopes = excluded.scopes, models = excluded.models, regions = excluded.regions, "
          "rpm = excluded.rpm, tpm = excluded.tpm, max_parallel = excluded.max_parallel, "
          "expires_ms = excluded.expires_ms, metadata = excluded.metadata, "
          "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, "
          "revoked_ms = excluded.revoked_ms, from_config = excluded.from_config",
          {key.id, key.alias, key.team, std::int64_t{key.scopes}, models, regions, key.limits.rpm,
           key.limits.tpm, key.limits.max_parallel, key.expires_ms, key.metadata, key.created_ms,
           key.updated_ms, key.revoked_ms, key.from_config});
      // The record is replaced whole: secrets not in `key` (rotated out and expired) go.
      db_->exec("DELETE FROM key_secrets WHERE key_id = $1", {key.id});
      for (std::size_t i = 0; i < key.secrets.size(); ++i) {
        const KeySecret& s = key.secrets[i];
        db_->exec(
            "INSERT INTO key_secrets (key_id, ord, hash, last4, created_ms, valid_until_ms) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            {key.id, static_cast<std::int64_t>(i), s.hash, s.last4, s.created_ms,
             s.valid_until_ms});
      }
      std::int64_t id = append_audit(audit);
      tx.commit();
      return id;
    });
  }

  std::int64_t put_team(const Team& team, const AuditEntry& audit) override {
    return run("put_team", [&] {
      if (team.id.empty()) throw DbError("a team needs an id");
      Transaction tx(*db_, true);
      bump_change_version();
      const std::string models = encode_list(team.models);
      const std::string regions = encode_list(team.regions);
      db_->exec(
          "INSERT INTO teams (id, scopes, models, regions, rpm, tpm, max_parallel, metadata, "
          "created_ms, updated_ms, from_config) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
          "ON CONFLICT (id) DO UPDATE SET scopes = excluded.scopes, models = excluded.models, "
          "regions = excluded.regions, rpm = excluded.rpm, tpm = excluded.tpm, "
          "max_parallel = excluded.max_parallel, metadata = excluded.metadata, "
          "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, "
          "from_config = excluded.from_config",
          {team.id, std::int64_t{team.scopes}, models, regions, team.limits.rpm, team.limits.tpm,
           team.limits.max_parallel, team.metadata, team.created_ms, team.updated_ms,
           team.from_config});
      std::int64_t id = append_audit(audit);
      tx.commit();
      return id;
    });
  }

  TeamDeletion delete_team(const std::string& id, const AuditEntry& audit) override {
    return run("delete_team", [&] {
      Transaction tx(*db_, true);
      // Writers queue here: a put_key naming the team either committed before (its key is
      // counted below) or comes after and finds the team gone (TeamMissing).
      bump_change_version();
      TeamDeletion result;
      bool deleted = false;
      query("DELETE FROM teams WHERE id = $1 RETURNING id", {id},
            [&](const SqlRow&) { deleted = true; });
      // Either way below, nothing happened: rolled back, no version bump, no entry.
      if (!deleted) return result;
      result.keys_in_use =
          scalar("SELECT COUNT(*) FROM keys WHERE team = $1 AND revoked_ms = 0", {id});
      if (result.keys_in_use > 0) {
        result.outcome = TeamDeletion::Outcome::in_use;
        return result;
      }
      append_audit(audit);
      tx.commit();
      result.outcome = TeamDeletion::Outcome::deleted;
      return result;
    });
  }

  std::vector<AuditEntry> audit(std::int64_t after_id, std::size_t limit) override {
    return run("audit", [&] {
      std::vector<AuditEntry> entries;
      if (limit == 0) return entries;
      const auto cap = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
      const auto n = static_cast<std::int64_t>(std::min(limit, cap));
      query(
          std::string("SELECT ") + kAuditColumns + " FROM audit WHERE id > $1 ORDER BY id LIMIT $2",
          {after_id, n}, [&](const SqlRow& r) { entries.push_back(read_audit(r)); });
      return entries;
    });
  }

  void save_windows(const std::vector<WindowState>& windows) override {
    run("save_windows", [&] {
      if (windows.empty()) return;
      Transaction tx(*db_, true);
      std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
      for (const WindowState& w : windows) {
        db_->exec(
            "INSERT INTO limit_windows (subject, kind, start_ms, used) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (subject, kind) DO UPDATE SET start_ms = excluded.start_ms, "
            "used = excluded.used",
            {w.subject, w.kind, w.start_ms, w.used});
        earliest = std::min(earliest, w.start_ms);
      }
      // Windows of subjects no longer saved (a deleted key) would stay for ever. The earliest
      // window saved began at or before now, so whatever closed before it began is closed now.
      db_->exec("DELETE FROM limit_windows WHERE start_ms <= $1", {earliest - kWindowMs});
      tx.commit();
    });
  }

  std::vector<WindowState> load_windows(std::int64_t now_ms) override {
    return run("load_windows", [&] {
      std::vector<WindowState> out;
      query("SELECT subject, kind, start_ms, used FROM limit_windows WHERE start_ms > $1",
            {now_ms - kWindowMs}, [&](const SqlRow& r) {
              out.push_back(WindowState{r.text(0), r.text(1), r.int64(2), r.int64(3)});
            });
      std::sort(out.begin(), out.end(), [](const WindowState& a, const WindowState& b) {
        return std::tie(a.subject, a.kind) < std::tie(b.subject, b.kind);
      });
      return out;
    });
  }

 private:
  // Every public call: one at a time on the one connection, database errors turned into
  // StoreError naming the store and the call, and one reconnect when the connection broke
  // (the call is then run again from its start: its transaction had been rolled back).
  template <class F>
  auto run(const char* op, F&& f) -> decltype(f()) {
    std::lock_guard lock(mu_);
    for (int attempt = 0;; ++attempt) {
      try {
        return f();
      } catch (const ConnectionLost& e) {
        if (e.in_doubt) {
          throw StoreError(describe_ + ": " + op + ": the connection broke while committing (" +
                           e.what() + "); the write may or may not have been applied");
        }
        if (attempt > 0) throw StoreError(describe_ + ": " + op + ": " + e.what());
        try {
          db_->reconnect();
        } catch (const DbError& again) {
          throw StoreError(describe_ + ": " + op + ": " + e.what() +
                           "; reconnecting failed: " + again.what());
        }
      } catch (const DbError& e) {
        throw StoreError(describe_ + ": " + op + ": " + e.what());
      }
    }
  }

  void query(std::string_view sql, std::initializer_list<SqlParam> params,
             const std::function<void(const SqlRow&)>& on_row) {
    db_->query(sql, std::span<const SqlParam>(params.begin(), params.size()), on_row);
  }

  std::int64_t scalar(std::string_view sql, std::initializer_list<SqlParam> params) {
    std::optional<std::int64_t> v;
    query(sql, params, [&](const SqlRow& r) { v = r.int64(0); });
    if (!v) throw DbError("no row from: " + std::string(sql));
    return *v;
  }

  // First in every write transaction. Besides telling other processes that keys or teams
  // changed, it locks the counter's row until commit (PostgreSQL), so writers queue here and
  // audit ids are handed out in commit order: a reader paging by after_id misses none.
  void bump_change_version() { db_->exec("UPDATE change_counter SET version = version + 1"); }

  std::int64_t append_audit(const AuditEntry& a) {
    return scalar(
        "INSERT INTO audit (at_ms, actor, action, target, before_json, after_json) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        {a.at_ms, a.actor, a.action, a.target, a.before, a.after});
  }

  // One step per transaction; the version is read again under the lock each time, so two
  // processes opening a new database at once apply each step once.
  void migrate() {
    const auto steps = db_->migrations();
    const int known = static_cast<int>(steps.size());
    for (;;) {
      Transaction tx(*db_, true);
      db_->lock_for_migration();
      db_->exec_script(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          "version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)");
      const std::int64_t version =
          scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
      if (version > known) {
        throw DbError("the database's schema is version " + std::to_string(version) +
                      ", newer than this tollbooth knows (" + std::to_string(known) +
                      "): it was written by a newer tollbooth; run that version, or another "
                      "database");
      }
      if (version == known) {
        tx.commit();
        return;
      }
      const Migration& step = steps[static_cast<std::size_t>(version)];
      db_->exec_script(step.sql);
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      db_->exec("INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
                {std::int64_t{step.version}, std::int64_t{now}});
      tx.commit();
    }
  }

  std::mutex mu_;
  std::unique_ptr<SqlDb> db_;
  const std::string describe_;
};

}  // namespace

std::unique_ptr<Store> make_sql_store(std::unique_ptr<SqlDb> db) {
  return std::make_unique<SqlStore>(std::move(db));
}

}  // namespace tollbooth::store_detail
