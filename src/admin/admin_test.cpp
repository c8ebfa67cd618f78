#include "admin/admin.hpp"
#include "core/money.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <stdlib.h>

#include "access/secret.hpp"
#include "admin/reports.hpp"
#include "admin/views.hpp"
#include "config/config.hpp"
#include "core/date.hpp"
#include "store/store.hpp"

namespace tollbooth::admin {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kNow = 1'800'000'000'000;  // 2027-01-15T08:00:00Z
constexpr const char* kConfigSecret = "tk-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

// A store whose database is gone: every call fails.
class BrokenStore : public Store {
 public:
  [[noreturn]] static void fail() { throw StoreError("sqlite:/tmp/x.db: database is locked"); }
  std::string describe() const override { return "sqlite:/tmp/x.db"; }
  std::int64_t change_version() override { fail(); }
  std::vector<access::Key> load_keys() override { fail(); }
  std::vector<access::Team> load_teams() override { fail(); }
  std::optional<access::Key> find_key(const std::string&) override { fail(); }
  std::optional<access::Team> find_team(const std::string&) override { fail(); }
  std::int64_t put_key(const access::Key&, const access::AuditEntry&, TeamCheck) override {
    fail();
  }
  std::int64_t put_team(const access::Team&, const access::AuditEntry&) override { fail(); }
  TeamDeletion delete_team(const std::string&, const access::AuditEntry&) override { fail(); }
  std::vector<access::AuditEntry> audit(std::int64_t, std::size_t) override { fail(); }
  void save_windows(const std::vector<WindowState>&) override { fail(); }
  std::vector<WindowState> load_windows(std::int64_t) override { fail(); }
  std::int64_t begin_run(std::int64_t) override { fail(); }
  void end_run(std::int64_t, std::int64_t) override { fail(); }
  std::optional<LedgerRun> unfinished_run_before(std::int64_t) override { fail(); }
  void append_ledger(std::int64_t, std::span<LedgerRow>) override { fail(); }
  Money charge_since(bool, const std::string&, std::int64_t) override { fail(); }
  SpendReport spend(const SpendQuery&) override { fail(); }
  std::vector<LedgerRow> ledger_rows(std::int64_t, std::int64_t, std::size_t) override { fail(); }
  std::vector<ContractAccrual> contract_accruals() override { fail(); }
  void put_responses(const std::vector<StoredResponse>&) override { fail(); }
  std::optional<StoredResponse> find_response(const std::string&, const std::string&,
                                              std::int64_t) override {
    fail();
  }
  bool delete_response(const std::string&, const std::string&, std::int64_t) override { fail(); }
  std::int64_t delete_expired_responses(std::int64_t) override { fail(); }
};

// A real store with another process's write slipped in just before the next write the admin
// code makes (after its own reads and checks): two processes racing. The other process is a
// second Store on the same database.
class RacingStore : public Store {
 public:
  RacingStore(Store& inner, std::function<void()> other_write)
      : inner_(inner), other_write_(std::move(other_write)) {}
  std::string describe() const override { return inner_.describe(); }
  std::int64_t change_version() override { return inner_.change_version(); }
  std::vector<access::Key> load_keys() override { return inner_.load_keys(); }
  std::vector<access::Team> load_teams() override { return inner_.load_teams(); }
  std::optional<access::Key> find_key(const std::string& id) override {
    return inner_.find_key(id);
  }
  std::optional<access::Team> find_team(const std::string& id) override {
    return inner_.find_team(id);
  }
  std::int64_t put_key(const access::Key& key, const access::AuditEntry& audit,
                       TeamCheck team_check) override {
    race();
    return inner_.put_key(key, audit, team_check);
  }
  std::int64_t put_team(const access::Team& team, const access::AuditEntry& audit) override {
    race();
    return inner_.put_team(team, audit);
  }
  TeamDeletion delete_team(const std::string& id, const access::AuditEntry& audit) override {
    race();
    return inner_.delete_team(id, audit);
  }
  std::vector<access::AuditEntry> audit(std::int64_t after_id, std::size_t limit) override {
    return inner_.audit(after_id, limit);
  }
  void save_windows(const std::vector<WindowState>& windows) override {
    inner_.save_windows(windows);
  }
  std::vector<WindowState> load_windows(std::int64_t now_ms) override {
    return inner_.load_windows(now_ms);
  }
  std::int64_t begin_run(std::int64_t now_ms) override { return inner_.begin_run(now_ms); }
  void end_run(std::int64_t run_id, std::int64_t now_ms) override {
    inner_.end_run(run_id, now_ms);
  }
  std::optional<LedgerRun> unfinished_run_before(std::int64_t run_id) override {
    return inner_.unfinished_run_before(run_id);
  }
  void append_ledger(std::int64_t run_id, std::span<LedgerRow> rows) override {
    inner_.append_ledger(run_id, rows);
  }
  Money charge_since(bool team, const std::string& id, std::int64_t since_ms) override {
    return inner_.charge_since(team, id, since_ms);
  }
  SpendReport spend(const SpendQuery& query) override { return inner_.spend(query); }
  std::vector<LedgerRow> ledger_rows(std::int64_t since_ms, std::int64_t until_ms,
                                     std::size_t limit) override {
    return inner_.ledger_rows(since_ms, until_ms, limit);
  }
  std::vector<ContractAccrual> contract_accruals() override { return inner_.contract_accruals(); }
  void put_responses(const std::vector<StoredResponse>& responses) override {
    inner_.put_responses(responses);
  }
  std::optional<StoredResponse> find_response(const std::string& key, const std::string& id,
                                              std::int64_t now_ms) override {
    return inner_.find_response(key, id, now_ms);
  }
  bool delete_response(const std::string& key, const std::string& id,
                       std::int64_t now_ms) override {
    return inner_.delete_response(key, id, now_ms);
  }
  std::int64_t delete_expired_responses(std::int64_t now_ms) override {
    return inner_.delete_expired_responses(now_ms);
  }

 private:
  void race() {
    if (auto write = std::exchange(other_write_, nullptr)) write();
  }
  Store& inner_;
  std::function<void()> other_write_;
};

const char* test_env(const char* name) {
  return std::string_view(name) == "DECLARED_SECRET" ? kConfigSecret : "dummy";
}

std::shared_ptr<const Config> test_config() {
  return load_config_string(R"(providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: env:OPENAI_API_KEY
models:
  gpt-4o:
    routes:
      - provider: openai
teams:
  platform:
    scopes: [chat, models]
    rpm: 100
keys:
  ci-bot:
    secret: env:DECLARED_SECRET
    team: platform
    scopes: [chat]
)",
                            "test.yaml", &test_env);
}

json::value parse(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << text;
  return v;
}

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

