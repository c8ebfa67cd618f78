#pragma once
// The config in force, as the workers see it: a generation (its RouteTable, and through it the
// Config; its metrics) that a reload replaces as a whole. New requests take the newest; a
// request keeps the generation it started on until it ends (gateway/frontend.hpp). The source
// is the composition root's (app/config_runtime.hpp).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace tollbooth {

class RouteTable;

namespace gateway {

class Metrics;

struct Runtime {
  std::uint64_t generation = 0;  // 1 for the config the process started with
  std::shared_ptr<const RouteTable> routes;
  std::shared_ptr<Metrics> metrics;  // null when metrics are off
};

// What a reload came to.
struct ReloadOutcome {
  enum class Result : std::uint8_t {
    applied,           // the new config is in force for new requests
    invalid,           // the file has problems (`message`: what `tollbooth check` prints)
    restart_required,  // it changes settings only a restart applies (`message` names them)
  };
  Result result = Result::invalid;
  std::uint64_t generation = 0;  // in force after the reload (the old one when refused)
  std::string message;
};

class RuntimeSource {
 public:
  virtual ~RuntimeSource() = default;
  // Bumped by every applied reload; one acquire load, for the per-request check.
  virtual std::uint64_t generation() const noexcept = 0;
  virtual std::shared_ptr<const Runtime> current() const = 0;
  // Loads the config file again, off the caller's thread; `done` is called once, on another
  // thread, with what it came to. Reloads are one at a time.
  virtual void reload(std::function<void(ReloadOutcome)> done) = 0;
  // Reloads so far: applied, and refused (invalid or needing a restart).
  virtual std::uint64_t reloads_applied() const noexcept = 0;
  virtual std::uint64_t reloads_refused() const noexcept = 0;
};

}  // namespace gateway
}  // namespace tollbooth
