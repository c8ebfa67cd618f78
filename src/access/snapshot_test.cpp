#include "access/snapshot.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "access/shards.hpp"

namespace tollbooth::access {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr std::int64_t kNow = 1'750'000'000'000;

// A key with one fresh secret; the secret comes back through `secret`.
Key make_key(std::string id, std::string& secret, std::string team = {}) {
  secret = generate_secret();
  Key k;
  k.id = std::move(id);
  k.team = std::move(team);
  k.secrets.push_back({hash_secret(secret), last4(secret), kNow - 1000, 0});
  return k;
}

Team make_team(std::string id) {
  Team t;
  t.id = std::move(id);
  return t;
}

TEST(SnapshotAuth, KnownSecretAuthenticates) {
  std::string secret;
  Key k = make_key("key_0000000000000001", secret, "research");
  k.limits.rpm = 10;
  Team t = make_team("research");
  t.limits.tpm = 1000;
  Snapshot snap({k}, {t});

  AuthResult r = snap.authenticate(secret, kNow);
  ASSERT_TRUE(r.ok()) << r.describe();
  const Principal& p = r.principal();
  EXPECT_EQ(p.key().id, "key_0000000000000001");
  ASSERT_NE(p.team(), nullptr);
  EXPECT_EQ(p.team()->id, "research");
  EXPECT_EQ(p.secret().last4, last4(secret));
  EXPECT_EQ(p.key_limits().rpm, 10);
  ASSERT_EQ(p.limit_subjects().size(), 2u);
  EXPECT_EQ(p.limit_subjects()[0].name, "key:key_0000000000000001");
  EXPECT_EQ(p.limit_subjects()[0].limits.rpm, 10);
  EXPECT_EQ(p.limit_subjects()[1].name, "team:research");
  EXPECT_EQ(p.limit_subjects()[1].limits.tpm, 1000);
}

// A snapshot's subjects carry the hashes of their names, worked out once, so that an admission
// does not hash them again. A hash that did not match its name would put the subject in another
// shard and map slot: a second, empty window and budget under the same name. So the subjects
// are checked against hand-made ones, which the books hash themselves: one window, one budget.
TEST(SnapshotSubjects, KeptHashesNameTheSameWindowsAndBudgetsAsTheNames) {
  std::string secret;
  Key k = make_key("key_h", secret, "team_h");
  k.limits.rpm = 2;
  k.budget.limit_micros = 1'000;
  Team t = make_team("team_h");
  t.limits.rpm = 100;
  t.budget.limit_micros = 5'000;
  Snapshot snap({k}, {t});
  AuthResult r = snap.authenticate(secret, kNow);
  ASSERT_TRUE(r.ok()) << r.describe();
  const Principal& p = r.principal();

  std::span<const LimitSubject> limits = p.limit_subjects();
  ASSERT_EQ(limits.size(), 2u);
  std::array<BudgetSubject, 2> budgets{};
  ASSERT_EQ(p.budget_subjects(budgets), 2u);
  for (const LimitSubject& s : limits) EXPECT_EQ(s.name_hash, name_hash(s.name)) << s.name;
  for (const BudgetSubject& s : budgets) EXPECT_EQ(s.name_hash, name_hash(s.name)) << s.name;

  // The limiter: one admission by the snapshot's subjects, one by the same names unhashed;
  // the key's rpm of 2 is then used up, whichever way it is asked.
  Limiter limiter;
  const LimitSubject by_name[] = {{"key:key_h", k.limits}, {"team:team_h", t.limits}};
  Admission first = limiter.admit(limits, 0, kNow);
  Admission second = limiter.admit(by_name, 0, kNow);
  ASSERT_TRUE(first.admitted);
  ASSERT_TRUE(second.admitted);
  Admission third = limiter.admit(limits, 0, kNow);
  EXPECT_FALSE(third.admitted);
  EXPECT_EQ(third.refusal.subject, "key:key_h");
  EXPECT_EQ(third.refusal.used, 2);

  // The budgets: 600 reserved by the snapshot's subjects leaves 400 of the key's 1,000 to an
  // admission by name, and the other way round.
  BudgetBook book;
  BudgetAdmission held = book.admit(std::span<const BudgetSubject>(budgets.data(), 2), 600, kNow);
  ASSERT_TRUE(held.admitted);
  const BudgetSubject budgets_by_name[] = {{"key:key_h", k.budget}, {"team:team_h", t.budget}};
  BudgetAdmission over = book.admit(budgets_by_name, 500, kNow);
  EXPECT_FALSE(over.admitted);
  EXPECT_EQ(over.refusal.subject, "key:key_h");
  EXPECT_EQ(over.refusal.reserved, 600);
  held.ticket.settle(0, kNow);
  BudgetAdmission by_name_held = book.admit(budgets_by_name, 700, kNow);
  ASSERT_TRUE(by_name_held.admitted);
  BudgetAdmission over_again =
      book.admit(std::span<const BudgetSubject>(budgets.data(), 2), 400, kNow);
  EXPECT_FALSE(over_again.admitted);
  EXPECT_EQ(over_again.refusal.reserved, 700);
}

TEST(SnapshotAuth, KeyWithoutTeamHasOneSubject) {
  std::string secret;
  Snapshot snap({make_key("key_a", secret)}, {});
  AuthResult r = snap.authenticate(secret, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.principal().team(), nullptr);
  ASSERT_EQ(r.principal().limit_subjects().size(), 1u);
  EXPECT_EQ(r.principal().limit_subjects()[0].name, "key:key_a");
}

TEST(SnapshotAuth, MissingMalformedAndUnknownAreToldApart) {
  std::string secret;
  Snapshot snap({make_key("key_a", secret)}, {});
  EXPECT_EQ(snap.authenticate("", kNow).refusal(), AuthRefusal::missing);
  EXPECT_EQ(snap.authenticate("sk-proj-abc", kNow).refusal(), AuthRefusal::malformed);
  EXPECT_EQ(snap.authenticate(secret + "x", kNow).refusal(), AuthRefusal::malformed);
  AuthResult unknown = snap.authenticate(generate_secret(), kNow);
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.refusal(), AuthRefusal::unknown);
  EXPECT_EQ(unknown.key(), nullptr);
  EXPECT_EQ(unknown.describe(), "the API key is not known");
  // A changed character is another secret.
  std::string near = secret;
  near[10] = near[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(snap.authenticate(near, kNow).refusal(), AuthRefusal::unknown);
  // The empty snapshot knows nobody.
  EXPECT_EQ(Snapshot{}.authenticate(secret, kNow).refusal(), AuthRefusal::unknown);
}

TEST(SnapshotAuth, ExpiredFromTheInstantOn) {
  std::string secret;
  Key k = make_key("key_a", secret);
  k.expires_ms = kNow;
  Snapshot snap({k}, {});
  EXPECT_TRUE(snap.authenticate(secret, kNow - 1).ok());
  AuthResult r = snap.authenticate(secret, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.refusal(), AuthRefusal::expired);
  ASSERT_NE(r.key(), nullptr);
  EXPECT_EQ(r.key()->id, "key_a");
  EXPECT_EQ(r.describe(), "key key_a expired");
  EXPECT_EQ(r.describe().find(secret), std::string::npos);
}

TEST(SnapshotAuth, RevokedFromTheInstantOn) {
  std::string secret;
  Key k = make_key("key_a", secret);
  k.revoked_ms = kNow + 500;  // revocation can be scheduled
  Snapshot snap({k}, {});
  EXPECT_TRUE(snap.authenticate(secret, kNow + 499).ok());
  AuthResult r = snap.authenticate(secret, kNow + 500);
  EXPECT_EQ(r.refusal(), AuthRefusal::revoked);
  EXPECT_EQ(r.describe(), "key key_a was revoked");
  // Revoked and expired: revoked is the one to report.
  k.expires_ms = kNow;
  Snapshot both({k}, {});
  EXPECT_EQ(both.authenticate(secret, kNow + 1000).refusal(), AuthRefusal::revoked);
}

TEST(SnapshotAuth, RotatedSecretIsValidUntilItsGraceEnds) {
  std::string old_secret;
  Key k = make_key("key_a", old_secret);
  std::string new_secret = generate_secret();
  k.secrets[0].valid_until_ms = kNow + 60'000;
  k.secrets.insert(k.secrets.begin(), {hash_secret(new_secret), last4(new_secret), kNow, 0});
  Snapshot snap({k}, {});
  AuthResult during = snap.authenticate(old_secret, kNow + 59'999);
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during.principal().secret().valid_until_ms, kNow + 60'000);
  AuthResult after = snap.authenticate(old_secret, kNow + 60'000);
  EXPECT_EQ(after.refusal(), AuthRefusal::rotated_out);
  EXPECT_EQ(after.describe(), "key key_a was rotated: the secret presented is no longer valid");
  AuthResult current = snap.authenticate(new_secret, kNow + 10 * 60'000);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current.principal().secret().valid_until_ms, 0);
}

TEST(SnapshotAuth, KeyOfAMissingTeamIsRefused) {
  std::string secret;
  Snapshot snap({make_key("key_a", secret, "gone")}, {make_team("other")});
  AuthResult r = snap.authenticate(secret, kNow);
  EXPECT_EQ(r.refusal(), AuthRefusal::team_missing);
  EXPECT_EQ(r.describe(), "key key_a belongs to team gone, which does not exist");
}

TEST(SnapshotAuth, MalformedStoredHashesMatchNothingButTheKeyIsListed) {
  std::string secret;
  Key k = make_key("key_a", secret);
  k.secrets[0].hash = "not-a-hash";
  Snapshot snap({k}, {});
  EXPECT_EQ(snap.authenticate(secret, kNow).refusal(), AuthRefusal::unknown);
  EXPECT_NE(snap.find_key("key_a"), nullptr);
}

TEST(SnapshotAuth, FindByIdAndStableAcrossAMove) {
  std::string s1, s2;
  auto snap = std::make_unique<Snapshot>(
      std::vector<Key>{make_key("key_a", s1, "t"), make_key("key_b", s2)},
      std::vector<Team>{make_team("t")});
  ASSERT_NE(snap->find_key("key_b"), nullptr);
  EXPECT_EQ(snap->find_key("key_b")->id, "key_b");
  EXPECT_EQ(snap->find_key("key_c"), nullptr);
  EXPECT_EQ(snap->find_team("t")->id, "t");
  EXPECT_EQ(snap->keys().size(), 2u);
  Snapshot moved = std::move(*snap);
  snap.reset();
  AuthResult r = moved.authenticate(s1, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.principal().limit_subjects()[0].name, "key:key_a");
  EXPECT_EQ(r.principal().limit_subjects()[1].name, "team:t");
  EXPECT_EQ(moved.find_team("t")->id, "t");
}

TEST(SnapshotAuth, RefusalNamesAreStable) {
  EXPECT_EQ(auth_refusal_name(AuthRefusal::missing), "missing");
  EXPECT_EQ(auth_refusal_name(AuthRefusal::malformed), "malformed");
  EXPECT_EQ(auth_refusal_name(AuthRefusal::unknown), "unknown");
  EXPECT_EQ(auth_refusal_name(AuthRefusal::expired), "expired");
  EXPECT_EQ(auth_refusal_name(AuthRefusal::revoked), "revoked");
  EXPECT_EQ(auth_refusal_name(AuthRefusal::rotated_out), "rotated_out");
  EXPECT_EQ(auth_refusal_name(AuthRefusal::team_missing), "team_missing");
}

// ---- authorisation ----

struct Pair {
  std::string secret;
  std::unique_ptr<Snapshot> snap;
  Principal principal() const { return snap->authenticate(secret, kNow).principal(); }
};

Pair pair_of(Key k, std::optional<Team> t) {
  Pair p;
  std::string secret;
  Key base = make_key(k.id, secret, t ? t->id : "");
  k.secrets = base.secrets;
  k.team = base.team;
  p.secret = secret;
  std::vector<Team> teams;
  if (t) teams.push_back(*t);
  p.snap = std::make_unique<Snapshot>(std::vector<Key>{k}, std::move(teams));
  return p;
}

// The memo answers what the snapshot answers, only without hashing a secret it found before.
TEST(SecretMemo, AnswersAsTheSnapshotDoesAndChecksTheTimeEveryTime) {
  std::string secret, other;
  Key k = make_key("key_a", secret, "research");
  k.revoked_ms = kNow + 500;  // scheduled: the memo must not keep a key alive past it
  auto snap = std::make_shared<const Snapshot>(std::vector<Key>{k, make_key("key_b", other)},
                                               std::vector<Team>{make_team("research")});
  SecretMemo memo;
  for (int round = 0; round < 3; ++round) {  // the first finds it, the others remember it
    AuthResult r = memo.authenticate(snap, secret, kNow);
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.principal().key().id, "key_a");
    ASSERT_NE(r.principal().team(), nullptr);
    EXPECT_EQ(r.principal().limit_subjects().size(), 2u);
    AuthResult b = memo.authenticate(snap, other, kNow);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b.principal().key().id, "key_b");
  }
  EXPECT_EQ(memo.authenticate(snap, secret, kNow + 500).refusal(), AuthRefusal::revoked);
  EXPECT_EQ(memo.authenticate(snap, secret, kNow + 499).ok(), true);
  // A secret that differs from a remembered one in its last character is not it.
  std::string near = secret;
  near.back() = near.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(memo.authenticate(snap, near, kNow).refusal(), AuthRefusal::unknown);
  EXPECT_EQ(memo.authenticate(snap, "", kNow).refusal(), AuthRefusal::missing);
  EXPECT_EQ(memo.authenticate(snap, "not a key", kNow).refusal(), AuthRefusal::malformed);
}

TEST(SecretMemo, ANewSnapshotForgetsWhatTheOldOneKnew) {
  std::string secret;
  Key k = make_key("key_a", secret);
  auto before = std::make_shared<const Snapshot>(std::vector<Key>{k}, std::vector<Team>{});
  SecretMemo memo;
  ASSERT_TRUE(memo.authenticate(before, secret, kNow).ok());
  // The key's secret is gone from the next snapshot (the key was deleted, say).
  auto after = std::make_shared<const Snapshot>(std::vector<Key>{}, std::vector<Team>{});
  EXPECT_EQ(memo.authenticate(after, secret, kNow).refusal(), AuthRefusal::unknown);
  // And a key that comes back under another index is found where it now is.
  std::string first;
  auto again = std::make_shared<const Snapshot>(std::vector<Key>{make_key("key_0", first), k},
                                                std::vector<Team>{});
  AuthResult r = memo.authenticate(again, secret, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.principal().key().id, "key_a");
}

TEST(SecretMemo, ManyKeysSharingSlotsAreEachTheirOwn) {
  std::vector<Key> keys;
  std::vector<std::string> secrets(3 * SecretMemo::kSlots);
  for (std::size_t i = 0; i < secrets.size(); ++i)
    keys.push_back(make_key("key_" + std::to_string(i), secrets[i]));
  auto snap = std::make_shared<const Snapshot>(std::move(keys), std::vector<Team>{});
  SecretMemo memo;
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      AuthResult r = memo.authenticate(snap, secrets[i], kNow);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r.principal().key().id, "key_" + std::to_string(i));
    }
  }
}

