#pragma once
// `tollbooth top`: a gateway's GET /metrics scraped over HTTP every interval and drawn as a
// compact live screen (ANSI: no curses), or, with --once, two scrapes an interval apart printed
// as one plain frame. The numbers are top_metrics.hpp's.
//
// Exit status: 0 done (--once printed, or the live view ended by SIGINT or SIGTERM); 1 the
// gateway could not be scraped (unreachable, the key refused, metrics off, not Prometheus
// text), the reason on stderr; 2 a bad option.
#include <memory>
#include <optional>

namespace CLI {
class App;
}  // namespace CLI

namespace tollbooth::cli {

class TopCommand {
 public:
  // Adds the top subcommand to `app`.
  explicit TopCommand(CLI::App& app);
  ~TopCommand();
  TopCommand(const TopCommand&) = delete;
  TopCommand& operator=(const TopCommand&) = delete;

  // After parsing: runs top and returns its exit status; nullopt when the command line did not
  // choose it.
  std::optional<int> run();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tollbooth::cli
