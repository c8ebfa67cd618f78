#include "admin/admin.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <limits>
#include <tuple>
#include <variant>
#include <vector>

#include "access/secret.hpp"
#include "admin/fields.hpp"
#include "admin/reports.hpp"
#include "admin/views.hpp"
#include "api/openai/errors.hpp"
#include "config/config.hpp"
#include "core/date.hpp"
#include "core/text.hpp"
#include "store/store.hpp"

// The admin operations. Each write builds the new record from the stored one, and hands it to
// the store together with its audit entry (the views before and after), so the record and its
// audit trail change in one transaction. Records declared in the config file are shown but
// never written: 409 declared_in_config.

namespace tollbooth::admin {
namespace {

constexpr std::size_t kDefaultAuditLimit = 100;
constexpr std::size_t kMaxAuditLimit = 1000;

Reply error_reply(const Error& e) {
  return Reply{http_status(e.kind), openai::error_body(e), false, {}};
}

Reply error_reply(ErrorKind kind, std::string message, std::string param = {},
                  std::string code = {}) {
  return error_reply(make_error(kind, std::move(message), std::move(param), std::move(code)));
}

Reply json_reply(int status, std::string body, bool changed = false) {
  return Reply{status, std::move(body), changed, {}};
}

// ---- the request line ------------------------------------------------------------------------

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (!path.empty()) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
    if (path.empty()) out.emplace_back();  // a trailing slash: an empty last segment
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Param {
  std::string name;
  std::string value;
};

// The query's parameters, each one of `known` (else a 400 naming it), each at most once.
Result<std::vector<Param>> read_query(std::string_view query,
                                      std::initializer_list<std::string_view> known) {
  std::vector<Param> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    Param p{percent_decode(part.substr(0, eq)),
            eq == std::string_view::npos ? std::string() : percent_decode(part.substr(eq + 1))};
    bool ok = false;
    for (auto k : known) ok = ok || k == p.name;
    std::string name = excerpt_client_text(p.name);
    if (!ok) {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return make_error(
          ErrorKind::invalid_request,
          known.size() == 0
              ? fmt::format("unknown query parameter \"{}\"; expected none", name)
              : fmt::format("unknown query parameter \"{}\"; expected some of: {}", name, list),
          name, "unknown_parameter");
    }
    for (const auto& seen : out) {
      if (seen.name == p.name)
        return make_error(ErrorKind::invalid_request,
                          fmt::format("query parameter {} is given twice; expected it once", name),
                          name, "invalid_value");
    }
    out.push_back(std::move(p));
  }
  return out;
}

const std::string* find_param(const std::vector<Param>& params, std::string_view name) {
  for (const auto& p : params)
    if (p.name == name) return &p.value;
  return nullptr;
}

// A whole number in [min, max] from a query parameter; `fallback` when absent.
Result<std::int64_t> count_param(const std::vector<Param>& params, std::string_view name,
                                 std::int64_t min, std::int64_t max, std::int64_t fallback) {
  const std::string* text = find_param(params, name);
  if (!text) return fallback;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc{} || end != text->data() + text->size() || text->empty() || n < min ||
      n > max) {
    return make_error(ErrorKind::invalid_request,
                      fmt::format("{}={} is not a whole number from {} to {}", name,
                                  excerpt_client_text(*text), min, max),
                      std::string(name), "invalid_value");
  }
  return n;
}

Result<bool> bool_param(const std::vector<Param>& params, std::string_view name) {
  const std::string* text = find_param(params, name);
  if (!text || *text == "false") return false;
  if (*text == "true" || text->empty()) return true;
  return make_error(ErrorKind::invalid_request,
                    fmt::format("{}={} is not true or false", name, excerpt_client_text(*text)),
                    std::string(name), "invalid_value");
}

// ---- records -------------------------------------------------------------------------------

struct Ctx {
  Store& store;
  const Config& config;
  const Call& call;