TEST(SnapshotScopes, EffectiveScopesAreTheKeysAndTheTeams) {
  Key k;
  k.id = "key_ab12";
  k.scopes = kDefaultScopes | scope_bit(Scope::admin);
  Team t = make_team("research");
  t.scopes = kAllScopes & ~scope_bit(Scope::admin);
  Pair p = pair_of(k, t);
  Principal pr = p.principal();
  EXPECT_EQ(pr.scopes(), kDefaultScopes);
  EXPECT_TRUE(pr.may_use_scope(Scope::chat));
  EXPECT_EQ(pr.explain_scope(Scope::chat), "");
  EXPECT_EQ(pr.check_scope(Scope::admin), Denied::by_team);
  EXPECT_EQ(pr.explain_scope(Scope::admin), "team research does not allow scope admin");
  EXPECT_EQ(pr.check_scope(Scope::routing_explain), Denied::by_key);
  EXPECT_EQ(pr.explain_scope(Scope::routing_explain),
            "key key_ab12 may not use scope routing:explain");
}

TEST(SnapshotScopes, WithoutTeamOnlyTheKeyCounts) {
  Key k;
  k.id = "key_ab12";
  k.scopes = scope_bit(Scope::models);
  Pair p = pair_of(k, std::nullopt);
  EXPECT_TRUE(p.principal().may_use_scope(Scope::models));
  EXPECT_FALSE(p.principal().may_use_scope(Scope::chat));
}