class AdminTest : public ::testing::Test {
 protected:
  // A real SQLite store in a fresh directory.
  void SetUp() override {
    config_ = test_config();
    std::string dir = (std::filesystem::temp_directory_path() / "tollbooth-admin.XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    where_.sqlite_path = (dir_ / "t.db").string();
    store_ = open_store(where_);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  Reply call(std::string_view method, std::string_view path, std::string_view body = {},
             std::string_view query = {}) {
    Call c{method, path, query, body, "cli:tester", now_};
    return handle(*store_, *config_, c);
  }

  // POST /keys with `body`; the reply's key view and secret.
  std::pair<json::object, std::string> create_key(std::string_view body = "{}") {
    Reply r = call("POST", "/keys", body);
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(r.changed);
    json::value v = parse(r.body);
    return {v.at("key").as_object(), str(v.at("secret"))};
  }

  void create_team(std::string_view body) {
    Reply r = call("POST", "/teams", body);
    ASSERT_EQ(r.status, 201) << r.body;
  }

  std::string all_audit_text() {
    std::string text;
    for (const auto& e : store_->audit(0, 1000))
      text += e.actor + e.action + e.target + e.before + e.after;
    return text + call("GET", "/audit").body;
  }

  // A call made through `store` (the racing one) rather than the test's own.
  Reply call_through(Store& store, std::string_view method, std::string_view path,
                     std::string_view body = {}) {
    Call c{method, path, {}, body, "cli:tester", now_};
    return handle(store, *config_, c);
  }

  std::filesystem::path dir_;
  StoreConfig where_;
  std::shared_ptr<const Config> config_;
  std::unique_ptr<Store> store_;
  std::int64_t now_ = kNow;
};

// Asserts an OpenAI-shaped error with the given status, param and code.
void expect_error(const Reply& r, int status, std::string_view param, std::string_view code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_FALSE(r.changed);
  json::value v = parse(r.body);
  ASSERT_TRUE(v.is_object() && v.as_object().contains("error")) << r.body;
  const json::object& e = v.at("error").as_object();
  EXPECT_TRUE(e.at("message").is_string());
  if (param.empty())
    EXPECT_TRUE(e.at("param").is_null()) << r.body;
  else
    EXPECT_EQ(e.at("param"), json::value(param)) << r.body;
  EXPECT_EQ(e.at("code"), json::value(code)) << r.body;
}

TEST_F(AdminTest, CreateShowList) {
  create_team(R"({"id":"research","scopes":["chat","embeddings"],"rpm":50})");
  auto [key, secret] = create_key(
      R"({"alias":"notebook","team":"research","scopes":["chat","models"],"models":["gpt-4o*"],
          "regions":["us-*"],"rpm":10,"tpm":20000,"max_parallel":2,
          "expires_at":"2027-06-01","metadata":{"owner":"ana"}})");
  std::string id = str(key.at("id"));
  EXPECT_TRUE(id.starts_with("key_")) << id;
  EXPECT_EQ(id.size(), 4u + 16u);
  EXPECT_TRUE(secret.starts_with("tk-"));
  EXPECT_EQ(secret.size(), 46u);
  EXPECT_EQ(key.at("object"), "key");
  EXPECT_EQ(key.at("alias"), "notebook");
  EXPECT_EQ(key.at("team"), "research");
  EXPECT_EQ(key.at("scopes"), json::parse(R"(["chat","models"])"));
  EXPECT_EQ(key.at("models"), json::parse(R"(["gpt-4o*"])"));
  EXPECT_EQ(key.at("regions"), json::parse(R"(["us-*"])"));
  EXPECT_EQ(key.at("rpm"), 10);
  EXPECT_EQ(key.at("tpm"), 20000);
  EXPECT_EQ(key.at("max_parallel"), 2);
  EXPECT_EQ(key.at("expires_at"), "2027-06-01T00:00:00Z");
  EXPECT_EQ(key.at("metadata"), json::parse(R"({"owner":"ana"})"));
  EXPECT_EQ(key.at("created_at"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(key.at("updated_at"), "2027-01-15T08:00:00Z");
  EXPECT_TRUE(key.at("revoked_at").is_null());
  EXPECT_EQ(key.at("source"), "store");
  ASSERT_EQ(key.at("secrets").as_array().size(), 1u);
  const json::object& s = key.at("secrets").as_array()[0].as_object();
  EXPECT_EQ(s.at("last4"), json::value(secret.substr(secret.size() - 4)));
  EXPECT_TRUE(s.at("valid_until").is_null());
  EXPECT_EQ(s.size(), 3u);  // last4, created_at, valid_until: nothing else

  Reply shown = call("GET", "/keys/" + id);
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_FALSE(shown.changed);
  EXPECT_EQ(parse(shown.body), json::value(key));

  Reply list = call("GET", "/keys");
  ASSERT_EQ(list.status, 200);
  json::value l = parse(list.body);
  EXPECT_EQ(l.at("object"), "list");
  const json::array& data = l.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);  // the config's ci-bot first, then the stored key
  EXPECT_EQ(data[0].at("id"), "ci-bot");
  EXPECT_EQ(data[0].at("source"), "config");
  EXPECT_EQ(data[1], json::value(key));

  Reply by_team = call("GET", "/keys", {}, "team=platform");
  ASSERT_EQ(parse(by_team.body).at("data").as_array().size(), 1u);
  EXPECT_EQ(parse(by_team.body).at("data").as_array()[0].at("id"), "ci-bot");
}

TEST_F(AdminTest, DefaultsForAnEmptyBody) {
  auto [key, secret] = create_key("");
  EXPECT_EQ(key.at("scopes"), json::parse(R"(["chat","responses","embeddings","models"])"));
  EXPECT_TRUE(key.at("alias").is_null());
  EXPECT_TRUE(key.at("team").is_null());
  EXPECT_TRUE(key.at("expires_at").is_null());
  EXPECT_EQ(key.at("metadata"), json::object{});
  EXPECT_EQ(key.at("models"), json::array{});
  EXPECT_EQ(key.at("rpm"), 0);
  auto stored = store_->find_key(str(key.at("id")));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->scopes, access::kDefaultScopes);
  EXPECT_EQ(stored->metadata, "{}");
}

TEST_F(AdminTest, SecretOnlyInCreateReplyAndOnlyItsHashStored) {
  auto [key, secret] = create_key(R"({"alias":"a"})");
  std::string id = str(key.at("id"));
  auto stored = store_->find_key(id);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->secrets.size(), 1u);
  const std::string hash = access::hash_secret(secret);
  EXPECT_EQ(stored->secrets[0].hash, hash);
  EXPECT_EQ(stored->secrets[0].last4, secret.substr(42));
  EXPECT_EQ(stored->secrets[0].created_ms, kNow);
  EXPECT_EQ(stored->secrets[0].valid_until_ms, 0);
  for (const Reply& r : {call("GET", "/keys/" + id), call("GET", "/keys"),
                         call("PATCH", "/keys/" + id, R"({"alias":"b"})"), call("GET", "/audit")}) {
    EXPECT_THAT(r.body, Not(HasSubstr(secret)));
    EXPECT_THAT(r.body, Not(HasSubstr(hash)));
  }
  // Nor is the secret anywhere in the database's files.
  std::string bytes;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    std::ifstream in(entry.path(), std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(secret), std::string::npos);
  EXPECT_EQ(bytes.find(secret.substr(3)), std::string::npos);
}