  access::AuditEntry audit(std::string action, std::string target, std::string before,
                           std::string after) const {
    return access::AuditEntry{0,
                              call.now_ms,
                              call.actor,
                              std::move(action),
                              std::move(target),
                              std::move(before),
                              std::move(after)};
  }
};

// A config-declared key as the API shows it: its secret by last four characters only.
access::Key shown_declared(const DeclaredKey& declared) {
  access::Key key = declared.key;
  key.from_config = true;
  if (key.secrets.empty() && !declared.secret.empty())
    key.secrets.push_back(access::KeySecret{{}, access::last4(declared.secret), 0, 0});
  for (auto& s : key.secrets) s.hash.clear();
  return key;
}

const DeclaredKey* declared_key(const Config& config, std::string_view id) {
  for (const auto& d : config.keys)
    if (d.key.id == id) return &d;
  return nullptr;
}

const access::Team* declared_team(const Config& config, std::string_view id) {
  for (const auto& t : config.teams)
    if (t.id == id) return &t;
  return nullptr;
}

Reply declared_in_config(std::string_view what, std::string_view id, const Config& config) {
  return error_reply(ErrorKind::conflict,
                     fmt::format("{} {} is declared in the config file {} and is read-only here; "
                                 "change it in the file",
                                 what, id, config.source_file),
                     {}, "declared_in_config");
}

Reply key_not_found(std::string_view id) {
  return error_reply(ErrorKind::not_found, fmt::format("no key {}", excerpt_client_text(id)), {},
                     "key_not_found");
}

Reply team_not_found(std::string_view id) {
  return error_reply(ErrorKind::not_found, fmt::format("no team {}", excerpt_client_text(id)), {},
                     "team_not_found");
}

Reply key_revoked(const access::Key& key) {
  return error_reply(ErrorKind::conflict,
                     fmt::format("key {} was revoked at {}; a revoked key cannot be changed",
                                 key.id, format_instant(key.revoked_ms)),
                     {}, "key_revoked");
}

// A team a key may name: declared in the config file or kept in the store. A declared team
// is not in the store (and cannot go while this config is loaded); any other is looked up by
// put_key in its own transaction, since a look made here could be undone by another process
// deleting the team before the write.
TeamCheck team_check(const Ctx& c, const std::string& team) {
  return team.empty() || declared_team(c.config, team) ? TeamCheck::none : TeamCheck::in_store;
}

Reply team_missing(const std::string& team) {
  return error_reply(ErrorKind::invalid_request,
                     fmt::format("team {} does not exist; create it first (POST /admin/v1/teams) "
                                 "or declare it in the config file",
                                 team),
                     "team", "team_not_found");
}

// ---- keys ----------------------------------------------------------------------------------

Reply list_keys(Ctx& c) {
  auto params = read_query(c.call.query, {"team", "include_revoked"});
  if (!params) return error_reply(params.error());
  auto include_revoked = bool_param(*params, "include_revoked");
  if (!include_revoked) return error_reply(include_revoked.error());
  const std::string* team = find_param(*params, "team");
  std::vector<access::Key> keys;
  auto wanted = [&](const access::Key& k) {
    return (!team || k.team == *team) && (*include_revoked || k.revoked_ms == 0);
  };
  for (const auto& d : c.config.keys)
    if (wanted(d.key)) keys.push_back(shown_declared(d));
  std::vector<access::Key> stored = c.store.load_keys();
  std::sort(stored.begin(), stored.end(), [](const access::Key& a, const access::Key& b) {
    return std::tie(a.created_ms, a.id) < std::tie(b.created_ms, b.id);
  });
  for (auto& k : stored)
    if (wanted(k)) keys.push_back(std::move(k));
  return json_reply(200, key_list(keys));
}

Reply show_key(Ctx& c, std::string_view id) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  if (const DeclaredKey* d = declared_key(c.config, id))
    return json_reply(200, key_view(shown_declared(*d)));
  auto key = c.store.find_key(std::string(id));
  if (!key) return key_not_found(id);
  return json_reply(200, key_view(*key));
}

