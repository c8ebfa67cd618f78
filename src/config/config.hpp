#pragma once
// The validated, immutable configuration snapshot (see docs/config.md for the YAML shape).
// Loading throws ConfigError only at start-up; the request path reads a const Config.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tollbooth {

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4000;                        // 0 = pick a free port (tests)
  unsigned workers = 0;                             // 0 = one per core ("auto")
  std::size_t max_body_bytes = 8u << 20;            // request bodies above this get 413
  std::size_t max_header_bytes = 16u << 10;         // request heads above this get 431
  std::chrono::milliseconds read_timeout{30'000};   // to receive one whole request
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive idle between requests
  std::chrono::milliseconds drain_timeout{30'000};  // max wait for in-flight work on SIGTERM
};

enum class ProviderKind { openai, azure };

// How an Azure provider addresses models.
enum class AzureApi {
  deployments,  // {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...
  v1,           // {endpoint}/openai/v1/chat/completions, model = deployment name
};

struct ProviderConfig {
  std::string name;
  ProviderKind kind = ProviderKind::openai;
  // openai: base_url such as https://api.openai.com/v1 (path prefix kept);
  // azure: endpoint such as https://contoso.openai.azure.com (a path prefix, such as a mock's
  // /azure-east, is kept). Never ends with '/'.
  std::string base_url;
  std::string api_key;      // resolved secret (from env:NAME); never logged
  std::string api_version;  // azure deployments form only; required there
  AzureApi azure_api = AzureApi::deployments;
  std::string region;   // informational label for now
  std::string ca_file;  // extra CA bundle for https upstreams; empty = system store
  bool verify_tls = true;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds first_byte_timeout{60'000};  // request sent → response head
  std::chrono::milliseconds idle_timeout{60'000};        // between body reads
  std::size_t max_idle_connections = 64;                 // per worker, per host
};

struct RouteConfig {
  std::string provider;        // key into Config::providers
  std::string upstream_model;  // openai: `model:` (default = public name); azure: `deployment:`
  int line = 0;                // YAML line of this route, for messages
};

struct ModelConfig {
  std::string name;  // public name clients send
  std::string owned_by = "tollbooth";
  std::vector<RouteConfig> routes;  // tried in order
};

struct Config {
  std::string source_file;
  ServerConfig server;
  std::map<std::string, ProviderConfig> providers;
  std::vector<ModelConfig> models;  // in file order (that is also the /v1/models order)

  const ModelConfig* find_model(std::string_view name) const;
  const ProviderConfig* find_provider(std::string_view name) const;
};

// One problem found in a config file: where it is and what was expected there.
struct ConfigProblem {
  std::string file;
  int line = 0;  // 1-based; 0 when the problem has no position (e.g. file missing)
  int column = 0;
  std::string message;
};

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<ConfigProblem> problems);
  const std::vector<ConfigProblem>& problems() const noexcept { return problems_; }

 private:
  std::vector<ConfigProblem> problems_;
};

// Reads a function that resolves environment variables; injected so tests need no real env.
using EnvLookup = const char* (*)(const char*);

// Parses and validates; collects every problem and throws ConfigError listing all of them.
std::shared_ptr<const Config> load_config_file(const std::string& path, EnvLookup env = nullptr);
std::shared_ptr<const Config> load_config_string(const std::string& yaml,
                                                 const std::string& name_for_messages,
                                                 EnvLookup env = nullptr);

// "file:line:col: message" lines, one per problem.
std::string format_problems(const std::vector<ConfigProblem>& problems);

}  // namespace tollbooth
