#include "admin/fields.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>
#include <system_error>

#include "config/config_values.hpp"
#include "core/date.hpp"
#include "core/money.hpp"
#include "core/text.hpp"

namespace tollbooth::admin {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxAliasBytes = 128;
constexpr std::size_t kMaxPatternBytes = 256;
constexpr std::size_t kMaxPatterns = 256;

Error invalid(std::string_view field, std::string message) {
  return make_error(ErrorKind::invalid_request, std::move(message), std::string(field),
                    "invalid_value");
}

const char* kind_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

Result<json::object> read_object(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    return make_error(
        ErrorKind::invalid_request,
        fmt::format("the body is not valid JSON ({}); expected a JSON object", ec.message()), {},
        "invalid_json");
  }
  if (!v.is_object()) {
    return make_error(ErrorKind::invalid_request,
                      fmt::format("the body is {}; expected a JSON object", kind_of(v)), {},
                      "invalid_json");
  }
  return std::move(v.as_object());
}

// The first field of `body` not in `known`, as a 400 naming it and listing the known ones.
std::optional<Error> unknown_field(const json::object& body,
                                   std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : body) {
    bool ok = false;
    for (auto k : known) ok = ok || k == name;
    if (ok) continue;
    std::string list;
    for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    std::string field = excerpt_client_text(name);
    return make_error(ErrorKind::invalid_request,
                      fmt::format("unknown field \"{}\"; expected one of: {}", field, list), field,
                      "unknown_field");
  }
  return std::nullopt;
}

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

Result<std::string> read_alias(std::string_view field, const json::value& v) {
  if (v.is_null()) return std::string();
  if (!v.is_string())
    return invalid(field, fmt::format("{} is {}; expected a string", field, kind_of(v)));
  std::string_view s = v.as_string();
  if (s.size() > kMaxAliasBytes || has_control(s))
    return invalid(field, fmt::format("{} is not a name: expected at most {} bytes without "
                                      "control characters",
                                      field, kMaxAliasBytes));
  return std::string(s);
}

Result<std::string> read_team_name(std::string_view field, const json::value& v, bool nullable) {
  if (v.is_null() && nullable) return std::string();
  if (!v.is_string())
    return invalid(field, fmt::format("{} is {}; expected a team name{}", field, kind_of(v),
                                      nullable ? " or null" : ""));
  std::string_view s = v.as_string();
  if (!valid_team_id(s))
    return invalid(field,
                   fmt::format("{} \"{}\" is not a team name; expected letters, digits, '_', "
                               "'.' and '-', 1 to 64 characters",
                               field, excerpt_client_text(s)));
  return std::string(s);
}

Result<access::ScopeSet> read_scopes(std::string_view field, const json::value& v) {
  if (!v.is_array())
    return invalid(field, fmt::format("{} is {}; expected an array of scope names like "
                                      "[\"chat\", \"models\"]",
                                      field, kind_of(v)));
  access::ScopeSet set = 0;
  for (const json::value& item : v.as_array()) {
    std::optional<access::Scope> scope;
    if (item.is_string()) scope = access::parse_scope(item.as_string());
    if (!scope) {
      std::string shown =
          item.is_string() ? "\"" + excerpt_client_text(std::string_view(item.as_string())) + "\""
                           : std::string(kind_of(item));
      return invalid(field,
                     fmt::format("{}: {} is not a scope; expected some of: chat, "
                                 "responses, embeddings, models, routing:explain, admin, metrics",
                                 field, shown));
    }
    set |= access::scope_bit(*scope);
  }
  return set;
}

// Model names or globs, or region globs: non-empty text without spaces (the config's rule).
Result<std::vector<std::string>> read_patterns(std::string_view field, const json::value& v,
                                               std::string_view what) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (!v.is_array())
    return invalid(field,
                   fmt::format("{} is {}; expected an array of {}", field, kind_of(v), what));
  const json::array& items = v.as_array();
  if (items.size() > kMaxPatterns)
    return invalid(field, fmt::format("{} has {} entries; expected at most {}", field, items.size(),
                                      kMaxPatterns));
  for (const json::value& item : items) {
    std::string_view s;
    if (item.is_string()) s = item.as_string();
    if (!item.is_string() || s.empty() || s.size() > kMaxPatternBytes ||
        s.find_first_of(" \t\r\n") != std::string_view::npos || has_control(s)) {
      std::string shown =
          item.is_string() ? "\"" + excerpt_client_text(s) + "\"" : std::string(kind_of(item));
      return invalid(field, fmt::format("{}: {} is not one of {} (non-empty, no spaces, at most "
                                        "{} bytes)",
                                        field, shown, what, kMaxPatternBytes));
    }
    out.emplace_back(s);
  }
  return out;
}