TEST(SnapshotModels, KeyAndTeamListsMustBothAllow) {
  Key k;
  k.id = "key_ab12";
  k.models = {"gpt-4o*", "gpt-5"};
  Team t = make_team("research");
  t.models = {"gpt-4o", "gpt-4o-mini", "claude-*"};
  Pair p = pair_of(k, t);
  Principal pr = p.principal();
  EXPECT_TRUE(pr.may_use_model("gpt-4o"));
  EXPECT_TRUE(pr.may_use_model("gpt-4o-mini"));
  EXPECT_EQ(pr.check_model("gpt-4o-2024-08-06"), Denied::by_team);
  EXPECT_EQ(pr.check_model("gpt-5"), Denied::by_team);
  EXPECT_EQ(pr.explain_model("gpt-5"), "team research does not allow model gpt-5");
  EXPECT_EQ(pr.check_model("claude-sonnet"), Denied::by_key);
  EXPECT_EQ(pr.explain_model("claude-sonnet"), "key key_ab12 may not use model claude-sonnet");
  EXPECT_EQ(pr.explain_model("gpt-4o"), "");
}

TEST(SnapshotModels, EmptyListsAllowEveryModel) {
  Key k;
  k.id = "key_ab12";
  Pair p = pair_of(k, make_team("t"));
  EXPECT_TRUE(p.principal().may_use_model("anything"));
  k.models = {"gpt-5"};
  Pair q = pair_of(k, make_team("t"));
  EXPECT_TRUE(q.principal().may_use_model("gpt-5"));
  EXPECT_FALSE(q.principal().may_use_model("gpt-4o"));
}

