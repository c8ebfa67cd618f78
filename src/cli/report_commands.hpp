#pragma once
// `tollbooth spend` and `tollbooth contracts`: the admin API's reports (GET /admin/v1/spend and
// /admin/v1/contracts) from the command line, against the config's store, as a table, CSV or
// the API's JSON. Dollars are exact decimals.
//
// Exit status: 0 done; 1 refused (the admin API's message on stderr), or the config or the
// store could not be opened; 2 a bad option.
#include <memory>
#include <optional>

namespace CLI {
class App;
}  // namespace CLI

namespace tollbooth::cli {

class ReportCommands {
 public:
  // Adds the spend and contracts subcommands to `app`.
  explicit ReportCommands(CLI::App& app);
  ~ReportCommands();
  ReportCommands(const ReportCommands&) = delete;
  ReportCommands& operator=(const ReportCommands&) = delete;

  // After parsing: runs the chosen command and returns its exit status; nullopt when the
  // command line chose neither.
  std::optional<int> run();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tollbooth::cli
