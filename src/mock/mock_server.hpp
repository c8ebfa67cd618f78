#pragma once
// The mock clouds: OpenAI-compatible, Azure OpenAI and AWS Bedrock Runtime endpoints with
// deterministic answers and fault injection, used by the demo, the tests and the benchmarks. See
// docs/mock.md.
#include <string>

namespace tollbooth::mock {

struct MockOptions {
  std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free one
  std::string config_file;             // optional YAML describing the clouds; empty = defaults
  unsigned threads = 1;
};

// Runs until SIGINT/SIGTERM. Prints "mock listening on HOST:PORT" on stdout (flushed) once bound.
// Returns the process exit code.
int run_mock(const MockOptions& options);

}  // namespace tollbooth::mock
