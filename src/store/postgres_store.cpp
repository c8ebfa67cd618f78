// The store on PostgreSQL, for several gateway instances sharing keys and teams. One
// connection per Store (calls are serialised by SqlStore), values always sent as parameters,
// and the password kept out of every string this file produces.
#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "store/sql_store.hpp"

namespace tollbooth::store_detail {
namespace {

// Serialises schema migrations of all processes on one database (pg_advisory_xact_lock):
// "tollboot" in ASCII, so it is unlikely to meet another application's lock.
constexpr std::int64_t kMigrationLockKey = 0x746f6c6c626f6f74;

constexpr std::array<Migration, 6> kMigrations{{
    {1, R"sql(
CREATE TABLE change_counter (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version BIGINT NOT NULL
);
INSERT INTO change_counter (id, version) VALUES (1, 0);

CREATE TABLE teams (
  id TEXT PRIMARY KEY,
  scopes BIGINT NOT NULL,
  models TEXT NOT NULL,
  regions TEXT NOT NULL,
  rpm BIGINT NOT NULL,
  tpm BIGINT NOT NULL,
  max_parallel BIGINT NOT NULL,
  metadata TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  from_config BOOLEAN NOT NULL
);

-- team names a team without a foreign key: a key outlives its team's deletion (it is refused
-- until the team exists again).
CREATE TABLE keys (
  id TEXT PRIMARY KEY,
  alias TEXT NOT NULL,
  team TEXT NOT NULL,
  scopes BIGINT NOT NULL,
  models TEXT NOT NULL,
  regions TEXT NOT NULL,
  rpm BIGINT NOT NULL,
  tpm BIGINT NOT NULL,
  max_parallel BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  metadata TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  revoked_ms BIGINT NOT NULL,
  from_config BOOLEAN NOT NULL
);

-- hash is UNIQUE across all keys: a secret identifies exactly one key. ord keeps the key's
-- order of secrets (the current one first).
CREATE TABLE key_secrets (
  key_id TEXT NOT NULL REFERENCES keys (id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  last4 TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  valid_until_ms BIGINT NOT NULL,
  PRIMARY KEY (key_id, ord)
);

CREATE TABLE audit (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before_json TEXT NOT NULL,
  after_json TEXT NOT NULL
);

CREATE TABLE limit_windows (
  subject TEXT NOT NULL,
  kind TEXT NOT NULL,
  start_ms BIGINT NOT NULL,
  used BIGINT NOT NULL,
  PRIMARY KEY (subject, kind)
);
)sql"},
    // The money: budgets and markup with their records, the ledger, the contracts' accruals
    // and the gateway's runs. Money is integer micro-dollars (docs/money.md lists every
    // column).
    {2, R"sql(
ALTER TABLE keys ADD COLUMN budget_micros BIGINT NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN budget_per TEXT NOT NULL DEFAULT 'month'
  CHECK (budget_per IN ('day', 'week', 'month', 'total'));
ALTER TABLE keys ADD COLUMN budget_soft_bp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN budget_micros BIGINT NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN budget_per TEXT NOT NULL DEFAULT 'month'
  CHECK (budget_per IN ('day', 'week', 'month', 'total'));
ALTER TABLE teams ADD COLUMN budget_soft_bp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN markup_bp INTEGER NOT NULL DEFAULT 0;

CREATE TABLE ledger_runs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_ms BIGINT NOT NULL,
  ended_ms BIGINT NOT NULL,
  rows_written BIGINT NOT NULL,
  last_row_ms BIGINT NOT NULL
);

-- One row per billed upstream attempt. A row is identified by its run and its request's
-- attempt (request ids are unique within a run only).
CREATE TABLE ledger (
  run_id BIGINT NOT NULL,
  request_id TEXT NOT NULL,
  attempt BIGINT NOT NULL,
  at_ms BIGINT NOT NULL,
  key_id TEXT NOT NULL,
  team TEXT NOT NULL,
  model TEXT NOT NULL,
  route TEXT NOT NULL,
  provider TEXT NOT NULL,
  contract TEXT NOT NULL,
  region TEXT NOT NULL,
  input_tokens BIGINT NOT NULL,
  cached_input_tokens BIGINT NOT NULL,
  cache_write_input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  reported BOOLEAN NOT NULL,
  priced BOOLEAN NOT NULL,
  input_per_mtok BIGINT NOT NULL,
  cached_input_per_mtok BIGINT NOT NULL,
  cache_write_per_mtok BIGINT NOT NULL,
  output_per_mtok BIGINT NOT NULL,
  discount_bp INTEGER NOT NULL,
  markup_bp INTEGER NOT NULL,
  cost_micros BIGINT NOT NULL,
  charge_micros BIGINT NOT NULL,
  toll_due_micros BIGINT NOT NULL,
  toll_cap_micros BIGINT NOT NULL,
  toll_micros BIGINT NOT NULL,
  commitment_burn_micros BIGINT NOT NULL,
  commitment_period TEXT NOT NULL,
  latency_ms BIGINT NOT NULL,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  PRIMARY KEY (run_id, request_id, attempt)
);
-- Reports by time; a key's or a team's charge since a time (budgets), read from the index.
CREATE INDEX ledger_at ON ledger (at_ms);
CREATE INDEX ledger_key_at ON ledger (key_id, at_ms) INCLUDE (charge_micros);
CREATE INDEX ledger_team_at ON ledger (team, at_ms) INCLUDE (charge_micros);

-- Tolls paid per contract, over its life (a revenue share's cap is a total).
CREATE TABLE contract_tolls (
  contract TEXT PRIMARY KEY,
  paid_micros BIGINT NOT NULL
);

-- Commitment burn per contract and commitment period ("2026-01-01..2026-12-31").
CREATE TABLE contract_burn (
  contract TEXT NOT NULL,
  period TEXT NOT NULL,
  burn_micros BIGINT NOT NULL,
  PRIMARY KEY (contract, period)
);
)sql"},
    // As SQLite's step 3: rows identified by their writer's integer, a key's or a team's
    // charge per UTC day in ledger_daily instead of two indexes on the ledger.
    {3, R"sql(
ALTER TABLE ledger ADD COLUMN id BIGINT;
UPDATE ledger SET id = numbered.id
  FROM (SELECT run_id AS run, request_id AS request, attempt AS att,
               run_id * 1099511627776 +
                 ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY at_ms, request_id, attempt) AS id
        FROM ledger) AS numbered
  WHERE ledger.run_id = numbered.run AND ledger.request_id = numbered.request
    AND ledger.attempt = numbered.att;
ALTER TABLE ledger ALTER COLUMN id SET NOT NULL;
ALTER TABLE ledger DROP CONSTRAINT ledger_pkey;
ALTER TABLE ledger ADD PRIMARY KEY (id);
DROP INDEX ledger_key_at;
DROP INDEX ledger_team_at;

CREATE TABLE ledger_daily (
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('key', 'team')),
  subject TEXT NOT NULL,
  day_ms BIGINT NOT NULL,
  charge_micros BIGINT NOT NULL,
  PRIMARY KEY (subject_kind, subject, day_ms)
);
INSERT INTO ledger_daily
  SELECT 'key', key_id, at_ms - at_ms % 86400000, SUM(charge_micros) FROM ledger
  WHERE key_id <> '' GROUP BY 2, 3;
INSERT INTO ledger_daily
  SELECT 'team', team, at_ms - at_ms % 86400000, SUM(charge_micros) FROM ledger
  WHERE team <> '' GROUP BY 2, 3;
)sql"},
    // As SQLite's step 4: kept Responses API responses, one record per key and id.
    {4, R"sql(
CREATE TABLE responses (
  key_id TEXT NOT NULL,
  id TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  previous_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  input_items TEXT NOT NULL,
  response TEXT NOT NULL,
  PRIMARY KEY (key_id, id)
);
CREATE INDEX responses_expires ON responses (expires_ms);
)sql"},
    // The `metrics` scope (GET /metrics for a scraper's key) came after the first six: a team
    // stored with all six (the default, "every scope") gets it too; a key's list was chosen.
    {5, R"sql(
UPDATE teams SET scopes = 127 WHERE scopes = 63;
)sql"},
    // As SQLite's step 6: what ledger rows share kept once in ledger_terms, the rows in
    // ledger_entries, and `ledger` a view with the columns it had.
    {6, R"sql(
CREATE TABLE ledger_terms (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key_id TEXT NOT NULL,
  team TEXT NOT NULL,
  model TEXT NOT NULL,
  route TEXT NOT NULL,
  provider TEXT NOT NULL,
  contract TEXT NOT NULL,
  region TEXT NOT NULL,
  priced BOOLEAN NOT NULL,
  input_per_mtok BIGINT NOT NULL,
  cached_input_per_mtok BIGINT NOT NULL,
  cache_write_per_mtok BIGINT NOT NULL,
  output_per_mtok BIGINT NOT NULL,
  discount_bp INTEGER NOT NULL,
  markup_bp INTEGER NOT NULL,
  toll_cap_micros BIGINT NOT NULL,
  commitment_period TEXT NOT NULL,
  UNIQUE (key_id, team, model, route, provider, contract, region, priced, input_per_mtok,
          cached_input_per_mtok, cache_write_per_mtok, output_per_mtok, discount_bp, markup_bp,
          toll_cap_micros, commitment_period)
);
INSERT INTO ledger_terms (key_id, team, model, route, provider, contract, region, priced,
    input_per_mtok, cached_input_per_mtok, cache_write_per_mtok, output_per_mtok, discount_bp,
    markup_bp, toll_cap_micros, commitment_period)
  SELECT DISTINCT key_id, team, model, route, provider, contract, region, priced,
    input_per_mtok, cached_input_per_mtok, cache_write_per_mtok, output_per_mtok,
    discount_bp, markup_bp, toll_cap_micros, commitment_period
  FROM ledger;
CREATE TABLE ledger_entries (
  id BIGINT PRIMARY KEY,
  terms_id BIGINT NOT NULL,
  request_id TEXT NOT NULL,
  attempt BIGINT NOT NULL,
  at_ms BIGINT NOT NULL,
  input_tokens BIGINT NOT NULL,
  cached_input_tokens BIGINT NOT NULL,
  cache_write_input_tokens BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  reported BOOLEAN NOT NULL,
  cost_micros BIGINT NOT NULL,
  charge_micros BIGINT NOT NULL,
  toll_due_micros BIGINT NOT NULL,
  toll_micros BIGINT NOT NULL,
  commitment_burn_micros BIGINT NOT NULL,
  latency_ms BIGINT NOT NULL,
  status INTEGER NOT NULL,
  outcome TEXT NOT NULL
);
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

struct ConninfoFree {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using Conninfo = std::unique_ptr<PQconninfoOption, ConninfoFree>;

// Parses either form; null when libpq cannot. libpq's own message is dropped on purpose: it
// quotes the part it choked on, which may be the password.
Conninfo parse_conninfo(const std::string& url) {
  char* err = nullptr;
  Conninfo opts(PQconninfoParse(url.c_str(), &err));
  if (err) PQfreemem(err);
  return opts;
}

std::string option(const PQconninfoOption* opts, const char* name) {
  for (const auto* o = opts; o && o->keyword; ++o) {
    if (std::strcmp(o->keyword, name) == 0 && o->val) return o->val;
  }
  return {};
}

std::string describe_options(const PQconninfoOption* opts) {
  std::string host = option(opts, "host");
  if (host.empty()) host = option(opts, "hostaddr");
  if (host.empty()) host = "localhost";
  std::string port = option(opts, "port");
  if (port.empty()) port = "5432";
  std::string db = option(opts, "dbname");
  if (db.empty()) db = option(opts, "user");
  return "postgres:" + host + ":" + port + "/" + db;
}

struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultClear>;

class PgRow final : public SqlRow {
 public:
  PgRow(const PGresult* res, int row) : res_(res), row_(row) {}
  std::string text(int column) const override {
    return std::string(PQgetvalue(res_, row_, column),
                       static_cast<std::size_t>(PQgetlength(res_, row_, column)));
  }
  std::int64_t int64(int column) const override {
    const char* p = PQgetvalue(res_, row_, column);
    const char* end = p + PQgetlength(res_, row_, column);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || ptr != end || p == end) {
      throw DbError(std::string("column ") + PQfname(res_, column) + " is not an integer");
    }
    return v;
  }
  bool boolean(int column) const override { return PQgetvalue(res_, row_, column)[0] == 't'; }

 private:
  const PGresult* res_;
  int row_;
};

class PostgresDb final : public SqlDb {
 public:
  explicit PostgresDb(const std::string& url) : url_(url) {
    Conninfo opts = parse_conninfo(url_);
    if (!opts) {
      throw StoreError(
          "postgres: cannot open: the connection string is neither a postgres:// URL nor "
          "key=value pairs (not quoted here: it may hold a password)");
    }
    describe_ = describe_options(opts.get());
    for (const char* name : {"password", "sslpassword"}) {
      if (std::string v = option(opts.get(), name); !v.empty()) secrets_.push_back(v);
    }
    // The password as written in a URL (percent-encoded), should anything echo the URL.
    if (auto scheme = url_.find("://"); scheme != std::string::npos) {
      auto at = url_.find('@', scheme);
      auto colon = url_.find(':', scheme + 3);
      if (at != std::string::npos && colon != std::string::npos && colon < at) {
        secrets_.push_back(url_.substr(colon + 1, at - colon - 1));
      }
    }
    try {
      connect();
    } catch (const DbError& e) {
      throw StoreError(describe_ + ": cannot connect: " + e.what());
    }
  }

  ~PostgresDb() override { PQfinish(conn_); }

  std::string describe() const override { return describe_; }
  std::span<const Migration> migrations() const override { return kMigrations; }

  void query(std::string_view sql, std::span<const SqlParam> params,
             const std::function<void(const SqlRow&)>& on_row) override {
    ensure_connected();
    std::vector<std::string> texts;
    texts.reserve(params.size());
    for (const SqlParam& p : params) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>) {
              // Text parameters end at the first NUL: refuse rather than store a cut value.
              if (v.find('\0') != std::string_view::npos) {
                throw DbError("a value holds a NUL byte, which PostgreSQL text cannot");
              }
              texts.emplace_back(v);
            } else if constexpr (std::is_same_v<T, bool>) {
              texts.emplace_back(v ? "true" : "false");
            } else {
              texts.push_back(std::to_string(v));
            }
          },
          p);
    }
    std::vector<const char*> values;
    values.reserve(texts.size());
    for (const auto& t : texts) values.push_back(t.c_str());
    // Types are left to the server: it infers each $n from where it is used.
    Result res(PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(values.size()),
                            nullptr, values.data(), nullptr, nullptr, 0));
    check(res.get(), false);
    if (on_row) {
      const int rows = PQntuples(res.get());
      for (int i = 0; i < rows; ++i) on_row(PgRow(res.get(), i));
    }
  }

  void exec_script(const char* sql) override {
    ensure_connected();
    Result res(PQexec(conn_, sql));
    check(res.get(), false);
  }

  void begin(bool write) override {
    // A read sees one snapshot across its statements (keys, then their secrets).
    exec_script(write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }

  void commit() override {
    ensure_connected();
    Result res(PQexec(conn_, "COMMIT"));
    check(res.get(), true);
    // COMMIT of a failed transaction "succeeds" as a ROLLBACK.
    if (std::strcmp(PQcmdStatus(res.get()), "ROLLBACK") == 0) {
      throw DbError("the transaction was rolled back");
    }
  }

  void rollback() noexcept override {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PQclear(PQexec(conn_, "ROLLBACK"));
    }
  }

  void lock_for_migration() override {
    exec("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey});
  }

  void reconnect() override {
    PQfinish(conn_);
    conn_ = nullptr;
    connect();
  }

 private:
  void connect() {
    // Keywords are applied in order, and the URL is expanded where "dbname" stands: what comes
    // before it is a default the URL may override, what comes after is imposed. Without a
    // connect_timeout libpq would wait for an unreachable server for ever. The rest bound every
    // later wait the same way: the store's one thread must never hang (a hung call would stop
    // the refresh that carries revocations from other instances, and shutdown, which joins it):
    // TCP keepalives and a user timeout for a black-holed network here, and (below, by SET, so
    // the URL's own `options` stay) server-side limits on a statement, a lock wait (a CLI
    // stopped inside a transaction) and an idle transaction.
    const char* const keywords[] = {"connect_timeout",
                                    "fallback_application_name",
                                    "dbname",
                                    "client_encoding",
                                    "keepalives",
                                    "keepalives_idle",
                                    "keepalives_interval",
                                    "keepalives_count",
                                    "tcp_user_timeout",
                                    nullptr};
    const char* const values[] = {"10", "tollbooth", url_.c_str(), "UTF8",  "1",
                                  "10", "5",         "3",          "15000", nullptr};
    conn_ = PQconnectdbParams(keywords, values, 1);
    if (!conn_) throw DbError("out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string why = error_text(nullptr);
      PQfinish(conn_);
      conn_ = nullptr;
      throw DbError(why);
    }
    // CREATE TABLE IF NOT EXISTS and the like send notices, which libpq prints to stderr.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    PGresult* set = PQexec(conn_,
                           "SET statement_timeout = 5000; SET lock_timeout = 5000; "
                           "SET idle_in_transaction_session_timeout = 30000");
    const bool ok = set && PQresultStatus(set) == PGRES_COMMAND_OK;
    PQclear(set);
    if (!ok) {
      std::string why = error_text(nullptr);
      PQfinish(conn_);
      conn_ = nullptr;
      throw DbError(why);
    }
  }

  void ensure_connected() {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      throw ConnectionLost("the connection is closed", false);
    }
  }

  void check(const PGresult* res, bool committing) {
    const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
    std::string why = error_text(res);
    if (PQstatus(conn_) != CONNECTION_OK) throw ConnectionLost(why, committing);
    throw DbError(why);
  }

  // The server's primary message (never its DETAIL, which quotes values), or libpq's, on one
  // line and without the password.
  std::string error_text(const PGresult* res) const {
    std::string why;
    if (const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr) {
      why = primary;
    } else if (conn_) {
      why = PQerrorMessage(conn_);
    }
    // libpq's messages run over several lines ("FATAL: ...\n  This probably means ...");
    // a log line is one line.
    std::string line;
    for (char c : why) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      if (c == ' ' && (line.empty() || line.back() == ' ')) continue;
      line += c;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (line.empty()) line = "unknown error";
    return scrub(std::move(line));
  }

  std::string scrub(std::string text) const {
    for (const std::string& secret : secrets_) {
      if (secret.empty()) continue;
      for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
        text.replace(at, secret.size(), "***");
      }
    }
    return text;
  }

  std::string url_;
  std::string describe_;
  std::vector<std::string> secrets_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::string describe_postgres_url(const std::string& url) {
  Conninfo opts = parse_conninfo(url);
  return opts ? describe_options(opts.get()) : "postgres:(connection string not understood)";
}

std::unique_ptr<SqlDb> open_postgres_db(const std::string& url) {
  return std::make_unique<PostgresDb>(url);
}

}  // namespace tollbooth::store_detail
