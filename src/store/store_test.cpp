// One suite for both stores: every typed test runs against SQLite (a new file each time) and
// against PostgreSQL (a new schema each time) when TOLLBOOTH_TEST_PG_URL names a server
// (scripts/with-postgres starts one; scripts/test runs the unit tests under it). Without it the
// PostgreSQL half is skipped with a message saying so.
#include "store/store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "store/sql_store.hpp"

namespace tollbooth {
namespace {

using access::AuditEntry;
using access::Key;
using access::KeySecret;
using access::Scope;
using access::scope_bit;
using access::Team;
using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

// Designated initialisers would leave the other member out, which -Wextra reports.
StoreConfig sqlite_config(const std::string& path) {
  StoreConfig c;
  c.sqlite_path = path;
  return c;
}
StoreConfig postgres_config(const std::string& url) {
  StoreConfig c;
  c.postgres_url = url;
  return c;
}

// Run with this variable naming an SQLite file, the test binary only counts that file's ledger
// rows and exits with the count (255: it could not), before any test runs: the other process of
// RowsWrittenWhileOtherProcessesReadStayVisibleToThem.
constexpr const char* kCountLedgerRows = "TOLLBOOTH_TEST_COUNT_LEDGER_ROWS";
const int count_ledger_rows_and_exit = [] {
  const char* path = std::getenv(kCountLedgerRows);
  if (!path) return 0;
  sqlite3* db = nullptr;
  int n = -1;
  if (sqlite3_open(path, &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM ledger", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
      n = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  std::_Exit(n < 0 || n > 254 ? 255 : n);
}();

fs::path make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "tollbooth-store-test.XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

// --- backends ----------------------------------------------------------------------------------

class SqliteBackend {
 public:
  static constexpr const char* kName = "Sqlite";
  static std::string skip_reason() { return {}; }

  void set_up() {
    dir_ = make_temp_dir();
    path_ = dir_ / "new" / "store.db";  // a directory that does not exist yet
  }
  void tear_down() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  StoreConfig config() const { return sqlite_config(path_.string()); }
  std::unique_ptr<store_detail::SqlDb> open_db() const {
    return store_detail::open_sqlite_db(path_.string());
  }
  const fs::path& path() const { return path_; }

  // Runs SQL beside the store, as another program would.
  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string why = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << why;
  }

 private:
  fs::path dir_;
  fs::path path_;
};

// Each test gets its own schema on the server (search_path set through the URL's options), so
// tests running at once never see each other's rows, and dropping it leaves nothing behind.
class PostgresBackend {
  // DROP SCHEMA ... CASCADE and friends send notices, which libpq prints to stderr.
  static void quiet(PGconn* c) {
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
  }

 public:
  static constexpr const char* kName = "Postgres";
  static std::string skip_reason() {
    const char* url = std::getenv("TOLLBOOTH_TEST_PG_URL");
    if (url && *url) return {};
    return "TOLLBOOTH_TEST_PG_URL is not set: the PostgreSQL store is not tested. Run under "
           "scripts/with-postgres (scripts/test and make test do).";
  }

  void set_up() {
    base_ = std::getenv("TOLLBOOTH_TEST_PG_URL");
    static std::atomic<int> counter{0};
    std::random_device rd;
    schema_ = "tbtest_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
              std::to_string(rd() % 1000000);
    admin_ = PQconnectdb(base_.c_str());
    ASSERT_EQ(PQstatus(admin_), CONNECTION_OK) << PQerrorMessage(admin_);
    quiet(admin_);
    admin_exec("CREATE SCHEMA " + schema_);
    const bool is_url = base_.find("://") != std::string::npos;
    if (is_url) {
      url_ = base_ + (base_.find('?') == std::string::npos ? "?" : "&") +
             "options=-csearch_path%3D" + schema_ + "&application_name=" + schema_;
    } else {
      url_ = base_ + " options='-csearch_path=" + schema_ + "' application_name=" + schema_;
    }
  }
  void tear_down() {
    if (admin_) {
      if (!schema_.empty()) admin_exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
      PQfinish(admin_);
      admin_ = nullptr;
    }
  }
  StoreConfig config() const { return postgres_config(url_); }
  std::unique_ptr<store_detail::SqlDb> open_db() const {
    return store_detail::open_postgres_db(url_);
  }
  const std::string& schema() const { return schema_; }

  void exec(const std::string& sql) {
    PGconn* c = PQconnectdb(url_.c_str());
    quiet(c);
    PGresult* r = PQexec(c, sql.c_str());
    std::string why = PQresultErrorMessage(r);
    ExecStatusType st = PQresultStatus(r);
    PQclear(r);
    PQfinish(c);
    ASSERT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) << why;
  }

  // Ends every server connection this test's stores hold (they all carry its application_name),
  // as a server restart or a network cut would; waits until they are gone.
  void kill_connections() {
    const char* params[] = {schema_.c_str()};
    PGresult* r = PQexecParams(admin_,
                               "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                               "WHERE application_name = $1",
                               1, nullptr, params, nullptr, nullptr, 0);
    ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
    ASSERT_GE(PQntuples(r), 1);
    PQclear(r);
  }

 private:
  void admin_exec(const std::string& sql) {
    PGresult* r = PQexec(admin_, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
  }

  std::string base_;
  std::string url_;
  std::string schema_;
  PGconn* admin_ = nullptr;
};

// --- records -----------------------------------------------------------------------------------

std::string hash_of(char c) {
  return std::string(64, c);
}

// Every field set to something other than its default.
Key full_key(const std::string& id, char h1 = 'a', char h2 = 'b') {
  Key k;
  k.id = id;
  k.alias = "billing \"prod\" \xE2\x9C\x93";  // quotes and UTF-8 survive
  k.team = "team-a";
  k.scopes = scope_bit(Scope::chat) | scope_bit(Scope::routing_explain) | scope_bit(Scope::admin);
  k.models = {"gpt-4o*", "claude-3.5 \"sonnet\""};
  k.regions = {"us-*", "eu-west-1"};
  k.limits = {60, 100'000, 4};
  k.budget = {50'000'001, access::BudgetPeriod::week, 8'050};
  k.expires_ms = 1'900'000'000'123;
  k.metadata = R"({"owner":"ana","cost_center":42})";
  k.created_ms = 1'700'000'000'001;
  k.updated_ms = 1'700'000'000'002;
  k.revoked_ms = 1'700'000'000'003;
  k.secrets = {
      KeySecret{hash_of(h1), "wxyz", 1'700'000'000'010, 0},
      KeySecret{hash_of(h2), "abcd", 1'600'000'000'000, 1'700'000'100'000},
  };
  k.from_config = true;
  return k;
}

Team full_team(const std::string& id) {
  Team t;
  t.id = id;
  t.scopes = scope_bit(Scope::chat) | scope_bit(Scope::embeddings);
  t.models = {"gpt-4o-mini"};
  t.regions = {"eu-*"};
  t.limits = {600, 2'000'000, 32};
  t.budget = {500'000'000'000, access::BudgetPeriod::total, 9'999};
  t.markup_bp = 1'250;
  t.metadata = R"({"lead":"bo"})";
  t.created_ms = 1'700'000'000'100;
  t.updated_ms = 1'700'000'000'200;
  t.from_config = true;
  return t;
}

AuditEntry entry(const std::string& action, const std::string& target, std::int64_t at = 1000) {
  return AuditEntry{0, at, "cli:ana", action, target, "", R"({"id":")" + target + R"("})"};
}

// --- the typed suite ---------------------------------------------------------------------------

template <class Backend>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = Backend::skip_reason(); !why.empty()) GTEST_SKIP() << why;
    backend.set_up();
    ready = true;
    store = open_store(backend.config());
  }
  void TearDown() override {
    store.reset();
    if (ready) backend.tear_down();
  }

  std::unique_ptr<Store> reopen() { return open_store(backend.config()); }

  Backend backend;
  bool ready = false;
  std::unique_ptr<Store> store;
};

struct BackendName {
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};
using Backends = ::testing::Types<SqliteBackend, PostgresBackend>;
TYPED_TEST_SUITE(StoreTest, Backends, BackendName);

TYPED_TEST(StoreTest, KeyRoundTripsEveryField) {
  Key key = full_key("key_00000000000000a1");
  Key bare;  // defaults: empty lists, no secrets, empty alias and team
  bare.id = "key_00000000000000b2";
  bare.metadata = "{}";
  this->store->put_key(key, entry("key.create", "key:" + key.id));
  this->store->put_key(bare, entry("key.create", "key:" + bare.id));

  EXPECT_EQ(this->store->find_key(key.id), key);
  EXPECT_EQ(this->store->find_key(bare.id), bare);
  EXPECT_EQ(this->store->load_keys(), (std::vector<Key>{key, bare}));
  // What another process reads.
  EXPECT_EQ(this->reopen()->load_keys(), (std::vector<Key>{key, bare}));
}

TYPED_TEST(StoreTest, ScopesKeepEveryBit) {
  Key key = full_key("key_00000000000000c3");
  key.scopes = 0xFFFFFFFFu;  // a ScopeSet is 32 bits; none may be lost or turn negative
  this->store->put_key(key, entry("key.create", "key:x"));
  EXPECT_EQ(this->store->find_key(key.id)->scopes, 0xFFFFFFFFu);
}

TYPED_TEST(StoreTest, TeamRoundTripsEveryField) {
  Team team = full_team("team-a");
  Team bare;
  bare.id = "team-b";
  bare.metadata = "{}";
  this->store->put_team(team, entry("team.create", "team:team-a"));
  this->store->put_team(bare, entry("team.create", "team:team-b"));
  EXPECT_EQ(this->store->find_team("team-a"), team);
  EXPECT_EQ(this->store->find_team("team-b"), bare);
  EXPECT_EQ(this->store->load_teams(), (std::vector<Team>{team, bare}));
  EXPECT_EQ(this->reopen()->load_teams(), (std::vector<Team>{team, bare}));
}

TYPED_TEST(StoreTest, AuditRoundTripsEveryFieldWithIdsAssigned) {
  AuditEntry create{999, 1'700'000'000'000,           "admin_key", "key.create", "key:k1",
                    "",  R"({"alias":"caf\u00e9 ☕"})"};
  AuditEntry update{0,        1'700'000'000'500,  "key:key_1",       "key.update",
                    "key:k1", R"({"alias":"a"})", R"({"alias":"b"})"};
  const std::int64_t id1 = this->store->put_key(full_key("k1"), create);
  const std::int64_t id2 = this->store->put_team(full_team("t1"), update);
  EXPECT_GT(id1, 0);
  EXPECT_GT(id2, id1);
  create.id = id1;  // the store assigns ids; the one passed in is ignored
  update.id = id2;
  EXPECT_EQ(this->store->audit(0, 10), (std::vector<AuditEntry>{create, update}));
}

TYPED_TEST(StoreTest, PutReplacesTheRecordAndItsSecrets) {
  Key key = full_key("key_1", 'a', 'b');
  this->store->put_key(key, entry("key.create", "key:key_1"));
  Key changed = key;
  changed.alias = "renamed";
  changed.models.clear();
  changed.limits = {1, 2, 3};
  changed.revoked_ms = 0;
  changed.from_config = false;
  changed.secrets = {KeySecret{hash_of('c'), "cccc", 5, 0}};
  this->store->put_key(changed, entry("key.rotate", "key:key_1"));
  EXPECT_EQ(this->store->find_key("key_1"), changed);
  EXPECT_EQ(this->store->load_keys().size(), 1u);

  // The replaced secrets are gone from the store, not just from the record: another key may
  // now hold them.
  Key other = full_key("key_2", 'a', 'b');
  EXPECT_NO_THROW(this->store->put_key(other, entry("key.create", "key:key_2")));

  Team team = full_team("t");
  this->store->put_team(team, entry("team.create", "team:t"));
  team.limits.rpm = 7;
  team.regions = {};
  this->store->put_team(team, entry("team.update", "team:t"));
  EXPECT_EQ(this->store->find_team("t"), team);
  EXPECT_EQ(this->store->load_teams().size(), 1u);
}

TYPED_TEST(StoreTest, ChangeVersionGrowsWithEveryWriteAndOtherStoresSeeIt) {
  // A second Store on the same database stands for another process (the CLI beside the
  // gateway): this number is how the gateway learns that its snapshot is stale.
  auto other = this->reopen();
  std::int64_t v = this->store->change_version();
  EXPECT_EQ(other->change_version(), v);

  auto grew = [&](const char* what) {
    std::int64_t now = other->change_version();
    EXPECT_GT(now, v) << what;
    EXPECT_EQ(this->store->change_version(), now) << what;
    v = now;
  };
  this->store->put_key(full_key("k"), entry("key.create", "key:k"));
  grew("put_key");
  this->store->put_key(full_key("k"), entry("key.update", "key:k"));
  grew("put_key again");
  other->put_team(full_team("t"), entry("team.create", "team:t"));
  grew("put_team from the other store");
  EXPECT_EQ(this->store->delete_team("t", entry("team.delete", "team:t")).outcome,
            TeamDeletion::Outcome::deleted);
  grew("delete_team");

  // Reads change nothing.
  this->store->load_keys();
  this->store->audit(0, 100);
  EXPECT_EQ(other->change_version(), v);
}

TYPED_TEST(StoreTest, FindingWhatIsNotThereIsNullopt) {
  EXPECT_EQ(this->store->find_key("key_missing"), std::nullopt);
  EXPECT_EQ(this->store->find_team("missing"), std::nullopt);
  EXPECT_TRUE(this->store->load_keys().empty());
  EXPECT_TRUE(this->store->load_teams().empty());
  EXPECT_TRUE(this->store->audit(0, 10).empty());
}

TYPED_TEST(StoreTest, DeleteTeamKeepsRevokedKeysNamingItAndSaysWhenThereIsNone) {
  this->store->put_team(full_team("team-a"), entry("team.create", "team:team-a"));
  Key key = full_key("key_1");  // team "team-a", revoked
  this->store->put_key(key, entry("key.create", "key:key_1"));
  const std::int64_t entries = static_cast<std::int64_t>(this->store->audit(0, 100).size());

  TeamDeletion done = this->store->delete_team("team-a", entry("team.delete", "team:team-a"));
  EXPECT_EQ(done.outcome, TeamDeletion::Outcome::deleted);
  EXPECT_EQ(this->store->find_team("team-a"), std::nullopt);
  EXPECT_EQ(this->store->find_key("key_1"), key) << "the key keeps the team's name";
  auto log = this->store->audit(0, 100);
  ASSERT_EQ(static_cast<std::int64_t>(log.size()), entries + 1);
  EXPECT_EQ(log.back().action, "team.delete");

  const std::int64_t v = this->store->change_version();
  EXPECT_EQ(this->store->delete_team("team-a", entry("team.delete", "team:team-a")).outcome,
            TeamDeletion::Outcome::not_found);
  EXPECT_EQ(this->store->audit(0, 100).size(), log.size()) << "nothing happened, nothing logged";
  EXPECT_EQ(this->store->change_version(), v);
}

TYPED_TEST(StoreTest, DeleteTeamIsRefusedWhileKeysThatAreNotRevokedNameIt) {
  this->store->put_team(full_team("team-a"), entry("team.create", "team:team-a"));
  Key live = full_key("key_1", 'a', 'b');
  live.revoked_ms = 0;
  Key other = full_key("key_2", 'c', 'd');
  other.revoked_ms = 0;
  Key revoked = full_key("key_3", 'e', 'f');
  this->store->put_key(live, entry("key.create", "key:key_1"));
  this->store->put_key(other, entry("key.create", "key:key_2"));
  this->store->put_key(revoked, entry("key.create", "key:key_3"));
  const auto log = this->store->audit(0, 100);
  const std::int64_t v = this->store->change_version();

  TeamDeletion refused = this->store->delete_team("team-a", entry("team.delete", "team:team-a"));
  EXPECT_EQ(refused.outcome, TeamDeletion::Outcome::in_use);
  EXPECT_EQ(refused.keys_in_use, 2);
  EXPECT_EQ(this->store->find_team("team-a"), full_team("team-a"));
  EXPECT_EQ(this->store->audit(0, 100), log) << "nothing happened, nothing logged";
  EXPECT_EQ(this->store->change_version(), v);

  live.revoked_ms = 5;
  other.team = "";
  this->store->put_key(live, entry("key.revoke", "key:key_1"));
  this->store->put_key(other, entry("key.update", "key:key_2"));
  EXPECT_EQ(this->store->delete_team("team-a", entry("team.delete", "team:team-a")).outcome,
            TeamDeletion::Outcome::deleted);
}

TYPED_TEST(StoreTest, PutKeyCanRequireItsTeamInTheStore) {
  this->store->put_team(full_team("team-a"), entry("team.create", "team:team-a"));
  Key key = full_key("key_1");  // team "team-a"
  this->store->put_key(key, entry("key.create", "key:key_1"), TeamCheck::in_store);
  EXPECT_EQ(this->store->find_key("key_1"), key);
  const auto log = this->store->audit(0, 100);
  const std::int64_t v = this->store->change_version();

  Key elsewhere = full_key("key_2", 'c', 'd');
  elsewhere.team = "team-b";
  try {
    this->store->put_key(elsewhere, entry("key.create", "key:key_2"), TeamCheck::in_store);
    ADD_FAILURE() << "a key naming a missing team was written";
  } catch (const TeamMissing& e) {
    EXPECT_EQ(e.team(), "team-b");
    EXPECT_THAT(e.what(), HasSubstr(this->store->describe()));
    EXPECT_THAT(e.what(), HasSubstr("team team-b does not exist"));
  }
  key.team = "team-b";  // an existing key moved to it: refused, left as it was
  EXPECT_THROW(this->store->put_key(key, entry("key.update", "key:key_1"), TeamCheck::in_store),
               TeamMissing);
  EXPECT_EQ(this->store->find_key("key_2"), std::nullopt);
  EXPECT_EQ(this->store->find_key("key_1")->team, "team-a");
  EXPECT_EQ(this->store->audit(0, 100), log) << "nothing happened, nothing logged";
  EXPECT_EQ(this->store->change_version(), v);

  // No team needs none; without the check (a team declared in the config file) any name goes.
  elsewhere.team = "";
  EXPECT_NO_THROW(
      this->store->put_key(elsewhere, entry("key.create", "key:key_2"), TeamCheck::in_store));
  key.team = "declared-in-config";
  EXPECT_NO_THROW(this->store->put_key(key, entry("key.update", "key:key_1")));
}

TYPED_TEST(StoreTest, AKeyAndTheDeletionOfItsTeamRacingLeaveNoKeyWithoutItsTeam) {
  // Two stores in threads stand for two processes: one gives a new key the team, the other
  // deletes the team. Whichever commits first, the other must see it: never a live key naming
  // a team that is gone.
  auto keys = this->reopen();
  auto teams = this->reopen();
  constexpr int kRounds = 20;
  int created = 0, deleted = 0;
  for (int i = 0; i < kRounds; ++i) {
    const std::string team = "t" + std::to_string(i), id = "k" + std::to_string(i);
    this->store->put_team(full_team(team), entry("team.create", "team:" + team));
    Key key = full_key(id);
    key.team = team;
    key.revoked_ms = 0;
    key.secrets[0].hash = id + "-current";
    key.secrets[1].hash = id + "-previous";
    std::thread put([&] {
      try {
        keys->put_key(key, entry("key.create", "key:" + id), TeamCheck::in_store);
      } catch (const TeamMissing&) {
      }
    });
    std::thread del([&] { teams->delete_team(team, entry("team.delete", "team:" + team)); });
    put.join();
    del.join();
    const bool has_key = this->store->find_key(id).has_value();
    const bool has_team = this->store->find_team(team).has_value();
    EXPECT_EQ(has_key, has_team) << "round " << i << ": key " << has_key << ", team " << has_team;
    created += has_key;
    deleted += !has_team;
  }
  EXPECT_EQ(created + deleted, kRounds);
}

TYPED_TEST(StoreTest, AuditPagesByAfterIdAndLimit) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(this->store->put_team(full_team("t" + std::to_string(i)),
                                        entry("team.create", "team:t" + std::to_string(i), i)));
  }
  auto page = [&](std::int64_t after, std::size_t limit) {
    std::vector<std::int64_t> got;
    for (const auto& e : this->store->audit(after, limit)) got.push_back(e.id);
    return got;
  };
  EXPECT_EQ(page(0, 2), (std::vector<std::int64_t>{ids[0], ids[1]}));
  EXPECT_EQ(page(ids[1], 2), (std::vector<std::int64_t>{ids[2], ids[3]}));
  EXPECT_EQ(page(ids[3], 2), (std::vector<std::int64_t>{ids[4]}));
  EXPECT_EQ(page(ids[4], 2), (std::vector<std::int64_t>{}));
  EXPECT_EQ(page(0, 0), (std::vector<std::int64_t>{}));
  EXPECT_EQ(page(0, static_cast<std::size_t>(-1)), ids) << "a huge limit is no limit";
  EXPECT_EQ(this->store->audit(ids[2], 1).front().target, "team:t3");
}

