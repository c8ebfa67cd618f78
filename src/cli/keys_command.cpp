#include "cli/keys_command.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "access/secret.hpp"
#include "admin/admin.hpp"
#include "admin/fields.hpp"
#include "admin/views.hpp"
#include "cli/admin_call.hpp"
#include "cli/table.hpp"
#include "config/config.hpp"
#include "config/config_values.hpp"
#include "core/date.hpp"
#include "core/money.hpp"
#include "store/store.hpp"

namespace tollbooth::cli {
namespace {

namespace json = boost::json;

// The flags that become fields of a key's or a team's body; unset flags are left out.
struct RecordFlags {
  std::optional<std::string> alias;
  std::optional<std::string> team;
  std::optional<std::string> scopes;
  std::optional<std::string> models;
  std::optional<std::string> regions;
  std::optional<std::int64_t> rpm;
  std::optional<std::int64_t> tpm;
  std::optional<std::int64_t> max_parallel;
  std::optional<std::string> expires;
  std::optional<std::string> metadata;
  std::optional<std::string> budget;  // "50/month", "12.5", "none"
  std::optional<std::string> soft;    // "80%", "none"
  std::optional<std::string> markup;  // "10%", "none" (teams)
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    auto first = item.find_first_not_of(" \t");
    auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos) out.push_back(item.substr(first, last - first + 1));
  }
  return out;
}

json::array list_value(const std::string& text) {
  json::array out;
  for (const auto& item : split_list(text)) out.emplace_back(item);
  return out;
}

// "30s", "10m", "1h", "7d", or plain seconds; nullopt when it is none of these.
std::optional<std::int64_t> duration_seconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9 || text.size() - digits > 1) return std::nullopt;
  std::int64_t n = std::stoll(text.substr(0, digits));
  if (digits == text.size()) return n;
  switch (text.back()) {
    case 's': return n;
    case 'm': return n * 60;
    case 'h': return n * 3600;
    case 'd': return n * 86'400;
    default: return std::nullopt;
  }
}

// A percentage flag ("80%", "12.5", "none" or "0" for none) as the decimal text the admin API
// takes; nullopt (after a message) when it is not one from 0 to max_percent with at most two
// decimals.
std::optional<std::string> percent_flag(std::string_view flag, const std::string& value,
                                        std::int64_t max_percent) {
  if (value == "none") return std::string("0");
  std::string_view text = value;
  if (text.ends_with('%')) text.remove_suffix(1);
  auto bp = config_detail::parse_decimal(text, 2);
  if (!bp || *bp > max_percent * 100) {
    std::cerr << flag << " " << value << ": not a percentage; expected a number from 0 to "
              << max_percent << " with at most two decimals, like 80% or 12.5%, or none\n";
    return std::nullopt;
  }
  return admin::format_percent(*bp);
}