Result<std::int64_t> read_limit(std::string_view field, const json::value& v) {
  if (v.is_null()) return std::int64_t{0};
  std::optional<std::int64_t> n;
  if (v.is_int64() && v.get_int64() >= 0 && v.get_int64() <= kMaxLimit) n = v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(kMaxLimit))
    n = static_cast<std::int64_t>(v.get_uint64());
  if (!n)
    return invalid(field,
                   fmt::format("{} is {}; expected a whole number from 0 (unlimited) to "
                               "{}, or null",
                               field, v.is_number() ? json::serialize(v) : kind_of(v), kMaxLimit));
  return *n;
}

Result<std::int64_t> read_expires(std::string_view field, const json::value& v,
                                  std::int64_t now_ms) {
  if (v.is_null()) return std::int64_t{0};
  std::optional<std::int64_t> at;
  if (v.is_string()) at = parse_instant(v.as_string());
  if (!at) {
    std::string shown = v.is_string()
                            ? "\"" + excerpt_client_text(std::string_view(v.as_string())) + "\""
                            : std::string(kind_of(v));
    return invalid(field, fmt::format("{} is {}; expected a date or an instant like "
                                      "\"2027-01-01\" or \"2027-01-01T12:00:00Z\", or null",
                                      field, shown));
  }
  if (*at <= now_ms)
    return invalid(field, fmt::format("{} {} is not in the future (now is {})", field,
                                      format_instant(*at), format_instant(now_ms)));
  return *at;
}

Result<std::string> read_metadata(std::string_view field, const json::value& v) {
  if (v.is_null()) return std::string("{}");
  if (!v.is_object())
    return invalid(field, fmt::format("{} is {}; expected a JSON object", field, kind_of(v)));
  std::string text = json::serialize(v);
  if (text.size() > kMaxMetadataBytes)
    return invalid(field, fmt::format("{} is {} bytes as JSON; expected at most {}", field,
                                      text.size(), kMaxMetadataBytes));
  return text;
}

// A non-negative decimal with at most `scale` digits after the point, from a JSON string
// ("12.5") or number (12.5), as an exact count of 10^-scale units. A number is read back
// through its shortest decimal form, which is what was written for any value of at most 15
// significant digits, so 0.1 is 100000 micro-dollars, not 99999. `shown` gets what to quote
// in a message.
std::optional<std::int64_t> read_exact_decimal(const json::value& v, int scale,
                                               std::string& shown) {
  std::string text;
  if (v.is_string()) {
    text = std::string(v.as_string());
    shown = "\"" + excerpt_client_text(text) + "\"";
  } else if (v.is_int64()) {
    text = std::to_string(v.get_int64());
    shown = text;
  } else if (v.is_uint64()) {
    text = std::to_string(v.get_uint64());
    shown = text;
  } else if (v.is_double()) {
    char buf[400];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double(), std::chars_format::fixed);
    if (ec != std::errc{}) return std::nullopt;
    text.assign(buf, end);
    shown = text;
  } else {
    shown = kind_of(v);
    return std::nullopt;
  }
  return config_detail::parse_decimal(text, scale);
}

// A percentage (0 to max_bp basis points, at most two decimals) as basis points.
Result<std::int32_t> read_percent(std::string_view field, const json::value& v,
                                  std::int32_t max_bp) {
  if (v.is_null()) return std::int32_t{0};
  std::string shown;
  auto bp = read_exact_decimal(v, 2, shown);
  if (!bp || *bp > max_bp)
    return invalid(field, fmt::format("{} is {}; expected a percentage from 0 to {} with at most "
                                      "two decimals, like 80 or 12.5, or null",
                                      field, shown, max_bp / 100));
  return static_cast<std::int32_t>(*bp);
}

