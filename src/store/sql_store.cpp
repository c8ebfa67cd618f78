// The store's logic, once for both databases: which statements a call runs, in which
// transaction, and how rows become records. sql_db.hpp says what differs per database.
#include "store/sql_store.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <span>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "core/date.hpp"

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
    "created_ms, updated_ms, revoked_ms, from_config, budget_micros, budget_per, budget_soft_bp";
constexpr const char* kTeamColumns =
    "id, scopes, models, regions, rpm, tpm, max_parallel, metadata, created_ms, updated_ms, "
    "from_config, budget_micros, budget_per, budget_soft_bp, markup_bp";
constexpr const char* kSecretColumns = "key_id, hash, last4, created_ms, valid_until_ms";
constexpr const char* kAuditColumns = "id, at_ms, actor, action, target, before_json, after_json";

// A budget from columns `at` (limit), `at + 1` (period), `at + 2` (soft share).
access::Budget read_budget(const SqlRow& r, int at, const char* table) {
  access::Budget b;
  b.limit_micros = r.int64(at);
  const std::string per = r.text(at + 1);
  auto period = access::parse_budget_period(per);
  if (!period) throw DbError(std::string(table) + ".budget_per holds \"" + per + "\"");
  b.per = *period;
  b.soft_bp = static_cast<std::int32_t>(r.int64(at + 2));
  return b;
}

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
  k.budget = read_budget(r, 15, "keys");
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
  t.budget = read_budget(r, 11, "teams");
  t.markup_bp = static_cast<std::int32_t>(r.int64(14));
  return t;
}

KeySecret read_secret(const SqlRow& r) {  // columns 1.. of kSecretColumns
  return KeySecret{r.text(1), r.text(2), r.int64(3), r.int64(4)};
}

AuditEntry read_audit(const SqlRow& r) {
  return AuditEntry{r.int64(0), r.int64(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6)};
}

constexpr const char* kResponseColumns =
    "key_id, id, created_ms, expires_ms, previous_id, provider, input_items, response";

StoredResponse read_response(const SqlRow& r) {
  return StoredResponse{r.text(0), r.text(1), r.int64(2), r.int64(3),
                        r.text(4), r.text(5), r.text(6),  r.text(7)};
}

