#pragma once
// The config's models resolved once at start-up: each public model name to its ordered routes,
// with the provider and the upstream connection target already looked up, so a request costs
// one hash lookup. Routing rules (capabilities, contracts, health) will narrow these routes.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aws/credentials.hpp"

namespace tollbooth {

struct Config;
struct ModelConfig;
struct ProviderConfig;
struct RouteConfig;
struct UpstreamTarget;

struct ResolvedRoute {
  const ProviderConfig* provider = nullptr;
  const RouteConfig* route = nullptr;
  std::shared_ptr<const UpstreamTarget> target;
  std::shared_ptr<const aws::Auth> aws_auth;  // bedrock: credentials resolved at start-up
};

struct ResolvedModel {
  const ModelConfig* model = nullptr;
  std::vector<ResolvedRoute> routes;
};

class RouteTable {
 public:
  // Throws std::runtime_error when a provider's URL or CA file is unusable, or when a bedrock
  // provider has no usable credentials (the message names the provider and the sources tried,
  // never a secret). `lookups` defaults to the process environment and file system.
  explicit RouteTable(std::shared_ptr<const Config> config, const aws::Lookups* lookups = nullptr);
  const ResolvedModel* find(std::string_view model) const;
  const Config& config() const { return *config_; }
  // "bedrock-us: <where its credentials came from>" per bedrock provider, for the start-up log.
  const std::vector<std::string>& credential_sources() const { return credential_sources_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::shared_ptr<const Config> config_;
  std::vector<std::string> credential_sources_;
  std::unordered_map<std::string, ResolvedModel, Hash, std::equal_to<>> models_;
};

}  // namespace tollbooth