TEST_F(AdminTest, Update) {
  create_team(R"({"id":"research"})");
  auto [key, secret] =
      create_key(R"({"alias":"a","team":"research","expires_at":"2027-06-01T12:00:00Z","rpm":5})");
  std::string id = str(key.at("id"));
  now_ += 60'000;
  Reply r = call("PATCH", "/keys/" + id,
                 R"({"alias":"renamed","rpm":7,"scopes":["chat"],"metadata":{"ticket":42}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.changed);
  json::value v = parse(r.body);
  EXPECT_EQ(v.at("alias"), "renamed");
  EXPECT_EQ(v.at("rpm"), 7);
  EXPECT_EQ(v.at("team"), "research");  // untouched
  EXPECT_EQ(v.at("scopes"), json::parse(R"(["chat"])"));
  EXPECT_EQ(v.at("metadata"), json::parse(R"({"ticket":42})"));
  EXPECT_EQ(v.at("created_at"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(v.at("updated_at"), "2027-01-15T08:01:00Z");
  EXPECT_EQ(v.at("secrets"), key.at("secrets"));

  // null clears the team and the expiry.
  r = call("PATCH", "/keys/" + id, R"({"team":null,"expires_at":null,"rpm":null})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto stored = store_->find_key(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->team, "");
  EXPECT_EQ(stored->expires_ms, 0);
  EXPECT_EQ(stored->limits.rpm, 0);
  EXPECT_EQ(stored->alias, "renamed");

  // Nothing changes: no write, no audit entry.
  auto entries = store_->audit(0, 100).size();
  r = call("PATCH", "/keys/" + id, R"({"alias":"renamed"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(store_->audit(0, 100).size(), entries);

  expect_error(call("PATCH", "/keys/key_0000000000000000", "{}"), 404, "", "key_not_found");
  expect_error(call("PATCH", "/keys/" + id, R"({"team":"nope"})"), 400, "team", "team_not_found");
  expect_error(call("PATCH", "/keys/" + id, R"({"expires_at":"2020-01-01"})"), 400, "expires_at",
               "invalid_value");
}

TEST_F(AdminTest, Revoke) {
  auto [key, secret] = create_key(R"({"alias":"a"})");
  std::string id = str(key.at("id"));
  now_ += 1000;
  Reply r = call("POST", "/keys/" + id + "/revoke");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(parse(r.body).at("revoked_at"), "2027-01-15T08:00:01Z");
  EXPECT_EQ(store_->find_key(id)->revoked_ms, kNow + 1000);

  // Idempotent: the first revocation time stays, no second audit entry.
  auto entries = store_->audit(0, 100).size();
  now_ += 1000;
  r = call("POST", "/keys/" + id + "/revoke", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(parse(r.body).at("revoked_at"), "2027-01-15T08:00:01Z");
  EXPECT_EQ(store_->audit(0, 100).size(), entries);

  // Hidden from the list unless asked for.
  auto ids = [&](std::string_view query) {
    std::vector<std::string> out;
    json::value list = parse(call("GET", "/keys", {}, query).body);
    for (const auto& k : list.at("data").as_array()) out.push_back(str(k.at("id")));
    return out;
  };
  EXPECT_EQ(ids(""), std::vector<std::string>{"ci-bot"});
  EXPECT_EQ(ids("include_revoked=true"), (std::vector<std::string>{"ci-bot", id}));
  expect_error(call("GET", "/keys", {}, "include_revoked=maybe"), 400, "include_revoked",
               "invalid_value");

  // A revoked key cannot be changed or rotated.
  expect_error(call("PATCH", "/keys/" + id, R"({"alias":"b"})"), 409, "", "key_revoked");
  expect_error(call("POST", "/keys/" + id + "/rotate"), 409, "", "key_revoked");
  expect_error(call("POST", "/keys/" + id + "/revoke", R"({"why":1})"), 400, "why",
               "unknown_field");
}

TEST_F(AdminTest, RotateWithGrace) {
  auto [key, first] = create_key(R"({"alias":"a"})");
  std::string id = str(key.at("id"));
  now_ += 10'000;
  Reply r = call("POST", "/keys/" + id + "/rotate", R"({"grace_seconds":3600})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(r.changed);
  json::value v = parse(r.body);
  std::string second = str(v.at("secret"));
  EXPECT_NE(second, first);
  EXPECT_EQ(second.size(), 46u);

  auto stored = store_->find_key(id);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->secrets.size(), 2u);
  EXPECT_EQ(stored->secrets[0].hash, access::hash_secret(second));
  EXPECT_EQ(stored->secrets[0].created_ms, now_);
  EXPECT_EQ(stored->secrets[0].valid_until_ms, 0);
  EXPECT_EQ(stored->secrets[1].hash, access::hash_secret(first));
  EXPECT_EQ(stored->secrets[1].valid_until_ms, now_ + 3'600'000);

  const json::array& shown = v.at("key").at("secrets").as_array();
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[0].at("last4"), json::value(second.substr(42)));
  EXPECT_TRUE(shown[0].at("valid_until").is_null());
  EXPECT_EQ(shown[1].at("last4"), json::value(first.substr(42)));
  EXPECT_EQ(shown[1].at("valid_until"), "2027-01-15T09:00:10Z");

  // No grace: the second secret ends now (kept, so the gateway can tell a client it was
  // rotated out); the first is still in its grace.
  now_ += 60'000;
  r = call("POST", "/keys/" + id + "/rotate");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string third = str(parse(r.body).at("secret"));
  stored = store_->find_key(id);
  ASSERT_EQ(stored->secrets.size(), 3u);
  EXPECT_EQ(stored->secrets[0].hash, access::hash_secret(third));
  EXPECT_EQ(stored->secrets[0].valid_until_ms, 0);
  EXPECT_EQ(stored->secrets[1].hash, access::hash_secret(second));
  EXPECT_EQ(stored->secrets[1].valid_until_ms, now_);
  EXPECT_EQ(stored->secrets[2].hash, access::hash_secret(first));

  // Rotating after the first one's grace drops it, and the second (ended) one too.
  now_ += 3'600'000;
  r = call("POST", "/keys/" + id + "/rotate", R"({"grace_seconds":0})");
  ASSERT_EQ(r.status, 201) << r.body;
  stored = store_->find_key(id);
  ASSERT_EQ(stored->secrets.size(), 2u);
  EXPECT_EQ(stored->secrets[0].hash, access::hash_secret(str(parse(r.body).at("secret"))));
  EXPECT_EQ(stored->secrets[1].hash, access::hash_secret(third));
  EXPECT_EQ(stored->secrets[1].valid_until_ms, now_);

  expect_error(call("POST", "/keys/" + id + "/rotate", R"({"grace_seconds":2592001})"), 400,
               "grace_seconds", "invalid_value");
  expect_error(call("POST", "/keys/" + id + "/rotate", R"({"grace_seconds":-1})"), 400,
               "grace_seconds", "invalid_value");
  expect_error(call("POST", "/keys/" + id + "/rotate", R"({"grace":1})"), 400, "grace",
               "unknown_field");
  expect_error(call("POST", "/keys/key_0000000000000000/rotate"), 404, "", "key_not_found");
}

TEST_F(AdminTest, ConfigDeclaredRecordsAreReadOnly) {
  Reply shown = call("GET", "/keys/ci-bot");
  ASSERT_EQ(shown.status, 200) << shown.body;
  json::value v = parse(shown.body);
  EXPECT_EQ(v.at("source"), "config");
  EXPECT_EQ(v.at("team"), "platform");
  EXPECT_EQ(v.at("scopes"), json::parse(R"(["chat"])"));
  EXPECT_EQ(v.at("secrets").as_array()[0].at("last4"), "DEFG");
  EXPECT_THAT(shown.body, Not(HasSubstr(kConfigSecret)));
  EXPECT_THAT(shown.body, Not(HasSubstr(access::hash_secret(kConfigSecret))));

  expect_error(call("PATCH", "/keys/ci-bot", R"({"alias":"x"})"), 409, "", "declared_in_config");
  expect_error(call("POST", "/keys/ci-bot/revoke"), 409, "", "declared_in_config");
  expect_error(call("POST", "/keys/ci-bot/rotate"), 409, "", "declared_in_config");
  expect_error(call("PATCH", "/teams/platform", R"({"rpm":1})"), 409, "", "declared_in_config");
  expect_error(call("DELETE", "/teams/platform"), 409, "", "declared_in_config");
  expect_error(call("POST", "/teams", R"({"id":"platform"})"), 409, "", "declared_in_config");
  EXPECT_TRUE(store_->audit(0, 100).empty());

  Reply team = call("GET", "/teams/platform");
  ASSERT_EQ(team.status, 200);
  EXPECT_EQ(parse(team.body).at("source"), "config");
  EXPECT_EQ(parse(team.body).at("rpm"), 100);

  // A store key may name a config team.
  auto [key, secret] = create_key(R"({"team":"platform"})");
  EXPECT_EQ(key.at("team"), "platform");
}

TEST_F(AdminTest, Teams) {
  Reply r = call("POST", "/teams",
                 R"({"id":"research","scopes":["chat"],"models":["gpt-4o"],"tpm":1000,
                     "metadata":{"cost_center":"r1"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(r.changed);
  json::value t = parse(r.body);
  EXPECT_EQ(t.at("id"), "research");
  EXPECT_EQ(t.at("object"), "team");
  EXPECT_EQ(t.at("scopes"), json::parse(R"(["chat"])"));
  EXPECT_EQ(t.at("tpm"), 1000);
  EXPECT_EQ(t.at("source"), "store");

  // Defaults: every scope.
  create_team(R"({"id":"a-team"})");
  EXPECT_EQ(parse(call("GET", "/teams/a-team").body).at("scopes").as_array().size(),
            access::kScopeCount);

  expect_error(call("POST", "/teams", R"({"id":"research"})"), 409, "id", "team_exists");
  expect_error(call("POST", "/teams", R"({"id":"no spaces"})"), 400, "id", "invalid_value");
  expect_error(call("POST", "/teams", R"({"scopes":["chat"]})"), 400, "id", "missing_field");
  expect_error(call("POST", "/teams", R"({"id":"x","scopes":["root"]})"), 400, "scopes",
               "invalid_value");
  expect_error(call("PATCH", "/teams/research", R"({"id":"other"})"), 400, "id", "unknown_field");
  expect_error(call("GET", "/teams/nope"), 404, "", "team_not_found");

  r = call("PATCH", "/teams/research", R"({"rpm":9,"models":null})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body).at("rpm"), 9);
  EXPECT_EQ(parse(r.body).at("models"), json::array{});

  // Listed: the config's first, then the store's by name.
  std::vector<std::string> ids;
  json::value teams = parse(call("GET", "/teams").body);
  for (const auto& x : teams.at("data").as_array()) ids.push_back(str(x.at("id")));
  EXPECT_EQ(ids, (std::vector<std::string>{"platform", "a-team", "research"}));

  // A key must name a team that exists.
  expect_error(call("POST", "/keys", R"({"team":"nope"})"), 400, "team", "team_not_found");
  auto [k1, s1] = create_key(R"({"team":"research"})");
  auto [k2, s2] = create_key(R"({"team":"research"})");

  // Not deleted while keys name it.
  r = call("DELETE", "/teams/research");
  expect_error(r, 409, "", "team_in_use");
  EXPECT_THAT(r.body, HasSubstr("2 keys"));
  ASSERT_EQ(call("POST", "/keys/" + str(k1.at("id")) + "/revoke").status, 200);
  ASSERT_EQ(call("PATCH", "/keys/" + str(k2.at("id")), R"({"team":null})").status, 200);
  r = call("DELETE", "/teams/research");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(parse(r.body), json::parse(R"({"id":"research","object":"team","deleted":true})"));
  EXPECT_FALSE(store_->find_team("research"));
  expect_error(call("DELETE", "/teams/research"), 404, "", "team_not_found");
}

// Another process deletes the team between the admin code's check and its write: the key
// must not be written naming a team that no longer exists (every request of it would be
// refused with team_missing).
TEST_F(AdminTest, AKeyIsNeverWrittenNamingATeamDeletedMeanwhile) {
  create_team(R"({"id":"research"})");
  create_team(R"({"id":"ops"})");
  auto [key, secret] = create_key(R"({"alias":"a"})");
  std::string id = str(key.at("id"));
  auto other = open_store(where_);
  auto delete_team = [&](const char* team) {
    return [&other, team] {
      other->delete_team(team, access::AuditEntry{0, kNow, "cli:other", "team.delete",
                                                  std::string("team:") + team, "{}", ""});
    };
  };

  RacingStore create_racing(*store_, delete_team("research"));
  Reply r = call_through(create_racing, "POST", "/keys", R"({"team":"research"})");
  expect_error(r, 400, "team", "team_not_found");
  EXPECT_THAT(r.body, HasSubstr("team research does not exist"));
  EXPECT_EQ(store_->load_keys().size(), 1u) << "no key was written";

  RacingStore update_racing(*store_, delete_team("ops"));
  r = call_through(update_racing, "PATCH", "/keys/" + id, R"({"team":"ops"})");
  expect_error(r, 400, "team", "team_not_found");
  EXPECT_EQ(store_->find_key(id)->team, "") << "the key was not changed";
  for (const auto& e : store_->audit(0, 100)) EXPECT_NE(e.action, "key.update");

  // A team declared in the config file is not in the store, and needs not be.
  RacingStore declared(*store_, [] {});
  r = call_through(declared, "PATCH", "/keys/" + id, R"({"team":"platform"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store_->find_key(id)->team, "platform");
}

// Another process gives a key the team between the admin code's count of the keys naming it
// and the deletion: the team must stay.
TEST_F(AdminTest, ATeamIsNeverDeletedWhileAKeyNamesIt) {
  create_team(R"({"id":"research"})");
  auto other = open_store(where_);
  access::Key key;
  key.id = "key_00000000000000aa";
  key.team = "research";
  key.metadata = "{}";
  RacingStore racing(*store_, [&] {
    other->put_key(
        key, access::AuditEntry{0, kNow, "cli:other", "key.create", "key:" + key.id, "", "{}"});
  });
  Reply r = call_through(racing, "DELETE", "/teams/research");
  expect_error(r, 409, "", "team_in_use");
  EXPECT_THAT(r.body, HasSubstr("named by 1 key that is not revoked"));
  EXPECT_TRUE(store_->find_team("research"));
  for (const auto& e : store_->audit(0, 100)) EXPECT_NE(e.action, "team.delete");
}

TEST_F(AdminTest, AuditEntries) {
  create_team(R"({"id":"research"})");
  auto [key, first] = create_key(R"({"alias":"a","team":"research"})");
  std::string id = str(key.at("id"));
  ASSERT_EQ(call("PATCH", "/keys/" + id, R"({"alias":"b"})").status, 200);
  Reply rotated = call("POST", "/keys/" + id + "/rotate", R"({"grace_seconds":60})");
  ASSERT_EQ(rotated.status, 201);
  std::string second = str(parse(rotated.body).at("secret"));
  ASSERT_EQ(call("POST", "/keys/" + id + "/revoke").status, 200);
  ASSERT_EQ(call("PATCH", "/teams/research", R"({"rpm":3})").status, 200);
  create_team(R"({"id":"gone"})");
  ASSERT_EQ(call("DELETE", "/teams/gone").status, 200);

  Reply r = call("GET", "/audit");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = parse(r.body);
  const json::array& data = v.at("data").as_array();
  std::vector<std::string> actions;
  for (const auto& e : data) actions.push_back(str(e.at("action")));
  EXPECT_EQ(actions,
            (std::vector<std::string>{"team.create", "key.create", "key.update", "key.rotate",
                                      "key.revoke", "team.update", "team.create", "team.delete"}));
  EXPECT_EQ(v.at("last_id"), data.back().at("id"));

  const json::object& create = data[1].as_object();
  EXPECT_EQ(create.at("actor"), "cli:tester");
  EXPECT_EQ(create.at("target"), json::value("key:" + id));
  EXPECT_EQ(create.at("at"), "2027-01-15T08:00:00Z");
  EXPECT_TRUE(create.at("before").is_null());
  EXPECT_EQ(create.at("after").at("alias"), "a");
  const json::object& update = data[2].as_object();
  EXPECT_EQ(update.at("before").at("alias"), "a");
  EXPECT_EQ(update.at("after").at("alias"), "b");
  const json::object& rotate = data[3].as_object();
  EXPECT_EQ(rotate.at("before").at("secrets").as_array().size(), 1u);
  EXPECT_EQ(rotate.at("after").at("secrets").as_array().size(), 2u);
  EXPECT_TRUE(data[4].at("after").at("revoked_at").is_string());
  EXPECT_EQ(data[7].at("target"), "team:gone");
  EXPECT_TRUE(data[7].at("after").is_null());
  EXPECT_EQ(data[7].at("before").at("id"), "gone");

  // No secret and no hash anywhere in the audit log, stored or shown.
  std::string text = all_audit_text();
  for (const std::string& s : {first, second}) {
    EXPECT_THAT(text, Not(HasSubstr(s)));
    EXPECT_THAT(text, Not(HasSubstr(access::hash_secret(s))));
    EXPECT_THAT(text, Not(HasSubstr(s.substr(3, 16))));
  }

  // Paging.
  Reply page = call("GET", "/audit", {}, "after=2&limit=3");
  json::value p = parse(page.body);
  ASSERT_EQ(p.at("data").as_array().size(), 3u);
  EXPECT_EQ(p.at("data").as_array()[0].at("action"), "key.update");
  EXPECT_EQ(p.at("last_id"), p.at("data").as_array()[2].at("id"));
  Reply empty = call("GET", "/audit", {}, "after=1000");
  EXPECT_EQ(parse(empty.body).at("last_id"), 1000);
  expect_error(call("GET", "/audit", {}, "limit=1001"), 400, "limit", "invalid_value");
  expect_error(call("GET", "/audit", {}, "limit=0"), 400, "limit", "invalid_value");
  expect_error(call("GET", "/audit", {}, "after=x"), 400, "after", "invalid_value");
  expect_error(call("GET", "/audit", {}, "since=1"), 400, "since", "unknown_parameter");
}

TEST_F(AdminTest, BadBodies) {
  expect_error(call("POST", "/keys", "{"), 400, "", "invalid_json");
  expect_error(call("POST", "/keys", "[]"), 400, "", "invalid_json");
  expect_error(call("POST", "/keys", R"({"alias":"a","colour":"red"})"), 400, "colour",
               "unknown_field");
  expect_error(call("POST", "/keys", R"({"alias":5})"), 400, "alias", "invalid_value");
  expect_error(call("POST", "/keys", R"({"scopes":"chat"})"), 400, "scopes", "invalid_value");
  expect_error(call("POST", "/keys", R"({"scopes":["chat","sudo"]})"), 400, "scopes",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"models":["gpt 4"]})"), 400, "models", "invalid_value");
  expect_error(call("POST", "/keys", R"({"regions":[""]})"), 400, "regions", "invalid_value");
  expect_error(call("POST", "/keys", R"({"rpm":-1})"), 400, "rpm", "invalid_value");
  expect_error(call("POST", "/keys", R"({"tpm":1.5})"), 400, "tpm", "invalid_value");
  expect_error(call("POST", "/keys", R"({"max_parallel":"2"})"), 400, "max_parallel",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"expires_at":"tomorrow"})"), 400, "expires_at",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"expires_at":"2026-01-01"})"), 400, "expires_at",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"metadata":[1]})"), 400, "metadata", "invalid_value");
  std::string big = R"({"metadata":{"x":")" + std::string(16 * 1024, 'a') + R"("}})";
  expect_error(call("POST", "/keys", big), 400, "metadata", "invalid_value");
  expect_error(call("POST", "/keys", "{}", "x=1"), 400, "x", "unknown_parameter");
  Reply r = call("POST", "/keys", R"({"colour":"red"})");
  EXPECT_THAT(r.body, HasSubstr("colour"));
  EXPECT_TRUE(store_->load_keys().empty());
  EXPECT_TRUE(store_->audit(0, 10).empty());
}

TEST_F(AdminTest, BudgetsAndMarkupOnKeysAndTeams) {
  auto [key, secret] = create_key(R"({"budget":{"usd":"50","per":"month","soft_percent":80}})");
  const std::string id = str(key.at("id"));
  EXPECT_EQ(key.at("budget"),
            json::parse(R"({"usd":"50","limit_micros":50000000,"per":"month","soft_percent":80})"));
  EXPECT_EQ(store_->find_key(id)->budget,
            (access::Budget{50'000'000, access::BudgetPeriod::month, 8'000}));

  // An update names only what changes; the rest of the budget stays.
  Reply r = call("PATCH", "/keys/" + id, R"({"budget":{"soft_percent":12.5}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body).at("budget").at("soft_percent"), 12.5);
  r = call("PATCH", "/keys/" + id, R"({"budget":{"per":"week","usd":0.1}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store_->find_key(id)->budget,
            (access::Budget{100'000, access::BudgetPeriod::week, 1'250}))
      << "0.1 as a JSON number is exactly 100000 micro-dollars";
  r = call("PATCH", "/keys/" + id, R"({"budget":{"soft_percent":null}})");
  EXPECT_TRUE(parse(r.body).at("budget").at("soft_percent").is_null());
  r = call("PATCH", "/keys/" + id, R"({"budget":null})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(parse(r.body).at("budget").is_null());
  EXPECT_EQ(store_->find_key(id)->budget, access::Budget{});

  // The audit trail shows the budget before and after.
  auto log = store_->audit(0, 100);
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(parse(log.back().before).at("budget").at("usd"), "0.1");
  EXPECT_TRUE(parse(log.back().after).at("budget").is_null());

  // Teams: a budget and a markup.
  create_team(
      R"({"id":"research","budget":{"usd":"1234567.000001","per":"total"},"markup_percent":12.5})");
  Reply team = call("GET", "/teams/research");
  json::value t = parse(team.body);
  EXPECT_EQ(t.at("budget"), json::parse(R"({"usd":"1234567.000001","limit_micros":1234567000001,
                                            "per":"total","soft_percent":null})"));
  EXPECT_EQ(t.at("markup_percent"), 12.5);
  EXPECT_EQ(store_->find_team("research")->markup_bp, 1'250);
  r = call("PATCH", "/teams/research", R"({"markup_percent":"10","budget":{"usd":500}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body).at("markup_percent"), 10);
  EXPECT_EQ(store_->find_team("research")->budget,
            (access::Budget{500'000'000, access::BudgetPeriod::total, 0}));
  r = call("PATCH", "/teams/research", R"({"markup_percent":null})");
  EXPECT_EQ(parse(r.body).at("markup_percent"), 0);

  // Config-declared teams show theirs (none here).
  json::value platform = parse(call("GET", "/teams/platform").body);
  EXPECT_TRUE(platform.at("budget").is_null());
  EXPECT_EQ(platform.at("markup_percent"), 0);
}

TEST_F(AdminTest, BadBudgetsAndMarkupsAreRefusedNamingTheField) {
  expect_error(call("POST", "/keys", R"({"budget":{"usd":"abc"}})"), 400, "budget.usd",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"usd":"-5"}})"), 400, "budget.usd",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"usd":-5}})"), 400, "budget.usd",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"usd":"1.0000001"}})"), 400, "budget.usd",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"usd":"0"}})"), 400, "budget.usd",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"usd":1e30}})"), 400, "budget.usd",
               "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"usd":"5","per":"fortnight"}})"), 400,
               "budget.per", "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"usd":"5","soft_percent":101}})"), 400,
               "budget.soft_percent", "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"usd":"5","soft_percent":"8.125"}})"), 400,
               "budget.soft_percent", "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"usd":"5","hard":true}})"), 400, "budget.hard",
               "unknown_field");
  expect_error(call("POST", "/keys", R"({"budget":"50/month"})"), 400, "budget", "invalid_value");
  expect_error(call("POST", "/keys", R"({"budget":{"per":"day"}})"), 400, "budget.usd",
               "missing_field");
  // A markup is a team's.
  expect_error(call("POST", "/keys", R"({"markup_percent":10})"), 400, "markup_percent",
               "unknown_field");
  expect_error(call("POST", "/teams", R"({"id":"t","markup_percent":1000.01})"), 400,
               "markup_percent", "invalid_value");
  expect_error(call("POST", "/teams", R"({"id":"t","markup_percent":-1})"), 400, "markup_percent",
               "invalid_value");
  EXPECT_TRUE(store_->load_keys().empty());
  EXPECT_TRUE(store_->load_teams().empty());

  // A key without a budget cannot get only a soft limit.
  auto [key, secret] = create_key();
  expect_error(call("PATCH", "/keys/" + str(key.at("id")), R"({"budget":{"soft_percent":80}})"),
               400, "budget.usd", "missing_field");
  Reply r = call("PATCH", "/keys/" + str(key.at("id")), R"({"budget":{"usd":"1","per":"x"}})");
  EXPECT_THAT(r.body, HasSubstr("expected day, week, month or total"));
}