// Money and counts add up saturating: a sum past the largest value stays there instead of
// wrapping to a negative number.
std::int64_t add_saturating(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (!__builtin_add_overflow(a, b, &out)) return out;
  return b > 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

constexpr std::int64_t kDayMs = 86'400'000;

// The first millisecond of the UTC day that holds `ms`; times before 1970 count as 1970's
// first day (the ledger has none: its times are the gateway's clock).
std::int64_t day_start_ms(std::int64_t ms) {
  ms = std::max<std::int64_t>(ms, 0);
  return ms - ms % kDayMs;
}

constexpr const char* kLedgerColumns =
    "request_id, attempt, at_ms, key_id, team, model, route, provider, contract, region, "
    "input_tokens, cached_input_tokens, cache_write_input_tokens, output_tokens, "
    "reasoning_tokens, reported, priced, input_per_mtok, cached_input_per_mtok, "
    "cache_write_per_mtok, output_per_mtok, discount_bp, markup_bp, cost_micros, charge_micros, "
    "toll_due_micros, toll_cap_micros, toll_micros, commitment_burn_micros, commitment_period, "
    "latency_ms, status, outcome";

// What a ledger row is written as (schema step 6): its values of ledger_entries, in this
// order after id and terms_id; the rest, shared by many rows, is its terms (ledger_terms).
constexpr const char* kLedgerEntryColumns =
    "request_id, attempt, at_ms, input_tokens, cached_input_tokens, cache_write_input_tokens, "
    "output_tokens, reasoning_tokens, reported, cost_micros, charge_micros, toll_due_micros, "
    "toll_micros, commitment_burn_micros, latency_ms, status, outcome";

constexpr std::size_t kLedgerParams = 19;  // values per row: id, terms_id, kLedgerEntryColumns

constexpr const char* kLedgerTermsColumns =
    "key_id, team, model, route, provider, contract, region, priced, input_per_mtok, "
    "cached_input_per_mtok, cache_write_per_mtok, output_per_mtok, discount_bp, markup_bp, "
    "toll_cap_micros, commitment_period";

// A ledger row's id is its run's id times 2^40 plus its number in the run (from 1): rows of
// different runs (processes, instances) never share one, and ids grow in the order a run wrote.
constexpr std::int64_t kLedgerRunRows = std::int64_t{1} << 40;
constexpr std::int64_t kLedgerRuns = std::numeric_limits<std::int64_t>::max() / kLedgerRunRows;

// A batch's rows without a toll to pay go in by statements of up to this many rows (a power of
// two; the rest of a batch by statements of the smaller powers of two, so that only six texts
// are ever prepared). A statement per row made the database's per-statement work and, on
// PostgreSQL, a round trip per row the ledger's cost: bench/ledger_bench.cpp measures it.
// SQLite's preparing, once per connection, grows with the square of the parameters (608 here).
constexpr std::size_t kLedgerChunkRows = 32;

// "INSERT INTO ledger_entries (id, terms_id, ...) VALUES ($1, ..., $19), ($20, ...), ..." for
// `rows` rows (1 to kLedgerChunkRows, a power of two). No conflict clause: append_ledger
// leaves out the rows that are there already, and a duplicate id is an error.
const std::string& ledger_insert_sql(std::size_t rows) {
  static const auto texts = [] {
    std::map<std::size_t, std::string> out;
    for (std::size_t n = 1; n <= kLedgerChunkRows; n *= 2) {
      std::string sql = std::string("INSERT INTO ledger_entries (id, terms_id, ") +
                        kLedgerEntryColumns + ") VALUES ";
      std::size_t p = 1;
      for (std::size_t row = 0; row < n; ++row) {
        sql += row ? ", (" : "(";
        for (std::size_t col = 0; col < kLedgerParams; ++col, ++p) {
          if (col) sql += ", ";
          sql += "$" + std::to_string(p);
        }
        sql += ")";
      }
      out.emplace(n, std::move(sql));
    }
    return out;
  }();
  return texts.at(rows);
}

// Appends row `r`'s id, `terms_id` and its values in kLedgerEntryColumns' order, with `toll`
// paid. Strings are views of `r`, which must outlive the statement.
void ledger_params(std::vector<SqlParam>& out, std::int64_t terms_id, const LedgerRow& r,
                   Money toll) {
  out.insert(out.end(),
             {r.id, terms_id, r.request_id, std::int64_t{r.attempt}, r.at_ms, r.usage.input_tokens,
              r.usage.cached_input_tokens, r.usage.cache_write_input_tokens, r.usage.output_tokens,
              r.usage.reasoning_tokens, r.usage.reported, r.cost, r.charge, r.toll_due, toll,
              r.commitment_burn, r.latency_ms, std::int64_t{r.status}, r.end});
}

// Row `r`'s terms: the fields ledger_terms keeps, in kLedgerTermsColumns' order. The key below
// and same_terms() are both made from this list, so they cannot disagree on what terms are.
auto terms_of(const LedgerRow& r) noexcept {
  return std::tie(r.key_id, r.team, r.model, r.route, r.provider, r.contract, r.region, r.priced,
                  r.prices.input_per_mtok, r.prices.cached_input_per_mtok,
                  r.prices.cache_write_per_mtok, r.prices.output_per_mtok, r.discount_bp,
                  r.markup_bp, r.toll_cap_micros, r.commitment_period);
}

bool same_terms(const LedgerRow& a, const LedgerRow& b) noexcept {
  return terms_of(a) == terms_of(b);
}

// Row `r`'s terms, written into `out` (cleared first) as a key no other terms have: each text
// as its length and bytes, each number (and flag) as its 8 bytes. The writer's map of terms to
// ids is keyed by it; one buffer is used again for every row.
void terms_key(std::string& out, const LedgerRow& r) {
  out.clear();
  auto number = [&](std::int64_t n) { out.append(reinterpret_cast<const char*>(&n), sizeof n); };
  auto put = [&](const auto& field) {
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::string>) {
      number(static_cast<std::int64_t>(field.size()));
      out.append(field);
    } else {
      number(static_cast<std::int64_t>(field));
    }
  };
  std::apply([&](const auto&... fields) { (put(fields), ...); }, terms_of(r));
}

