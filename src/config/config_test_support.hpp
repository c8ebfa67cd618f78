#pragma once
// Helpers shared by the config tests (config_test.cpp, config_routing_test.cpp): load a YAML
// text with every env: variable set to a dummy, and match the problems a user would read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace tollbooth {

// Failed matchers show the problem as the user would read it.
inline void PrintTo(const ConfigProblem& p, std::ostream* os) {
  std::string line = format_problems({p});
  line.pop_back();  // the '\n'
  *os << line;
}

namespace config_test {

// Every variable is set to a dummy, so tests never depend on the real environment.
inline const char* dummy_env(const char*) {
  return "dummy-key";
}

// Raw strings start with a newline for readability; drop it so line 1 is the first YAML line.
inline std::string yaml(const char* text) {
  return text[0] == '\n' ? text + 1 : text;
}

inline std::vector<ConfigProblem> problems_in(const std::string& text, EnvLookup env = &dummy_env) {
  try {
    load_config_string(text, "test.yaml", env);
  } catch (const ConfigError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "expected the config to be rejected:\n" << text;
  return {};
}

inline std::shared_ptr<const Config> load_ok(const std::string& text, EnvLookup env = &dummy_env) {
  try {
    return load_config_string(text, "test.yaml", env);
  } catch (const ConfigError& e) {
    ADD_FAILURE() << "unexpected problems:\n" << format_problems(e.problems());
    return std::make_shared<const Config>();
  }
}

inline auto problem(int line, int column, const std::string& message) {
  using ::testing::Field;
  return ::testing::AllOf(Field("line", &ConfigProblem::line, line),
                          Field("column", &ConfigProblem::column, column),
                          Field("message", &ConfigProblem::message, message));
}

inline auto problem_at_line(int line, const ::testing::Matcher<const std::string&>& message) {
  using ::testing::Field;
  return ::testing::AllOf(Field("line", &ConfigProblem::line, line),
                          Field("message", &ConfigProblem::message, message));
}

}  // namespace config_test
}  // namespace tollbooth