// --budget, --soft and --markup into the body. --budget is AMOUNT[/PERIOD]: dollars as an exact
// decimal (a leading '$' allowed) and day, week, month or total (without one: month for a new
// budget, the period it has for an existing one); none removes the budget. false (after a
// message) on a bad value.
bool money_body(const RecordFlags& f, bool create, json::object& body) {
  json::object budget;
  bool remove = false;
  if (f.budget) {
    if (*f.budget == "none") {
      remove = true;
    } else {
      std::string_view text = *f.budget;
      std::string_view period;
      if (auto slash = text.find('/'); slash != std::string_view::npos) {
        period = text.substr(slash + 1);
        text = text.substr(0, slash);
      }
      if (text.starts_with('$')) text.remove_prefix(1);
      auto micros = config_detail::parse_decimal(text, 6);
      if (!micros || *micros == 0 || *micros > admin::kMaxBudgetDollars * kMicrosPerDollar) {
        std::cerr << "--budget " << *f.budget
                  << ": not an amount of dollars; expected a number above 0 and at most "
                  << admin::kMaxBudgetDollars
                  << " with at most six decimals, and a period, like 50/month, 12.5/day, "
                     "1000/total, or none\n";
        return false;
      }
      budget.emplace("usd", format_dollars(*micros));
      if (!period.empty() || f.budget->find('/') != std::string::npos) {
        if (!access::parse_budget_period(period)) {
          std::cerr << "--budget " << *f.budget << ": \"" << period
                    << "\" is not a period; expected day, week, month or total\n";
          return false;
        }
        budget.emplace("per", period);
      }
    }
  }
  if (f.soft) {
    if (remove) {
      std::cerr << "--soft cannot go with --budget none: without a budget there is no soft "
                   "limit\n";
      return false;
    }
    if (create && !f.budget) {
      std::cerr << "--soft needs --budget: a soft limit is a share of a budget\n";
      return false;
    }
    auto percent = percent_flag("--soft", *f.soft, 100);
    if (!percent) return false;
    budget.emplace("soft_percent", *percent);
  }
  if (remove) {
    body.emplace("budget", nullptr);
  } else if (!budget.empty()) {
    body.emplace("budget", std::move(budget));
  }
  if (f.markup) {
    auto percent = percent_flag("--markup", *f.markup, admin::kMaxMarkupBp / 100);
    if (!percent) return false;
    body.emplace("markup_percent", *percent);
  }
  return true;
}

// The body of a create or update from the flags given. false (after a message) on a bad flag.
bool record_body(const RecordFlags& f, bool create, json::object& body) {
  // An empty value clears: --team '' removes the team, --expires '' (or never) the expiry.
  auto text_or_null = [](const std::string& s) -> json::value {
    if (s.empty()) return nullptr;
    return json::string(s);
  };
  if (f.alias) body.emplace("alias", text_or_null(*f.alias));
  if (f.team) body.emplace("team", text_or_null(*f.team));
  if (f.scopes) body.emplace("scopes", list_value(*f.scopes));
  if (f.models) body.emplace("models", list_value(*f.models));
  if (f.regions) body.emplace("regions", list_value(*f.regions));
  if (f.rpm) body.emplace("rpm", *f.rpm);
  if (f.tpm) body.emplace("tpm", *f.tpm);
  if (f.max_parallel) body.emplace("max_parallel", *f.max_parallel);
  if (f.expires) {
    if (f.expires->empty() || *f.expires == "never") {
      body.emplace("expires_at", nullptr);
    } else if (!parse_instant(*f.expires)) {
      std::cerr << "--expires " << *f.expires
                << ": not a date or an instant; expected 2027-01-01, 2027-01-01T12:00:00Z or "
                   "never\n";
      return false;
    } else {
      body.emplace("expires_at", *f.expires);
    }
  }
  if (f.metadata) {
    boost::system::error_code ec;
    json::value v = json::parse(*f.metadata, ec);
    if (ec || !v.is_object()) {
      std::cerr << "--metadata: not a JSON object; expected something like "
                   "'{\"owner\":\"ana\"}'\n";
      return false;
    }
    body.emplace("metadata", std::move(v));
  }
  return money_body(f, create, body);
}

// ---- human output --------------------------------------------------------------------------

std::string text_of(const json::value& v, std::string_view none = "-") {
  if (v.is_null()) return std::string(none);
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

std::string joined(const json::value& list, std::string_view empty) {
  std::string out;
  for (const auto& item : list.as_array()) out += (out.empty() ? "" : ",") + text_of(item);
  return out.empty() ? std::string(empty) : out;
}

std::string limit_text(const json::value& v) {
  return v.is_int64() && v.get_int64() == 0 ? "unlimited" : text_of(v);
}

void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t width = 0;
  for (const auto& [name, value] : fields) width = std::max(width, name.size());
  for (const auto& [name, value] : fields)
    std::cout << name << ":" << std::string(width - name.size() + 1, ' ') << value << "\n";
}