Reply create_key(Ctx& c) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  auto fields = read_key_fields(c.call.body, c.call.now_ms);
  if (!fields) return error_reply(fields.error());
  access::Key key;
  key.id = access::new_key_id();
  // 64 random bits: a clash is next to impossible, but a silent overwrite would be worse.
  while (c.store.find_key(key.id)) key.id = access::new_key_id();
  key.metadata = "{}";
  apply(*fields, key);
  if (auto e = incomplete_budget(fields->budget, key.budget)) return error_reply(*e);
  key.created_ms = key.updated_ms = c.call.now_ms;
  std::string secret = access::generate_secret();
  key.secrets.push_back(
      access::KeySecret{access::hash_secret(secret), access::last4(secret), c.call.now_ms, 0});
  try {
    c.store.put_key(key, c.audit("key.create", "key:" + key.id, {}, key_view(key)),
                    team_check(c, key.team));
  } catch (const TeamMissing& e) {
    return team_missing(e.team());
  }
  return json_reply(201, key_with_secret(key, secret), true);
}

// The stored key `id` for a change, or the reply refusing it.
std::variant<access::Key, Reply> key_to_change(Ctx& c, std::string_view id) {
  if (declared_key(c.config, id)) return declared_in_config("key", id, c.config);
  auto key = c.store.find_key(std::string(id));
  if (!key) return key_not_found(id);
  return std::move(*key);
}

Reply update_key(Ctx& c, std::string_view id) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  auto found = key_to_change(c, id);
  if (auto* r = std::get_if<Reply>(&found)) return std::move(*r);
  access::Key& before = std::get<access::Key>(found);
  if (before.revoked_ms != 0) return key_revoked(before);
  auto fields = read_key_fields(c.call.body, c.call.now_ms);
  if (!fields) return error_reply(fields.error());
  access::Key after = before;
  apply(*fields, after);
  if (auto e = incomplete_budget(fields->budget, after.budget)) return error_reply(*e);
  if (after == before) return json_reply(200, key_view(after));
  after.updated_ms = c.call.now_ms;
  std::string after_view = key_view(after);
  // Naming the team the key already has is fine even if that team has gone since.
  TeamCheck check = after.team != before.team ? team_check(c, after.team) : TeamCheck::none;
  try {
    c.store.put_key(after, c.audit("key.update", "key:" + after.id, key_view(before), after_view),
                    check);
  } catch (const TeamMissing& e) {
    return team_missing(e.team());
  }
  return json_reply(200, std::move(after_view), true);
}

// Revoking is idempotent: a revoked key answers 200 with its view (its first revoked_at), and
// no second audit entry is written.
Reply revoke_key(Ctx& c, std::string_view id) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  if (auto body = read_empty_body(c.call.body); !body) return error_reply(body.error());
  auto found = key_to_change(c, id);
  if (auto* r = std::get_if<Reply>(&found)) return std::move(*r);
  access::Key& before = std::get<access::Key>(found);
  if (before.revoked_ms != 0) return json_reply(200, key_view(before));
  access::Key after = before;
  after.revoked_ms = after.updated_ms = c.call.now_ms;
  std::string after_view = key_view(after);
  c.store.put_key(after, c.audit("key.revoke", "key:" + after.id, key_view(before), after_view));
  return json_reply(200, std::move(after_view), true);
}

// A new current secret. The one it replaces stays valid for the grace period (with none, it
// ends now); secrets rotated out earlier whose grace has ended are dropped.
Reply rotate_key(Ctx& c, std::string_view id) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  auto grace_seconds = read_grace_seconds(c.call.body);
  if (!grace_seconds) return error_reply(grace_seconds.error());
  auto found = key_to_change(c, id);
  if (auto* r = std::get_if<Reply>(&found)) return std::move(*r);
  access::Key& before = std::get<access::Key>(found);
  if (before.revoked_ms != 0) return key_revoked(before);
  const std::int64_t now = c.call.now_ms;
  std::string secret = access::generate_secret();
  access::Key after = before;
  after.secrets.clear();
  after.secrets.push_back(
      access::KeySecret{access::hash_secret(secret), access::last4(secret), now, 0});
  for (access::KeySecret s : before.secrets) {
    if (s.valid_until_ms == 0) {
      // The one replaced: kept even with no grace (valid until now, so refused at once), so a
      // client still sending it is told it was rotated out rather than that it is unknown.
      s.valid_until_ms = now + *grace_seconds * 1000;
      after.secrets.push_back(std::move(s));
    } else if (s.valid_until_ms > now) {
      after.secrets.push_back(std::move(s));
    }
  }
  after.updated_ms = now;
  c.store.put_key(after,
                  c.audit("key.rotate", "key:" + after.id, key_view(before), key_view(after)));
  return json_reply(201, key_with_secret(after, secret), true);
}