Result<BudgetFields> read_budget(std::string_view field, const json::value& v) {
  BudgetFields out;
  if (v.is_null()) {
    out.remove = true;
    return out;
  }
  if (!v.is_object())
    return invalid(field, fmt::format("{} is {}; expected an object like {{\"usd\": \"50\", "
                                      "\"per\": \"month\", \"soft_percent\": 80}}, or null",
                                      field, kind_of(v)));
  for (const auto& [name_sv, member] : v.as_object()) {
    std::string_view name = name_sv;
    const std::string where = fmt::format("{}.{}", field, excerpt_client_text(name));
    if (name == "usd") {
      std::string shown;
      auto micros = read_exact_decimal(member, 6, shown);
      if (!micros || *micros > kMaxBudgetDollars * kMicrosPerDollar)
        return invalid(where, fmt::format("{} is {}; expected an amount of dollars like \"50\" or "
                                          "\"12.5\" (at most six decimals, at most {})",
                                          where, shown, kMaxBudgetDollars));
      if (*micros == 0)
        return invalid(where, fmt::format("{} is 0; a budget needs an amount above 0 (to remove "
                                          "the budget, set {} to null)",
                                          where, field));
      out.limit_micros = *micros;
    } else if (name == "per") {
      std::optional<access::BudgetPeriod> per;
      if (member.is_string()) per = access::parse_budget_period(member.as_string());
      if (!per) {
        std::string shown =
            member.is_string()
                ? "\"" + excerpt_client_text(std::string_view(member.as_string())) + "\""
                : std::string(kind_of(member));
        return invalid(where,
                       fmt::format("{} is {}; expected day, week, month or total", where, shown));
      }
      out.per = *per;
    } else if (name == "soft_percent") {
      auto bp = read_percent(where, member, 10'000);
      if (!bp) return std::move(bp).error();
      out.soft_bp = *bp;
    } else {
      return make_error(ErrorKind::invalid_request,
                        fmt::format("unknown field \"{}\"; expected some of: usd, per, "
                                    "soft_percent",
                                    where),
                        where, "unknown_field");
    }
  }
  return out;
}

// Reads one field into `out` through `read`, or returns the reader's error.
template <class T, class Read>
std::optional<Error> take(std::optional<T>& out, Read&& read) {
  auto r = read();
  if (!r) return std::move(r).error();
  out = std::move(*r);
  return std::nullopt;
}

}  // namespace

bool valid_team_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<KeyFields> read_key_fields(std::string_view body, std::int64_t now_ms) {
  auto object = read_object(body);
  if (!object) return std::move(object).error();
  if (auto e = unknown_field(*object, {"alias", "team", "scopes", "models", "regions", "rpm", "tpm",
                                       "max_parallel", "budget", "expires_at", "metadata"}))
    return std::move(*e);
  KeyFields f;
  for (const auto& [name_sv, v] : *object) {
    std::string_view name = name_sv;
    std::optional<Error> e;
    if (name == "alias") e = take(f.alias, [&] { return read_alias(name, v); });
    if (name == "team") e = take(f.team, [&] { return read_team_name(name, v, true); });
    if (name == "scopes") e = take(f.scopes, [&] { return read_scopes(name, v); });
    if (name == "models")
      e = take(f.models, [&] { return read_patterns(name, v, "model names or globs"); });
    if (name == "regions")
      e = take(f.regions, [&] { return read_patterns(name, v, "region globs like \"us-*\""); });
    if (name == "rpm") e = take(f.rpm, [&] { return read_limit(name, v); });
    if (name == "tpm") e = take(f.tpm, [&] { return read_limit(name, v); });
    if (name == "max_parallel") e = take(f.max_parallel, [&] { return read_limit(name, v); });
    if (name == "expires_at") e = take(f.expires_ms, [&] { return read_expires(name, v, now_ms); });
    if (name == "metadata") e = take(f.metadata, [&] { return read_metadata(name, v); });
    if (name == "budget") e = take(f.budget, [&] { return read_budget(name, v); });
    if (e) return std::move(*e);
  }
  return f;
}