std::string secrets_text(const json::value& secrets) {
  std::string out;
  for (const auto& s : secrets.as_array()) {
    std::string one = "…" + text_of(s.at("last4"));
    const json::value& until = s.at("valid_until");
    auto until_ms = until.is_string() ? parse_instant(until.as_string()) : std::nullopt;
    if (until.is_null())
      one += " (current)";
    else if (until_ms && *until_ms <= now_unix_ms())
      one += " (ended " + text_of(until) + ")";
    else
      one += " (valid until " + text_of(until) + ")";
    out += (out.empty() ? "" : ", ") + one;
  }
  return out.empty() ? "-" : out;
}

std::string number_text(const json::value& v) {
  if (v.is_double()) return fmt::format("{}", v.get_double());
  return text_of(v);
}

std::string budget_text(const json::value& b) {
  if (b.is_null()) return "none";
  const std::string per = text_of(b.at("per"));
  std::string out = text_of(b.at("usd")) + " USD " + (per == "total" ? "in total" : "per " + per);
  if (per == "week") out += " (from Monday)";
  if (!b.at("soft_percent").is_null())
    out += ", soft limit at " + number_text(b.at("soft_percent")) + "%";
  return out;
}

std::string markup_text(const json::value& m) {
  return m.is_int64() && m.get_int64() == 0 ? "none" : number_text(m) + "%";
}

void print_key(const json::value& k) {
  print_fields({
      {"id", text_of(k.at("id"))},
      {"alias", text_of(k.at("alias"))},
      {"team", text_of(k.at("team"))},
      {"source", text_of(k.at("source"))},
      {"scopes", joined(k.at("scopes"), "none")},
      {"models", joined(k.at("models"), "any")},
      {"regions", joined(k.at("regions"), "any")},
      {"rpm", limit_text(k.at("rpm"))},
      {"tpm", limit_text(k.at("tpm"))},
      {"max_parallel", limit_text(k.at("max_parallel"))},
      {"budget", budget_text(k.at("budget"))},
      {"expires", text_of(k.at("expires_at"), "never")},
      {"revoked", text_of(k.at("revoked_at"), "no")},
      {"secrets", secrets_text(k.at("secrets"))},
      {"metadata", json::serialize(k.at("metadata"))},
      {"created", text_of(k.at("created_at"))},
      {"updated", text_of(k.at("updated_at"))},
  });
}

void print_team(const json::value& t) {
  print_fields({
      {"id", text_of(t.at("id"))},
      {"source", text_of(t.at("source"))},
      {"scopes", joined(t.at("scopes"), "none")},
      {"models", joined(t.at("models"), "any")},
      {"regions", joined(t.at("regions"), "any")},
      {"rpm", limit_text(t.at("rpm"))},
      {"tpm", limit_text(t.at("tpm"))},
      {"max_parallel", limit_text(t.at("max_parallel"))},
      {"budget", budget_text(t.at("budget"))},
      {"markup", markup_text(t.at("markup_percent"))},
      {"metadata", json::serialize(t.at("metadata"))},
      {"created", text_of(t.at("created_at"))},
      {"updated", text_of(t.at("updated_at"))},
  });
}

void print_key_list(const json::value& reply) {
  std::vector<std::vector<std::string>> rows{
      {"ID", "ALIAS", "TEAM", "SCOPES", "LAST4", "EXPIRES", "REVOKED"}};
  for (const auto& k : reply.at("data").as_array()) {
    const auto& secrets = k.at("secrets").as_array();
    rows.push_back({text_of(k.at("id")), text_of(k.at("alias")), text_of(k.at("team")),
                    joined(k.at("scopes"), "none"),
                    secrets.empty() ? "-" : text_of(secrets[0].at("last4")),
                    text_of(k.at("expires_at"), "never"), text_of(k.at("revoked_at"))});
  }
  if (rows.size() == 1) {
    std::cout << "no keys\n";
    return;
  }
  print_table(rows);
}

