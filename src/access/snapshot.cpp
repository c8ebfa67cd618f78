#include "access/snapshot.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

#include "access/shards.hpp"
#include "core/glob.hpp"
#include "core/text.hpp"

namespace tollbooth::access {
namespace {

void add_unique(std::vector<std::string>& out, const std::string& pattern) {
  if (std::find(out.begin(), out.end(), pattern) == out.end()) out.push_back(pattern);
}

bool covered_by_any(std::span<const std::string> wide, const std::string& narrow) noexcept {
  for (const std::string& w : wide) {
    if (glob_covers(w, narrow)) return true;
  }
  return false;
}

}  // namespace

std::string_view auth_refusal_name(AuthRefusal r) noexcept {
  switch (r) {
    case AuthRefusal::missing: return "missing";
    case AuthRefusal::malformed: return "malformed";
    case AuthRefusal::unknown: return "unknown";
    case AuthRefusal::revoked: return "revoked";
    case AuthRefusal::expired: return "expired";
    case AuthRefusal::rotated_out: return "rotated_out";
    case AuthRefusal::team_missing: return "team_missing";
  }
  return "";
}

std::vector<std::string> effective_regions(std::span<const std::string> key_regions,
                                           std::span<const std::string> team_regions) {
  if (team_regions.empty()) return {key_regions.begin(), key_regions.end()};
  if (key_regions.empty()) return {team_regions.begin(), team_regions.end()};
  std::vector<std::string> out;
  for (const std::string& k : key_regions) {
    if (covered_by_any(team_regions, k)) add_unique(out, k);
  }
  for (const std::string& t : team_regions) {
    if (covered_by_any(key_regions, t)) add_unique(out, t);
  }
  if (out.empty()) out.emplace_back(kNoRegion);
  return out;
}

// ---- Principal ----

Denied Principal::check_scope(Scope s) const noexcept {
  ScopeSet bit = scope_bit(s);
  if (!(entry_->key->scopes & bit)) return Denied::by_key;
  if (entry_->team && !(entry_->team->scopes & bit)) return Denied::by_team;
  return Denied::no;
}

Denied Principal::check_model(std::string_view model) const noexcept {
  if (!matches_any(entry_->key->models, model)) return Denied::by_key;
  if (entry_->team && !matches_any(entry_->team->models, model)) return Denied::by_team;
  return Denied::no;
}

std::string Principal::explain_scope(Scope s) const {
  switch (check_scope(s)) {
    case Denied::no: return {};
    case Denied::by_key:
      return "key " + entry_->key->id + " may not use scope " + std::string(scope_name(s));
    case Denied::by_team:
      return "team " + entry_->team->id + " does not allow scope " + std::string(scope_name(s));
  }
  return {};
}

std::string Principal::explain_model(std::string_view model) const {
  switch (check_model(model)) {
    case Denied::no: return {};
    case Denied::by_key:
      return "key " + entry_->key->id + " may not use model " + excerpt_client_text(model);
    case Denied::by_team:
      return "team " + entry_->team->id + " does not allow model " + excerpt_client_text(model);
  }
  return {};
}

// ---- AuthResult ----

std::string AuthResult::describe() const {
  if (ok_) return "key " + principal_.key().id + " authenticated";
  std::string key = refused_key_ ? "key " + refused_key_->id : "the key";
  switch (refusal_) {
    case AuthRefusal::missing: return "no API key was given";
    case AuthRefusal::malformed: return "the API key is malformed";
    case AuthRefusal::unknown: return "the API key is not known";
    case AuthRefusal::revoked: return key + " was revoked";
    case AuthRefusal::expired: return key + " expired";
    case AuthRefusal::rotated_out:
      return key + " was rotated: the secret presented is no longer valid";
    case AuthRefusal::team_missing:
      return key + " belongs to team " + (refused_key_ ? refused_key_->team : std::string()) +
             ", which does not exist";
  }
  return "the API key was refused";
}

// ---- Snapshot ----

std::size_t Snapshot::DigestHash::operator()(const SecretDigest& d) const noexcept {
  // A SHA-256 digest is already uniformly spread: its first bytes are a good hash.
  std::size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h);
  return h;
}

Snapshot::Snapshot(std::vector<Key> keys, std::vector<Team> teams)
    : keys_(std::move(keys)), teams_(std::move(teams)) {
  // Views into keys_ and teams_ are taken only now that neither vector will grow again.
  for (std::size_t i = 0; i < teams_.size(); ++i) {
    team_by_id_.try_emplace(teams_[i].id, static_cast<std::uint32_t>(i));
  }
  entries_.resize(keys_.size());
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const Key& key = keys_[i];
    KeyEntry& e = entries_[i];
    key_by_id_.try_emplace(key.id, static_cast<std::uint32_t>(i));
    e.key = &key;
    e.key_subject = "key:" + key.id;
    e.scopes = key.scopes;
    std::span<const std::string> team_regions;
    if (!key.team.empty()) {
      e.team = find_team(key.team);
      e.team_missing = e.team == nullptr;
    }
    if (e.team) {
      e.scopes &= e.team->scopes;
      team_regions = e.team->regions;
      e.team_subject = "team:" + e.team->id;
    }
    e.regions = effective_regions(key.regions, team_regions);
    for (std::size_t s = 0; s < key.secrets.size(); ++s) {
      auto digest = parse_secret_hash(key.secrets[s].hash);
      if (!digest) continue;
      by_secret_.try_emplace(*digest,
                             Hit{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(s)});
    }
  }
  // The subjects view strings inside entries_, which no longer moves.
  for (KeyEntry& e : entries_) {
    e.subjects[0] = {e.key_subject, e.key->limits, name_hash(e.key_subject)};
    e.subject_count = 1;
    if (e.team)
      e.subjects[e.subject_count++] = {e.team_subject, e.team->limits, name_hash(e.team_subject)};
  }
}

