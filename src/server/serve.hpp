#pragma once
#include <memory>

namespace tollbooth {
struct Config;

// Runs the gateway until SIGTERM/SIGINT, then drains. Prints "tollbooth listening on HOST:PORT"
// on stdout once bound. Returns the process exit code.
int run_server(std::shared_ptr<const Config> config);
}  // namespace tollbooth