void print_team_list(const json::value& reply) {
  std::vector<std::vector<std::string>> rows{
      {"ID", "SCOPES", "MODELS", "REGIONS", "RPM", "TPM", "MAX_PARALLEL", "SOURCE"}};
  for (const auto& t : reply.at("data").as_array()) {
    rows.push_back({text_of(t.at("id")), joined(t.at("scopes"), "none"),
                    joined(t.at("models"), "any"), joined(t.at("regions"), "any"),
                    limit_text(t.at("rpm")), limit_text(t.at("tpm")),
                    limit_text(t.at("max_parallel")), text_of(t.at("source"))});
  }
  if (rows.size() == 1) {
    std::cout << "no teams\n";
    return;
  }
  print_table(rows);
}

void print_audit(const json::value& reply) {
  std::vector<std::vector<std::string>> rows{{"ID", "AT", "ACTOR", "ACTION", "TARGET"}};
  for (const auto& e : reply.at("data").as_array()) {
    rows.push_back({text_of(e.at("id")), text_of(e.at("at")), text_of(e.at("actor")),
                    text_of(e.at("action")), text_of(e.at("target"))});
  }
  if (rows.size() == 1) {
    std::cout << "no audit entries\n";
    return;
  }
  print_table(rows);
}

void print_new_secret(const json::value& reply, std::string_view what) {
  const json::value& key = reply.at("key");
  std::cout << what << " key " << text_of(key.at("id"));
  if (!key.at("alias").is_null()) std::cout << " (" << text_of(key.at("alias")) << ")";
  std::cout << ". Its secret:\n\n  " << text_of(reply.at("secret")) << "\n\n"
            << "Store it now: it will not be shown again.\n";
}

// ---- one admin call ------------------------------------------------------------------------

struct Operation {
  std::string method;
  std::string path;
  std::string query;
  std::string body;
  std::function<void(const json::value&)> print;  // human output of a successful reply
};

int perform(const std::string& config_path, bool as_json, const Operation& op) {
  return call_admin(config_path, AdminOp{op.method, op.path, op.query, op.body},
                    [&](const std::string& reply) {
                      boost::system::error_code ec;
                      json::value body = json::parse(reply, ec);
                      if (as_json || ec) {
                        std::cout << reply << "\n";
                      } else {
                        op.print(body);
                      }
                      return 0;
                    });
}

// An id goes into the call's path, so it cannot hold the path's own separators.
bool valid_id(const std::string& id) {
  if (!id.empty() && id.find_first_of("/?#") == std::string::npos) return true;
  std::cerr << "\"" << id << "\" is not an id\n";
  return false;
}

}  // namespace

struct AccessCommands::State {
  std::string config_path = "tollbooth.yaml";
  std::string id;
  bool json = false;
  RecordFlags flags;
  std::optional<std::string> list_team;
  bool include_revoked = false;
  std::optional<std::string> grace;
  std::optional<std::int64_t> after;
  std::optional<std::int64_t> limit;

  CLI::App* keys = nullptr;
  CLI::App* teams = nullptr;
  CLI::App* audit = nullptr;
  CLI::App* key_create = nullptr;
  CLI::App* key_list = nullptr;
  CLI::App* key_show = nullptr;
  CLI::App* key_update = nullptr;
  CLI::App* key_revoke = nullptr;
  CLI::App* key_rotate = nullptr;
  CLI::App* key_secret = nullptr;
  CLI::App* team_create = nullptr;
  CLI::App* team_list = nullptr;
  CLI::App* team_show = nullptr;
  CLI::App* team_update = nullptr;
  CLI::App* team_delete = nullptr;

  void common(CLI::App* c, bool json_flag = true) {
    c->add_option("-c,--config", config_path,
                  "Config file (YAML); its store: section says where keys, teams and the audit "
                  "log live")
        ->capture_default_str();
    if (json_flag) c->add_flag("--json", json, "Print the admin API's JSON reply as it is");
  }

  void id_arg(CLI::App* c, const char* what) { c->add_option("id", id, what)->required(); }

