#pragma once
// The request path's view of keys and teams: an immutable Snapshot built from the records (the
// store's keys and the config's, merged by the caller) and replaced whole when they change.
// Authentication hashes the presented secret once and looks it up in one hash map; everything
// a request then asks (scopes, models, regions, its limit subjects) was worked out when the
// snapshot was built, so the checks allocate nothing.
//
// Thread safety: a Snapshot is never changed after construction; any number of threads may
// use one at once. Principals and AuthResults point into it: keep the Snapshot (its
// shared_ptr) alive for as long as they are used.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "access/budget.hpp"
#include "access/limiter.hpp"
#include "access/records.hpp"
#include "access/secret.hpp"

namespace tollbooth::access {

// Why a presented secret was refused, in the order the checks run.
enum class AuthRefusal : std::uint8_t {
  missing,       // nothing presented
  malformed,     // not of the secret's form (looks_like_secret): never hashed
  unknown,       // no key has this secret
  revoked,       // the key was revoked (revoked_ms != 0 and now >= revoked_ms)
  expired,       // the key expired (expires_ms != 0 and now >= expires_ms)
  rotated_out,   // this secret was replaced and its grace ended (now >= valid_until_ms)
  team_missing,  // the key names a team that does not exist
};
std::string_view auth_refusal_name(AuthRefusal r) noexcept;  // "missing", "rotated_out", ...

// Who refuses a scope or a model.
enum class Denied : std::uint8_t { no, by_key, by_team };

// The pattern effective_regions returns when the key's and the team's regions have nothing in
// common: it matches no region, so the planner refuses every route ([] would mean "all").
inline constexpr std::string_view kNoRegion = "";

// The region restriction of a key in a team, as the planner takes it (globs; empty = every
// region):
// - neither side lists regions: empty;
// - one side does: that side's list;
// - both do: every pattern of either side that some pattern of the other side covers
//   (glob_covers: each region it matches, the other side admits too), the key's first, no
//   repeats. Key [us-east-*] with team [us-*] gives [us-east-*]; key [us-*, eu-west-1] with
//   team [eu-*] gives [eu-west-1]. Every region the result admits is admitted by both sides.
//   Pairs that overlap without either covering the other ("us-*" and "*-east-1") are left out:
//   the rule errs towards the narrower restriction, never the wider. Nothing left: [kNoRegion].
std::vector<std::string> effective_regions(std::span<const std::string> key_regions,
                                           std::span<const std::string> team_regions);

// What a snapshot works out once per key.
struct KeyEntry {
  const Key* key = nullptr;
  const Team* team = nullptr;  // nullptr: no team, or a missing one (team_missing)
  bool team_missing = false;
  ScopeSet scopes = 0;               // key.scopes & team.scopes
  std::vector<std::string> regions;  // effective_regions(key, team)
  std::string key_subject;           // "key:<id>"
  std::string team_subject;          // "team:<id>"
  // Views of the two strings above, with limits and their names' hashes (worked out once; the
  // budgets' subjects take the hashes from here).
  std::array<LimitSubject, 2> subjects{};
  std::uint8_t subject_count = 0;
};

// An authenticated caller: a key (and its team) inside a Snapshot. Two pointers; copy freely.
class Principal {
 public:
  const Key& key() const noexcept { return *entry_->key; }
  const Team* team() const noexcept { return entry_->team; }     // nullptr: no team
  const KeySecret& secret() const noexcept { return *secret_; }  // the one presented

  ScopeSet scopes() const noexcept { return entry_->scopes; }  // key.scopes & team.scopes
  const Limits& key_limits() const noexcept { return entry_->key->limits; }
  // The key's subject, then the team's, with their limits: what Limiter::admit takes.
  std::span<const LimitSubject> limit_subjects() const noexcept {
    return {entry_->subjects.data(), entry_->subject_count};
  }

  // The key's and the team's budgets, those that are set (limit > 0), named as the limiter's
  // subjects are: what BudgetBook::admit takes. Returns how many were written to `out`.
  std::size_t budget_subjects(std::array<BudgetSubject, 2>& out) const noexcept;

  Denied check_scope(Scope s) const noexcept;
  bool may_use_scope(Scope s) const noexcept { return check_scope(s) == Denied::no; }
  // Both the key's and the team's model lists must allow the model (empty lists allow all).
  Denied check_model(std::string_view model) const noexcept;
  bool may_use_model(std::string_view model) const noexcept {
    return check_model(model) == Denied::no;
  }
  // For the planner's allowed_regions (effective_regions of the key and its team).
  const std::vector<std::string>& allowed_regions() const noexcept { return entry_->regions; }

  // The refusal in words, naming the rule; empty when allowed. "key key_0123456789abcdef may
  // not use scope admin", "team research does not allow model gpt-5" (the model as an
  // excerpt: client text).
  std::string explain_scope(Scope s) const;
  std::string explain_model(std::string_view model) const;