// ---- teams ---------------------------------------------------------------------------------

Reply list_teams(Ctx& c) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  std::vector<access::Team> teams = c.config.teams;
  std::vector<access::Team> stored = c.store.load_teams();
  std::sort(stored.begin(), stored.end(),
            [](const access::Team& a, const access::Team& b) { return a.id < b.id; });
  // A team declared in the file shadows a stored one of the same name.
  for (auto& t : stored)
    if (!declared_team(c.config, t.id)) teams.push_back(std::move(t));
  return json_reply(200, team_list(teams));
}

Reply show_team(Ctx& c, std::string_view id) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  if (const access::Team* t = declared_team(c.config, id)) return json_reply(200, team_view(*t));
  auto team = c.store.find_team(std::string(id));
  if (!team) return team_not_found(id);
  return json_reply(200, team_view(*team));
}

Reply create_team(Ctx& c) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  auto fields = read_team_fields(c.call.body, true);
  if (!fields) return error_reply(fields.error());
  const std::string& id = *fields->id;
  if (declared_team(c.config, id)) return declared_in_config("team", id, c.config);
  if (c.store.find_team(id))
    return error_reply(ErrorKind::conflict, fmt::format("team {} exists already", id), "id",
                       "team_exists");
  access::Team team;
  team.metadata = "{}";
  apply(*fields, team);
  if (auto e = incomplete_budget(fields->budget, team.budget)) return error_reply(*e);
  team.created_ms = team.updated_ms = c.call.now_ms;
  std::string view = team_view(team);
  c.store.put_team(team, c.audit("team.create", "team:" + team.id, {}, view));
  return json_reply(201, std::move(view), true);
}

Reply update_team(Ctx& c, std::string_view id) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  if (declared_team(c.config, id)) return declared_in_config("team", id, c.config);
  auto before = c.store.find_team(std::string(id));
  if (!before) return team_not_found(id);
  auto fields = read_team_fields(c.call.body, false);
  if (!fields) return error_reply(fields.error());
  access::Team after = *before;
  apply(*fields, after);
  if (auto e = incomplete_budget(fields->budget, after.budget)) return error_reply(*e);
  if (after == *before) return json_reply(200, team_view(after));
  after.updated_ms = c.call.now_ms;
  std::string after_view = team_view(after);
  c.store.put_team(after,
                   c.audit("team.update", "team:" + after.id, team_view(*before), after_view));
  return json_reply(200, std::move(after_view), true);
}

// Refused while keys that are not revoked still name the team: deleting it would lock them out
// (the gateway refuses a key whose team does not exist). The store counts them in the deleting
// transaction, so a key another process gives the team meanwhile is counted too.
Reply delete_team(Ctx& c, std::string_view id) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  if (auto body = read_empty_body(c.call.body); !body) return error_reply(body.error());
  if (declared_team(c.config, id)) return declared_in_config("team", id, c.config);
  auto before = c.store.find_team(std::string(id));
  if (!before) return team_not_found(id);
  TeamDeletion done = c.store.delete_team(
      before->id, c.audit("team.delete", "team:" + before->id, team_view(*before), {}));
  switch (done.outcome) {
    case TeamDeletion::Outcome::deleted: break;
    case TeamDeletion::Outcome::not_found: return team_not_found(id);
    case TeamDeletion::Outcome::in_use: {
      std::int64_t n = done.keys_in_use;
      return error_reply(
          ErrorKind::conflict,
          fmt::format("team {} is named by {} key{} that {} not revoked; move or "
                      "revoke {} first",
                      id, n, n == 1 ? "" : "s", n == 1 ? "is" : "are", n == 1 ? "it" : "them"),
          {}, "team_in_use");
    }
  }
  return json_reply(200, team_deleted(before->id), true);
}

