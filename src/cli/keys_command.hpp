#pragma once
// `tollbooth keys ...`, `tollbooth teams ...` and `tollbooth audit`: the admin API's operations
// from the command line. Each command loads the config file, opens the store it names, and
// calls admin::handle with a body built from its flags, so validation, the read-only rule for
// config-declared records and the audit log are the API's own (actor "cli:$USER").
// `tollbooth keys secret` only prints a fresh secret, for a `keys:` entry of a config file.
//
// Exit status: 0 done; 1 the operation was refused (the admin API's message on stderr), or the
// config or the store could not be opened; 2 a bad option.
#include <memory>
#include <optional>

namespace CLI {
class App;
}  // namespace CLI

namespace tollbooth::cli {

class AccessCommands {
 public:
  // Adds the keys, teams and audit subcommands (and theirs) to `app`.
  explicit AccessCommands(CLI::App& app);
  ~AccessCommands();
  AccessCommands(const AccessCommands&) = delete;
  AccessCommands& operator=(const AccessCommands&) = delete;

  // After parsing: runs the chosen command and returns its exit status; nullopt when the
  // command line chose none of these.
  std::optional<int> run();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tollbooth::cli
