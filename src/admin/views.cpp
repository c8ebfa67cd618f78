#include "admin/views.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "core/date.hpp"
#include "core/money.hpp"

namespace tollbooth::admin {
namespace {

namespace json = boost::json;

json::value instant_or_null(std::int64_t ms) {
  if (ms == 0) return nullptr;
  return json::string(format_instant(ms));
}

json::value text_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::string(s);
}

json::array scope_names(access::ScopeSet scopes) {
  json::array out;
  for (std::size_t i = 0; i < access::kScopeCount; ++i) {
    auto scope = static_cast<access::Scope>(i);
    if (scopes & access::scope_bit(scope)) out.emplace_back(access::scope_name(scope));
  }
  return out;
}

json::array strings(const std::vector<std::string>& list) {
  json::array out;
  for (const auto& s : list) out.emplace_back(s);
  return out;
}

// Stored metadata is JSON object text the API wrote; anything else shows as {}.
json::value metadata(const std::string& text) {
  if (text.empty()) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return json::object{};
  return v;
}

// A stored view (audit before/after): JSON, or null when empty or unreadable.
json::value stored_json(const std::string& text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return nullptr;
  return v;
}

// A percentage as a JSON number: whole ones as integers (80), others as the nearest double
// (12.5), whose shortest form is the two-decimal value it came from.
json::value percent_value(std::int64_t basis_points) {
  if (basis_points % 100 == 0) return basis_points / 100;
  return static_cast<double>(basis_points) / 100.0;
}

json::value budget_value(const access::Budget& b) {
  if (b.limit_micros <= 0) return nullptr;
  json::object o;
  o.emplace("usd", format_dollars(b.limit_micros));
  o.emplace("limit_micros", b.limit_micros);
  o.emplace("per", access::budget_period_name(b.per));
  o.emplace("soft_percent", b.soft_bp > 0 ? percent_value(b.soft_bp) : json::value(nullptr));
  return o;
}

void put_limits(json::object& o, const access::Limits& limits) {
  o.emplace("rpm", limits.rpm);
  o.emplace("tpm", limits.tpm);
  o.emplace("max_parallel", limits.max_parallel);
}

json::object key_object(const access::Key& key) {
  json::object o;
  o.reserve(20);
  o.emplace("id", key.id);
  o.emplace("object", "key");
  o.emplace("alias", text_or_null(key.alias));
  o.emplace("team", text_or_null(key.team));
  o.emplace("scopes", scope_names(key.scopes));
  o.emplace("models", strings(key.models));
  o.emplace("regions", strings(key.regions));
  put_limits(o, key.limits);
  o.emplace("budget", budget_value(key.budget));
  o.emplace("expires_at", instant_or_null(key.expires_ms));
  o.emplace("metadata", metadata(key.metadata));
  o.emplace("created_at", instant_or_null(key.created_ms));
  o.emplace("updated_at", instant_or_null(key.updated_ms));
  o.emplace("revoked_at", instant_or_null(key.revoked_ms));
  json::array secrets;
  for (const auto& s : key.secrets) {
    // Only what tells secrets apart and when they end: never the hash.
    json::object so;
    so.emplace("last4", s.last4);
    so.emplace("created_at", instant_or_null(s.created_ms));
    so.emplace("valid_until", instant_or_null(s.valid_until_ms));
    secrets.emplace_back(std::move(so));
  }
  o.emplace("secrets", std::move(secrets));
  o.emplace("source", key.from_config ? "config" : "store");
  return o;
}

json::object team_object(const access::Team& team) {
  json::object o;
  o.reserve(14);
  o.emplace("id", team.id);
  o.emplace("object", "team");
  o.emplace("scopes", scope_names(team.scopes));
  o.emplace("models", strings(team.models));
  o.emplace("regions", strings(team.regions));
  put_limits(o, team.limits);
  o.emplace("budget", budget_value(team.budget));
  o.emplace("markup_percent", percent_value(team.markup_bp));
  o.emplace("metadata", metadata(team.metadata));
  o.emplace("created_at", instant_or_null(team.created_ms));
  o.emplace("updated_at", instant_or_null(team.updated_ms));
  o.emplace("source", team.from_config ? "config" : "store");
  return o;
}

std::string list_of(json::array data) {
  json::object o;
  o.emplace("object", "list");
  o.emplace("data", std::move(data));
  return json::serialize(o);
}

}  // namespace

std::string format_percent(std::int64_t basis_points) {
  const bool negative = basis_points < 0;
  const std::uint64_t v = negative ? 0 - static_cast<std::uint64_t>(basis_points)
                                   : static_cast<std::uint64_t>(basis_points);
  std::string fraction = fmt::format("{:02}", v % 100);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return fmt::format("{}{}{}{}", negative ? "-" : "", v / 100, fraction.empty() ? "" : ".",
                     fraction);
}

std::string key_view(const access::Key& key) {
  return json::serialize(key_object(key));
}

std::string team_view(const access::Team& team) {
  return json::serialize(team_object(team));
}

std::string team_deleted(std::string_view id) {
  json::object o;
  o.emplace("id", id);
  o.emplace("object", "team");
  o.emplace("deleted", true);
  return json::serialize(o);
}

std::string key_with_secret(const access::Key& key, std::string_view secret) {
  json::object o;
  o.emplace("key", key_object(key));
  o.emplace("secret", secret);
  return json::serialize(o);
}

std::string key_list(const std::vector<access::Key>& keys) {
  json::array data;
  data.reserve(keys.size());
  for (const auto& k : keys) data.emplace_back(key_object(k));
  return list_of(std::move(data));
}

std::string team_list(const std::vector<access::Team>& teams) {
  json::array data;
  data.reserve(teams.size());
  for (const auto& t : teams) data.emplace_back(team_object(t));
  return list_of(std::move(data));
}

std::string audit_list(const std::vector<access::AuditEntry>& entries, std::int64_t after_id) {
  json::array data;
  data.reserve(entries.size());
  std::int64_t last_id = after_id;
  for (const auto& e : entries) {
    json::object o;
    o.reserve(8);
    o.emplace("id", e.id);
    o.emplace("object", "audit_entry");
    o.emplace("at", instant_or_null(e.at_ms));
    o.emplace("actor", e.actor);
    o.emplace("action", e.action);
    o.emplace("target", e.target);
    o.emplace("before", stored_json(e.before));
    o.emplace("after", stored_json(e.after));
    data.emplace_back(std::move(o));
    last_id = std::max(last_id, e.id);
  }
  json::object o;
  o.emplace("object", "list");
  o.emplace("data", std::move(data));
  o.emplace("last_id", last_id);
  return json::serialize(o);
}

}  // namespace tollbooth::admin