// Rows as the gateway would write them, through the store.
class AdminLedgerTest : public AdminTest {
 protected:
  static constexpr std::int64_t kDay = 86'400'000;
  static constexpr std::int64_t kJan1 = 1'798'761'600'000;  // 2027-01-01T00:00:00Z

  LedgerRow row(const std::string& request, std::int64_t at, const std::string& key,
                const std::string& team, const std::string& contract, Money cost) {
    LedgerRow r;
    r.request_id = request;
    r.at_ms = at;
    r.key_id = key;
    r.team = team;
    r.model = "gpt-4o";
    r.route = contract.empty() ? "openai" : "azure-east";
    r.provider = r.route;
    r.contract = contract;
    r.usage = Usage{1000, 100, 200, 0, 10, true};
    r.priced = true;
    r.cost = cost;
    r.charge = cost + cost / 10;
    r.status = 200;
    r.end = "served";
    return r;
  }

  void append(std::vector<LedgerRow> rows) {
    if (run_ == 0) run_ = store_->begin_run(kJan1);
    store_->append_ledger(run_, rows);
  }

  std::int64_t run_ = 0;
};

TEST_F(AdminLedgerTest, SpendReportGroupsSumsAndFilters) {
  append({row("a", kJan1 + 1, "key_a", "research", "msft", 1'250'000),
          row("b", kJan1 + kDay, "key_a", "research", "", 500'001),
          row("c", kJan1 + kDay + 1, "key_b", "", "", 3),
          row("d", kJan1 - 1, "key_a", "research", "", 999)});  // December: outside
  Reply r = call("GET", "/spend", {}, "by=key&since=2027-01-01&until=2027-02-01");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.changed);
  json::value v = parse(r.body);
  EXPECT_EQ(v.at("object"), "spend_report");
  EXPECT_EQ(v.at("by"), "key");
  EXPECT_EQ(v.at("since"), "2027-01-01T00:00:00Z");
  EXPECT_EQ(v.at("until"), "2027-02-01T00:00:00Z");
  EXPECT_TRUE(v.at("key").is_null());
  const json::array& data = v.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0], json::parse(R"({"group":"key_a","requests":2,"rows":2,
      "input_tokens":2000,"cached_input_tokens":400,"cache_write_input_tokens":0,
      "output_tokens":200,"reasoning_tokens":20,
      "cost_micros":1750001,"cost_usd":"1.750001","charge_micros":1925001,"charge_usd":"1.925001",
      "toll_micros":0,"toll_usd":"0","commitment_burn_micros":0,"commitment_burn_usd":"0",
      "estimated_rows":0,"unpriced_rows":0})"));
  EXPECT_EQ(data[1].at("group"), "key_b");
  EXPECT_EQ(data[1].at("cost_usd"), "0.000003");
  EXPECT_EQ(v.at("total").at("requests"), 3);
  EXPECT_EQ(v.at("total").at("cost_micros"), 1'750'004);
  EXPECT_FALSE(v.at("total").as_object().contains("group"));

  auto groups = [&](std::string_view query) {
    std::vector<std::string> out;
    Reply reply = call("GET", "/spend", {}, query);
    EXPECT_EQ(reply.status, 200) << reply.body;
    json::value v = parse(reply.body);
    if (reply.status != 200) return out;
    for (const auto& g : v.at("data").as_array()) out.push_back(str(g.at("group")));
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(groups("by=day&since=2026-12-01"), (V{"2026-12-31", "2027-01-01", "2027-01-02"}));
  EXPECT_EQ(groups("by=team&since=2027-01-01"), (V{"", "research"}));
  EXPECT_EQ(groups("by=contract&since=2027-01-01"), (V{"", "msft"}));
  EXPECT_EQ(groups("by=provider&since=2027-01-01&team=research"), (V{"azure-east", "openai"}));
  EXPECT_EQ(groups("by=route&since=2027-01-01&key=key_b"), (V{"openai"}));
  EXPECT_EQ(groups("by=model&since=2027-01-02T00:00:00.001Z"), (V{"gpt-4o"}));
  // No since: from the first day of this month (now is 2027-01-15); no until: no end.
  json::value defaults = parse(call("GET", "/spend").body);
  EXPECT_EQ(defaults.at("since"), "2027-01-01T00:00:00Z");
  EXPECT_TRUE(defaults.at("until").is_null());
  EXPECT_EQ(defaults.at("by"), "key");
  EXPECT_EQ(defaults.at("total").at("rows"), 3);

  expect_error(call("GET", "/spend", {}, "by=colour"), 400, "by", "invalid_value");
  expect_error(call("GET", "/spend", {}, "since=yesterday"), 400, "since", "invalid_value");
  expect_error(call("GET", "/spend", {}, "since=2027-01-02&until=2027-01-02"), 400, "until",
               "invalid_value");
  expect_error(call("GET", "/spend", {}, "limit=5"), 400, "limit", "unknown_parameter");
  Reply post = call("POST", "/spend");
  expect_error(post, 405, "", "method_not_allowed");
  EXPECT_EQ(post.allow, "GET");
}