 private:
  friend class Snapshot;
  friend class AuthResult;
  Principal(const KeyEntry* entry, const KeySecret* secret) noexcept
      : entry_(entry), secret_(secret) {}
  const KeyEntry* entry_;
  const KeySecret* secret_;
};

class AuthResult {
 public:
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  // Only when ok().
  const Principal& principal() const noexcept { return principal_; }
  // Only when !ok().
  AuthRefusal refusal() const noexcept { return refusal_; }
  // The key a refusal is about (revoked, expired, rotated_out, team_missing), for logs and the
  // audit trail; nullptr when the secret matched no key.
  const Key* key() const noexcept { return refused_key_; }
  // "key key_0123456789abcdef expired", "the API key is not known". Never quotes the secret.
  std::string describe() const;

 private:
  friend class Snapshot;
  AuthResult(AuthRefusal r, const Key* key) noexcept
      : principal_(nullptr, nullptr), refused_key_(key), refusal_(r) {}
  explicit AuthResult(Principal p) noexcept : principal_(p), ok_(true) {}

  Principal principal_;
  const Key* refused_key_ = nullptr;
  AuthRefusal refusal_ = AuthRefusal::unknown;
  bool ok_ = false;
};

class Snapshot {
 public:
  Snapshot() = default;  // no keys: every secret is unknown
  // Keys whose stored hashes are not 64 hex digits are kept (find_key) but no secret of theirs
  // matches. When two secrets have the same hash or two teams the same id, the first wins.
  Snapshot(std::vector<Key> keys, std::vector<Team> teams);
  Snapshot(const Snapshot&) = delete;  // Principals point into it
  Snapshot& operator=(const Snapshot&) = delete;
  Snapshot(Snapshot&&) noexcept = default;  // moves keep every element where it is
  Snapshot& operator=(Snapshot&&) noexcept = default;

  // The presented secret (the bearer token, nothing around it) at now_ms. One SHA-256 of the
  // secret and one map lookup; garbage is refused before hashing.
  AuthResult authenticate(std::string_view presented_secret, std::int64_t now_ms) const;

  // Where a secret was found: its key's entry and which of the key's secrets it is.
  struct Hit {
    std::uint32_t entry;
    std::uint32_t secret;
  };
  // authenticate, also saying where the secret was found (when it was: the result may still
  // be a refusal, for a revoked key say).
  AuthResult authenticate(std::string_view presented_secret, std::int64_t now_ms,
                          std::optional<Hit>& found) const;
  // authenticate's checks for a secret found at `hit`: revoked, expired, rotated out, team.
  AuthResult admit(Hit hit, std::int64_t now_ms) const;

  const Key* find_key(std::string_view id) const noexcept;
  const Team* find_team(std::string_view id) const noexcept;
  std::span<const Key> keys() const noexcept { return keys_; }
  std::span<const Team> teams() const noexcept { return teams_; }

 private:
  struct DigestHash {
    std::size_t operator()(const SecretDigest& d) const noexcept;
  };
  std::vector<Key> keys_;
  std::vector<Team> teams_;
  std::vector<KeyEntry> entries_;  // parallel to keys_
  std::unordered_map<SecretDigest, Hit, DigestHash> by_secret_;
  std::unordered_map<std::string_view, std::uint32_t> key_by_id_;   // views of keys_' ids
  std::unordered_map<std::string_view, std::uint32_t> team_by_id_;  // views of teams_' ids
};

// A worker's memory of the secrets it found in one Snapshot, so that a key's next request
// skips the SHA-256 and the map lookup (about a sixth of what keys, limits and budgets add to a
// request): a presented secret equal, compared in constant time, to one remembered is where it
// was found before, and only the checks that depend on the time run again. Only secrets the
// snapshot knows are remembered, so made-up ones cannot push a key out; a slot is chosen by
// the secret's last characters, a later secret taking the slot of an earlier one.
//
// The secrets themselves are kept, in this worker's memory only (they are never logged or
// sent anywhere), and wiped when the memo moves to another snapshot or is destroyed. Not
// thread-safe: one per worker.
class SecretMemo {
 public:
  static constexpr int kSlotBits = 6;
  static constexpr std::size_t kSlots = std::size_t{1} << kSlotBits;

  SecretMemo() = default;
  SecretMemo(const SecretMemo&) = delete;
  SecretMemo& operator=(const SecretMemo&) = delete;
  ~SecretMemo();

  // What snapshot->authenticate(presented, now_ms) says. The memo keeps `snapshot` alive
  // until it is given another.
  AuthResult authenticate(const std::shared_ptr<const Snapshot>& snapshot,
                          std::string_view presented, std::int64_t now_ms);

 private:
  struct Slot {
    std::string secret;  // empty: free
    Snapshot::Hit hit{};
  };
  void forget() noexcept;

  std::shared_ptr<const Snapshot> snapshot_;
  std::array<Slot, kSlots> slots_;
};

}  // namespace tollbooth::access
