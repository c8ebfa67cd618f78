// tollbooth: the command line. Each subcommand hands off to its area.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "config/config.hpp"
#include "mock/mock_server.hpp"
#include "server/serve.hpp"

namespace tb = tollbooth;

namespace {

int check_config(const std::string& path) {
  try {
    auto config = tb::load_config_file(path);
    std::size_t routes = 0;
    for (const auto& m : config->models) routes += m.routes.size();
    std::cout << path << ": ok (" << config->providers.size() << " providers, "
              << config->models.size() << " models, " << routes << " routes)\n";
    return 0;
  } catch (const tb::ConfigError& e) {
    std::cerr << tb::format_problems(e.problems());
    std::cerr << path << ": " << e.problems().size() << " problem"
              << (e.problems().size() == 1 ? "" : "s") << "\n";
    return 1;
  }
}

int serve(const std::string& path) {
  std::shared_ptr<const tb::Config> config;
  try {
    config = tb::load_config_file(path);
  } catch (const tb::ConfigError& e) {
    std::cerr << tb::format_problems(e.problems());
    return 1;
  }
  return tb::run_server(std::move(config));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tollbooth " TOLLBOOTH_VERSION
               ": a multi-cloud gateway for the OpenAI API (OpenAI, Azure OpenAI)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", TOLLBOOTH_VERSION);

  std::string config_path = "tollbooth.yaml";
  auto* serve_cmd = app.add_subcommand("serve", "Run the gateway");
  serve_cmd->add_option("-c,--config", config_path, "Config file (YAML)")->capture_default_str();

  auto* check_cmd = app.add_subcommand(
      "check", "Validate a config file; print every problem with file:line:column");
  check_cmd->add_option("-c,--config", config_path, "Config file (YAML)")->capture_default_str();

  tb::mock::MockOptions mock_opts;
  auto* mock_cmd = app.add_subcommand(
      "mock",
      "Run the mock clouds (OpenAI, Azure OpenAI, AWS Bedrock) for demos, tests and benchmarks");
  mock_cmd->add_option("-l,--listen", mock_opts.listen, "host:port (port 0 = any free port)")
      ->capture_default_str();
  mock_cmd->add_option("-c,--config", mock_opts.config_file, "Mock clouds file (YAML)");
  mock_cmd->add_option("-t,--threads", mock_opts.threads, "Event-loop threads")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  // Logs (the access log included) go to stderr; stdout carries only the "listening on" line
  // and command output, so scripts can read it.
  spdlog::set_default_logger(spdlog::stderr_color_mt("tollbooth"));
  if (const char* level = std::getenv("TOLLBOOTH_LOG"))
    spdlog::set_level(spdlog::level::from_str(level));

  if (*serve_cmd) return serve(config_path);
  if (*check_cmd) return check_config(config_path);
  if (*mock_cmd) return tb::mock::run_mock(mock_opts);
  return 2;
}
