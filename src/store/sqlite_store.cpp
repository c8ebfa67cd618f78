// The store on SQLite: one file, shared by the gateway and the CLI (separate processes), so
// WAL (readers never wait for the writer) and a busy timeout (a writer waits for another
// instead of failing at once).
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/sql_store.hpp"

namespace tollbooth::store_detail {
namespace {

// How long a write waits for another process's write before failing with "database is locked".
// Writes are small and rare (admin actions, the limiter's windows), so seconds are plenty.
constexpr int kBusyTimeoutMs = 5000;

// The schema. STRICT tables: a value of the wrong type is an error instead of being stored as
// whatever it is. models/regions: JSON arrays of strings (sql_store.cpp).
constexpr std::array<Migration, 6> kMigrations{{
    {1, R"sql(
CREATE TABLE change_counter (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
) STRICT;
INSERT INTO change_counter (id, version) VALUES (1, 0);

CREATE TABLE teams (
  id TEXT PRIMARY KEY,
  scopes INTEGER NOT NULL,
  models TEXT NOT NULL,
  regions TEXT NOT NULL,
  rpm INTEGER NOT NULL,
  tpm INTEGER NOT NULL,
  max_parallel INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  from_config INTEGER NOT NULL CHECK (from_config IN (0, 1))
) STRICT;

-- team names a team without a foreign key: a key outlives its team's deletion (it is refused
-- until the team exists again).
CREATE TABLE keys (
  id TEXT PRIMARY KEY,
  alias TEXT NOT NULL,
  team TEXT NOT NULL,
  scopes INTEGER NOT NULL,
  models TEXT NOT NULL,
  regions TEXT NOT NULL,
  rpm INTEGER NOT NULL,
  tpm INTEGER NOT NULL,
  max_parallel INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  revoked_ms INTEGER NOT NULL,
  from_config INTEGER NOT NULL CHECK (from_config IN (0, 1))
) STRICT;

-- hash is UNIQUE across all keys: a secret identifies exactly one key. ord keeps the key's
-- order of secrets (the current one first).
CREATE TABLE key_secrets (
  key_id TEXT NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  last4 TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  valid_until_ms INTEGER NOT NULL,
  PRIMARY KEY (key_id, ord)
) STRICT;

-- AUTOINCREMENT: an id is never handed out twice, even after the newest rows are deleted.
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before_json TEXT NOT NULL,
  after_json TEXT NOT NULL
) STRICT;

CREATE TABLE limit_windows (
  subject TEXT NOT NULL,
  kind TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (subject, kind)
) STRICT;
)sql"},
    // The money: budgets and markup with their records, the ledger, the contracts' accruals
    // and the gateway's runs. Money is integer micro-dollars (docs/money.md lists every
    // column).
    {2, R"sql(
ALTER TABLE keys ADD COLUMN budget_micros INTEGER NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN budget_per TEXT NOT NULL DEFAULT 'month'
  CHECK (budget_per IN ('day', 'week', 'month', 'total'));
ALTER TABLE keys ADD COLUMN budget_soft_bp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN budget_micros INTEGER NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN budget_per TEXT NOT NULL DEFAULT 'month'
  CHECK (budget_per IN ('day', 'week', 'month', 'total'));
ALTER TABLE teams ADD COLUMN budget_soft_bp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN markup_bp INTEGER NOT NULL DEFAULT 0;

CREATE TABLE ledger_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL,
  rows_written INTEGER NOT NULL,
  last_row_ms INTEGER NOT NULL
) STRICT;

-- One row per billed upstream attempt. A row is identified by its run and its request's
-- attempt (request ids are unique within a run only).
CREATE TABLE ledger (
  run_id INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  team TEXT NOT NULL,
  model TEXT NOT NULL,
  route TEXT NOT NULL,
  provider TEXT NOT NULL,
  contract TEXT NOT NULL,
  region TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  cache_write_input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  reported INTEGER NOT NULL CHECK (reported IN (0, 1)),
  priced INTEGER NOT NULL CHECK (priced IN (0, 1)),
  input_per_mtok INTEGER NOT NULL,
  cached_input_per_mtok INTEGER NOT NULL,
  cache_write_per_mtok INTEGER NOT NULL,
  output_per_mtok INTEGER NOT NULL,
  discount_bp INTEGER NOT NULL,
  markup_bp INTEGER NOT NULL,
  cost_micros INTEGER NOT NULL,
  charge_micros INTEGER NOT NULL,
  toll_due_micros INTEGER NOT NULL,
  toll_cap_micros INTEGER NOT NULL,
  toll_micros INTEGER NOT NULL,
  commitment_burn_micros INTEGER NOT NULL,
  commitment_period TEXT NOT NULL,
  latency_ms INTEGER NOT NULL,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  PRIMARY KEY (run_id, request_id, attempt)
) STRICT;
-- Reports by time; a key's or a team's charge since a time (budgets), read from the index.
CREATE INDEX ledger_at ON ledger (at_ms);
CREATE INDEX ledger_key_at ON ledger (key_id, at_ms, charge_micros);
CREATE INDEX ledger_team_at ON ledger (team, at_ms, charge_micros);

-- Tolls paid per contract, over its life (a revenue share's cap is a total).
CREATE TABLE contract_tolls (
  contract TEXT PRIMARY KEY,
  paid_micros INTEGER NOT NULL
) STRICT;

-- Commitment burn per contract and commitment period ("2026-01-01..2026-12-31").
CREATE TABLE contract_burn (
  contract TEXT NOT NULL,
  period TEXT NOT NULL,
  burn_micros INTEGER NOT NULL,
  PRIMARY KEY (contract, period)
) STRICT;
)sql"},
    // The ledger made cheaper to write (docs/benchmarks.md, "Money"): a row is identified by
    // the integer its writer gives it (its run times 2^40 plus its number in the run), the
    // table's own rowid, instead of a unique index on (run_id, request_id, attempt); and a
    // key's or a team's charge per UTC day is kept in ledger_daily (the budgets read it)
    // instead of two indexes on the ledger. Three of the five B-trees a row went into are gone.
    {3, R"sql(
CREATE TABLE ledger_v3 (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  key_id TEXT NOT NULL,
  team TEXT NOT NULL,
  model TEXT NOT NULL,
  route TEXT NOT NULL,
  provider TEXT NOT NULL,
  contract TEXT NOT NULL,
  region TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  cache_write_input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  reported INTEGER NOT NULL CHECK (reported IN (0, 1)),
  priced INTEGER NOT NULL CHECK (priced IN (0, 1)),
  input_per_mtok INTEGER NOT NULL,
  cached_input_per_mtok INTEGER NOT NULL,
  cache_write_per_mtok INTEGER NOT NULL,
  output_per_mtok INTEGER NOT NULL,
  discount_bp INTEGER NOT NULL,
  markup_bp INTEGER NOT NULL,
  cost_micros INTEGER NOT NULL,
  charge_micros INTEGER NOT NULL,
  toll_due_micros INTEGER NOT NULL,
  toll_cap_micros INTEGER NOT NULL,
  toll_micros INTEGER NOT NULL,
  commitment_burn_micros INTEGER NOT NULL,
  commitment_period TEXT NOT NULL,
  latency_ms INTEGER NOT NULL,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL
) STRICT;
INSERT INTO ledger_v3
  SELECT run_id * 1099511627776 +
           ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY at_ms, request_id, attempt),
         run_id, request_id, attempt, at_ms, key_id, team, model, route, provider, contract, region,
         input_tokens, cached_input_tokens, cache_write_input_tokens, output_tokens,
         reasoning_tokens, reported, priced, input_per_mtok, cached_input_per_mtok,
         cache_write_per_mtok, output_per_mtok, discount_bp, markup_bp, cost_micros,
         charge_micros, toll_due_micros, toll_cap_micros, toll_micros,
         commitment_burn_micros, commitment_period, latency_ms, status, outcome
  FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v3 RENAME TO ledger;
-- Reports by time.
CREATE INDEX ledger_at ON ledger (at_ms);

-- A key's ('key') or a team's ('team') charge per UTC day (day_ms: the day's first
-- millisecond), kept with the rows in each batch's transaction.
CREATE TABLE ledger_daily (
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('key', 'team')),
  subject TEXT NOT NULL,
  day_ms INTEGER NOT NULL,
  charge_micros INTEGER NOT NULL,
  PRIMARY KEY (subject_kind, subject, day_ms)
) STRICT, WITHOUT ROWID;
INSERT INTO ledger_daily
  SELECT 'key', key_id, at_ms - at_ms % 86400000, SUM(charge_micros) FROM ledger
  WHERE key_id <> '' GROUP BY 2, 3;
INSERT INTO ledger_daily
  SELECT 'team', team, at_ms - at_ms % 86400000, SUM(charge_micros) FROM ledger
  WHERE team <> '' GROUP BY 2, 3;
)sql"},
    // Kept Responses API responses (store.hpp, StoredResponse), so a later request can continue
    // one by previous_response_id on any instance. A record is its key's: the same id under
    // another key is another record. expires_ms is indexed for the sweep of expired ones.
    {4, R"sql(
CREATE TABLE responses (
  key_id TEXT NOT NULL,
  id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  previous_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  input_items TEXT NOT NULL,
  response TEXT NOT NULL,
  PRIMARY KEY (key_id, id)
) STRICT;
CREATE INDEX responses_expires ON responses (expires_ms);
)sql"},
    // The `metrics` scope (GET /metrics for a scraper's key) came after the first six: a team
    // stored with all six (the default, "every scope") gets it too; a key's list was chosen.
    {5, R"sql(
UPDATE teams SET scopes = 127 WHERE scopes = 63;
)sql"},
    // The ledger made narrower to write (docs/money.md, "Where the ledger is kept"): what rows
    // share (key, team, model, route, provider, contract, region, the prices, discount, markup,
    // toll cap and commitment period) is kept once in ledger_terms, and a row of
    // ledger_entries names its terms by id. A row went from 35 values to 19, 10 texts to 2,
    // and SQLite's work for it by about 40 %. `ledger` is now a view joining the two, with the
    // same columns as the table it replaces: reports and ad-hoc queries read it unchanged.
    // No foreign key: the writer only uses ids ledger_terms gave it, and checking one would
    // cost a lookup a row.
    {6, R"sql(
CREATE TABLE ledger_terms (
  id INTEGER PRIMARY KEY,
  key_id TEXT NOT NULL,
  team TEXT NOT NULL,
  model TEXT NOT NULL,
  route TEXT NOT NULL,
  provider TEXT NOT NULL,
  contract TEXT NOT NULL,
  region TEXT NOT NULL,
  priced INTEGER NOT NULL CHECK (priced IN (0, 1)),
  input_per_mtok INTEGER NOT NULL,
  cached_input_per_mtok INTEGER NOT NULL,
  cache_write_per_mtok INTEGER NOT NULL,
  output_per_mtok INTEGER NOT NULL,
  discount_bp INTEGER NOT NULL,
  markup_bp INTEGER NOT NULL,
  toll_cap_micros INTEGER NOT NULL,
  commitment_period TEXT NOT NULL,
  UNIQUE (key_id, team, model, route, provider, contract, region, priced, input_per_mtok,
          cached_input_per_mtok, cache_write_per_mtok, output_per_mtok, discount_bp, markup_bp,
          toll_cap_micros, commitment_period)
) STRICT;
INSERT INTO ledger_terms (key_id, team, model, route, provider, contract, region, priced,
    input_per_mtok, cached_input_per_mtok, cache_write_per_mtok, output_per_mtok, discount_bp,
    markup_bp, toll_cap_micros, commitment_period)
  SELECT DISTINCT key_id, team, model, route, provider, contract, region, priced,
    input_per_mtok, cached_input_per_mtok, cache_write_per_mtok, output_per_mtok,
    discount_bp, markup_bp, toll_cap_micros, commitment_period
  FROM ledger;
CREATE TABLE ledger_entries (
  id INTEGER PRIMARY KEY,
  terms_id INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  cache_write_input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  reported INTEGER NOT NULL CHECK (reported IN (0, 1)),
  cost_micros INTEGER NOT NULL,
  charge_micros INTEGER NOT NULL,
  toll_due_micros INTEGER NOT NULL,
  toll_micros INTEGER NOT NULL,
  commitment_burn_micros INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL
) STRICT;
INSERT INTO ledger_entries (id, terms_id, request_id, attempt, at_ms, input_tokens,
    cached_input_tokens, cache_write_input_tokens, output_tokens, reasoning_tokens, reported,
    cost_micros, charge_micros, toll_due_micros, toll_micros, commitment_burn_micros,
    latency_ms, status, outcome)
  SELECT l.id, t.id, l.request_id, l.attempt, l.at_ms, l.input_tokens, l.cached_input_tokens,
    l.cache_write_input_tokens, l.output_tokens, l.reasoning_tokens, l.reported,
    l.cost_micros, l.charge_micros, l.toll_due_micros, l.toll_micros,
    l.commitment_burn_micros, l.latency_ms, l.status, l.outcome
  FROM ledger l JOIN ledger_terms t
    ON t.key_id = l.key_id AND
       t.team = l.team AND
       t.model = l.model AND
       t.route = l.route AND
       t.provider = l.provider AND
       t.contract = l.contract AND
       t.region = l.region AND
       t.priced = l.priced AND
       t.input_per_mtok = l.input_per_mtok AND
       t.cached_input_per_mtok = l.cached_input_per_mtok AND
       t.cache_write_per_mtok = l.cache_write_per_mtok AND
       t.output_per_mtok = l.output_per_mtok AND
       t.discount_bp = l.discount_bp AND
       t.markup_bp = l.markup_bp AND
       t.toll_cap_micros = l.toll_cap_micros AND
       t.commitment_period = l.commitment_period;
DROP TABLE ledger;
CREATE INDEX ledger_entries_at ON ledger_entries (at_ms);
CREATE VIEW ledger AS
  SELECT e.id, e.id / 1099511627776 AS run_id, e.request_id, e.attempt, e.at_ms, t.key_id,
         t.team, t.model, t.route, t.provider, t.contract, t.region, e.input_tokens,
         e.cached_input_tokens, e.cache_write_input_tokens, e.output_tokens,
         e.reasoning_tokens, e.reported, t.priced, t.input_per_mtok, t.cached_input_per_mtok,
         t.cache_write_per_mtok, t.output_per_mtok, t.discount_bp, t.markup_bp, e.cost_micros,
         e.charge_micros, e.toll_due_micros, t.toll_cap_micros, e.toll_micros,
         e.commitment_burn_micros, t.commitment_period, e.latency_ms, e.status, e.outcome
  FROM ledger_entries e JOIN ledger_terms t ON t.id = e.terms_id;
)sql"},
}};

