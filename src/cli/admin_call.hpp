#pragma once
// One admin API call from the command line (`keys`, `teams`, `audit`, `spend`, `contracts`):
// the config file loaded, its store opened, admin::handle called with the actor "cli:$USER",
// so the CLI checks, refuses and audits exactly what the HTTP admin API does.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace tollbooth::cli {

inline constexpr int kExitRefused = 1;  // refused, or the config or the store could not be opened
inline constexpr int kExitUsage = 2;    // a bad option

struct AdminOp {
  std::string method;
  std::string path;   // after /admin/v1
  std::string query;  // without '?'
  std::string body;
};

// Runs `op` against the store of the config at `config_path`. On success hands the reply's
// body (JSON text) to `on_reply` and returns what it returns; on failure prints the reason on
// stderr ("error: ...", the API's message) and returns kExitRefused.
int call_admin(const std::string& config_path, const AdminOp& op,
               const std::function<int(const std::string&)>& on_reply);

// "%XX" for every byte but letters, digits and -_.~ (a query parameter's value).
std::string percent_encode(std::string_view s);

// Unix milliseconds now.
std::int64_t now_unix_ms();

}  // namespace tollbooth::cli