TEST_F(AdminLedgerTest, SpendOverHoursOrDaysGivesEachGroupATimeSeries) {
  constexpr std::int64_t kHour = 3'600'000;
  append({row("a", kJan1 + 1, "key_a", "research", "msft", 100),
          row("b", kJan1 + 2 * kHour + 7, "key_a", "research", "", 20),
          row("c", kJan1 + 2 * kHour + 9, "key_b", "", "", 3),
          row("d", kJan1 + kDay + 2 * kHour, "key_a", "research", "", 4000)});
  Reply r = call("GET", "/spend", {}, "by=team&over=hour&since=2027-01-01&until=2027-01-02");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = parse(r.body);
  EXPECT_EQ(v.at("by"), "team");
  EXPECT_EQ(v.at("over"), "hour");
  std::vector<std::tuple<std::string, std::string, std::int64_t>> rows;
  for (const auto& g : v.at("data").as_array())
    rows.emplace_back(str(g.at("group")), str(g.at("bucket")), g.at("cost_micros").as_int64());
  using R = std::vector<std::tuple<std::string, std::string, std::int64_t>>;
  EXPECT_EQ(rows, (R{{"", "2027-01-01T02:00:00Z", 3},
                     {"research", "2027-01-01T00:00:00Z", 100},
                     {"research", "2027-01-01T02:00:00Z", 20}}));
  EXPECT_EQ(v.at("total").at("cost_micros"), 123);
  EXPECT_FALSE(v.at("total").as_object().contains("bucket"));

  json::value days = parse(call("GET", "/spend", {}, "by=key&over=day&since=2027-01-01").body);
  EXPECT_EQ(days.at("over"), "day");
  const json::array& data = days.at("data").as_array();
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(data[0].at("group"), "key_a");
  EXPECT_EQ(data[0].at("bucket"), "2027-01-01");
  EXPECT_EQ(data[0].at("charge_usd"), "0.000132");  // 110 + 22
  EXPECT_EQ(data[1].at("bucket"), "2027-01-02");
  EXPECT_EQ(data[2].at("group"), "key_b");

  // Without over: no bucket, and "over" is null.
  json::value plain = parse(call("GET", "/spend", {}, "by=team&since=2027-01-01").body);
  EXPECT_TRUE(plain.at("over").is_null());
  EXPECT_FALSE(plain.at("data").as_array()[0].as_object().contains("bucket"));

  expect_error(call("GET", "/spend", {}, "over=minute"), 400, "over", "invalid_value");
  expect_error(call("GET", "/spend", {}, "over="), 400, "over", "invalid_value");
}