  void shared_flags(CLI::App* c, const char* of) {
    c->add_option("--scopes", flags.scopes,
                  fmt::format("Scopes of the {}, comma-separated: chat, responses, embeddings, "
                              "models, routing:explain, admin, metrics",
                              of));
    c->add_option("--models", flags.models,
                  "Models allowed, comma-separated names or globs like 'gpt-4o*,o3'; '' for any");
    c->add_option("--regions", flags.regions,
                  "Regions allowed, comma-separated globs like 'us-*,eu'; '' for any");
    c->add_option("--rpm", flags.rpm, "Requests per minute; 0 for unlimited")
        ->check(CLI::Range(std::int64_t{0}, admin::kMaxLimit));
    c->add_option("--tpm", flags.tpm, "Tokens per minute; 0 for unlimited")
        ->check(CLI::Range(std::int64_t{0}, admin::kMaxLimit));
    c->add_option("--max-parallel", flags.max_parallel,
                  "Requests in flight at once; 0 for "
                  "unlimited")
        ->check(CLI::Range(std::int64_t{0}, admin::kMaxLimit));
    c->add_option(
        "--metadata", flags.metadata,
        "A JSON object kept with the record (at most 16 KiB), like '{\"owner\":\"ana\"}'");
    c->add_option("--budget", flags.budget,
                  "A spending limit in charge: dollars and a period (UTC calendar), like "
                  "50/month, 12.5/day, 200/week or 1000/total; none removes it");
    c->add_option("--soft", flags.soft,
                  "A soft limit: the share of the budget at which an event is written, like 80%; "
                  "none removes it");
  }

  void markup_flag(CLI::App* c) {
    c->add_option("--markup", flags.markup,
                  "The team's markup: charge = cost plus this share of it, like 10% or 12.5%; "
                  "none for 0");
  }
};

