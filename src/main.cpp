// tollbooth: the command line. Each subcommand hands off to its area.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/config_check.hpp"
#include "app/log_format.hpp"
#include "app/serve.hpp"
#include "cli/keys_command.hpp"
#include "cli/report_commands.hpp"
#include "cli/route_command.hpp"
#include "cli/top_command.hpp"
#include "config/config.hpp"
#include "mock/mock_server.hpp"

namespace tb = tollbooth;

// jemalloc's settings (the binary links it; docs/architecture.md, "Memory"): freed pages go back
// to the system within about a second, purged by jemalloc's own background thread rather than
// on the request path.
extern "C" {
// NOLINTNEXTLINE: jemalloc reads this exact global by name at start-up.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}

namespace {

int check_config(const std::string& path) {
  const auto today = tb::days_from_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  const tb::CheckedConfig checked = tb::check_config_file(path, today);
  if (!checked.config) {
    std::cerr << checked.problems;
    return 1;
  }
  std::cerr << checked.warnings;
  std::cout << checked.summary << "\n";
  return 0;
}

int serve(const std::string& path, tb::LogFormat log_format) {
  std::shared_ptr<const tb::Config> config;
  try {
    config = tb::load_config_file(path);
  } catch (const tb::ConfigError& e) {
    std::cerr << tb::format_problems(e.problems());
    return 1;
  }
  return tb::run_serve(std::move(config), log_format);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tollbooth " TOLLBOOTH_VERSION
               ": a multi-cloud gateway for the OpenAI API (OpenAI, Azure OpenAI, AWS Bedrock)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", TOLLBOOTH_VERSION);

  std::string config_path = "tollbooth.yaml";
  auto* serve_cmd = app.add_subcommand(
      "serve",
      "Run the gateway. SIGHUP (or POST /admin/v1/reload) loads the config file again in place; "
      "SIGTERM drains and stops");
  serve_cmd->add_option("-c,--config", config_path, "Config file (YAML)")->capture_default_str();

  auto* check_cmd = app.add_subcommand(
      "check", "Validate a config file; print every problem with file:line:column");
  check_cmd->add_option("-c,--config", config_path, "Config file (YAML)")->capture_default_str();

  tb::cli::RouteOptions route_opts;
  auto* route_cmd = app.add_subcommand(
      "route",
      "Explain how a request would be routed: each route, eligible or not, and the rule that "
      "decided. Exit 0: at least one route eligible; 1: config, request or model problem; "
      "2: bad option; 3: no route eligible");
  route_cmd->add_option("-c,--config", route_opts.config_path, "Config file (YAML)")
      ->default_val(std::string("tollbooth.yaml"));
  route_cmd
      ->add_option("--explain", route_opts.request_file,
                   "A chat completions or Responses request body (JSON file; - for stdin); a "
                   "Responses body's previous_response_id is looked up in the config's store "
                   "for --key (none: requests without a key)")
      ->required();
  route_cmd->add_option("--at", route_opts.at,
                        "Plan as on this UTC date (YYYY-MM-DD); default today");
  route_cmd->add_option("--regions", route_opts.regions,
                        "Regions the caller may use: comma-separated globs matched against each "
                        "provider's region or residency, like us-*,eu; default all");
  route_cmd->add_option("--needs", route_opts.needs,
                        "Capabilities to add to what the body needs, comma-separated (e.g. "
                        "responses_api, which a chat body cannot express)");
  route_cmd->add_option("--seed", route_opts.seed,
                        "Random value for strategy: weighted, for a repeatable order");
  route_cmd->add_option("--key", route_opts.key,
                        "Plan as this key (an id from `tollbooth keys list`) would get it: its "
                        "and its team's regions and models");

  tb::cli::ModelsOptions models_opts;
  auto* models_cmd = app.add_subcommand(
      "models",
      "Print each public model with the routes that sell it: capabilities, windows, contract "
      "and price");
  models_cmd->add_option("-c,--config", models_opts.config_path, "Config file (YAML)")
      ->default_val(std::string("tollbooth.yaml"));
  models_cmd->add_option("--at", models_opts.at,
                         "Mark routes outside their window on this UTC date (YYYY-MM-DD); "
                         "default today");
  models_cmd->add_flag("--json", models_opts.json,
                       "Print the facts as JSON (the tollbooth field of GET /v1/models/{id})");

  // keys, teams, audit: the admin API's operations against the config's store.
  tb::cli::AccessCommands access_cmds(app);
  // spend, contracts: the ledger's reports from the same store.
  tb::cli::ReportCommands report_cmds(app);
  // top: a running gateway's /metrics over HTTP, as a live screen.
  tb::cli::TopCommand top_cmd(app);

  tb::mock::MockOptions mock_opts;
  auto* mock_cmd = app.add_subcommand(
      "mock",
      "Run the mock clouds (OpenAI, Azure OpenAI, AWS Bedrock) for demos, tests and benchmarks");
  mock_cmd->add_option("-l,--listen", mock_opts.listen, "host:port (port 0 = any free port)")
      ->capture_default_str();
  mock_cmd->add_option("-c,--config", mock_opts.config_file, "Mock clouds file (YAML)");
  mock_cmd->add_option("-t,--threads", mock_opts.threads, "Event-loop threads")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too and exit 0; a bad option exits 2 (CLI11's own
    // codes, 100 and up, are not what the commands document).
    return app.exit(e) == 0 ? 0 : 2;
  }

  // Logs (the access log included) go to stderr; stdout carries only the "listening on" line
  // and command output, so scripts can read it.
  spdlog::set_default_logger(spdlog::stderr_color_mt("tollbooth"));
  if (const char* level = std::getenv("TOLLBOOTH_LOG"))
    spdlog::set_level(spdlog::level::from_str(level));
  const tb::LogFormat log_format = tb::log_format_from_env();
  tb::use_log_format(log_format);

  if (*serve_cmd) return serve(config_path, log_format);
  if (*check_cmd) return check_config(config_path);
  if (*mock_cmd) return tb::mock::run_mock(mock_opts);
  if (*route_cmd) return tb::cli::run_route(route_opts);
  if (*models_cmd) return tb::cli::run_models(models_opts);
  if (auto status = access_cmds.run()) return *status;
  if (auto status = report_cmds.run()) return *status;
  if (auto status = top_cmd.run()) return *status;
  return 2;
}