TYPED_TEST(StoreTest, AFailedPutKeepsNothingOfItNorItsAuditEntry) {
  Key first = full_key("key_1", 'a', 'b');
  this->store->put_key(first, entry("key.create", "key:key_1"));
  Key existing = full_key("key_2", 'c', 'd');
  this->store->put_key(existing, entry("key.create", "key:key_2"));
  const auto log = this->store->audit(0, 100);
  const std::int64_t v = this->store->change_version();

  // A new key whose second secret is key_1's: the UNIQUE hash refuses it after the key's row
  // and first secret were written. All of it must go, the audit entry never written.
  Key clash = full_key("key_3", 'e', 'a');
  try {
    this->store->put_key(clash, entry("key.create", "key:key_3"));
    ADD_FAILURE() << "a secret of another key was accepted";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr(this->store->describe()));
    EXPECT_THAT(e.what(), HasSubstr("put_key"));
  }
  EXPECT_EQ(this->store->find_key("key_3"), std::nullopt);

  // An existing key replaced by a clashing one stays as it was, secrets included.
  Key worse = existing;
  worse.alias = "changed";
  worse.secrets.push_back(KeySecret{hash_of('b'), "bbbb", 1, 0});
  EXPECT_THROW(this->store->put_key(worse, entry("key.update", "key:key_2")), StoreError);
  EXPECT_EQ(this->store->find_key("key_2"), existing);

  EXPECT_EQ(this->store->audit(0, 100), log);
  EXPECT_EQ(this->store->change_version(), v);
  EXPECT_EQ(this->store->load_keys(), (std::vector<Key>{first, existing}));

  // And the store carries on.
  Key fine = full_key("key_4", 'f', 'g');
  EXPECT_GT(this->store->put_key(fine, entry("key.create", "key:key_4")), log.back().id);
}