// ---- audit ---------------------------------------------------------------------------------

Reply list_audit(Ctx& c) {
  auto params = read_query(c.call.query, {"after", "limit"});
  if (!params) return error_reply(params.error());
  auto after = count_param(*params, "after", 0, std::numeric_limits<std::int64_t>::max(), 0);
  if (!after) return error_reply(after.error());
  auto limit = count_param(*params, "limit", 1, kMaxAuditLimit, kDefaultAuditLimit);
  if (!limit) return error_reply(limit.error());
  auto entries = c.store.audit(*after, static_cast<std::size_t>(*limit));
  return json_reply(200, audit_list(entries, *after));
}

// ---- reports -------------------------------------------------------------------------------

// An instant from a query parameter: a UTC date (its midnight) or an RFC 3339 instant.
Result<std::optional<std::int64_t>> instant_param(const std::vector<Param>& params,
                                                  std::string_view name) {
  const std::string* text = find_param(params, name);
  if (!text) return std::optional<std::int64_t>{};
  if (auto at = parse_instant(*text)) return std::optional<std::int64_t>{*at};
  return make_error(ErrorKind::invalid_request,
                    fmt::format("{}={} is not a date or an instant; expected 2026-12-01 or "
                                "2026-12-01T18:30:00Z",
                                name, excerpt_client_text(*text)),
                    std::string(name), "invalid_value");
}

// 00:00 UTC of the first day of the month that holds `now_ms`.
std::int64_t month_start(std::int64_t now_ms) {
  const std::string today = format_date(days_from_unix_ms(now_ms));  // "2026-12-15"
  const auto first = parse_date(today.substr(0, 8) + "01");
  return first ? std::int64_t{*first} * 86'400'000 : 0;
}

Reply spend_report(Ctx& c) {
  auto params = read_query(c.call.query, {"by", "over", "since", "until", "key", "team"});
  if (!params) return error_reply(params.error());
  SpendQuery q;
  if (const std::string* by = find_param(*params, "by")) {
    auto group = parse_spend_group(*by);
    if (!group)
      return error_reply(ErrorKind::invalid_request,
                         fmt::format("by={} is not a grouping; expected key, team, model, "
                                     "provider, contract, route or day",
                                     excerpt_client_text(*by)),
                         "by", "invalid_value");
    q.by = *group;
  }
  if (const std::string* over = find_param(*params, "over")) {
    auto bucket = parse_spend_bucket(*over);
    if (!bucket)
      return error_reply(ErrorKind::invalid_request,
                         fmt::format("over={} is not a time bucket; expected hour or day",
                                     excerpt_client_text(*over)),
                         "over", "invalid_value");
    q.over = *bucket;
  }
  auto since = instant_param(*params, "since");
  if (!since) return error_reply(since.error());
  auto until = instant_param(*params, "until");
  if (!until) return error_reply(until.error());
  q.since_ms = since->value_or(month_start(c.call.now_ms));
  if (*until) q.until_ms = **until;
  if (q.until_ms <= q.since_ms)
    return error_reply(ErrorKind::invalid_request,
                       fmt::format("until ({}) is not after since ({}); the report covers "
                                   "since <= time < until",
                                   format_instant(q.until_ms), format_instant(q.since_ms)),
                       "until", "invalid_value");
  if (const std::string* key = find_param(*params, "key")) q.key = *key;
  if (const std::string* team = find_param(*params, "team")) q.team = *team;
  SpendReport report = c.store.spend(q);
  return json_reply(200, spend_view(q, report));
}

