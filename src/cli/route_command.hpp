#pragma once
// `tollbooth route --explain` and `tollbooth models`: the routing catalog and planner run
// offline against a config file, printing what the gateway would decide and why.
#include <optional>
#include <string>

namespace tollbooth::cli {

struct RouteOptions {
  std::string config_path;
  std::string request_file;                // a chat completions or Responses body; "-" = stdin
  std::string at;                          // YYYY-MM-DD; empty = today (UTC)
  std::string regions;                     // comma-separated globs; empty = all
  std::string needs;                       // comma-separated capabilities added to the body's own
  std::string key;                         // plan as this key would get it (its regions)
  std::optional<unsigned long long> seed;  // for strategy: weighted; unset = random
};

// 0: printed, at least one route eligible; 1: config, request or model problem; 2: bad
// option; 3: printed, no route eligible.
int run_route(const RouteOptions& options);

struct ModelsOptions {
  std::string config_path;
  std::string at;  // YYYY-MM-DD; empty = today (UTC)
  bool json = false;
};

// 0: printed; 1: config problem; 2: bad option.
int run_models(const ModelsOptions& options);

}  // namespace tollbooth::cli