TYPED_TEST(StoreTest, WindowsLoadOnlyWhileOpenAndSavingAgainReplaces) {
  const std::int64_t now = 1'700'000'000'000;
  WindowState open_rpm{"key:k1", "rpm", now - 30'000, 12};
  WindowState open_tpm{"key:k1", "tpm", now - 59'999, 4000};  // open for one more millisecond
  WindowState closed{"team:t", "rpm", now - 60'000, 99};      // [now - 60 s, now): over at now
  this->store->save_windows({open_rpm, open_tpm, closed});
  EXPECT_EQ(this->store->load_windows(now), (std::vector<WindowState>{open_rpm, open_tpm}));
  EXPECT_EQ(this->store->load_windows(now - 1),
            (std::vector<WindowState>{open_rpm, open_tpm, closed}));

  // Saving a subject's window again replaces it, and leaves the others alone.
  open_rpm.used = 13;
  this->store->save_windows({open_rpm});
  EXPECT_EQ(this->reopen()->load_windows(now), (std::vector<WindowState>{open_rpm, open_tpm}));

  // A later save drops what had closed by then, so windows of keys gone do not pile up.
  WindowState next{"key:k1", "rpm", now + 30'000, 1};
  this->store->save_windows({next});
  EXPECT_EQ(this->store->load_windows(now + 30'000), (std::vector<WindowState>{next}));
  EXPECT_EQ(this->store->load_windows(0), (std::vector<WindowState>{next}));

  this->store->save_windows({});  // nothing to save is fine
  // Windows are neither keys nor teams: snapshots need not reload for them.
  const std::int64_t v = this->store->change_version();
  this->store->save_windows({open_rpm});
  EXPECT_EQ(this->store->change_version(), v);
}

TYPED_TEST(StoreTest, OpeningAgainMigratesNothingAndKeepsTheData) {
  this->store->put_team(full_team("t"), entry("team.create", "team:t"));
  this->store.reset();
  auto again = this->reopen();
  auto third = this->reopen();  // and at the same time as another
  EXPECT_EQ(again->find_team("t"), full_team("t"));
  EXPECT_EQ(third->audit(0, 10).size(), 1u);
}

TYPED_TEST(StoreTest, ADatabaseFromANewerVersionIsRefused) {
  const std::string name = this->store->describe();
  this->store.reset();
  this->backend.exec("INSERT INTO schema_migrations (version, applied_ms) VALUES (1000, 0)");
  try {
    this->reopen();
    FAIL() << "a database with schema version 1000 was opened";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr(name));
    EXPECT_THAT(e.what(), HasSubstr("schema is version 1000, newer than this tollbooth knows"));
  }
}

TYPED_TEST(StoreTest, WritersInSeveralStoresAtOnceAllLandInOrder) {
  // Stores in threads stand for processes: SQLite makes them wait their turn (busy_timeout),
  // PostgreSQL queues them on the change counter's row.
  constexpr int kWriters = 4;
  constexpr int kWrites = 10;
  const std::int64_t v = this->store->change_version();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      try {
        auto mine = this->reopen();
        for (int i = 0; i < kWrites; ++i) {
          const std::string id = "k" + std::to_string(w) + "_" + std::to_string(i);
          Key key = full_key(id);
          key.secrets[0].hash = id + "-current";  // hashes are unique across keys
          key.secrets[1].hash = id + "-previous";
          mine->put_key(key, entry("key.create", "key:" + id));
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures, 0);
  EXPECT_EQ(this->store->change_version(), v + kWriters * kWrites);
  EXPECT_EQ(this->store->load_keys().size(), std::size_t{kWriters * kWrites});
  auto log = this->store->audit(0, 1000);
  ASSERT_EQ(log.size(), std::size_t{kWriters * kWrites});
  for (std::size_t i = 1; i < log.size(); ++i) EXPECT_LT(log[i - 1].id, log[i].id);
}

TYPED_TEST(StoreTest, EveryBudgetPeriodRoundTripsAndNoBudgetIsTheDefault) {
  for (auto per : {access::BudgetPeriod::day, access::BudgetPeriod::week,
                   access::BudgetPeriod::month, access::BudgetPeriod::total}) {
    Key key = full_key("k");
    key.budget = {1, per, 0};
    this->store->put_key(key, entry("key.update", "key:k"));
    EXPECT_EQ(this->store->find_key("k")->budget, key.budget);
    Team team = full_team("t");
    team.budget = {2, per, 10'000};
    team.markup_bp = 0;
    this->store->put_team(team, entry("team.update", "team:t"));
    EXPECT_EQ(this->store->find_team("t")->budget, team.budget);
  }
  Key bare;
  bare.id = "bare";
  this->store->put_key(bare, entry("key.create", "key:bare"));
  EXPECT_EQ(this->store->find_key("bare")->budget, access::Budget{});
}

// --- the ledger --------------------------------------------------------------------------------

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kT0 = 1'798'761'600'000;  // 2027-01-01T00:00:00Z

// Every field set to something other than its default (toll left for the store).
LedgerRow full_row(const std::string& request_id, std::uint32_t attempt = 1,
                   std::int64_t at = kT0 + 1234) {
  LedgerRow r;
  r.request_id = request_id;
  r.attempt = attempt;
  r.at_ms = at;
  r.key_id = "key_00000000000000a1";
  r.team = "team-a";
  r.model = "gpt-4o";
  r.route = "azure-east/gpt4o-prod";
  r.provider = "azure-east";
  r.contract = "msft-ea";
  r.region = "eastus";
  r.usage = Usage{1'000'003, 500'007, 400'001, 3'001, 250'009, true};
  r.priced = true;
  r.prices = TokenPrices{2'500'000, 10'000'000, 1'250'000, 3'125'000};
  r.discount_bp = 1'500;
  r.markup_bp = 1'000;
  r.cost = 3'456'789;
  r.charge = 3'802'468;
  r.toll_due = 0;
  r.toll_cap_micros = -1;
  r.commitment_burn = 3'456'789;
  r.commitment_period = "2027-01-01..2027-12-31";
  r.latency_ms = 1'234;
  r.status = 200;
  r.end = "served";
  return r;
}

// A row of `contract` that owes `due` under `cap`, and nothing else of note.
LedgerRow toll_row(const std::string& request_id, Money due, Money cap,
                   const std::string& contract = "market") {
  LedgerRow r = full_row(request_id);
  r.contract = contract;
  r.toll_due = due;
  r.toll_cap_micros = cap;
  r.commitment_burn = 0;
  r.commitment_period.clear();
  return r;
}

void expect_same_row(const LedgerRow& got, const LedgerRow& want) {
  SCOPED_TRACE(want.request_id + "#" + std::to_string(want.attempt));
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.request_id, want.request_id);
  EXPECT_EQ(got.attempt, want.attempt);
  EXPECT_EQ(got.at_ms, want.at_ms);
  EXPECT_EQ(got.key_id, want.key_id);
  EXPECT_EQ(got.team, want.team);
  EXPECT_EQ(got.model, want.model);
  EXPECT_EQ(got.route, want.route);
  EXPECT_EQ(got.provider, want.provider);
  EXPECT_EQ(got.contract, want.contract);
  EXPECT_EQ(got.region, want.region);
  EXPECT_EQ(got.usage.input_tokens, want.usage.input_tokens);
  EXPECT_EQ(got.usage.cached_input_tokens, want.usage.cached_input_tokens);
  EXPECT_EQ(got.usage.cache_write_input_tokens, want.usage.cache_write_input_tokens);
  EXPECT_EQ(got.usage.output_tokens, want.usage.output_tokens);
  EXPECT_EQ(got.usage.reasoning_tokens, want.usage.reasoning_tokens);
  EXPECT_EQ(got.usage.reported, want.usage.reported);
  EXPECT_EQ(got.priced, want.priced);
  EXPECT_EQ(got.prices.input_per_mtok, want.prices.input_per_mtok);
  EXPECT_EQ(got.prices.output_per_mtok, want.prices.output_per_mtok);
  EXPECT_EQ(got.prices.cached_input_per_mtok, want.prices.cached_input_per_mtok);
  EXPECT_EQ(got.prices.cache_write_per_mtok, want.prices.cache_write_per_mtok);
  EXPECT_EQ(got.discount_bp, want.discount_bp);
  EXPECT_EQ(got.markup_bp, want.markup_bp);
  EXPECT_EQ(got.cost, want.cost);
  EXPECT_EQ(got.charge, want.charge);
  EXPECT_EQ(got.toll_due, want.toll_due);
  EXPECT_EQ(got.toll_cap_micros, want.toll_cap_micros);
  EXPECT_EQ(got.toll, want.toll);
  EXPECT_EQ(got.commitment_burn, want.commitment_burn);
  EXPECT_EQ(got.commitment_period, want.commitment_period);
  EXPECT_EQ(got.latency_ms, want.latency_ms);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.end, want.end);
}

// An INSERT of `rows` (with their ids) into the one-table ledger of schemas 3 to 5, as a
// gateway of those versions wrote them: for the tests of the migrations after it.
std::string wide_ledger_insert(std::int64_t run, const std::vector<LedgerRow>& rows) {
  auto text = [](const std::string& t) { return "'" + t + "'"; };
  auto boolean = [](bool b) { return std::string(b ? "TRUE" : "FALSE"); };
  std::string sql =
      "INSERT INTO ledger (id, run_id, request_id, attempt, at_ms, key_id, team, model, route, "
      "provider, contract, region, input_tokens, cached_input_tokens, cache_write_input_tokens, "
      "output_tokens, reasoning_tokens, reported, priced, input_per_mtok, cached_input_per_mtok, "
      "cache_write_per_mtok, output_per_mtok, discount_bp, markup_bp, cost_micros, "
      "charge_micros, toll_due_micros, toll_cap_micros, toll_micros, commitment_burn_micros, "
      "commitment_period, latency_ms, status, outcome) VALUES ";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const LedgerRow& r = rows[i];
    const std::vector<std::string> values{std::to_string(r.id),
                                          std::to_string(run),
                                          text(r.request_id),
                                          std::to_string(r.attempt),
                                          std::to_string(r.at_ms),
                                          text(r.key_id),
                                          text(r.team),
                                          text(r.model),
                                          text(r.route),
                                          text(r.provider),
                                          text(r.contract),
                                          text(r.region),
                                          std::to_string(r.usage.input_tokens),
                                          std::to_string(r.usage.cached_input_tokens),
                                          std::to_string(r.usage.cache_write_input_tokens),
                                          std::to_string(r.usage.output_tokens),
                                          std::to_string(r.usage.reasoning_tokens),
                                          boolean(r.usage.reported),
                                          boolean(r.priced),
                                          std::to_string(r.prices.input_per_mtok),
                                          std::to_string(r.prices.cached_input_per_mtok),
                                          std::to_string(r.prices.cache_write_per_mtok),
                                          std::to_string(r.prices.output_per_mtok),
                                          std::to_string(r.discount_bp),
                                          std::to_string(r.markup_bp),
                                          std::to_string(r.cost),
                                          std::to_string(r.charge),
                                          std::to_string(r.toll_due),
                                          std::to_string(r.toll_cap_micros),
                                          std::to_string(r.toll),
                                          std::to_string(r.commitment_burn),
                                          text(r.commitment_period),
                                          std::to_string(r.latency_ms),
                                          std::to_string(r.status),
                                          text(r.end)};
    sql += i ? ", (" : "(";
    for (std::size_t v = 0; v < values.size(); ++v) sql += (v ? ", " : "") + values[v];
    sql += ")";
  }
  return sql;
}

std::vector<Money> tolls_of(const std::vector<LedgerRow>& rows) {
  std::vector<Money> out;
  for (const auto& r : rows) out.push_back(r.toll);
  return out;
}

Money tolls_paid(Store& store, const std::string& contract) {
  for (const auto& a : store.contract_accruals())
    if (a.contract == contract) return a.tolls_paid;
  return 0;
}

TYPED_TEST(StoreTest, LedgerRowsRoundTripEveryField) {
  const std::int64_t run = this->store->begin_run(kT0);
  LedgerRow full = full_row("req_1");
  full.toll_due = 380'247;
  full.toll_cap_micros = 250'000'000'000;
  LedgerRow second = full_row("req_1", 2, kT0 + 2000);  // the fallback after the first
  second.contract.clear();
  second.commitment_burn = 0;
  second.commitment_period.clear();
  second.status = 0;
  second.end = "failed_final";
  LedgerRow bare;  // unpriced, estimated, no key, team or contract: every default
  bare.request_id = "req_2";
  bare.at_ms = kT0 + 3000;
  bare.prices.cached_input_per_mtok = -1;  // "the input price" survives as -1
  std::vector<LedgerRow> rows{full, second, bare};
  this->store->append_ledger(run, rows);

  EXPECT_EQ(tolls_of(rows), (std::vector<Money>{380'247, 0, 0})) << "under its cap: all of it";
  auto other = this->reopen();  // what another process reads
  for (Store* store : {this->store.get(), other.get()}) {
    auto got = store->ledger_rows(0, std::numeric_limits<std::int64_t>::max(), 100);
    ASSERT_EQ(got.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) expect_same_row(got[i], rows[i]);
  }
  // A window and a limit.
  EXPECT_EQ(this->store->ledger_rows(kT0 + 2000, kT0 + 3000, 100).size(), 1u);
  EXPECT_EQ(this->store->ledger_rows(0, kT0 + 10'000, 2).size(), 2u);
  EXPECT_TRUE(this->store->ledger_rows(0, kT0 + 10'000, 0).empty());
  // The ledger is neither keys nor teams.
  EXPECT_EQ(this->store->change_version(), 0);
}

// The writer gives a row the terms of the row before it when they are the same: rows that
// each differ from the one before in one term alone (every term in turn) keep their own.
TYPED_TEST(StoreTest, RowsDifferingFromTheRowBeforeInOneTermKeepTheirOwnTerms) {
  const std::int64_t run = this->store->begin_run(kT0);
  const std::vector<std::function<void(LedgerRow&)>> changes{
      [](LedgerRow& r) { r.key_id = "key_00000000000000b2"; },
      [](LedgerRow& r) { r.team = "team-b"; },
      [](LedgerRow& r) { r.model = "gpt-4o-mini"; },
      [](LedgerRow& r) { r.route = "azure-west/gpt4o-prod"; },
      [](LedgerRow& r) { r.provider = "azure-west"; },
      [](LedgerRow& r) { r.contract = "msft-ea-2"; },
      [](LedgerRow& r) { r.region = "westus"; },
      [](LedgerRow& r) { r.priced = false; },
      [](LedgerRow& r) { r.prices.input_per_mtok += 1; },
      [](LedgerRow& r) { r.prices.cached_input_per_mtok += 1; },
      [](LedgerRow& r) { r.prices.cache_write_per_mtok += 1; },
      [](LedgerRow& r) { r.prices.output_per_mtok += 1; },
      [](LedgerRow& r) { r.discount_bp += 1; },
      [](LedgerRow& r) { r.markup_bp += 1; },
      [](LedgerRow& r) { r.toll_cap_micros = 7; },
      [](LedgerRow& r) { r.commitment_period = "2028-01-01..2028-12-31"; },
  };
  // full, changed, full, changed, ...: each row differs from its neighbours in one term.
  std::vector<LedgerRow> rows;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto at = kT0 + 2 * static_cast<std::int64_t>(i);
    rows.push_back(full_row("base_" + std::to_string(i), 1, at));
    LedgerRow changed = full_row("changed_" + std::to_string(i), 1, at + 1);
    changes[i](changed);
    rows.push_back(changed);
  }
  this->store->append_ledger(run, rows);
  auto got = this->store->ledger_rows(0, std::numeric_limits<std::int64_t>::max(), 100);
  ASSERT_EQ(got.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(rows[i].request_id);
    expect_same_row(got[i], rows[i]);
  }
}

TYPED_TEST(StoreTest, TollsStopAtTheCapAndTheRowThatCrossesItPaysExactlyTheRest) {
  const std::int64_t run = this->store->begin_run(kT0);
  constexpr Money kCap = 100'000'000;  // $100
  std::vector<LedgerRow> first{toll_row("r1", 30'000'000, kCap), toll_row("r2", 30'000'000, kCap),
                               toll_row("r3", 30'000'000, kCap), toll_row("r4", 30'000'000, kCap),
                               toll_row("r5", 30'000'000, kCap)};
  this->store->append_ledger(run, first);
  EXPECT_EQ(tolls_of(first),
            (std::vector<Money>{30'000'000, 30'000'000, 30'000'000, 10'000'000, 0}));
  EXPECT_EQ(tolls_paid(*this->store, "market"), kCap);

  // After the cap, nothing, in later batches and from other stores.
  std::vector<LedgerRow> later{toll_row("r6", 1, kCap)};
  this->reopen()->append_ledger(run, later);
  EXPECT_EQ(later[0].toll, 0);
  EXPECT_EQ(tolls_paid(*this->store, "market"), kCap);

  // A batch that crosses the cap of another contract exactly at its last row, one under no
  // cap, and rows that owe nothing or have no contract to pay.
  std::vector<LedgerRow> mixed{toll_row("m1", 40, 100, "exact"), toll_row("m2", 60, 100, "exact"),
                               toll_row("m3", 1, 100, "exact"),  toll_row("m4", 7, -1, "open"),
                               toll_row("m5", 0, 100, "exact"),  toll_row("m6", -5, -1, "open"),
                               toll_row("m7", 9, -1, "")};
  this->store->append_ledger(run, mixed);
  EXPECT_EQ(tolls_of(mixed), (std::vector<Money>{40, 60, 0, 7, 0, 0, 0}));
  EXPECT_EQ(tolls_paid(*this->store, "exact"), 100);
  EXPECT_EQ(tolls_paid(*this->store, "open"), 7);

  // A cap lowered below what was paid (the config changed) pays nothing, never a refund.
  std::vector<LedgerRow> lowered{toll_row("l1", 5, 50, "exact")};
  this->store->append_ledger(run, lowered);
  EXPECT_EQ(lowered[0].toll, 0);
  EXPECT_EQ(tolls_paid(*this->store, "exact"), 100);

  // What the rows say is what the accruals say.
  SpendQuery q;
  q.by = SpendGroup::contract;
  SpendReport report = this->store->spend(q);
  Money sum = 0;
  for (const auto& row : this->store->ledger_rows(0, kT0 + kDay, 1000)) sum += row.toll;
  EXPECT_EQ(report.total.toll, sum);
  EXPECT_EQ(sum, kCap + 100 + 7);
}

// Stores in threads stand for gateway instances on one database: however their batches
// interleave, the tolls they pay add up to the cap exactly, and exactly one row pays a part.
TYPED_TEST(StoreTest, SeveralStoresAppendingAtOnceNeverPassTheCap) {
  constexpr int kWriters = 4;
  constexpr int kBatches = 25;
  constexpr int kRowsPerBatch = 8;
  constexpr Money kDue = 7;
  constexpr Money kCap = 1'000;  // 142 rows of 7 and one of 6; 800 rows owe 5,600
  std::vector<std::vector<Money>> paid(kWriters);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      try {
        auto mine = this->reopen();
        const std::int64_t run = mine->begin_run(kT0);
        for (int b = 0; b < kBatches; ++b) {
          std::vector<LedgerRow> batch;
          for (int i = 0; i < kRowsPerBatch; ++i) {
            batch.push_back(toll_row(
                "w" + std::to_string(w) + "_" + std::to_string(b) + "_" + std::to_string(i), kDue,
                kCap));
            batch.back().commitment_burn = 1;
            batch.back().commitment_period = "p";
          }
          mine->append_ledger(run, batch);
          for (const auto& r : batch) paid[w].push_back(r.toll);
        }
        mine->end_run(run, kT0 + 1);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures, 0);
  Money total = 0;
  int whole = 0, part = 0, none = 0;
  for (const auto& tolls : paid) {
    for (Money t : tolls) {
      total += t;
      if (t == kDue)
        ++whole;
      else if (t == 0)
        ++none;
      else
        ++part;
    }
  }
  EXPECT_EQ(total, kCap);
  EXPECT_EQ(whole, 142);
  EXPECT_EQ(part, 1) << "the row that crossed the cap paid the rest (6)";
  EXPECT_EQ(none, kWriters * kBatches * kRowsPerBatch - 143);
  EXPECT_EQ(tolls_paid(*this->store, "market"), kCap);
  auto accruals = this->store->contract_accruals();
  ASSERT_EQ(accruals.size(), 1u);
  ASSERT_EQ(accruals[0].burn.size(), 1u);
  EXPECT_EQ(accruals[0].burn[0].burn, kWriters * kBatches * kRowsPerBatch)
      << "no burn lost to a race either";
  EXPECT_EQ(this->store->spend(SpendQuery{}).total.toll, kCap);
}

TYPED_TEST(StoreTest, CommitmentBurnAccruesPerContractAndPeriod) {
  const std::int64_t run = this->store->begin_run(kT0);
  auto burn_row = [](const std::string& id, const std::string& contract, const std::string& period,
                     Money burn) {
    LedgerRow r = full_row(id);
    r.contract = contract;
    r.commitment_period = period;
    r.commitment_burn = burn;
    return r;
  };
  std::vector<LedgerRow> rows{
      burn_row("a", "msft-ea", "2027-01-01..2027-12-31", 1'000'001),
      burn_row("b", "msft-ea", "2027-01-01..2027-12-31", 2'000'002),
      burn_row("c", "msft-ea", "2026-01-01..2026-12-31", 5),
      burn_row("d", "aws-ppa", "2027-01-01..2027-06-30", 7),
      burn_row("e", "aws-ppa", "2027-01-01..2027-06-30", 0),  // outside the period: nothing
      burn_row("f", "", "", 0),                               // no contract
  };
  this->store->append_ledger(run, rows);
  std::vector<LedgerRow> more{burn_row("g", "msft-ea", "2027-01-01..2027-12-31", 10)};
  this->reopen()->append_ledger(run, more);

  using PB = ContractAccrual::PeriodBurn;
  EXPECT_EQ(this->store->contract_accruals(),
            (std::vector<ContractAccrual>{
                {"aws-ppa", 0, {PB{"2027-01-01..2027-06-30", 7}}},
                {"msft-ea",
                 0,
                 {PB{"2026-01-01..2026-12-31", 5}, PB{"2027-01-01..2027-12-31", 3'000'013}}},
            }));
}

TYPED_TEST(StoreTest, ARowAppendedAgainIsKeptOnceAndAccruesOnce) {
  // A batch sent again (its commit's outcome was in doubt) must not bill or pay twice.
  const std::int64_t run = this->store->begin_run(kT0);
  std::vector<LedgerRow> batch{toll_row("r1", 60, 100), toll_row("r2", 60, 100)};
  this->store->append_ledger(run, batch);
  EXPECT_EQ(tolls_of(batch), (std::vector<Money>{60, 40}));

  // Sent again: the same rows, with the ids the store gave them, and a new one.
  std::vector<LedgerRow> again = batch;
  for (auto& r : again) r.toll = -1;
  again.push_back(toll_row("r3", 60, 100));
  this->store->append_ledger(run, again);
  EXPECT_EQ(tolls_of(again), (std::vector<Money>{60, 40, 0})) << "the stored tolls, given back";
  EXPECT_EQ(again[2].id, batch[1].id + 1) << "the new row numbered after the run's last";
  EXPECT_EQ(tolls_paid(*this->store, "market"), 100);
  EXPECT_EQ(this->store->spend(SpendQuery{}).total.rows, 3);

  // The same request and attempt in another run (another process) is another row.
  const std::int64_t other = this->store->begin_run(kT0);
  std::vector<LedgerRow> elsewhere{toll_row("r1", 1, -1, "open")};
  this->store->append_ledger(other, elsewhere);
  EXPECT_EQ(this->store->spend(SpendQuery{}).total.rows, 4);
  EXPECT_EQ(this->store->spend(SpendQuery{}).total.requests, 4);
}

// A batch as big as the writer's (rows without a toll are written many to a statement, those
// with one one at a time, in order): every row lands once with every field and its id, the
// tolls are paid in the batch's order, and a row sent again counts once.
TYPED_TEST(StoreTest, ABatchOfManyRowsLandsWholeAndOnce) {
  const std::int64_t run = this->store->begin_run(kT0);
  constexpr Money kBurn = 3'456'789;  // full_row's commitment burn
  std::vector<LedgerRow> batch;
  for (int i = 0; i < 150; ++i) {
    const std::string id = "p" + std::to_string(i);
    LedgerRow r = i % 10 == 3 ? toll_row(id, 7, 50) : full_row(id, 1 + i % 2, kT0 + i);
    r.route = "route-" + std::to_string(i);  // a field that differs row by row
    batch.push_back(std::move(r));
  }
  this->store->append_ledger(run, batch);
  // Numbered in the batch's order from the run's first id (its run times 2^40, plus one).
  for (int i = 0; i < 150; ++i) ASSERT_EQ(batch[i].id, run * (std::int64_t{1} << 40) + 1 + i) << i;

  // 15 rows owe 7 each under a cap of 50: seven pay 7, the eighth the 1 left, the rest 0.
  std::vector<Money> tolls;
  for (int i = 3; i < 150; i += 10) tolls.push_back(batch[i].toll);
  EXPECT_EQ(tolls, (std::vector<Money>{7, 7, 7, 7, 7, 7, 7, 1, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(tolls_paid(*this->store, "market"), 50);

  auto got = this->reopen()->ledger_rows(0, std::numeric_limits<std::int64_t>::max(), 1000);
  ASSERT_EQ(got.size(), 150u);
  std::map<std::string, const LedgerRow*> want;
  for (int i = 0; i < 150; ++i) want[batch[i].request_id] = &batch[i];
  for (const LedgerRow& row : got) {
    ASSERT_TRUE(want.count(row.request_id)) << row.request_id;
    expect_same_row(row, *want[row.request_id]);
    want.erase(row.request_id);
  }
  auto burn = [&] {
    for (const auto& a : this->store->contract_accruals())
      if (a.contract == "msft-ea" && a.burn.size() == 1) return a.burn[0].burn;
    return Money{-1};
  };
  EXPECT_EQ(burn(), 135 * kBurn) << "150 rows, 15 of the toll contract";
  EXPECT_EQ(this->store->unfinished_run_before(std::numeric_limits<std::int64_t>::max()),
            (LedgerRun{run, kT0, 0, 150, kT0 + 1234}))
      << "the latest at_ms: the toll rows'";

  // The batch sent again with 10 more rows: only those are new, and the stored tolls come back.
  std::vector<LedgerRow> again(batch.begin(), batch.end());
  for (auto& r : again) r.toll = -1;
  for (int i = 150; i < 160; ++i) again.push_back(full_row("p" + std::to_string(i), 1, kT0 + i));
  this->store->append_ledger(run, again);
  for (int i = 0; i < 150; ++i) EXPECT_EQ(again[i].toll, batch[i].toll) << i;
  EXPECT_EQ(this->store->spend(SpendQuery{}).total.rows, 160);
  EXPECT_EQ(tolls_paid(*this->store, "market"), 50);
  EXPECT_EQ(burn(), 145 * kBurn);

  // An id of another run is refused, and nothing of its batch is written.
  std::vector<LedgerRow> stray{full_row("s1"), full_row("s2")};
  stray[1].id = (run + 1) * (std::int64_t{1} << 40) + 1;
  EXPECT_THROW(this->store->append_ledger(run, stray), StoreError);
  EXPECT_EQ(this->store->spend(SpendQuery{}).total.rows, 160);
}

TYPED_TEST(StoreTest, AppendingToAnUnknownRunWritesNothing) {
  std::vector<LedgerRow> rows{toll_row("r1", 10, 100)};
  try {
    this->store->append_ledger(12345, rows);
    ADD_FAILURE() << "rows were appended to a run that was never begun";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("append_ledger"));
    EXPECT_THAT(e.what(), HasSubstr("no ledger run 12345"));
  }
  EXPECT_TRUE(this->store->ledger_rows(0, kT0 + kDay, 10).empty());
  EXPECT_TRUE(this->store->contract_accruals().empty()) << "the accrual rolled back too";
  std::vector<LedgerRow> none;
  EXPECT_NO_THROW(this->store->append_ledger(12345, none)) << "nothing to write is fine";
  EXPECT_THROW(this->store->end_run(12345, kT0), StoreError);
}

TYPED_TEST(StoreTest, RunsSayWhatAnUncleanRunWroteAndWhen) {
  const std::int64_t first = this->store->begin_run(kT0);
  EXPECT_EQ(this->store->unfinished_run_before(first), std::nullopt) << "no run before it";
  std::vector<LedgerRow> a{full_row("r1", 1, kT0 + 500), full_row("r2", 1, kT0 + 900)};
  std::vector<LedgerRow> b{full_row("r3", 1, kT0 + 700)};  // written later, arrived earlier
  this->store->append_ledger(first, a);
  this->store->append_ledger(first, b);
  // killed here: no end_run

  auto next = this->reopen();
  const std::int64_t second = next->begin_run(kT0 + 5000);
  EXPECT_GT(second, first);
  EXPECT_EQ(next->unfinished_run_before(second), (LedgerRun{first, kT0, 0, 3, kT0 + 900}));
  next->end_run(second, kT0 + 6000);

  const std::int64_t third = this->store->begin_run(kT0 + 7000);
  EXPECT_EQ(this->store->unfinished_run_before(third), std::nullopt)
      << "the run before it ended cleanly; the one killed earlier was reported then";
  EXPECT_EQ(this->store->unfinished_run_before(std::numeric_limits<std::int64_t>::max()),
            (LedgerRun{third, kT0 + 7000, 0, 0, 0}))
      << "a run that wrote nothing yet";
}

TYPED_TEST(StoreTest, ChargeSinceSumsAKeysOrATeamsRowsFromThatInstantOn) {
  const std::int64_t run = this->store->begin_run(kT0);
  auto row = [](const std::string& id, const std::string& key, const std::string& team,
                std::int64_t at, Money charge) {
    LedgerRow r = full_row(id, 1, at);
    r.key_id = key;
    r.team = team;
    r.charge = charge;
    return r;
  };
  std::vector<LedgerRow> rows{
      row("1", "k1", "t1", kT0 - 1, 1'000'000),       row("2", "k1", "t1", kT0, 2'000'000),
      row("3", "k2", "t1", kT0 + kDay, 4'000'000),    row("4", "k1", "", kT0 + 2 * kDay, 8'000'000),
      row("5", "", "t2", kT0 + 2 * kDay, 16'000'000), row("6", "k4", "", kT0 + 5000, 32)};
  this->store->append_ledger(run, rows);
  // Another batch, from another store, on the same day: the day's sum grows.
  std::vector<LedgerRow> more{row("7", "k4", "t3", kT0 + 7000, 64)};
  this->reopen()->append_ledger(run, more);
  EXPECT_EQ(this->store->charge_since(false, "k1", kT0), 10'000'000) << "at since counts";
  EXPECT_EQ(this->store->charge_since(false, "k1", kT0 + 1), 8'000'000);
  EXPECT_EQ(this->store->charge_since(false, "k1", 0), 11'000'000);
  EXPECT_EQ(this->store->charge_since(true, "t1", kT0), 6'000'000);
  EXPECT_EQ(this->store->charge_since(true, "t2", kT0), 16'000'000);
  EXPECT_EQ(this->store->charge_since(false, "k3", 0), 0);
  EXPECT_EQ(this->store->charge_since(true, "k1", 0), 0) << "a key's name is not a team's";
  // Inside a day: the rows from that instant on, not the whole day.
  EXPECT_EQ(this->store->charge_since(false, "k4", kT0), 96);
  EXPECT_EQ(this->store->charge_since(false, "k4", kT0 + 4999), 96);
  EXPECT_EQ(this->store->charge_since(false, "k4", kT0 + 5001), 64);
  EXPECT_EQ(this->store->charge_since(false, "k4", kT0 + 7001), 0);
  EXPECT_EQ(this->store->charge_since(true, "t3", kT0 + 6000), 64);
  EXPECT_EQ(this->store->charge_since(true, "t3", kT0 + 7001), 0);
}

TYPED_TEST(StoreTest, MoneySumsAreExactIntegers) {
  // Large amounts and single micro-dollars add without a float's rounding.
  const std::int64_t run = this->store->begin_run(kT0);
  constexpr int kRows = 2'000;
  std::vector<LedgerRow> rows;
  for (int i = 0; i < kRows; ++i) {
    LedgerRow r = toll_row("r" + std::to_string(i), 0, -1);
    r.cost = 1;
    r.charge = i == 0 ? 4'503'599'627'370'496 : 1;  // 2^52: a double would lose the ones
    rows.push_back(std::move(r));
  }
  this->store->append_ledger(run, rows);
  SpendReport report = this->store->spend(SpendQuery{});
  EXPECT_EQ(report.total.cost, kRows);
  EXPECT_EQ(report.total.charge, 4'503'599'627'370'496 + kRows - 1);
  EXPECT_EQ(this->store->charge_since(false, "key_00000000000000a1", 0),
            4'503'599'627'370'496 + kRows - 1);
}

TYPED_TEST(StoreTest, SpendGroupsByEachDimensionOverAHalfOpenWindow) {
  const std::int64_t run = this->store->begin_run(kT0);
  auto row = [](const std::string& id, std::uint32_t attempt, std::int64_t at,
                const std::string& key, const std::string& team, const std::string& provider,
                const std::string& contract, Money cost) {
    LedgerRow r = full_row(id, attempt, at);
    r.key_id = key;
    r.team = team;
    r.provider = provider;
    r.route = provider + "/m";
    r.contract = contract;
    r.model = contract.empty() ? "o3" : "gpt-4o";
    r.usage = Usage{100, 10, 20, 5, 1, true};
    r.cost = cost;
    r.charge = cost * 2;
    r.commitment_burn = contract.empty() ? 0 : cost;
    return r;
  };
  std::vector<LedgerRow> rows{
      // req a: a fallback, two rows, one request
      row("a", 1, kT0 + 10, "k1", "t1", "azure", "msft", 100),
      row("a", 2, kT0 + 10, "k1", "t1", "openai", "", 200),
      row("b", 1, kT0 + kDay - 1, "k2", "t1", "azure", "msft", 400),   // the last ms of Jan 1
      row("c", 1, kT0 + kDay, "k2", "", "openai", "", 800),            // Jan 2
      row("d", 1, kT0 - 1, "k1", "t1", "azure", "msft", 1600),         // before the window
      row("e", 1, kT0 + 2 * kDay, "k1", "t1", "azure", "msft", 3200),  // at until: outside
  };
  rows[2].usage.reported = false;  // estimated
  rows[3].priced = false;          // unpriced (its figures as given)
  rows[0].toll_due = 5;
  this->store->append_ledger(run, rows);

  SpendQuery q;
  q.since_ms = kT0;
  q.until_ms = kT0 + 2 * kDay;
  auto groups = [&](SpendGroup by) {
    q.by = by;
    std::vector<std::pair<std::string, Money>> out;
    for (const auto& g : this->store->spend(q).groups) out.emplace_back(g.group, g.cost);
    return out;
  };
  using G = std::vector<std::pair<std::string, Money>>;
  EXPECT_EQ(groups(SpendGroup::key), (G{{"k1", 300}, {"k2", 1200}}));
  EXPECT_EQ(groups(SpendGroup::team), (G{{"", 800}, {"t1", 700}}));
  EXPECT_EQ(groups(SpendGroup::model), (G{{"gpt-4o", 500}, {"o3", 1000}}));
  EXPECT_EQ(groups(SpendGroup::provider), (G{{"azure", 500}, {"openai", 1000}}));
  EXPECT_EQ(groups(SpendGroup::contract), (G{{"", 1000}, {"msft", 500}}));
  EXPECT_EQ(groups(SpendGroup::route), (G{{"azure/m", 500}, {"openai/m", 1000}}));
  EXPECT_EQ(groups(SpendGroup::day), (G{{"2027-01-01", 700}, {"2027-01-02", 800}}));

  // Every sum of one group, and the total.
  q.by = SpendGroup::provider;
  SpendReport report = this->store->spend(q);
  ASSERT_EQ(report.groups.size(), 2u);
  // Usage{100, 10, 20, 5, 1}: input 100, output 10, cached 20, cache write 5, reasoning 1.
  SpendRow azure{"azure", "", 2, 2, 200, 40, 10, 20, 2, 500, 1000, 5, 500, 1, 0};
  EXPECT_EQ(report.groups[0], azure);
  SpendRow total{"", "", 3, 4, 400, 80, 20, 40, 4, 1500, 3000, 5, 500, 1, 1};
  EXPECT_EQ(report.total, total) << "request a is counted once";

  // Filters by key and team, together or alone; "" is the rows without one.
  q.by = SpendGroup::day;
  q.key = "k2";
  EXPECT_EQ(this->store->spend(q).total.cost, 1200);
  q.team = "t1";
  EXPECT_EQ(this->store->spend(q).total.cost, 400);
  q.key.reset();
  q.team = "";
  EXPECT_EQ(this->store->spend(q).total.cost, 800);
  q.team = "nobody";
  SpendReport empty = this->store->spend(q);
  EXPECT_TRUE(empty.groups.empty());
  EXPECT_EQ(empty.total, SpendRow{}) << "an empty selection sums to zeros";
}

TYPED_TEST(StoreTest, SpendSplitsEachGroupIntoHoursOrDays) {
  constexpr std::int64_t kHour = 3'600'000;
  const std::int64_t run = this->store->begin_run(kT0);
  auto row = [](const std::string& id, std::uint32_t attempt, std::int64_t at,
                const std::string& team, Money cost) {
    LedgerRow r = full_row(id, attempt, at);
    r.team = team;
    r.cost = cost;
    r.charge = cost;
    return r;
  };
  std::vector<LedgerRow> rows{
      row("a", 1, kT0, "t1", 1),                      // 2027-01-01 00:00
      row("a", 2, kT0 + kHour - 1, "t1", 2),          // the same request and hour
      row("b", 1, kT0 + kHour, "t1", 4),              // 01:00
      row("c", 1, kT0 + kHour + 5, "t2", 8),          // 01:00, another team
      row("d", 1, kT0 + kDay + 3 * kHour, "t1", 16),  // 2027-01-02 03:00
      row("e", 1, kT0 - 1, "t1", 32),                 // 2026-12-31 23:00: before since
  };
  this->store->append_ledger(run, rows);
  SpendQuery q;
  q.by = SpendGroup::team;
  q.since_ms = kT0;
  auto series = [&](SpendBucket over) {
    q.over = over;
    std::vector<std::tuple<std::string, std::string, Money, std::int64_t>> out;
    SpendReport report = this->store->spend(q);
    for (const auto& g : report.groups) out.emplace_back(g.group, g.bucket, g.cost, g.requests);
    EXPECT_EQ(report.total.bucket, "");
    return out;
  };
  using S = std::vector<std::tuple<std::string, std::string, Money, std::int64_t>>;
  EXPECT_EQ(series(SpendBucket::hour), (S{{"t1", "2027-01-01T00:00:00Z", 3, 1},
                                          {"t1", "2027-01-01T01:00:00Z", 4, 1},
                                          {"t1", "2027-01-02T03:00:00Z", 16, 1},
                                          {"t2", "2027-01-01T01:00:00Z", 8, 1}}));
  EXPECT_EQ(
      series(SpendBucket::day),
      (S{{"t1", "2027-01-01", 7, 2}, {"t1", "2027-01-02", 16, 1}, {"t2", "2027-01-01", 8, 1}}));
  EXPECT_EQ(series(SpendBucket::none), (S{{"t1", "", 23, 3}, {"t2", "", 8, 1}}));
  q.over = SpendBucket::hour;
  EXPECT_EQ(this->store->spend(q).total.cost, 31) << "the total does not depend on the buckets";
  // Before 1970 the hour is floored too, not rounded towards zero.
  std::vector<LedgerRow> early{row("f", 1, -1, "t3", 64)};
  this->store->append_ledger(run, early);
  q.since_ms = -kDay;
  q.until_ms = 0;
  EXPECT_EQ(series(SpendBucket::hour), (S{{"t3", "1969-12-31T23:00:00Z", 64, 1}}));
}

// --- kept Responses API responses -------------------------------------------------------------

// Every field set to something other than its default; kept until a day after kT0.
StoredResponse full_response(const std::string& key, const std::string& id) {
  StoredResponse r;
  r.key = key;
  r.id = id;
  r.created_ms = kT0 + 17;
  r.expires_ms = kT0 + kDay;
  r.previous_id = "resp_00000000000000p0";
  r.provider = "azure-east";
  r.input_items = R"([{"type":"message","role":"user","content":"caf\u00e9 \"quoted\" ☕"},)"
                  R"({"type":"function_call_output","call_id":"call_1","output":"{\"ok\":true}"}])";
  r.response = R"({"id":")" + id + R"(","object":"response","status":"completed","output":[]})";
  return r;
}

TYPED_TEST(StoreTest, AResponseRoundTripsEveryField) {
  const StoredResponse full = full_response("key_00000000000000a1", "resp_1");
  StoredResponse bare;  // no key (a gateway without keys), no previous turn, no provider
  bare.id = "resp_2";
  bare.created_ms = kT0;
  bare.expires_ms = kT0 + 1;
  bare.input_items = "[]";
  bare.response = "{}";
  this->store->put_responses({full, bare});
  EXPECT_EQ(this->store->find_response(full.key, full.id, kT0), full);
  EXPECT_EQ(this->store->find_response("", "resp_2", kT0), bare);
  EXPECT_EQ(this->store->find_response(full.key, "resp_missing", kT0), std::nullopt);
}

TYPED_TEST(StoreTest, AResponseIsOnlyItsKeysAndTheSameIdUnderAnotherKeyIsAnotherRecord) {
  StoredResponse mine = full_response("key_a", "resp_1");
  this->store->put_responses({mine});
  EXPECT_EQ(this->store->find_response("key_b", "resp_1", kT0), std::nullopt);
  EXPECT_EQ(this->store->find_response("", "resp_1", kT0), std::nullopt);
  EXPECT_FALSE(this->store->delete_response("key_b", "resp_1", kT0));
  EXPECT_EQ(this->store->find_response("key_a", "resp_1", kT0), mine) << "another key's delete";

  // The same id under another key neither replaces nor reveals the first.
  StoredResponse theirs = full_response("key_b", "resp_1");
  theirs.provider = "";
  theirs.response = R"({"id":"resp_1","theirs":true})";
  this->store->put_responses({theirs});
  EXPECT_EQ(this->store->find_response("key_a", "resp_1", kT0), mine);
  EXPECT_EQ(this->store->find_response("key_b", "resp_1", kT0), theirs);

  EXPECT_TRUE(this->store->delete_response("key_b", "resp_1", kT0));
  EXPECT_EQ(this->store->find_response("key_a", "resp_1", kT0), mine);
  EXPECT_EQ(this->store->find_response("key_b", "resp_1", kT0), std::nullopt);
}

TYPED_TEST(StoreTest, PuttingAResponseAgainReplacesIt) {
  this->store->put_responses({full_response("key_a", "resp_1")});
  StoredResponse changed{"key_a",      "resp_1",  kT0 + 100,      kT0 + 2 * kDay,
                         "resp_other", "bedrock", R"([{"n":2}])", R"({"n":2})"};
  this->store->put_responses({changed});
  EXPECT_EQ(this->store->find_response("key_a", "resp_1", kT0), changed);
  EXPECT_EQ(this->reopen()->find_response("key_a", "resp_1", kT0), changed);

  // Every field is replaced, the expiry too: a shorter one holds.
  changed.expires_ms = kT0 + 5;
  this->store->put_responses({changed});
  EXPECT_EQ(this->store->find_response("key_a", "resp_1", kT0 + 4), changed);
  EXPECT_EQ(this->store->find_response("key_a", "resp_1", kT0 + 5), std::nullopt);
}

TYPED_TEST(StoreTest, SeveralResponsesInOneCallAreAllWrittenAndMoveNoVersion) {
  const std::int64_t v = this->store->change_version();
  std::vector<StoredResponse> batch;
  for (int i = 0; i < 40; ++i) {
    batch.push_back(full_response(i % 2 ? "key_odd" : "key_even", "resp_" + std::to_string(i)));
    batch.back().created_ms = kT0 + i;
  }
  this->store->put_responses(batch);
  for (const StoredResponse& r : batch)
    EXPECT_EQ(this->store->find_response(r.key, r.id, kT0), r) << r.id;
  this->store->put_responses({});  // nothing to put is fine
  // Responses are neither keys nor teams: snapshots need not reload for them.
  EXPECT_EQ(this->store->change_version(), v);
}

TYPED_TEST(StoreTest, AResponseWithoutAnIdIsRefusedAndNothingOfItsBatchIsWritten) {
  StoredResponse no_id = full_response("key_a", "");
  EXPECT_THROW(this->store->put_responses({full_response("key_a", "resp_1"), no_id}), StoreError);
  EXPECT_EQ(this->store->find_response("key_a", "resp_1", kT0), std::nullopt);
  EXPECT_EQ(this->store->find_response("key_a", "", kT0), std::nullopt);
}

TYPED_TEST(StoreTest, AnExpiredResponseIsGoneAndTheSweepDeletesExactlyTheExpiredOnes) {
  const std::int64_t now = kT0 + 1000;
  StoredResponse expired_now = full_response("key_a", "resp_now");
  expired_now.expires_ms = now;  // expires_ms <= now: expired
  StoredResponse expired_before = full_response("key_b", "resp_before");
  expired_before.expires_ms = now - 500;
  StoredResponse live = full_response("key_a", "resp_live");
  live.expires_ms = now + 1;  // one more millisecond
  StoredResponse live_later = full_response("key_b", "resp_later");
  this->store->put_responses({expired_now, expired_before, live, live_later});

  // Still kept the millisecond before it expires, not from then on.
  EXPECT_EQ(this->store->find_response("key_a", "resp_now", now - 1), expired_now);
  EXPECT_EQ(this->store->find_response("key_a", "resp_now", now), std::nullopt);
  EXPECT_EQ(this->store->find_response("key_b", "resp_before", now), std::nullopt);
  EXPECT_FALSE(this->store->delete_response("key_a", "resp_now", now)) << "expired is none";
  EXPECT_FALSE(this->store->delete_response("key_b", "resp_before", now));

  EXPECT_EQ(this->store->delete_expired_responses(now), 2);
  // Gone for good: not found even at a time they had not yet expired.
  EXPECT_EQ(this->store->find_response("key_a", "resp_now", now - 1000), std::nullopt);
  EXPECT_EQ(this->store->find_response("key_b", "resp_before", now - 1000), std::nullopt);
  EXPECT_EQ(this->store->find_response("key_a", "resp_live", now), live);
  EXPECT_EQ(this->store->find_response("key_b", "resp_later", now), live_later);
  EXPECT_EQ(this->store->delete_expired_responses(now), 0) << "nothing more to sweep";

  EXPECT_EQ(this->store->delete_expired_responses(now + 1), 1);
  EXPECT_EQ(this->store->find_response("key_a", "resp_live", now), std::nullopt);
  EXPECT_EQ(this->store->find_response("key_b", "resp_later", now), live_later);
}

TYPED_TEST(StoreTest, DeletingAResponseSaysTrueOnceThenFalse) {
  this->store->put_responses({full_response("key_a", "resp_1"), full_response("key_a", "resp_2")});
  EXPECT_TRUE(this->store->delete_response("key_a", "resp_1", kT0));
  EXPECT_EQ(this->store->find_response("key_a", "resp_1", kT0), std::nullopt);
  EXPECT_FALSE(this->store->delete_response("key_a", "resp_1", kT0));
  EXPECT_FALSE(this->store->delete_response("key_a", "resp_never", kT0));
  EXPECT_EQ(this->store->find_response("key_a", "resp_2", kT0), full_response("key_a", "resp_2"));
  EXPECT_EQ(this->store->delete_expired_responses(kT0 + kDay), 1) << "only resp_2 was left";
}

TYPED_TEST(StoreTest, AResponseWrittenByOneInstanceIsUsableAtOnceOnAnother) {
  // A second Store on the same database stands for another gateway instance: the next turn
  // of a conversation may land there.
  auto other = this->reopen();
  const StoredResponse r = full_response("key_a", "resp_1");
  this->store->put_responses({r});
  EXPECT_EQ(other->find_response("key_a", "resp_1", kT0), r);
  StoredResponse next = full_response("key_a", "resp_2");
  next.previous_id = "resp_1";
  other->put_responses({next});
  EXPECT_EQ(this->store->find_response("key_a", "resp_2", kT0), next);

  EXPECT_TRUE(other->delete_response("key_a", "resp_1", kT0));
  EXPECT_EQ(this->store->find_response("key_a", "resp_1", kT0), std::nullopt);
  EXPECT_FALSE(this->store->delete_response("key_a", "resp_1", kT0));
  EXPECT_EQ(this->store->delete_expired_responses(kT0 + kDay), 1);
  EXPECT_EQ(other->find_response("key_a", "resp_2", kT0), std::nullopt);
}

// A database as an earlier version left it: only the first `steps` migrations.
class EarlierSchema : public store_detail::SqlDb {
 public:
  EarlierSchema(std::unique_ptr<store_detail::SqlDb> db, std::size_t steps)
      : db_(std::move(db)), steps_(steps) {}
  std::string describe() const override { return db_->describe(); }
  std::span<const store_detail::Migration> migrations() const override {
    return db_->migrations().first(steps_);
  }
  void query(std::string_view sql, std::span<const store_detail::SqlParam> params,
             const std::function<void(const store_detail::SqlRow&)>& on_row) override {
    db_->query(sql, params, on_row);
  }
  void exec_script(const char* sql) override { db_->exec_script(sql); }
  void begin(bool write) override { db_->begin(write); }
  void commit() override { db_->commit(); }
  void rollback() noexcept override { db_->rollback(); }
  void lock_for_migration() override { db_->lock_for_migration(); }
  void reconnect() override { db_->reconnect(); }

 private:
  std::unique_ptr<store_detail::SqlDb> db_;
  std::size_t steps_;
};

// A database written by schema 1 (before the ledger) is migrated when opened: its keys and
// teams are kept, without budgets, and the ledger works at once.
TYPED_TEST(StoreTest, ADatabaseOfThePreviousSchemaIsMigratedAndKeepsItsRecords) {
  this->store.reset();
  this->backend.tear_down();
  this->backend.set_up();  // a new, empty database
  // Schema 1, and records as version 1 wrote them (no budget, no markup).
  store_detail::make_sql_store(std::make_unique<EarlierSchema>(this->backend.open_db(), 1)).reset();
  this->backend.exec(
      "INSERT INTO keys (id, alias, team, scopes, models, regions, rpm, tpm, max_parallel, "
      "expires_ms, metadata, created_ms, updated_ms, revoked_ms, from_config) VALUES "
      "('key_1', 'old', 'team-a', 15, '[\"gpt-4o\"]', '[]', 1, 2, 3, 0, '{}', 10, 20, 0, "
      "FALSE);"
      "INSERT INTO key_secrets (key_id, ord, hash, last4, created_ms, valid_until_ms) VALUES "
      "('key_1', 0, 'h1', 'abcd', 10, 0);"
      "INSERT INTO teams (id, scopes, models, regions, rpm, tpm, max_parallel, metadata, "
      "created_ms, updated_ms, from_config) VALUES "
      "('team-a', 63, '[]', '[\"eu-*\"]', 4, 5, 6, '{}', 1, 2, FALSE)");

  this->store = this->reopen();
  Key key;
  key.id = "key_1";
  key.alias = "old";
  key.team = "team-a";
  key.scopes = 15;
  key.models = {"gpt-4o"};
  key.limits = {1, 2, 3};
  key.metadata = "{}";
  key.created_ms = 10;
  key.updated_ms = 20;
  key.secrets = {KeySecret{"h1", "abcd", 10, 0}};
  EXPECT_EQ(this->store->find_key("key_1"), key) << "no budget";
  Team team;
  team.id = "team-a";
  team.scopes = 127;  // it had all six scopes: it has the seventh, metrics, too (step 5)
  team.regions = {"eu-*"};
  team.limits = {4, 5, 6};
  team.metadata = "{}";
  team.created_ms = 1;
  team.updated_ms = 2;
  team.from_config = false;
  EXPECT_EQ(this->store->find_team("team-a"), team) << "no budget, no markup";

  // And the new columns and tables work at once.
  key.budget = {5, access::BudgetPeriod::day, 1};
  this->store->put_key(key, entry("key.update", "key:key_1"));
  EXPECT_EQ(this->store->find_key("key_1"), key);
  const std::int64_t run = this->store->begin_run(kT0);
  std::vector<LedgerRow> rows{full_row("r1")};
  this->store->append_ledger(run, rows);
  EXPECT_EQ(this->store->ledger_rows(0, kT0 + kDay, 10).size(), 1u);
}

// A ledger written by schema 2 (rows keyed by run, request and attempt; budgets read from
// indexes) is migrated: every row is kept and numbered in its run in time order, each key's
// and team's charge per day is there for the budgets, and a run goes on numbering after it.
TYPED_TEST(StoreTest, ALedgerOfSchemaTwoIsNumberedAndSummedPerDay) {
  this->store.reset();
  this->backend.tear_down();
  this->backend.set_up();
  store_detail::make_sql_store(std::make_unique<EarlierSchema>(this->backend.open_db(), 2)).reset();
  auto old_row = [](int run, const char* request, int attempt, std::int64_t at, const char* key,
                    const char* team, Money charge) {
    return "(" + std::to_string(run) + ", '" + request + "', " + std::to_string(attempt) + ", " +
           std::to_string(at) + ", '" + key + "', '" + team +
           "', 'gpt-4o', 'azure', 'azure', '', 'eastus', 100, 0, 0, 10, 0, TRUE, TRUE, 2500000, "
           "-1, 0, 10000000, 0, 0, 350, " +
           std::to_string(charge) + ", 0, -1, 0, 0, '', 40, 200, 'served')";
  };
  this->backend.exec(
      "INSERT INTO ledger_runs (started_ms, ended_ms, rows_written, last_row_ms) VALUES "
      "(" +
      std::to_string(kT0) + ", 0, 3, 0), (" + std::to_string(kT0) + ", 0, 1, 0)");
  this->backend.exec(
      "INSERT INTO ledger (run_id, request_id, attempt, at_ms, key_id, team, model, route, "
      "provider, contract, region, input_tokens, cached_input_tokens, cache_write_input_tokens, "
      "output_tokens, reasoning_tokens, reported, priced, input_per_mtok, cached_input_per_mtok, "
      "cache_write_per_mtok, output_per_mtok, discount_bp, markup_bp, cost_micros, "
      "charge_micros, toll_due_micros, toll_cap_micros, toll_micros, commitment_burn_micros, "
      "commitment_period, latency_ms, status, outcome) VALUES " +
      old_row(1, "req_b", 1, kT0 + kDay + 5, "k1", "t1", 400) + ", " +
      old_row(1, "req_a", 2, kT0 + 7, "k1", "t1", 200) + ", " +
      old_row(1, "req_a", 1, kT0 + 7, "k1", "", 100) + ", " +
      old_row(2, "req_a", 1, kT0 + 9, "k2", "t1", 800));

  this->store = this->reopen();
  auto got = this->store->ledger_rows(0, kT0 + 2 * kDay, 10);
  ASSERT_EQ(got.size(), 4u);
  constexpr std::int64_t kRun = std::int64_t{1} << 40;
  EXPECT_EQ(std::make_tuple(got[0].id, got[0].request_id, got[0].attempt),
            std::make_tuple(kRun + 1, std::string("req_a"), 1u));
  EXPECT_EQ(std::make_tuple(got[1].id, got[1].request_id, got[1].attempt),
            std::make_tuple(kRun + 2, std::string("req_a"), 2u));
  EXPECT_EQ(std::make_tuple(got[2].id, got[2].request_id),
            std::make_tuple(2 * kRun + 1, std::string("req_a")));
  EXPECT_EQ(std::make_tuple(got[3].id, got[3].request_id, got[3].charge),
            std::make_tuple(kRun + 3, std::string("req_b"), Money{400}));
  EXPECT_EQ(this->store->charge_since(false, "k1", kT0), 700);
  EXPECT_EQ(this->store->charge_since(false, "k1", kT0 + kDay), 400);
  EXPECT_EQ(this->store->charge_since(true, "t1", kT0), 1400);
  EXPECT_EQ(this->store->charge_since(true, "", kT0), 0) << "no team is not a team";
  EXPECT_EQ(this->store->charge_since(false, "k2", kT0 + 8), 800);

  std::vector<LedgerRow> more{full_row("req_c")};
  more[0].key_id = "k1";
  more[0].charge = 5;
  this->store->append_ledger(1, more);
  EXPECT_EQ(more[0].id, kRun + 4);
  EXPECT_EQ(this->store->charge_since(false, "k1", kT0), 705);
}

// A ledger of schema 6's terms and entries reads back every field of the one-table ledger it
// was, sums the same, and new rows of the same terms share the migrated terms.
TYPED_TEST(StoreTest, ALedgerOfSchemaFiveBecomesTermsAndEntriesAndReadsTheSame) {
  this->store.reset();
  this->backend.tear_down();
  this->backend.set_up();
  LedgerRow full = full_row("req_1");
  full.toll_due = 380'247;
  full.toll = 380'247;
  full.toll_cap_micros = 250'000'000'000;
  LedgerRow second = full_row("req_1", 2, kT0 + 2000);
  second.contract.clear();
  second.commitment_burn = 0;
  second.commitment_period.clear();
  second.end = "failed_final";
  LedgerRow again = full_row("req_2", 1, kT0 + 3000);  // the terms of `full`
  again.toll_due = 5;
  again.toll = 5;
  again.toll_cap_micros = full.toll_cap_micros;
  LedgerRow bare;
  bare.request_id = "req_3";
  bare.at_ms = kT0 + 4000;
  bare.prices.cached_input_per_mtok = -1;
  std::vector<LedgerRow> rows{full, second, again, bare};
  std::int64_t run = 0;
  {
    auto old =
        store_detail::make_sql_store(std::make_unique<EarlierSchema>(this->backend.open_db(), 5));
    run = old->begin_run(kT0);
    for (std::size_t i = 0; i < rows.size(); ++i)
      rows[i].id = run * (std::int64_t{1} << 40) + static_cast<std::int64_t>(i) + 1;
    this->backend.exec(wide_ledger_insert(run, rows));
  }

  this->store = this->reopen();
  auto got = this->store->ledger_rows(0, kT0 + kDay, 10);
  ASSERT_EQ(got.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) expect_same_row(got[i], rows[i]);
  SpendQuery q;
  q.since_ms = 0;
  q.until_ms = kT0 + kDay;
  q.by = SpendGroup::contract;
  const SpendReport report = this->store->spend(q);
  EXPECT_EQ(report.total.requests, 3);
  EXPECT_EQ(report.total.rows, 4);
  EXPECT_EQ(report.total.charge, 3 * full.charge + bare.charge);
  EXPECT_EQ(report.total.toll, 380'252);
  EXPECT_EQ(report.total.estimated_rows, 1);
  EXPECT_EQ(report.total.unpriced_rows, 1);
  auto terms = [&] {
    std::int64_t n = -1;
    this->backend.open_db()->query("SELECT COUNT(*) FROM ledger_terms", {},
                                   [&](const store_detail::SqlRow& r) { n = r.int64(0); });
    return n;
  };
  EXPECT_EQ(terms(), 3) << "full and again share their terms";
  // A new row of full's terms goes in under them; one of new terms adds its own.
  std::vector<LedgerRow> more{full_row("req_4", 1, kT0 + 5000), full_row("req_5", 1, kT0 + 6000)};
  more[0].toll_cap_micros = full.toll_cap_micros;
  more[1].model = "gpt-5";
  this->store->append_ledger(run, more);
  EXPECT_EQ(terms(), 4);
  got = this->store->ledger_rows(kT0 + 5000, kT0 + kDay, 10);
  ASSERT_EQ(got.size(), 2u);
  expect_same_row(got[0], more[0]);
  expect_same_row(got[1], more[1]);
  EXPECT_EQ(got[0].id, run * (std::int64_t{1} << 40) + 5);
}

// A database of schema 3 (before kept responses) is migrated when opened: what it held is
// kept and responses work at once.
TYPED_TEST(StoreTest, ADatabaseOfSchemaThreeIsMigratedAndKeepsResponsesAtOnce) {
  this->store.reset();
  this->backend.tear_down();
  this->backend.set_up();
  {
    auto old =
        store_detail::make_sql_store(std::make_unique<EarlierSchema>(this->backend.open_db(), 3));
    old->put_key(full_key("key_1"), entry("key.create", "key:key_1"));
    const std::int64_t run = old->begin_run(kT0);
    LedgerRow row = full_row("r1");
    row.id = run * (std::int64_t{1} << 40) + 1;
    this->backend.exec(wide_ledger_insert(run, {row}));
    EXPECT_THROW(old->find_response("key_1", "resp_1", kT0), StoreError)
        << "schema 3 has no responses table";
  }

  this->store = this->reopen();
  EXPECT_EQ(this->store->find_key("key_1"), full_key("key_1"));
  EXPECT_EQ(this->store->ledger_rows(0, kT0 + kDay, 10).size(), 1u);
  const StoredResponse r = full_response("key_1", "resp_1");
  this->store->put_responses({r});
  EXPECT_EQ(this->store->find_response("key_1", "resp_1", kT0), r);
  EXPECT_EQ(this->reopen()->find_response("key_1", "resp_1", kT0), r) << "migrated once";
}

// Several processes starting on a new database at once (the gateway and a CLI command, or
// several gateways): each migration step is applied once and every one of them opens it.
template <class Open>
void open_at_once(Open open) {
  constexpr int kOpeners = 4;
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&] {
      try {
        auto store = open();
        store->change_version();
        ++opened;
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(opened, kOpeners);
}

// --- SQLite only -------------------------------------------------------------------------------

class SqliteStore : public ::testing::Test {
 protected:
  void SetUp() override { backend.set_up(); }
  void TearDown() override { backend.tear_down(); }
  SqliteBackend backend;
};

TEST_F(SqliteStore, CreatesTheFileAndItsDirectoryReadableByItsOwnerOnly) {
  ASSERT_FALSE(fs::exists(backend.path().parent_path()));
  auto store = open_store(backend.config());
  ASSERT_TRUE(fs::exists(backend.path()));
  struct stat st {};
  ASSERT_EQ(::stat(backend.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(store->describe(), "sqlite:" + backend.path().string());
}

TEST_F(SqliteStore, SeveralOpeningANewFileAtOnceAllSucceed) {
  open_at_once([&] { return open_store(backend.config()); });
  auto store = open_store(backend.config());
  EXPECT_EQ(store->change_version(), 0);
}

TEST_F(SqliteStore, UsesWriteAheadLogging) {
  auto store = open_store(backend.config());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(backend.path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// The gateway opens the file twice (the keys' store and the ledger's), while the CLI reads it
// from other processes. A row written after such a read must be seen by the next one: a second
// store opening the file must not drop the first one's locks, or the reader's close would take
// the file for unused and delete the write-ahead log the gateway goes on writing into. The
// reader is a process that never opened the file (a fork would inherit SQLite's record of this
// process's connections): this test binary run again, as kCountLedgerRows below.
TEST_F(SqliteStore, RowsWrittenWhileOtherProcessesReadStayVisibleToThem) {
  auto store = open_store(backend.config());
  const std::int64_t run = store->begin_run(1'000);
  auto second = open_store(backend.config());  // as the ledger's writer opens its own
  auto rows_seen_elsewhere = [&]() -> int {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    env.push_back(std::string(kCountLedgerRows) + "=" + backend.path().string());
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    char self[] = "/proc/self/exe";
    char* argv[] = {self, nullptr};
    pid_t child = 0;
    if (::posix_spawn(&child, self, nullptr, nullptr, argv, envp.data()) != 0) return -1;
    int status = 0;
    if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
  };
  auto append = [&](const std::string& request_id) {
    std::vector<LedgerRow> rows(1);
    rows[0].request_id = request_id;
    rows[0].at_ms = 1'000;
    second->append_ledger(run, rows);
  };
  append("req_1");
  EXPECT_EQ(rows_seen_elsewhere(), 1);
  append("req_2");
  EXPECT_EQ(rows_seen_elsewhere(), 2);
}

TEST_F(SqliteStore, AFileThatIsNotADatabaseIsAClearError) {
  fs::create_directories(backend.path().parent_path());
  { std::ofstream(backend.path()) << "not a database, just some text that is long enough\n"; }
  try {
    open_store(backend.config());
    FAIL() << "opened a text file as a store";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("sqlite:" + backend.path().string()));
    EXPECT_THAT(e.what(), HasSubstr("not a database"));
  }
}

// --- PostgreSQL only ---------------------------------------------------------------------------

TEST(PostgresStore, DescribeNamesHostPortAndDatabaseButNeverThePassword) {
  using store_detail::describe_postgres_url;
  EXPECT_EQ(describe_postgres_url("postgresql://gw:s3cr3t-pw@db.internal:6543/tollbooth"),
            "postgres:db.internal:6543/tollbooth");
  EXPECT_EQ(describe_postgres_url("postgres://gw:s3cr3t-pw@db.internal/tb?sslmode=require"),
            "postgres:db.internal:5432/tb");
  EXPECT_EQ(describe_postgres_url("host=db.internal port=6000 dbname=tb user=gw password=s3cr3t"),
            "postgres:db.internal:6000/tb");
  EXPECT_EQ(describe_postgres_url("postgresql:///tb?password=s3cr3t"),
            "postgres:localhost:5432/tb");
  // libpq cannot parse this; its own message would quote the broken part (the password).
  EXPECT_THAT(describe_postgres_url("postgresql://gw:s3cr%zzet@db/tb"), Not(HasSubstr("s3cr")));
}

TEST(PostgresStore, ErrorsNeverQuoteThePassword) {
  // Nothing listens on port 1: connecting fails at once, and the message must still hold no
  // password, whatever the form of the connection string.
  for (const std::string url :
       {"postgresql://gw:s3cr3t-pw@127.0.0.1:1/tollbooth?connect_timeout=2",
        "host=127.0.0.1 port=1 dbname=tollbooth user=gw password=s3cr3t-pw connect_timeout=2",
        "postgresql://gw:s3cr%zz3t-pw@127.0.0.1:1/tollbooth"}) {
    try {
      open_store(postgres_config(url));
      ADD_FAILURE() << "connected to port 1";
    } catch (const StoreError& e) {
      EXPECT_THAT(e.what(), Not(HasSubstr("s3cr"))) << e.what();
      EXPECT_THAT(e.what(), HasSubstr("postgres:")) << e.what();
    }
  }
}

class PostgresStoreOnServer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = PostgresBackend::skip_reason(); !why.empty()) GTEST_SKIP() << why;
    backend.set_up();
    ready = true;
  }
  void TearDown() override {
    if (ready) backend.tear_down();
  }
  PostgresBackend backend;
  bool ready = false;
};

TEST_F(PostgresStoreOnServer, DescribeOfAnOpenStoreHasNoPassword) {
  // The test server trusts every connection, so any password is accepted (and never asked for).
  std::string url = backend.config().postgres_url;
  url.replace(url.find("tollbooth@"), 10, "tollbooth:s3cr3t-pw@");
  auto store = open_store(postgres_config(url));
  EXPECT_THAT(store->describe(), Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(store->describe(), HasSubstr("postgres:127.0.0.1:"));
  EXPECT_THAT(store->describe(), HasSubstr("/tollbooth"));
}

TEST_F(PostgresStoreOnServer, SeveralOpeningANewDatabaseAtOnceAllSucceed) {
  open_at_once([&] { return open_store(backend.config()); });
  auto store = open_store(backend.config());
  EXPECT_EQ(store->change_version(), 0);
}

TEST_F(PostgresStoreOnServer, AConnectionLostBetweenCallsIsReconnectedOnce) {
  auto store = open_store(backend.config());
  store->put_team(full_team("t"), entry("team.create", "team:t"));
  backend.kill_connections();
  EXPECT_EQ(store->find_team("t"), full_team("t")) << "a read after the cut";
  backend.kill_connections();
  EXPECT_GT(store->put_key(full_key("k"), entry("key.create", "key:k")), 0)
      << "a write after the cut";
  EXPECT_EQ(store->audit(0, 10).size(), 2u) << "the write was applied once";
}

// --- open_store --------------------------------------------------------------------------------

TEST(OpenStore, NeedsExactlyOneDatabase) {
  EXPECT_THROW(open_store(StoreConfig{}), StoreError);
  try {
    open_store(StoreConfig{.sqlite_path = "/tmp/x.db", .postgres_url = "postgresql://u:pw@h/d"});
    FAIL() << "both were accepted";
  } catch (const StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("both"));
    EXPECT_THAT(e.what(), Not(HasSubstr("pw")));
  }
}

}  // namespace
}  // namespace tollbooth
