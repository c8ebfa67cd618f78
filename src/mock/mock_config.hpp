#pragma once
// The mock's clouds: which wire each speaks, where it is mounted, what key it wants and which
// faults it injects. Loaded once at start-up from YAML (docs/mock.md); read-only afterwards.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mock/mock_fault.hpp"

namespace tollbooth::mock {

enum class CloudKind { openai, azure, bedrock };

struct CloudConfig {
  std::string name;
  CloudKind kind = CloudKind::openai;
  std::string prefix;   // "" or "/path" without a trailing slash
  std::string api_key;  // resolved secret; empty accepts any non-empty key
  std::string fault_text;
  FaultSpec fault;  // applied to every request unless x-mock-fault overrides it
  int stream_delay_ms = 0;
  // Azure: deployment -> underlying model it reports; empty accepts any deployment and reports
  // its name as the model.
  std::vector<std::pair<std::string, std::string>> deployments;
  // OpenAI: the models it serves (for /v1/models and a 404 on others); empty accepts any.
  std::vector<std::string> models;
  bool record = true;  // keep its requests for GET /_mock/requests
  // Bedrock: the SigV4 region and credentials; an empty access key skips the signature check.
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
};

struct MockConfig {
  std::vector<CloudConfig> clouds;  // in file order
};

// An `openai` cloud and an `azure` cloud, both at prefix "" and accepting any key.
MockConfig default_mock_config();

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Parses YAML text. `source` names the file in messages. Throws std::runtime_error with
// "source:line: message" on any problem, unknown keys included.
MockConfig parse_mock_config(std::string_view yaml, std::string_view source, const EnvLookup& env);
// Reads and parses a file, resolving env:NAME from the process environment.
MockConfig load_mock_config(const std::string& path);

}  // namespace tollbooth::mock