LedgerRow read_ledger_row(const SqlRow& r) {
  LedgerRow row;
  row.request_id = r.text(0);
  row.attempt = static_cast<std::uint32_t>(r.int64(1));
  row.at_ms = r.int64(2);
  row.key_id = r.text(3);
  row.team = r.text(4);
  row.model = r.text(5);
  row.route = r.text(6);
  row.provider = r.text(7);
  row.contract = r.text(8);
  row.region = r.text(9);
  row.usage.input_tokens = r.int64(10);
  row.usage.cached_input_tokens = r.int64(11);
  row.usage.cache_write_input_tokens = r.int64(12);
  row.usage.output_tokens = r.int64(13);
  row.usage.reasoning_tokens = r.int64(14);
  row.usage.reported = r.boolean(15);
  row.priced = r.boolean(16);
  row.prices.input_per_mtok = r.int64(17);
  row.prices.cached_input_per_mtok = r.int64(18);
  row.prices.cache_write_per_mtok = r.int64(19);
  row.prices.output_per_mtok = r.int64(20);
  row.discount_bp = static_cast<std::int32_t>(r.int64(21));
  row.markup_bp = static_cast<std::int32_t>(r.int64(22));
  row.cost = r.int64(23);
  row.charge = r.int64(24);
  row.toll_due = r.int64(25);
  row.toll_cap_micros = r.int64(26);
  row.toll = r.int64(27);
  row.commitment_burn = r.int64(28);
  row.commitment_period = r.text(29);
  row.latency_ms = r.int64(30);
  row.status = static_cast<int>(r.int64(31));
  row.end = r.text(32);
  row.id = r.int64(33);
  return row;
}

// The SQL of a spend report's group: a column, or for days the UTC day number of at_ms
// (floored, also before 1970), which both databases compute alike.
constexpr const char* kDayNumberSql =
    "(at_ms - ((at_ms % 86400000) + 86400000) % 86400000) / 86400000";
constexpr const char* kHourNumberSql =
    "(at_ms - ((at_ms % 3600000) + 3600000) % 3600000) / 3600000";

const char* spend_group_sql(SpendGroup g) {
  switch (g) {
    case SpendGroup::key: return "key_id";
    case SpendGroup::team: return "team";
    case SpendGroup::model: return "model";
    case SpendGroup::provider: return "provider";
    case SpendGroup::contract: return "contract";
    case SpendGroup::route: return "route";
    case SpendGroup::day: return kDayNumberSql;
  }
  return "key_id";
}

// The sums of a spend report, after its group column (if any). A request is counted once
// however many rows it has; request ids are unique within a run, so the run is part of it.
constexpr const char* kSpendSums =
    "COUNT(DISTINCT request_id || '@' || run_id), COUNT(*), "
    "COALESCE(SUM(input_tokens), 0), COALESCE(SUM(cached_input_tokens), 0), "
    "COALESCE(SUM(cache_write_input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
    "COALESCE(SUM(reasoning_tokens), 0), COALESCE(SUM(cost_micros), 0), "
    "COALESCE(SUM(charge_micros), 0), COALESCE(SUM(toll_micros), 0), "
    "COALESCE(SUM(commitment_burn_micros), 0), "
    "COALESCE(SUM(CASE WHEN reported THEN 0 ELSE 1 END), 0), "
    "COALESCE(SUM(CASE WHEN priced THEN 0 ELSE 1 END), 0)";