Result<TeamFields> read_team_fields(std::string_view body, bool create) {
  auto object = read_object(body);
  if (!object) return std::move(object).error();
  std::optional<Error> unknown =
      create ? unknown_field(*object, {"id", "scopes", "models", "regions", "rpm", "tpm",
                                       "max_parallel", "budget", "markup_percent", "metadata"})
             : unknown_field(*object, {"scopes", "models", "regions", "rpm", "tpm", "max_parallel",
                                       "budget", "markup_percent", "metadata"});
  if (unknown) {
    if (!create && unknown->param == "id")
      unknown->message = "a team's id cannot be changed; create a new team instead";
    return std::move(*unknown);
  }
  TeamFields f;
  for (const auto& [name_sv, v] : *object) {
    std::string_view name = name_sv;
    std::optional<Error> e;
    if (name == "id") e = take(f.id, [&] { return read_team_name(name, v, false); });
    if (name == "scopes") e = take(f.scopes, [&] { return read_scopes(name, v); });
    if (name == "models")
      e = take(f.models, [&] { return read_patterns(name, v, "model names or globs"); });
    if (name == "regions")
      e = take(f.regions, [&] { return read_patterns(name, v, "region globs like \"us-*\""); });
    if (name == "rpm") e = take(f.rpm, [&] { return read_limit(name, v); });
    if (name == "tpm") e = take(f.tpm, [&] { return read_limit(name, v); });
    if (name == "max_parallel") e = take(f.max_parallel, [&] { return read_limit(name, v); });
    if (name == "metadata") e = take(f.metadata, [&] { return read_metadata(name, v); });
    if (name == "budget") e = take(f.budget, [&] { return read_budget(name, v); });
    if (name == "markup_percent")
      e = take(f.markup_bp, [&] { return read_percent(name, v, kMaxMarkupBp); });
    if (e) return std::move(*e);
  }
  if (create && !f.id)
    return make_error(ErrorKind::invalid_request,
                      "id is missing; expected the team's name (letters, digits, '_', '.' and "
                      "'-', 1 to 64 characters)",
                      "id", "missing_field");
  return f;
}

Result<std::int64_t> read_grace_seconds(std::string_view body) {
  auto object = read_object(body);
  if (!object) return std::move(object).error();
  if (auto e = unknown_field(*object, {"grace_seconds"})) return std::move(*e);
  const json::value* v = object->if_contains("grace_seconds");
  if (!v || v->is_null()) return std::int64_t{0};
  std::optional<std::int64_t> n;
  if (v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= kMaxGraceSeconds)
    n = v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(kMaxGraceSeconds))
    n = static_cast<std::int64_t>(v->get_uint64());
  if (!n)
    return invalid(
        "grace_seconds",
        fmt::format("grace_seconds is {}; expected a whole number of seconds from 0 "
                    "to {} (30 days)",
                    v->is_number() ? json::serialize(*v) : kind_of(*v), kMaxGraceSeconds));
  return *n;
}

Result<Ok> read_empty_body(std::string_view body) {
  auto object = read_object(body);
  if (!object) return std::move(object).error();
  if (auto e = unknown_field(*object, {})) {
    e->message = fmt::format("unknown field \"{}\"; expected no fields", e->param);
    return std::move(*e);
  }
  return Ok{};
}

namespace {

void apply(const std::optional<BudgetFields>& f, access::Budget& budget) {
  if (!f) return;
  if (f->remove) {
    budget = access::Budget{};
    return;
  }
  if (f->limit_micros) budget.limit_micros = *f->limit_micros;
  if (f->per) budget.per = *f->per;
  if (f->soft_bp) budget.soft_bp = *f->soft_bp;
}

}  // namespace

std::optional<Error> incomplete_budget(const std::optional<BudgetFields>& fields,
                                       const access::Budget& result) {
  if (!fields || fields->remove || result.limit_micros > 0) return std::nullopt;
  return make_error(ErrorKind::invalid_request,
                    "budget.usd is missing: there is no budget to change yet, so the amount is "
                    "needed; expected {\"usd\": \"50\", \"per\": \"month\"}",
                    "budget.usd", "missing_field");
}

void apply(const KeyFields& f, access::Key& key) {
  if (f.alias) key.alias = *f.alias;
  if (f.team) key.team = *f.team;
  if (f.scopes) key.scopes = *f.scopes;
  if (f.models) key.models = *f.models;
  if (f.regions) key.regions = *f.regions;
  if (f.rpm) key.limits.rpm = *f.rpm;
  if (f.tpm) key.limits.tpm = *f.tpm;
  if (f.max_parallel) key.limits.max_parallel = *f.max_parallel;
  if (f.expires_ms) key.expires_ms = *f.expires_ms;
  if (f.metadata) key.metadata = *f.metadata;
  apply(f.budget, key.budget);
}

void apply(const TeamFields& f, access::Team& team) {
  if (f.id) team.id = *f.id;
  if (f.scopes) team.scopes = *f.scopes;
  if (f.models) team.models = *f.models;
  if (f.regions) team.regions = *f.regions;
  if (f.rpm) team.limits.rpm = *f.rpm;
  if (f.tpm) team.limits.tpm = *f.tpm;
  if (f.max_parallel) team.limits.max_parallel = *f.max_parallel;
  if (f.metadata) team.metadata = *f.metadata;
  apply(f.budget, team.budget);
  if (f.markup_bp) team.markup_bp = *f.markup_bp;
}

}  // namespace tollbooth::admin