class SqliteRow final : public SqlRow {
 public:
  explicit SqliteRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
  std::string text(int column) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
             : std::string();
  }
  std::int64_t int64(int column) const override { return sqlite3_column_int64(stmt_, column); }
  bool boolean(int column) const override { return sqlite3_column_int64(stmt_, column) != 0; }

 private:
  sqlite3_stmt* stmt_;
};

class SqliteDb final : public SqlDb {
 public:
  explicit SqliteDb(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path abs = fs::absolute(path, ec);
    describe_ = "sqlite:" + (ec ? path : abs.lexically_normal().string());
    if (path.empty()) throw StoreError("sqlite: no file named");
    // "Created on first use" includes its directory (/var/lib/tollbooth/).
    const fs::path dir = fs::path(path).parent_path();
    if (!dir.empty() && !fs::exists(dir, ec)) {
      fs::create_directories(dir, ec);
      if (ec) fail_open("cannot create its directory: " + ec.message());
    }
    // The file holds key hashes and the audit log: readable by its owner only, so it is made
    // here when missing (SQLite gives the -wal and -shm files the database file's permissions).
    // An existing file is not opened here: closing a descriptor of it would drop every POSIX
    // lock this process holds on it, those of its other connections too (the gateway opens it
    // twice: the keys' store and the ledger's), and a reader in another process (the CLI),
    // finding it unlocked, would delete the write-ahead log they go on writing into.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
      ::close(fd);
    else if (errno != EEXIST)
      fail_open(std::strerror(errno));
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      fail_open(why);
    }
    try {
      sqlite3_busy_timeout(db_, kBusyTimeoutMs);
      exec_script("PRAGMA foreign_keys = ON");
      // WAL stays set in the file; asking again is cheap. A file system without shared memory
      // keeps the old journal mode, which is slower but still correct.
      set_wal();
    } catch (const DbError& e) {
      sqlite3_close(db_);
      db_ = nullptr;
      fail_open(e.what());
    }
  }

  // PRAGMA journal_mode = WAL, asked again while another connection holds the file. On a new
  // file, opened by several processes at once (the gateway and a CLI command, several
  // gateways), the first one's switch to WAL needs the file to itself, and SQLite answers the
  // others SQLITE_BUSY at once instead of waiting out the busy timeout (its deadlock avoidance):
  // SqliteStore.SeveralOpeningANewFileAtOnceAllSucceed failed 16 runs in 100 that way.
  void set_wal() {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (;;) {
      const int rc = sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) return;
      const int primary = rc & 0xff;
      if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
          std::chrono::steady_clock::now() >= deadline)
        fail();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  ~SqliteDb() override {
    for (auto& [sql, p] : statements_) sqlite3_finalize(p.stmt);
    sqlite3_close(db_);
  }

  std::string describe() const override { return describe_; }
  std::span<const Migration> migrations() const override { return kMigrations; }

  void query(std::string_view sql, std::span<const SqlParam> params,
             const std::function<void(const SqlRow&)>& on_row) override {
    const Prepared& p = prepared(sql);
    sqlite3_stmt* stmt = p.stmt;
    // Reset after every use, also when a row's reader throws: a statement left mid-result
    // would keep its read transaction open. The bindings are not cleared: bind() sets every
    // parameter before each use (it refuses a count that does not match), so the texts they
    // point to are never read after this call. Clearing them was 3 % of a ledger row's cost.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() { sqlite3_reset(s); }
    } reset{stmt};
    bind(p, params);
    SqliteRow row(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return;
      if (rc != SQLITE_ROW) fail();
      if (on_row) on_row(row);
    }
  }

  void exec_script(const char* sql) override {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail();
  }

  void begin(bool write) override { exec_script(write ? "BEGIN IMMEDIATE" : "BEGIN"); }

  void commit() override {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK) return;
    std::string why = sqlite3_errmsg(db_);
    // A COMMIT that failed (busy) leaves the transaction open; the next call must not find it.
    rollback();
    throw DbError(why);
  }

  void rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  // A statement prepared once, with where each of its parameters $1, $2, ... is bound.
  struct Prepared {
    sqlite3_stmt* stmt = nullptr;
    std::vector<int> slots;  // slots[i]: SQLite's index of "$<i + 1>", 0 when it has none
  };

  // Statements are written with $1, $2, ... (sql_db.hpp). SQLite reads "$1" as a parameter
  // named "$1", so each is bound by that name (looked up once, when the statement was
  // prepared): the order it appears in does not matter.
  void bind(const Prepared& p, std::span<const SqlParam> params) {
    sqlite3_stmt* stmt = p.stmt;
    if (p.slots.size() != params.size()) {
      throw DbError("a statement was given " + std::to_string(params.size()) + " parameters for " +
                    std::to_string(p.slots.size()));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int at = p.slots[i];
      if (at == 0) throw DbError("a statement has no parameter $" + std::to_string(i + 1));
      int rc;
      if (const auto* text = std::get_if<std::string_view>(&params[i])) {
        // An empty view may have no data pointer, which SQLite would bind as NULL. Not copied
        // (SQLITE_STATIC): the caller keeps the text alive for the call, and the statement is
        // rebound before it is stepped again. A copy of each text was 7 % of a ledger row's
        // cost (the writer binds 10 texts a row).
        rc = sqlite3_bind_text64(stmt, at, text->data() ? text->data() : "", text->size(),
                                 SQLITE_STATIC, SQLITE_UTF8);
      } else if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(stmt, at, static_cast<sqlite3_int64>(*n));
      } else {
        rc = sqlite3_bind_int64(stmt, at, std::get<bool>(params[i]) ? 1 : 0);
      }
      if (rc != SQLITE_OK) fail();
    }
  }

  [[noreturn]] void fail() { throw DbError(sqlite3_errmsg(db_)); }

  // The statement for `sql`, prepared once and kept: the ledger's writer runs the same insert
  // for every row, and preparing it again each time would cost more than running it. Every
  // statement the store runs is one of a few fixed texts (a report's filters make a handful of
  // variants), so the cache stays small; kMaxStatements only guards against a bug (past it,
  // the cache is emptied and starts again). Queries never nest, so a statement is never
  // reset while another use of it is stepping.
  const Prepared& prepared(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    if (statements_.size() >= kMaxStatements) {
      for (auto& [text, p] : statements_) sqlite3_finalize(p.stmt);
      statements_.clear();
    }
    Prepared p;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &p.stmt, nullptr) !=
        SQLITE_OK) {
      fail();
    }
    const int count = sqlite3_bind_parameter_count(p.stmt);
    for (int i = 1; i <= count; ++i)
      p.slots.push_back(sqlite3_bind_parameter_index(p.stmt, ("$" + std::to_string(i)).c_str()));
    return statements_.emplace(std::string(sql), std::move(p)).first->second;
  }

  // Before the store exists there is no SqlStore to name it, so this names it itself.
  [[noreturn]] void fail_open(const std::string& why) {
    throw StoreError(describe_ + ": cannot open: " + why);
  }

  static constexpr std::size_t kMaxStatements = 128;

  sqlite3* db_ = nullptr;
  std::string describe_;
  std::map<std::string, Prepared, std::less<>> statements_;
};

}  // namespace

std::unique_ptr<SqlDb> open_sqlite_db(const std::string& path) {
  return std::make_unique<SqliteDb>(path);
}

}  // namespace tollbooth::store_detail