AccessCommands::AccessCommands(CLI::App& app) : state_(std::make_unique<State>()) {
  State& s = *state_;

  s.keys = app.add_subcommand("keys",
                              "Manage virtual keys kept in the store (the admin API's "
                              "/admin/v1/keys from the command line)");
  s.keys->require_subcommand(1);

  s.key_create =
      s.keys->add_subcommand("create", "Create a key and print its secret (shown only this once)");
  s.common(s.key_create);
  s.key_create->add_option("--alias", s.flags.alias, "A name people recognise");
  s.key_create->add_option("--team", s.flags.team,
                           "The team the key belongs to (declared in the config file or made "
                           "with teams create)");
  s.shared_flags(s.key_create, "key (default: chat,responses,embeddings,models)");
  s.key_create->add_option("--expires", s.flags.expires,
                           "When the key stops working: a UTC date 2027-01-01 or an instant "
                           "2027-01-01T12:00:00Z; default never");

  s.key_list = s.keys->add_subcommand(
      "list",
      "List keys (the config file's and the store's): id, alias, team, scopes, last "
      "four characters of the current secret, expiry, revocation");
  s.common(s.key_list);
  s.key_list->add_option("--team", s.list_team, "Only the keys of this team");
  s.key_list->add_flag("--include-revoked", s.include_revoked, "List revoked keys too");

  s.key_show = s.keys->add_subcommand("show", "Show one key (never its secret)");
  s.common(s.key_show);
  s.id_arg(s.key_show, "The key's id (key_... or a config file's key name)");

  s.key_update = s.keys->add_subcommand(
      "update",
      "Change a key's fields; only the flags given change (keys declared in the "
      "config file are read-only)");
  s.common(s.key_update);
  s.id_arg(s.key_update, "The key's id (key_...)");
  s.key_update->add_option("--alias", s.flags.alias, "A name people recognise; '' to remove it");
  s.key_update->add_option("--team", s.flags.team,
                           "The team the key belongs to (declared in the config file or made "
                           "with teams create); '' to remove it");
  s.shared_flags(s.key_update, "key");
  s.key_update->add_option("--expires", s.flags.expires,
                           "When the key stops working: a UTC date 2027-01-01 or an instant "
                           "2027-01-01T12:00:00Z; never (or '') to remove the expiry");

  s.key_revoke = s.keys->add_subcommand(
      "revoke",
      "Revoke a key: it stops working at once, for good (revoking again changes "
      "nothing)");
  s.common(s.key_revoke);
  s.id_arg(s.key_revoke, "The key's id (key_...)");

  s.key_rotate = s.keys->add_subcommand(
      "rotate",
      "Give a key a new secret and print it (shown only this once); the previous "
      "secret keeps working for --grace");
  s.common(s.key_rotate);
  s.id_arg(s.key_rotate, "The key's id (key_...)");
  s.key_rotate->add_option("--grace", s.grace,
                           "How long the previous secret keeps working: 30s, 10m, 1h, 7d (at "
                           "most 30d); default 0, it stops at once");

  s.key_secret = s.keys->add_subcommand(
      "secret",
      "Print a fresh secret for a key declared in a config file (keys: NAME: secret: "
      "env:VAR); needs no config or store");

  s.teams = app.add_subcommand("teams",
                               "Manage teams kept in the store (the admin API's "
                               "/admin/v1/teams from the command line)");
  s.teams->require_subcommand(1);

  s.team_create = s.teams->add_subcommand("create", "Create a team");
  s.common(s.team_create);
  s.id_arg(s.team_create, "The team's name: letters, digits, '_', '.' and '-', 1 to 64");
  s.shared_flags(s.team_create, "team's keys (default: all)");
  s.markup_flag(s.team_create);

  s.team_list = s.teams->add_subcommand("list", "List teams (the config file's and the store's)");
  s.common(s.team_list);

  s.team_show = s.teams->add_subcommand("show", "Show one team");
  s.common(s.team_show);
  s.id_arg(s.team_show, "The team's name");

  s.team_update = s.teams->add_subcommand(
      "update",
      "Change a team's fields; only the flags given change (teams declared in the "
      "config file are read-only)");
  s.common(s.team_update);
  s.id_arg(s.team_update, "The team's name");
  s.shared_flags(s.team_update, "team's keys");
  s.markup_flag(s.team_update);

  s.team_delete = s.teams->add_subcommand(
      "delete", "Delete a team (refused while keys that are not revoked name it)");
  s.common(s.team_delete);
  s.id_arg(s.team_delete, "The team's name");

  s.audit = app.add_subcommand(
      "audit",
      "Print the audit log: every change to keys and teams, oldest first, with who "
      "made it");
  s.common(s.audit);
  s.audit->add_option("--after", s.after, "Only entries with an id above this one")
      ->check(CLI::Range(std::int64_t{0}, std::numeric_limits<std::int64_t>::max()));
  s.audit->add_option("--limit", s.limit, "At most this many entries (1 to 1000; default 100)");
}

AccessCommands::~AccessCommands() = default;