TEST(SnapshotModels, ClientModelNamesAreQuotedSafely) {
  Key k;
  k.id = "key_ab12";
  k.models = {"gpt-5"};
  Pair p = pair_of(k, std::nullopt);
  std::string why = p.principal().explain_model("evil\nforged log line");
  EXPECT_EQ(why.find('\n'), std::string::npos);
  EXPECT_EQ(why, "key key_ab12 may not use model evil\\nforged log line");
}

TEST(SnapshotRegions, OneSideRestrictingGivesThatSidesList) {
  std::vector<std::string> none;
  std::vector<std::string> us = {"us-*"};
  EXPECT_THAT(effective_regions(none, none), IsEmpty());
  EXPECT_THAT(effective_regions(us, none), ElementsAre("us-*"));
  EXPECT_THAT(effective_regions(none, us), ElementsAre("us-*"));
}

TEST(SnapshotRegions, BothRestrictingKeepsWhatBothAdmit) {
  using V = std::vector<std::string>;
  EXPECT_THAT(effective_regions(V{"us-east-*"}, V{"us-*"}), ElementsAre("us-east-*"));
  EXPECT_THAT(effective_regions(V{"us-*"}, V{"us-east-*"}), ElementsAre("us-east-*"));
  EXPECT_THAT(effective_regions(V{"us-*", "eu-west-1"}, V{"eu-*"}), ElementsAre("eu-west-1"));
  EXPECT_THAT(effective_regions(V{"us-*"}, V{"us-*"}), ElementsAre("us-*"));
  EXPECT_THAT(effective_regions(V{"us-east-1", "eu-*"}, V{"us-*", "eu-central-1"}),
              ElementsAre("us-east-1", "eu-central-1"));
  EXPECT_THAT(effective_regions(V{"*"}, V{"eastus", "westus"}), ElementsAre("eastus", "westus"));
}

TEST(SnapshotRegions, NothingInCommonIsNoRegionNotEveryRegion) {
  using V = std::vector<std::string>;
  EXPECT_THAT(effective_regions(V{"us-*"}, V{"eu-*"}), ElementsAre(std::string(kNoRegion)));
  // Overlapping, yet neither covers the other: the rule stays on the narrow side.
  EXPECT_THAT(effective_regions(V{"us-*"}, V{"*-east-1"}), ElementsAre(std::string(kNoRegion)));
}

TEST(SnapshotRegions, PrincipalCarriesTheEffectiveRegions) {
  Key k;
  k.id = "key_ab12";
  k.regions = {"us-east-*"};
  Team t = make_team("research");
  t.regions = {"us-*"};
  Pair p = pair_of(k, t);
  EXPECT_THAT(p.principal().allowed_regions(), ElementsAre("us-east-*"));
}

}  // namespace
}  // namespace tollbooth::access
