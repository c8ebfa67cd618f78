#include "cli/report_commands.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli/admin_call.hpp"
#include "cli/table.hpp"
#include "core/date.hpp"

namespace tollbooth::cli {
namespace {

namespace json = boost::json;

// A cell: strings as they are, numbers in decimal, null as `none`.
std::string cell(const json::value& v, std::string_view none) {
  if (v.is_null()) return std::string(none);
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

// RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void print_csv(const Table& rows) {
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) line += (i ? "," : "") + csv_field(row[i]);
    std::cout << line << "\n";
  }
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// ---- spend ---------------------------------------------------------------------------------

// A spend row's sums: the JSON field (the CSV column) and the table's shorter header.
struct Column {
  std::string_view field;
  std::string_view header;
};
constexpr Column kSpendColumns[] = {
    {"requests", "REQUESTS"},
    {"rows", "ROWS"},
    {"input_tokens", "INPUT"},
    {"cached_input_tokens", "CACHED"},
    {"cache_write_input_tokens", "CACHE_WRITE"},
    {"output_tokens", "OUTPUT"},
    {"reasoning_tokens", "REASONING"},
    {"cost_usd", "COST"},
    {"charge_usd", "CHARGE"},
    {"toll_usd", "TOLL"},
    {"commitment_burn_usd", "BURN"},
    {"estimated_rows", "ESTIMATED"},
    {"unpriced_rows", "UNPRICED"},
};

std::vector<std::string> spend_cells(const json::value& row) {
  std::vector<std::string> out;
  for (const Column& c : kSpendColumns) out.push_back(cell(row.at(c.field), ""));
  return out;
}

int print_spend(const std::string& reply, const std::string& format) {
  if (format == "json") {
    std::cout << reply << "\n";
    return 0;
  }
  json::value r = json::parse(reply);
  const std::string by(r.at("by").as_string());
  const bool buckets = !r.at("over").is_null();
  Table rows;
  std::vector<std::string> header{format == "csv" ? by : upper(by)};
  if (buckets) header.push_back(format == "csv" ? "bucket" : "BUCKET");
  for (const Column& c : kSpendColumns)
    header.push_back(std::string(format == "csv" ? c.field : c.header));
  rows.push_back(std::move(header));
  for (const auto& g : r.at("data").as_array()) {
    std::string group(g.at("group").as_string());
    if (group.empty() && format != "csv") group = "(none)";
    std::vector<std::string> line{group};
    if (buckets) line.emplace_back(g.at("bucket").as_string());
    for (auto& c : spend_cells(g)) line.push_back(std::move(c));
    rows.push_back(std::move(line));
  }
  if (format == "csv") {
    print_csv(rows);
    return 0;
  }
  std::cout << "Spend by " << by;
  if (buckets) std::cout << " per " << cell(r.at("over"), "");
  std::cout << " from " << cell(r.at("since"), "") << " to " << cell(r.at("until"), "now")
            << " (until excluded)";
  if (!r.at("key").is_null()) std::cout << ", key " << cell(r.at("key"), "");
  if (!r.at("team").is_null()) std::cout << ", team " << cell(r.at("team"), "");
  std::cout << "; amounts in USD\n\n";
  if (rows.size() == 1) {
    std::cout << "no ledger rows\n";
    return 0;
  }
  std::vector<std::string> total{"TOTAL"};
  if (buckets) total.emplace_back("");
  for (auto& c : spend_cells(r.at("total"))) total.push_back(std::move(c));
  rows.push_back(std::move(total));
  print_table(rows, buckets ? 2 : 1);
  return 0;
}

// ---- contracts -----------------------------------------------------------------------------

constexpr Column kContractColumns[] = {
    {"contract", "CONTRACT"},           {"configured", "CONFIGURED"},
    {"tolls_paid_usd", "TOLLS_PAID"},   {"toll_cap_usd", "TOLL_CAP"},
    {"toll_left_usd", "TOLL_LEFT"},     {"share_until", "SHARE_UNTIL"},
    {"share_days_left", "DAYS_LEFT"},   {"commitment_usd", "COMMITMENT"},
    {"commitment_period", "PERIOD"},    {"burned_usd", "BURNED"},
    {"target_usd", "TARGET"},           {"ahead_usd", "AHEAD"},
    {"license_until", "LICENSE_UNTIL"}, {"license_days_left", "DAYS_LEFT"},
};

int print_contracts(const std::string& reply, const std::string& format) {
  if (format == "json") {
    std::cout << reply << "\n";
    return 0;
  }
  const std::string none = format == "csv" ? "" : "-";
  json::value r = json::parse(reply);
  Table rows;
  std::vector<std::string> header;
  for (const Column& c : kContractColumns)
    header.push_back(std::string(format == "csv" ? c.field : c.header));
  rows.push_back(std::move(header));
  for (const auto& c : r.at("data").as_array()) {
    const json::value& share = c.at("revenue_share");
    const json::value& commitment = c.at("commitment");
    auto of_share = [&](std::string_view name) {
      return share.is_null() ? none : cell(share.at(name), none);
    };
    auto of_commitment = [&](std::string_view name) {
      return commitment.is_null() ? none : cell(commitment.at(name), none);
    };
    rows.push_back({cell(c.at("name"), none), c.at("configured").as_bool() ? "yes" : "no",
                    cell(c.at("tolls_paid_usd"), none), of_share("cap_usd"), of_share("left_usd"),
                    of_share("until"), of_share("days_left"), of_commitment("usd"),
                    of_commitment("period"), of_commitment("burned_usd"),
                    of_commitment("target_usd"), of_commitment("ahead_usd"),
                    cell(c.at("license_until"), none), cell(c.at("license_days_left"), none)});
  }
  if (format == "csv") {
    print_csv(rows);
    return 0;
  }
  std::cout << "Contracts on " << cell(r.at("today"), "")
            << " (UTC); amounts in USD; AHEAD is burned less the target (negative: behind)\n\n";
  if (rows.size() == 1) {
    std::cout << "no contracts\n";
    return 0;
  }
  print_table(rows, 2);
  return 0;
}

// A --since or --until value: a UTC date or an instant; false (after a message) otherwise.
bool valid_instant(std::string_view flag, const std::string& value) {
  if (parse_instant(value)) return true;
  std::cerr << flag << " " << value
            << ": not a date or an instant; expected 2026-12-01 or 2026-12-01T18:30:00Z\n";
  return false;
}

}  // namespace