// Reads kSpendSums from column `at` on. Sums are exact: SQLite's SUM of integers fails rather
// than overflow, PostgreSQL's is NUMERIC, read back only when it fits in 64 bits.
SpendRow read_spend_sums(const SqlRow& r, int at) {
  SpendRow s;
  s.requests = r.int64(at);
  s.rows = r.int64(at + 1);
  s.input_tokens = r.int64(at + 2);
  s.cached_input_tokens = r.int64(at + 3);
  s.cache_write_input_tokens = r.int64(at + 4);
  s.output_tokens = r.int64(at + 5);
  s.reasoning_tokens = r.int64(at + 6);
  s.cost = r.int64(at + 7);
  s.charge = r.int64(at + 8);
  s.toll = r.int64(at + 9);
  s.commitment_burn = r.int64(at + 10);
  s.estimated_rows = r.int64(at + 11);
  s.unpriced_rows = r.int64(at + 12);
  return s;
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
          "expires_ms, metadata, created_ms, updated_ms, revoked_ms, from_config, budget_micros, "
          "budget_per, budget_soft_bp) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
          "$18) "
          "ON CONFLICT (id) DO UPDATE SET alias = excluded.alias, team = excluded.team, "
          "scopes = excluded.scopes, models = excluded.models, regions = excluded.regions, "
          "rpm = excluded.rpm, tpm = excluded.tpm, max_parallel = excluded.max_parallel, "
          "expires_ms = excluded.expires_ms, metadata = excluded.metadata, "
          "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, "
          "revoked_ms = excluded.revoked_ms, from_config = excluded.from_config, "
          "budget_micros = excluded.budget_micros, budget_per = excluded.budget_per, "
          "budget_soft_bp = excluded.budget_soft_bp",
          {key.id, key.alias, key.team, std::int64_t{key.scopes}, models, regions, key.limits.rpm,
           key.limits.tpm, key.limits.max_parallel, key.expires_ms, key.metadata, key.created_ms,
           key.updated_ms, key.revoked_ms, key.from_config, key.budget.limit_micros,
           access::budget_period_name(key.budget.per), std::int64_t{key.budget.soft_bp}});
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
          "created_ms, updated_ms, from_config, budget_micros, budget_per, budget_soft_bp, "
          "markup_bp) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) "
          "ON CONFLICT (id) DO UPDATE SET scopes = excluded.scopes, models = excluded.models, "
          "regions = excluded.regions, rpm = excluded.rpm, tpm = excluded.tpm, "
          "max_parallel = excluded.max_parallel, metadata = excluded.metadata, "
          "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, "
          "from_config = excluded.from_config, budget_micros = excluded.budget_micros, "
          "budget_per = excluded.budget_per, budget_soft_bp = excluded.budget_soft_bp, "
          "markup_bp = excluded.markup_bp",
          {team.id, std::int64_t{team.scopes}, models, regions, team.limits.rpm, team.limits.tpm,
           team.limits.max_parallel, team.metadata, team.created_ms, team.updated_ms,
           team.from_config, team.budget.limit_micros, access::budget_period_name(team.budget.per),
           std::int64_t{team.budget.soft_bp}, std::int64_t{team.markup_bp}});
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

  // ---- the ledger ----------------------------------------------------------------------------

  std::int64_t begin_run(std::int64_t now_ms) override {
    return run("begin_run", [&] {
      return scalar(
          "INSERT INTO ledger_runs (started_ms, ended_ms, rows_written, last_row_ms) "
          "VALUES ($1, 0, 0, 0) RETURNING id",
          {now_ms});
    });
  }

  void end_run(std::int64_t run_id, std::int64_t now_ms) override {
    run("end_run", [&] {
      bool found = false;
      query("UPDATE ledger_runs SET ended_ms = $2 WHERE id = $1 RETURNING id", {run_id, now_ms},
            [&](const SqlRow&) { found = true; });
      if (!found) throw DbError("no ledger run " + std::to_string(run_id));
    });
  }

  std::optional<LedgerRun> unfinished_run_before(std::int64_t run_id) override {
    return run("unfinished_run_before", [&] {
      std::optional<LedgerRun> previous;
      query(
          "SELECT id, started_ms, ended_ms, rows_written, last_row_ms FROM ledger_runs "
          "WHERE id < $1 ORDER BY id DESC LIMIT 1",
          {run_id}, [&](const SqlRow& r) {
            previous = LedgerRun{r.int64(0), r.int64(1), r.int64(2), r.int64(3), r.int64(4)};
          });
      if (previous && previous->ended_ms != 0) previous.reset();
      return previous;
    });
  }

  void append_ledger(std::int64_t run_id, std::span<LedgerRow> rows) override {
    run("append_ledger", [&] {
      if (rows.empty()) return;
      if (run_id <= 0 || run_id >= kLedgerRuns)
        throw DbError("no ledger run " + std::to_string(run_id));
      Transaction tx(*db_, true);
      // Ids. A row sent before keeps the id it was given then: a batch is sent again when its
      // commit's outcome was in doubt (PostgreSQL), and the rows found already there keep what
      // they were given. The others are numbered after the run's last row (one lookup by the
      // table's key: another store on this run, as a test's, numbers on from there too).
      const std::int64_t first_id = run_id * kLedgerRunRows;
      const std::int64_t end_id = first_id + kLedgerRunRows;
      std::int64_t last_id = first_id;
      query("SELECT id FROM ledger_entries WHERE id > $1 AND id < $2 ORDER BY id DESC LIMIT 1",
            {first_id, end_id}, [&](const SqlRow& r) { last_id = r.int64(0); });
      std::int64_t low = end_id;
      std::int64_t high = first_id;
      for (const LedgerRow& r : rows) {
        if (r.id == 0) continue;
        if (r.id <= first_id || r.id >= end_id)
          throw DbError("ledger row id " + std::to_string(r.id) + " is not of run " +
                        std::to_string(run_id));
        low = std::min(low, r.id);
        high = std::max(high, r.id);
      }
      std::unordered_map<std::int64_t, Money> stored;  // id -> toll of rows already there
      if (high > first_id) {
        query("SELECT id, toll_micros FROM ledger_entries WHERE id >= $1 AND id <= $2", {low, high},
              [&](const SqlRow& r) { stored.emplace(r.int64(0), r.int64(1)); });
        last_id = std::max(last_id, high);
      }
      for (LedgerRow& r : rows) {
        if (r.id != 0) continue;
        if (last_id + 1 >= end_id)
          throw DbError("ledger run " + std::to_string(run_id) +
                        " has numbered all its 2^40 rows; start the gateway again for a new run");
        r.id = ++last_id;
      }
      // The tolls paid so far by each contract this batch may pay, each accrual row locked
      // until commit: the upsert creates it or takes its row lock (PostgreSQL; SQLite's write
      // transaction holds the whole file) and returns the latest committed sum. Locks are taken
      // in one order, the contracts' names sorted, so two writers never wait on each other in a
      // cycle.
      std::map<std::string, Money> paid;
      for (const LedgerRow& r : rows)
        if (!r.contract.empty() && r.toll_due > 0) paid.emplace(r.contract, 0);
      for (auto& [contract, amount] : paid) {
        amount = scalar(
            "INSERT INTO contract_tolls (contract, paid_micros) VALUES ($1, 0) "
            "ON CONFLICT (contract) DO UPDATE SET paid_micros = contract_tolls.paid_micros "
            "RETURNING paid_micros",
            {contract});
      }
      const std::map<std::string, Money> paid_before = paid;
      std::map<std::pair<std::string, std::string>, Money> burn;
      // The charge per (terms, UTC day's first ms), with a row of those terms: rows of the
      // same terms have the same key and team, so ledger_daily's sums are made from these.
      std::map<std::pair<std::int64_t, std::int64_t>, std::pair<Money, const LedgerRow*>> charged;
      std::int64_t written = 0;
      std::int64_t last_row_ms = 0;
      // What a row inserted with `toll` paid changes.
      auto account = [&](LedgerRow& r, std::int64_t terms_id, Money toll) {
        r.toll = toll;
        if (toll > 0) paid[r.contract] = add_saturating(paid[r.contract], toll);
        if (!r.contract.empty() && r.commitment_burn != 0) {
          Money& b = burn[{r.contract, r.commitment_period}];
          b = add_saturating(b, r.commitment_burn);
        }
        if (r.charge != 0 && (!r.key_id.empty() || !r.team.empty())) {
          auto& [sum, example] = charged[{terms_id, day_start_ms(r.at_ms)}];
          sum = add_saturating(sum, r.charge);
          example = &r;
        }
        ++written;
        last_row_ms = std::max(last_row_ms, r.at_ms);
      };
      // A row with a toll due pays what its contract has left under the cap once the rows
      // before it have paid: those go in one at a time, in order. The others pay none and
      // change no other row's toll: they go in together, many to a statement.
      std::vector<LedgerRow*> plain;
      std::vector<std::int64_t> plain_terms;
      plain.reserve(rows.size());
      plain_terms.reserve(rows.size());
      // Terms first seen in this transaction: remembered (terms_) only once it commits.
      std::unordered_map<std::string, std::int64_t> fresh;
      // The last row's terms and their id: a row of the same key, route and prices as the row
      // before it (most rows, under steady traffic) takes that id without its terms' key being
      // made and looked up, which was 7 % of the writer's work a row (bench/instructions).
      const LedgerRow* last_terms_row = nullptr;
      std::int64_t last_terms_id = 0;
      for (LedgerRow& r : rows) {
        if (auto there = stored.find(r.id); there != stored.end()) {
          r.toll = there->second;  // written before: it keeps what it was given then
          continue;
        }
        const std::int64_t terms_id = last_terms_row && same_terms(*last_terms_row, r)
                                          ? last_terms_id
                                          : ledger_terms_id(r, fresh);
        last_terms_row = &r;
        last_terms_id = terms_id;
        if (r.contract.empty() || r.toll_due <= 0) {
          plain.push_back(&r);
          plain_terms.push_back(terms_id);
          continue;
        }
        const Money so_far = paid[r.contract];
        Money toll = r.toll_due;
        // Both are >= 0 here (a cap lowered below what was paid leaves nothing).
        if (r.toll_cap_micros >= 0) toll = std::clamp(r.toll_cap_micros - so_far, Money{0}, toll);
        LedgerRow* one[] = {&r};
        const std::int64_t one_terms[] = {terms_id};
        const Money tolls[] = {toll};
        insert_ledger_rows(one, one_terms, tolls);
        account(r, terms_id, toll);
      }
      for (std::size_t at = 0; at < plain.size();) {
        std::size_t n = kLedgerChunkRows;
        while (n > plain.size() - at) n /= 2;
        const std::span<LedgerRow* const> chunk(plain.data() + at, n);
        const std::span<const std::int64_t> chunk_terms(plain_terms.data() + at, n);
        insert_ledger_rows(chunk, chunk_terms, {});
        for (std::size_t i = 0; i < n; ++i) account(*chunk[i], chunk_terms[i], 0);
        at += n;
      }
      // A key's and a team's charge per UTC day: (kind, subject, day's first ms).
      std::map<std::tuple<std::string_view, std::string_view, std::int64_t>, Money> daily;
      for (const auto& [where, sum_and_row] : charged) {
        const auto& [sum, row] = sum_and_row;
        if (!row->key_id.empty()) {
          Money& d = daily[{"key", row->key_id, where.second}];
          d = add_saturating(d, sum);
        }
        if (!row->team.empty()) {
          Money& d = daily[{"team", row->team, where.second}];
          d = add_saturating(d, sum);
        }
      }
      for (const auto& [contract, amount] : paid) {
        if (amount == paid_before.at(contract)) continue;
        db_->exec("UPDATE contract_tolls SET paid_micros = $2 WHERE contract = $1",
                  {contract, amount});
      }
      // In the order of (contract, period), for the same reason as above.
      for (const auto& [where, amount] : burn) {
        db_->exec(
            "INSERT INTO contract_burn (contract, period, burn_micros) VALUES ($1, $2, $3) "
            "ON CONFLICT (contract, period) DO UPDATE "
            "SET burn_micros = contract_burn.burn_micros + excluded.burn_micros",
            {where.first, where.second, amount});
      }
      for (const auto& [where, amount] : daily) {
        const auto& [kind, subject, day] = where;
        db_->exec(
            "INSERT INTO ledger_daily (subject_kind, subject, day_ms, charge_micros) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (subject_kind, subject, day_ms) DO UPDATE "
            "SET charge_micros = ledger_daily.charge_micros + excluded.charge_micros",
            {kind, subject, day, amount});
      }
      bool found = false;
      query(
          "UPDATE ledger_runs SET rows_written = rows_written + $2, "
          "last_row_ms = CASE WHEN last_row_ms < $3 THEN $3 ELSE last_row_ms END "
          "WHERE id = $1 RETURNING id",
          {run_id, written, last_row_ms}, [&](const SqlRow&) { found = true; });
      if (!found) throw DbError("no ledger run " + std::to_string(run_id));
      tx.commit();
      remember_terms(fresh);
    });
  }

  Money charge_since(bool team, const std::string& id, std::int64_t since_ms) override {
    return run("charge_since", [&] {
      // Whole UTC days from ledger_daily; the part of a day before them (a `since` that is not
      // a day's start: budgets' periods all are) from the rows themselves.
      since_ms = std::max<std::int64_t>(since_ms, 0);
      const std::int64_t day = day_start_ms(since_ms);
      const std::int64_t whole_from = day == since_ms ? day : add_saturating(day, kDayMs);
      Transaction tx(*db_, false);
      Money sum = scalar(
          "SELECT COALESCE(SUM(charge_micros), 0) FROM ledger_daily "
          "WHERE subject_kind = $1 AND subject = $2 AND day_ms >= $3",
          {std::string_view(team ? "team" : "key"), id, whole_from});
      if (whole_from != since_ms) {
        sum =
            add_saturating(sum, scalar(team ? "SELECT COALESCE(SUM(charge_micros), 0) FROM ledger "
                                              "WHERE at_ms >= $2 AND at_ms < $3 AND team = $1"
                                            : "SELECT COALESCE(SUM(charge_micros), 0) FROM ledger "
                                              "WHERE at_ms >= $2 AND at_ms < $3 AND key_id = $1",
                                       {id, since_ms, whole_from}));
      }
      tx.commit();
      return sum;
    });
  }

  SpendReport spend(const SpendQuery& q) override {
    return run("spend", [&] {
      std::string where = " FROM ledger WHERE at_ms >= $1 AND at_ms < $2";
      std::vector<SqlParam> params{q.since_ms, q.until_ms};
      if (q.key) {
        params.emplace_back(std::string_view(*q.key));
        where += " AND key_id = $" + std::to_string(params.size());
      }
      if (q.team) {
        params.emplace_back(std::string_view(*q.team));
        where += " AND team = $" + std::to_string(params.size());
      }
      SpendReport report;
      // One snapshot: the groups add up to the total even while rows are being written.
      Transaction tx(*db_, false);
      const bool day = q.by == SpendGroup::day;
      // With `over`, a second column: the hour or day number, and each group's rows per one.
      const bool buckets = q.over != SpendBucket::none;
      const char* bucket_sql = q.over == SpendBucket::hour ? kHourNumberSql : kDayNumberSql;
      const std::string select = buckets ? std::string(spend_group_sql(q.by)) + ", " + bucket_sql
                                         : std::string(spend_group_sql(q.by));
      const int sums_at = buckets ? 2 : 1;
      db_->query("SELECT " + select + ", " + kSpendSums + where +
                     (buckets ? " GROUP BY 1, 2" : " GROUP BY 1"),
                 params, [&](const SqlRow& r) {
                   SpendRow row = read_spend_sums(r, sums_at);
                   row.group = day ? format_date(static_cast<Days>(r.int64(0))) : r.text(0);
                   if (q.over == SpendBucket::hour)
                     row.bucket = format_instant(r.int64(1) * 3'600'000);
                   else if (q.over == SpendBucket::day)
                     row.bucket = format_date(static_cast<Days>(r.int64(1)));
                   report.groups.push_back(std::move(row));
                 });
      db_->query(std::string("SELECT ") + kSpendSums + where, params,
                 [&](const SqlRow& r) { report.total = read_spend_sums(r, 0); });
      tx.commit();
      // Sorted here, bytewise: PostgreSQL would sort by the database's collation.
      // Buckets are fixed-width text (years 1000 to 9999), so text order is time order.
      std::sort(report.groups.begin(), report.groups.end(),
                [](const SpendRow& a, const SpendRow& b) {
                  return std::tie(a.group, a.bucket) < std::tie(b.group, b.bucket);
                });
      return report;
    });
  }

  std::vector<LedgerRow> ledger_rows(std::int64_t since_ms, std::int64_t until_ms,
                                     std::size_t limit) override {
    return run("ledger_rows", [&] {
      std::vector<LedgerRow> out;
      if (limit == 0) return out;
      const auto cap = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
      const auto n = static_cast<std::int64_t>(std::min(limit, cap));
      query(std::string("SELECT ") + kLedgerColumns +
                ", id FROM ledger WHERE at_ms >= $1 AND at_ms < $2 ORDER BY at_ms, id LIMIT $3",
            {since_ms, until_ms, n}, [&](const SqlRow& r) { out.push_back(read_ledger_row(r)); });
      return out;
    });
  }

  std::vector<ContractAccrual> contract_accruals() override {
    return run("contract_accruals", [&] {
      std::map<std::string, ContractAccrual> by_name;
      Transaction tx(*db_, false);
      query("SELECT contract, paid_micros FROM contract_tolls", {}, [&](const SqlRow& r) {
        ContractAccrual& a = by_name[r.text(0)];
        a.tolls_paid = r.int64(1);
      });
      query("SELECT contract, period, burn_micros FROM contract_burn", {}, [&](const SqlRow& r) {
        by_name[r.text(0)].burn.push_back(ContractAccrual::PeriodBurn{r.text(1), r.int64(2)});
      });
      tx.commit();
      std::vector<ContractAccrual> out;
      out.reserve(by_name.size());
      for (auto& [name, accrual] : by_name) {
        accrual.contract = name;
        std::sort(accrual.burn.begin(), accrual.burn.end(),
                  [](const auto& a, const auto& b) { return a.period < b.period; });
        out.push_back(std::move(accrual));
      }
      return out;
    });
  }

  // ---- kept Responses API responses ----------------------------------------------------------
  // Each write is one transaction even when it is one statement: a connection that breaks before
  // COMMIT leaves nothing and the call runs again; one that breaks while committing is reported
  // (the write may have been applied), never run again to a different answer.

  void put_responses(const std::vector<StoredResponse>& responses) override {
    run("put_responses", [&] {
      if (responses.empty()) return;
      for (const StoredResponse& r : responses)
        if (r.id.empty()) throw DbError("a response needs an id");
      Transaction tx(*db_, true);
      for (const StoredResponse& r : responses) {
        db_->exec(
            "INSERT INTO responses (key_id, id, created_ms, expires_ms, previous_id, provider, "
            "input_items, response) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (key_id, id) DO UPDATE SET created_ms = excluded.created_ms, "
            "expires_ms = excluded.expires_ms, previous_id = excluded.previous_id, "
            "provider = excluded.provider, input_items = excluded.input_items, "
            "response = excluded.response",
            {r.key, r.id, r.created_ms, r.expires_ms, r.previous_id, r.provider, r.input_items,
             r.response});
      }
      tx.commit();
    });
  }

  std::optional<StoredResponse> find_response(const std::string& key, const std::string& id,
                                              std::int64_t now_ms) override {
    return run("find_response", [&] {
      std::optional<StoredResponse> found;
      query(std::string("SELECT ") + kResponseColumns +
                " FROM responses WHERE key_id = $1 AND id = $2 AND expires_ms > $3",
            {key, id, now_ms}, [&](const SqlRow& r) { found = read_response(r); });
      return found;
    });
  }

  bool delete_response(const std::string& key, const std::string& id,
                       std::int64_t now_ms) override {
    return run("delete_response", [&] {
      Transaction tx(*db_, true);
      bool deleted = false;
      // An expired record is left to delete_expired_responses: to the caller it is not there.
      query("DELETE FROM responses WHERE key_id = $1 AND id = $2 AND expires_ms > $3 RETURNING id",
            {key, id, now_ms}, [&](const SqlRow&) { deleted = true; });
      tx.commit();
      return deleted;
    });
  }

  std::int64_t delete_expired_responses(std::int64_t now_ms) override {
    return run("delete_expired_responses", [&] {
      Transaction tx(*db_, true);
      // Counted from the rows the DELETE itself removed, not by a COUNT before it: on
      // PostgreSQL (READ COMMITTED) another instance sweeping at the same time could delete
      // some of the counted rows in between, and both would report them.
      std::int64_t deleted = 0;
      query("DELETE FROM responses WHERE expires_ms <= $1 RETURNING 1", {now_ms},
            [&](const SqlRow&) { ++deleted; });
      tx.commit();
      return deleted;
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

  // Inserts `chunk` (1 to kLedgerChunkRows rows with their ids, a power of two) in one
  // statement, each row with its terms' id from `terms` and its toll from `tolls` (empty: 0
  // for all).
  void insert_ledger_rows(std::span<LedgerRow* const> chunk, std::span<const std::int64_t> terms,
                          std::span<const Money> tolls) {
    params_.clear();
    params_.reserve(chunk.size() * kLedgerParams);
    for (std::size_t i = 0; i < chunk.size(); ++i)
      ledger_params(params_, terms[i], *chunk[i], tolls.empty() ? 0 : tolls[i]);
    db_->query(ledger_insert_sql(chunk.size()), params_, {});
  }

  // The id of row `r`'s terms in ledger_terms: from the terms this store has written or read
  // before (terms_), from those of the transaction under way (`fresh`), or else found or
  // added there (an upsert: another instance may add the same terms at once).
  std::int64_t ledger_terms_id(const LedgerRow& r,
                               std::unordered_map<std::string, std::int64_t>& fresh) {
    terms_key(terms_buffer_, r);
    if (auto it = terms_.find(terms_buffer_); it != terms_.end()) return it->second;
    if (auto it = fresh.find(terms_buffer_); it != fresh.end()) return it->second;
    const std::int64_t id = scalar(
        std::string("INSERT INTO ledger_terms (") + kLedgerTermsColumns +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
            "ON CONFLICT (" +
            kLedgerTermsColumns + ") DO UPDATE SET key_id = excluded.key_id RETURNING id",
        {r.key_id, r.team, r.model, r.route, r.provider, r.contract, r.region, r.priced,
         r.prices.input_per_mtok, r.prices.cached_input_per_mtok, r.prices.cache_write_per_mtok,
         r.prices.output_per_mtok, std::int64_t{r.discount_bp}, std::int64_t{r.markup_bp},
         r.toll_cap_micros, r.commitment_period});
    fresh.emplace(terms_buffer_, id);
    return id;
  }

  // After a commit: the terms it added are there for good (none is ever deleted). Bounded:
  // past kMaxTerms the map starts again (a miss costs one upsert).
  void remember_terms(std::unordered_map<std::string, std::int64_t>& fresh) noexcept {
    try {
      if (terms_.size() + fresh.size() > kMaxTerms) terms_.clear();
      terms_.merge(fresh);
    } catch (...) {
      terms_.clear();  // out of memory: forgotten, looked up again
    }
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

  static constexpr std::size_t kMaxTerms = 100'000;

  std::mutex mu_;
  std::unique_ptr<SqlDb> db_;
  const std::string describe_;
  // The ledger writer's: ledger_terms' ids by terms_key, the key's buffer, an insert's values.
  std::unordered_map<std::string, std::int64_t> terms_;
  std::string terms_buffer_;
  std::vector<SqlParam> params_;
};

}  // namespace

std::unique_ptr<Store> make_sql_store(std::unique_ptr<SqlDb> db) {
  return std::make_unique<SqlStore>(std::move(db));
}

}  // namespace tollbooth::store_detail