std::shared_ptr<const Config> contracts_config() {
  return load_config_string(R"(providers:
  azure-east:
    kind: azure
    endpoint: https://example.openai.azure.com
    api_key: env:AZURE_KEY
    api_version: 2024-10-21
  bedrock-us:
    kind: bedrock
    region: us-east-1
models:
  gpt-4o:
    routes:
      - provider: azure-east
        deployment: gpt4o
      - provider: bedrock-us
        model_id: openai.gpt-4o
contracts:
  microsoft:
    providers: [azure-east]
    license_until: 2032-12-31
    commitment: { usd: 1000000, from: 2027-01-01, to: 2027-12-31 }
  bedrock-marketplace:
    providers: [bedrock-us]
    revenue_share: { percent: 12.5, of: cost, cap_usd: 250, until: 2027-01-20 }
)",
                            "contracts.yaml", &test_env);
}

TEST_F(AdminLedgerTest, ContractsReportTollsAgainstTheCapAndBurnAgainstItsSchedule) {
  config_ = contracts_config();
  LedgerRow toll = row("t1", kJan1, "key_a", "", "bedrock-marketplace", 1'000'000'000);
  toll.toll_due = 200'000'000;
  toll.toll_cap_micros = 250'000'000;
  LedgerRow crossing = toll;
  crossing.request_id = "t2";
  LedgerRow burn = row("b1", kJan1, "key_a", "", "microsoft", 12'345'678'901);
  burn.commitment_burn = 12'345'678'901;
  burn.commitment_period =
      commitment_period(CommitmentConfig{0, *parse_date("2027-01-01"), *parse_date("2027-12-31")});
  LedgerRow gone = row("g1", kJan1, "key_a", "", "old-deal", 7);
  gone.toll_due = 7;
  append({toll, crossing, burn, gone});

  Reply r = call("GET", "/contracts");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = parse(r.body);
  EXPECT_EQ(v.at("today"), "2027-01-15");
  const json::array& data = v.at("data").as_array();
  ASSERT_EQ(data.size(), 3u);

  // By name, the configured ones first.
  const json::value& market = data[0];
  EXPECT_EQ(market.at("name"), "bedrock-marketplace");
  EXPECT_EQ(market.at("configured"), true);
  EXPECT_EQ(market.at("providers"), json::parse(R"(["bedrock-us"])"));
  EXPECT_EQ(market.at("tolls_paid_micros"), 250'000'000) << "200 then the 50 left";
  EXPECT_EQ(market.at("tolls_paid_usd"), "250");
  EXPECT_EQ(market.at("revenue_share"), json::parse(R"({"percent":12.5,"of":"cost",
      "cap_micros":250000000,"cap_usd":"250","left_micros":0,"left_usd":"0",
      "until":"2027-01-20","days_left":5})"));
  EXPECT_TRUE(market.at("commitment").is_null());
  EXPECT_TRUE(market.at("license_until").is_null());
  EXPECT_TRUE(market.at("license_days_left").is_null());

  const json::value& ms = data[1];
  EXPECT_EQ(ms.at("name"), "microsoft");
  EXPECT_EQ(ms.at("license_until"), "2032-12-31");
  EXPECT_EQ(ms.at("license_days_left"), 2177);
  EXPECT_TRUE(ms.at("revenue_share").is_null());
  EXPECT_EQ(ms.at("tolls_paid_micros"), 0);
  // $1,000,000 over 365 days; on day 15 (today counts): 1e12 × 15 / 365 = 41,095,890,410.96,
  // rounded down.
  EXPECT_EQ(ms.at("commitment"), json::parse(R"({"usd":"1000000","usd_micros":1000000000000,
      "from":"2027-01-01","to":"2027-12-31","period":"2027-01-01..2027-12-31",
      "days_in_period":365,"days_elapsed":15,
      "target_micros":41095890410,"target_usd":"41095.89041",
      "burned_micros":12345678901,"burned_usd":"12345.678901",
      "ahead_micros":-28750211509,"ahead_usd":"-28750.211509",
      "left_micros":987654321099,"left_usd":"987654.321099"})"));
  EXPECT_EQ(ms.at("burn"), json::parse(R"([{"period":"2027-01-01..2027-12-31",
      "burned_micros":12345678901,"burned_usd":"12345.678901"}])"));

  // A contract the config no longer names still shows what it was paid.
  const json::value& old = data[2];
  EXPECT_EQ(old.at("name"), "old-deal");
  EXPECT_EQ(old.at("configured"), false);
  EXPECT_EQ(old.at("tolls_paid_usd"), "0.000007");
  EXPECT_TRUE(old.at("revenue_share").is_null());

  expect_error(call("GET", "/contracts", {}, "x=1"), 400, "x", "unknown_parameter");
  expect_error(call("DELETE", "/contracts"), 405, "", "method_not_allowed");
}

TEST(CommitmentSchedule, IsProRataByWholeDaysRoundedDown) {
  const Days from = *parse_date("2027-01-01");
  const Days to = *parse_date("2027-12-31");
  constexpr Money kUsd = 1'000'000'000'000;
  auto at = [&](Days today) { return commitment_schedule(kUsd, from, to, today); };
  EXPECT_EQ(at(from - 1).days_elapsed, 0);
  EXPECT_EQ(at(from - 1).target, 0);
  EXPECT_EQ(at(from).days_elapsed, 1) << "the first day counts: the target at its end";
  EXPECT_EQ(at(from).target, 2'739'726'027);  // 1e12 / 365, rounded down
  EXPECT_EQ(at(to).target, kUsd);
  EXPECT_EQ(at(to + 100).target, kUsd);
  EXPECT_EQ(at(to).days_in_period, 365);
  EXPECT_EQ(commitment_schedule(7, from, from, from).target, 7) << "a one-day period";
  EXPECT_EQ(commitment_schedule(10, from, from + 2, from).target, 3) << "10/3 rounds down";
  EXPECT_EQ(commitment_period(CommitmentConfig{0, from, to}), "2027-01-01..2027-12-31");
}

TEST(MoneyText, DollarsAndPercentsAreExactDecimals) {
  EXPECT_EQ(format_dollars(0), "0");
  EXPECT_EQ(format_dollars(1), "0.000001");
  EXPECT_EQ(format_dollars(50'000'000), "50");
  EXPECT_EQ(format_dollars(1'250'000), "1.25");
  EXPECT_EQ(format_dollars(-2'500'000), "-2.5");
  EXPECT_EQ(format_dollars(std::numeric_limits<std::int64_t>::max()), "9223372036854.775807");
  EXPECT_EQ(format_dollars(std::numeric_limits<std::int64_t>::min()), "-9223372036854.775808");
  EXPECT_EQ(format_percent(8'000), "80");
  EXPECT_EQ(format_percent(1'250), "12.5");
  EXPECT_EQ(format_percent(5), "0.05");
}

TEST_F(AdminTest, UnknownPathsAndMethods) {
  expect_error(call("GET", "/nope"), 404, "", "unknown_path");
  expect_error(call("GET", ""), 404, "", "unknown_path");
  expect_error(call("GET", "/keys/"), 404, "", "unknown_path");
  expect_error(call("GET", "/keys/ci-bot/secrets"), 404, "", "unknown_path");
  expect_error(call("GET", "/audit/1"), 404, "", "unknown_path");
  expect_error(call("GET", "/keys/key_0000000000000000"), 404, "", "key_not_found");

  Reply r = call("DELETE", "/keys");
  expect_error(r, 405, "", "method_not_allowed");
  EXPECT_THAT(r.body, HasSubstr("GET or POST"));
  r = call("GET", "/keys/key_1/rotate");
  expect_error(r, 405, "", "method_not_allowed");
  EXPECT_THAT(r.body, HasSubstr("expected POST"));
  expect_error(call("PUT", "/teams/x"), 405, "", "method_not_allowed");
  expect_error(call("POST", "/audit"), 405, "", "method_not_allowed");
}

TEST_F(AdminTest, StoreFailureIs503) {
  store_ = std::make_unique<BrokenStore>();
  Reply r = call("GET", "/keys");
  expect_error(r, 503, "", "store_unavailable");
  EXPECT_THAT(r.body, HasSubstr("database is locked"));
  expect_error(call("POST", "/keys/key_1/revoke"), 503, "", "store_unavailable");
}

}  // namespace
}  // namespace tollbooth::admin