Reply contracts_report(Ctx& c) {
  if (auto q = read_query(c.call.query, {}); !q) return error_reply(q.error());
  return json_reply(200, contracts_view(c.config, c.store.contract_accruals(), c.call.now_ms));
}

// ---- dispatch ------------------------------------------------------------------------------

Reply not_found(const Call& call) {
  return error_reply(
      ErrorKind::not_found,
      fmt::format("no admin endpoint {}{}; expected /keys, /teams, /audit, /spend or "
                  "/contracts",
                  kPathPrefix, excerpt_client_text(call.path)),
      {}, "unknown_path");
}

Reply wrong_method(const Call& call, std::string_view allowed) {
  Reply r = error_reply(
      ErrorKind::method_not_allowed,
      fmt::format("{} is not allowed on {}{}; expected {}", excerpt_client_text(call.method),
                  kPathPrefix, excerpt_client_text(call.path), allowed),
      {}, "method_not_allowed");
  // RFC 9110 §15.5.6: a 405 names what is allowed ("GET or PATCH" -> "GET, PATCH").
  std::string list(allowed);
  for (std::string_view sep : {" or ", ", "}) {
    for (auto at = list.find(sep); at != std::string::npos; at = list.find(sep, at + 2))
      list.replace(at, sep.size(), ", ");
  }
  r.allow = std::move(list);
  return r;
}

Reply dispatch(Ctx& c) {
  const Call& call = c.call;
  auto seg = split_path(call.path);
  std::string_view m = call.method;
  if (seg.empty()) return not_found(call);
  for (auto s : seg)
    if (s.empty()) return not_found(call);
  if (seg[0] == "keys") {
    if (seg.size() == 1) {
      if (m == "GET") return list_keys(c);
      if (m == "POST") return create_key(c);
      return wrong_method(call, "GET or POST");
    }
    std::string_view id = seg[1];
    if (seg.size() == 2) {
      if (m == "GET") return show_key(c, id);
      if (m == "PATCH") return update_key(c, id);
      return wrong_method(call, "GET or PATCH");
    }
    if (seg.size() == 3 && (seg[2] == "revoke" || seg[2] == "rotate")) {
      if (m != "POST") return wrong_method(call, "POST");
      return seg[2] == "revoke" ? revoke_key(c, id) : rotate_key(c, id);
    }
    return not_found(call);
  }
  if (seg[0] == "teams") {
    if (seg.size() == 1) {
      if (m == "GET") return list_teams(c);
      if (m == "POST") return create_team(c);
      return wrong_method(call, "GET or POST");
    }
    if (seg.size() == 2) {
      if (m == "GET") return show_team(c, seg[1]);
      if (m == "PATCH") return update_team(c, seg[1]);
      if (m == "DELETE") return delete_team(c, seg[1]);
      return wrong_method(call, "GET, PATCH or DELETE");
    }
    return not_found(call);
  }
  if (seg[0] == "audit" && seg.size() == 1) {
    if (m == "GET") return list_audit(c);
    return wrong_method(call, "GET");
  }
  if (seg[0] == "spend" && seg.size() == 1) {
    if (m == "GET") return spend_report(c);
    return wrong_method(call, "GET");
  }
  if (seg[0] == "contracts" && seg.size() == 1) {
    if (m == "GET") return contracts_report(c);
    return wrong_method(call, "GET");
  }
  return not_found(call);
}

}  // namespace

Reply handle(Store& store, const Config& config, const Call& call) {
  Ctx c{store, config, call};
  try {
    return dispatch(c);
  } catch (const StoreError& e) {
    // StoreError messages name the store and what failed, never a password.
    Error err = make_error(ErrorKind::unavailable, fmt::format("the store failed: {}", e.what()),
                           {}, "store_unavailable");
    err.retryable = true;
    return error_reply(err);
  } catch (const std::exception& e) {
    return error_reply(ErrorKind::internal, fmt::format("the admin operation failed: {}", e.what()),
                       {}, "internal_error");
  }
}

}  // namespace tollbooth::admin
