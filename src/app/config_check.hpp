#pragma once
// Loading a config file with every check `tollbooth check` makes: the file's own problems
// (file:line:column), the store.redis URL and the price file (read by areas config/ may not
// include), and the routes billing.unpriced: refuse leaves unused. `tollbooth check`, SIGHUP and
// POST /admin/v1/reload all go through it, so they say the same of the same file.
#include <memory>
#include <string>

#include "core/date.hpp"

namespace tollbooth {

struct Config;

struct CheckedConfig {
  std::shared_ptr<const Config> config;  // null when the file has problems
  std::string problems;  // what `check` prints on stderr when it fails (ends with a newline)
  std::string warnings;  // lines `check` prints on stderr when it passes (may be empty)
  std::string summary;   // "<path>: ok (3 providers, 4 models, 6 routes)"
};

// `today`: the UTC day the unpriced routes are judged on.
CheckedConfig check_config_file(const std::string& path, Days today);

}  // namespace tollbooth