std::optional<int> AccessCommands::run() {
  State& s = *state_;
  if (!*s.keys && !*s.teams && !*s.audit) return std::nullopt;

  if (*s.key_secret) {
    std::cout << access::generate_secret() << "\n";
    return 0;
  }

  Operation op;
  json::object body;
  if (*s.key_create || *s.key_update) {
    if (!record_body(s.flags, bool(*s.key_create), body)) return kExitUsage;
    if (*s.key_update && body.empty()) {
      std::cerr << "keys update: nothing to change; give at least one of --alias, --team, "
                   "--scopes, --models, --regions, --rpm, --tpm, --max-parallel, --budget, "
                   "--soft, --expires, --metadata\n";
      return kExitUsage;
    }
  }
  if (*s.team_create || *s.team_update) {
    if (!record_body(s.flags, bool(*s.team_create), body)) return kExitUsage;
    if (*s.team_update && body.empty()) {
      std::cerr << "teams update: nothing to change; give at least one of --scopes, --models, "
                   "--regions, --rpm, --tpm, --max-parallel, --budget, --soft, --markup, "
                   "--metadata\n";
      return kExitUsage;
    }
  }
  const bool has_id = *s.key_show || *s.key_update || *s.key_revoke || *s.key_rotate ||
                      *s.team_create || *s.team_show || *s.team_update || *s.team_delete;
  if (has_id && !valid_id(s.id)) return kExitUsage;

  if (*s.key_create) {
    op = {"POST", "/keys", "", json::serialize(body),
          [](const json::value& r) { print_new_secret(r, "Created"); }};
  } else if (*s.key_list) {
    std::string query;
    if (s.list_team) query = "team=" + percent_encode(*s.list_team);
    if (s.include_revoked) query += std::string(query.empty() ? "" : "&") + "include_revoked=true";
    op = {"GET", "/keys", query, "", print_key_list};
  } else if (*s.key_show) {
    op = {"GET", "/keys/" + s.id, "", "", print_key};
  } else if (*s.key_update) {
    op = {"PATCH", "/keys/" + s.id, "", json::serialize(body), [](const json::value& k) {
            std::cout << "Updated key " << text_of(k.at("id")) << ".\n";
            print_key(k);
          }};
  } else if (*s.key_revoke) {
    op = {"POST", "/keys/" + s.id + "/revoke", "", "", [](const json::value& k) {
            std::cout << "Key " << text_of(k.at("id")) << " is revoked (since "
                      << text_of(k.at("revoked_at")) << ").\n";
          }};
  } else if (*s.key_rotate) {
    std::int64_t grace = 0;
    if (s.grace) {
      auto seconds = duration_seconds(*s.grace);
      if (!seconds) {
        std::cerr << "--grace " << *s.grace
                  << ": not a duration; expected a number and a unit, like 30s, 10m, 1h or 7d\n";
        return kExitUsage;
      }
      grace = *seconds;
    }
    json::object rotate;
    rotate.emplace("grace_seconds", grace);
    op = {"POST", "/keys/" + s.id + "/rotate", "", json::serialize(rotate),
          [grace](const json::value& r) {
            print_new_secret(r, "Rotated");
            // The secret it replaced comes second (older ones still in their grace follow).
            const auto& secrets = r.at("key").at("secrets").as_array();
            if (secrets.size() < 2) return;
            std::cout << "The previous secret …" << text_of(secrets[1].at("last4"));
            if (grace > 0)
              std::cout << " keeps working until " << text_of(secrets[1].at("valid_until"))
                        << ".\n";
            else
              std::cout << " no longer works.\n";
          }};
  } else if (*s.team_create) {
    body.emplace("id", s.id);
    op = {"POST", "/teams", "", json::serialize(body), [](const json::value& t) {
            std::cout << "Created team " << text_of(t.at("id")) << ".\n";
            print_team(t);
          }};
  } else if (*s.team_list) {
    op = {"GET", "/teams", "", "", print_team_list};
  } else if (*s.team_show) {
    op = {"GET", "/teams/" + s.id, "", "", print_team};
  } else if (*s.team_update) {
    op = {"PATCH", "/teams/" + s.id, "", json::serialize(body), [](const json::value& t) {
            std::cout << "Updated team " << text_of(t.at("id")) << ".\n";
            print_team(t);
          }};
  } else if (*s.team_delete) {
    op = {"DELETE", "/teams/" + s.id, "", "", [](const json::value& t) {
            std::cout << "Deleted team " << text_of(t.at("id")) << ".\n";
          }};
  } else if (*s.audit) {
    std::string query;
    if (s.after) query = fmt::format("after={}", *s.after);
    if (s.limit) query += fmt::format("{}limit={}", query.empty() ? "" : "&", *s.limit);
    op = {"GET", "/audit", query, "", print_audit};
  } else {
    return kExitUsage;
  }
  return perform(s.config_path, s.json, op);
}

}  // namespace tollbooth::cli