struct ReportCommands::State {
  std::string config_path = "tollbooth.yaml";
  std::string format = "table";
  std::string by = "key";
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::optional<std::string> over;
  std::optional<std::string> key;
  std::optional<std::string> team;

  CLI::App* spend = nullptr;
  CLI::App* contracts = nullptr;

  void common(CLI::App* c) {
    c->add_option("-c,--config", config_path,
                  "Config file (YAML); its store: section says where the ledger lives")
        ->capture_default_str();
    c->add_option("--format", format,
                  "table (for people), csv (a header line, then one line a row) or json (the "
                  "admin API's reply)")
        ->check(CLI::IsMember({"table", "csv", "json"}))
        ->capture_default_str();
  }
};

ReportCommands::ReportCommands(CLI::App& app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.spend = app.add_subcommand(
      "spend",
      "Sum the ledger by key, team, model, provider, contract, route or day: requests, tokens, "
      "cost, charge, tolls and commitment burn (the admin API's /admin/v1/spend)");
  s.common(s.spend);
  s.spend
      ->add_option("--by", s.by,
                   "What each line is: key, team, model, provider, contract, "
                   "route or day (UTC)")
      ->check(CLI::IsMember({"key", "team", "model", "provider", "contract", "route", "day"}))
      ->capture_default_str();
  s.spend
      ->add_option("--over", s.over,
                   "Split each line into UTC hours or days (a time series per group): hour "
                   "or day")
      ->check(CLI::IsMember({"hour", "day"}));
  s.spend->add_option("--since", s.since,
                      "From this UTC date (its midnight) or instant, included, like 2026-12-01 "
                      "or 2026-12-01T18:00:00Z; default the first day of this month");
  s.spend->add_option("--until", s.until,
                      "To this UTC date or instant, excluded (--until 2027-01-01 ends with "
                      "December 31); default no end");
  s.spend->add_option("--key", s.key, "Only this key's rows (its id)");
  s.spend->add_option("--team", s.team, "Only this team's rows");

  s.contracts = app.add_subcommand(
      "contracts",
      "Per contract of the config: tolls paid against the revenue share's cap, commitment "
      "burned against its pro-rata target for today, days left to license_until and to the "
      "revenue share's end (the admin API's /admin/v1/contracts)");
  s.common(s.contracts);
}

ReportCommands::~ReportCommands() = default;

std::optional<int> ReportCommands::run() {
  State& s = *state_;
  if (*s.spend) {
    std::string query = "by=" + s.by;
    if (s.over) query += "&over=" + *s.over;
    for (auto [name, value] : {std::pair{"since", &s.since}, std::pair{"until", &s.until}}) {
      if (!*value) continue;
      if (!valid_instant(fmt::format("--{}", name), **value)) return kExitUsage;
      query += fmt::format("&{}={}", name, percent_encode(**value));
    }
    if (s.key) query += "&key=" + percent_encode(*s.key);
    if (s.team) query += "&team=" + percent_encode(*s.team);
    const std::string format = s.format;
    return call_admin(s.config_path, AdminOp{"GET", "/spend", query, ""},
                      [&](const std::string& reply) { return print_spend(reply, format); });
  }
  if (*s.contracts) {
    const std::string format = s.format;
    return call_admin(s.config_path, AdminOp{"GET", "/contracts", "", ""},
                      [&](const std::string& reply) { return print_contracts(reply, format); });
  }
  return std::nullopt;
}

}  // namespace tollbooth::cli