std::size_t Principal::budget_subjects(std::array<BudgetSubject, 2>& out) const noexcept {
  std::size_t n = 0;
  // The names and their hashes as the limiter's subjects hold them (the team's is second).
  const std::array<LimitSubject, 2>& s = entry_->subjects;
  if (entry_->key->budget.limit_micros > 0)
    out[n++] = {s[0].name, entry_->key->budget, s[0].name_hash};
  if (entry_->team && entry_->team->budget.limit_micros > 0)
    out[n++] = {s[1].name, entry_->team->budget, s[1].name_hash};
  return n;
}

AuthResult Snapshot::authenticate(std::string_view presented, std::int64_t now_ms) const {
  std::optional<Hit> found;
  return authenticate(presented, now_ms, found);
}

AuthResult Snapshot::authenticate(std::string_view presented, std::int64_t now_ms,
                                  std::optional<Hit>& found) const {
  found.reset();
  if (presented.empty()) return AuthResult(AuthRefusal::missing, nullptr);
  if (!looks_like_secret(presented)) return AuthResult(AuthRefusal::malformed, nullptr);
  // The lookup compares digests, not secrets: what an attacker could learn from its timing is
  // a prefix of a SHA-256 output, which says nothing about any secret.
  auto it = by_secret_.find(secret_digest(presented));
  if (it == by_secret_.end()) return AuthResult(AuthRefusal::unknown, nullptr);
  found = it->second;
  return admit(it->second, now_ms);
}

AuthResult Snapshot::admit(Hit hit, std::int64_t now_ms) const {
  const KeyEntry& e = entries_[hit.entry];
  const Key& key = *e.key;
  const KeySecret& secret = key.secrets[hit.secret];
  if (key.revoked_ms != 0 && now_ms >= key.revoked_ms) {
    return AuthResult(AuthRefusal::revoked, &key);
  }
  if (key.expires_ms != 0 && now_ms >= key.expires_ms) {
    return AuthResult(AuthRefusal::expired, &key);
  }
  if (secret.valid_until_ms != 0 && now_ms >= secret.valid_until_ms) {
    return AuthResult(AuthRefusal::rotated_out, &key);
  }
  if (e.team_missing) return AuthResult(AuthRefusal::team_missing, &key);
  return AuthResult(Principal(&e, &secret));
}

const Key* Snapshot::find_key(std::string_view id) const noexcept {
  auto it = key_by_id_.find(id);
  return it == key_by_id_.end() ? nullptr : &keys_[it->second];
}

const Team* Snapshot::find_team(std::string_view id) const noexcept {
  auto it = team_by_id_.find(id);
  return it == team_by_id_.end() ? nullptr : &teams_[it->second];
}

// ---- SecretMemo ----

namespace {

// Whether two texts of the same length are equal, in a time that depends on their length
// only: the OR of their bytes' differences, eight bytes at a time. Hand-written because
// OpenSSL's CRYPTO_memcmp, which the rest of the code uses, goes a byte at a time: 330
// instructions for a secret, where this takes about 40 (bench/instructions --money).
bool same_secret(std::string_view a, std::string_view b) noexcept {
  std::uint64_t diff = 0;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    diff |= x ^ y;
    __asm__ volatile("" : "+r"(diff));  // no early exit: the compiler cannot see diff's value
  }
  for (; i < a.size(); ++i)
    diff |= static_cast<std::uint64_t>(static_cast<unsigned char>(a[i]) ^
                                       static_cast<unsigned char>(b[i]));
  return diff == 0;
}

}  // namespace

SecretMemo::~SecretMemo() {
  forget();
}

void SecretMemo::forget() noexcept {
  for (Slot& slot : slots_) {
    if (slot.secret.empty()) continue;
    OPENSSL_cleanse(slot.secret.data(), slot.secret.size());
    slot.secret.clear();
  }
}

AuthResult SecretMemo::authenticate(const std::shared_ptr<const Snapshot>& snapshot,
                                    std::string_view presented, std::int64_t now_ms) {
  if (snapshot != snapshot_) {
    forget();
    snapshot_ = snapshot;
  }
  if (presented.empty()) return snapshot->authenticate(presented, now_ms);
  // The slot: by the secret's last 8 characters, which are random in every secret the
  // gateway makes, mixed (Fibonacci hashing) so that all their bits count.
  std::uint64_t tail = 0;
  if (presented.size() >= sizeof tail)
    std::memcpy(&tail, presented.data() + presented.size() - sizeof tail, sizeof tail);
  else
    tail = std::hash<std::string_view>{}(presented);
  Slot& slot = slots_[(tail * 0x9e3779b97f4a7c15ULL) >> (64 - kSlotBits)];
  if (slot.secret.size() == presented.size() && same_secret(slot.secret, presented)) {
    return snapshot->admit(slot.hit, now_ms);
  }
  std::optional<Snapshot::Hit> found;
  AuthResult result = snapshot->authenticate(presented, now_ms, found);
  if (found) {
    try {
      if (!slot.secret.empty()) OPENSSL_cleanse(slot.secret.data(), slot.secret.size());
      slot.secret.assign(presented);
      slot.hit = *found;
    } catch (...) {
      slot.secret.clear();  // out of memory: not remembered, nothing else changes
    }
  }
  return result;
}

}  // namespace tollbooth::access
