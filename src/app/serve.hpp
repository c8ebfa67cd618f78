#pragma once
// `tollbooth serve`: the composition root. It builds what the gateway runs on (the config's
// resolved routes, the clock, the access-log writer), makes one gateway per server worker, runs
// the server, and owns the shutdown order: stop accepting, finish (or cut) what is in flight,
// flush the background writers. Stores join that order when they come.
#include <memory>

#include "core/log_format.hpp"

namespace tollbooth {
struct Config;

// Runs until SIGTERM/SIGINT and the drain. Prints "tollbooth listening on HOST:PORT" on stdout
// once bound. Returns the process exit code. `log_format`: the access log's lines.
int run_serve(std::shared_ptr<const Config> config, LogFormat log_format = LogFormat::text);
}  // namespace tollbooth
