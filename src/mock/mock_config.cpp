#include "mock/mock_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tollbooth::mock {
namespace {

constexpr std::string_view kCloudKeys[] = {
    "kind",   "prefix", "api_key", "fault",         "stream_delay_ms",  "deployments",
    "models", "record", "region",  "access_key_id", "secret_access_key"};

class Reader {
 public:
  Reader(std::string_view source, const EnvLookup& env) : source_(source), env_(env) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
    const auto mark = at.Mark();
    std::string where(source_);
    if (mark.line >= 0) where += ":" + std::to_string(mark.line + 1);
    throw std::runtime_error(where + ": " + message);
  }

  std::string scalar(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail(node, what + " must be a string");
    return node.Scalar();
  }

  template <class T>
  T as(const YAML::Node& node, const std::string& what, const char* expected) const {
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      fail(node, what + " must be " + expected);
    }
  }

  std::string secret(const YAML::Node& node, const std::string& what) const {
    auto value = scalar(node, what);
    if (value.rfind("env:", 0) != 0) return value;
    const auto name = value.substr(4);
    auto resolved = env_(name);
    if (!resolved || resolved->empty()) {
      fail(node, what + " refers to environment variable " + name + ", which is not set");
    }
    return *resolved;
  }

  CloudConfig cloud(const std::string& name, const YAML::Node& node) const;

 private:
  void check_keys(const std::string& name, const YAML::Node& node) const;
  void read_lists(CloudConfig& c, const YAML::Node& node) const;
  void read_bedrock(CloudConfig& c, const YAML::Node& node) const;

  std::string_view source_;
  const EnvLookup& env_;
};

void Reader::check_keys(const std::string& name, const YAML::Node& node) const {
  for (const auto& kv : node) {
    const auto key = kv.first.Scalar();
    if (std::find(std::begin(kCloudKeys), std::end(kCloudKeys), key) != std::end(kCloudKeys)) {
      continue;
    }
    fail(kv.first, "unknown key '" + key + "' in cloud '" + name +
                       "' (expected kind, prefix, api_key, fault, stream_delay_ms, deployments, "
                       "models, record, region, access_key_id or secret_access_key)");
  }
}

void Reader::read_lists(CloudConfig& c, const YAML::Node& node) const {
  const auto ctx = "cloud '" + c.name + "': ";
  if (const auto deps = node["deployments"]) {
    if (c.kind != CloudKind::azure) fail(deps, ctx + "deployments are for kind azure");
    if (!deps.IsMap()) fail(deps, ctx + "deployments must be a map of deployment: model");
    for (const auto& kv : deps) {
      c.deployments.emplace_back(scalar(kv.first, ctx + "deployment name"),
                                 scalar(kv.second, ctx + "deployment model"));
    }
  }
  if (const auto models = node["models"]) {
    if (c.kind != CloudKind::openai) fail(models, ctx + "models are for kind openai");
    if (!models.IsSequence()) fail(models, ctx + "models must be a list of model names");
    for (const auto& m : models) c.models.push_back(scalar(m, ctx + "model"));
  }
}

void Reader::read_bedrock(CloudConfig& c, const YAML::Node& node) const {
  const auto ctx = "cloud '" + c.name + "': ";
  const auto region = node["region"];
  const auto akid = node["access_key_id"];
  const auto secret_key = node["secret_access_key"];
  if (c.kind != CloudKind::bedrock) {
    for (const auto& n : {region, akid, secret_key}) {
      if (n) fail(n, ctx + "region, access_key_id and secret_access_key are for kind bedrock");
    }
    return;
  }
  if (region) {
    c.region = scalar(region, ctx + "region");
    if (c.region.empty()) fail(region, ctx + "region must not be empty");
  }
  if (akid) c.access_key_id = secret(akid, ctx + "access_key_id");
  if (secret_key) c.secret_access_key = secret(secret_key, ctx + "secret_access_key");
  if (c.access_key_id.empty() != c.secret_access_key.empty()) {
    fail(akid ? akid : secret_key,
         ctx + "access_key_id and secret_access_key must be given together");
  }
}

CloudConfig Reader::cloud(const std::string& name, const YAML::Node& node) const {
  if (!node.IsMap()) fail(node, "cloud '" + name + "' must be a map");
  check_keys(name, node);
  const auto ctx = "cloud '" + name + "': ";
  CloudConfig c;
  c.name = name;
  const auto kind = node["kind"];
  if (!kind) fail(node, ctx + "kind is required (openai, azure or bedrock)");
  const auto kind_text = scalar(kind, ctx + "kind");
  if (kind_text == "openai")
    c.kind = CloudKind::openai;
  else if (kind_text == "azure")
    c.kind = CloudKind::azure;
  else if (kind_text == "bedrock")
    c.kind = CloudKind::bedrock;
  else
    fail(kind, ctx + "kind must be openai, azure or bedrock, not '" + kind_text + "'");
  if (const auto p = node["prefix"]) {
    c.prefix = scalar(p, ctx + "prefix");
    if (!c.prefix.empty() && c.prefix.front() != '/') fail(p, ctx + "prefix must start with '/'");
    while (!c.prefix.empty() && c.prefix.back() == '/') c.prefix.pop_back();
  }
  if (const auto k = node["api_key"]) c.api_key = secret(k, ctx + "api_key");
  if (const auto f = node["fault"]) {
    c.fault_text = scalar(f, ctx + "fault");
    auto spec = parse_fault_spec(c.fault_text);
    if (!spec) fail(f, ctx + spec.error().message);
    c.fault = *spec;
  }
  if (const auto d = node["stream_delay_ms"]) {
    c.stream_delay_ms = as<int>(d, ctx + "stream_delay_ms", "an integer");
    if (c.stream_delay_ms < 0 || c.stream_delay_ms > 60'000) {
      fail(d, ctx + "stream_delay_ms must be from 0 to 60000");
    }
  }
  if (const auto r = node["record"]) c.record = as<bool>(r, ctx + "record", "true or false");
  read_lists(c, node);
  read_bedrock(c, node);
  return c;
}

CloudConfig make_default(std::string name, CloudKind kind) {
  CloudConfig c;
  c.name = std::move(name);
  c.kind = kind;
  return c;
}

}  // namespace

MockConfig default_mock_config() {
  MockConfig config;
  config.clouds.push_back(make_default("openai", CloudKind::openai));
  config.clouds.push_back(make_default("azure", CloudKind::azure));
  return config;
}

MockConfig parse_mock_config(std::string_view yaml, std::string_view source, const EnvLookup& env) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    throw std::runtime_error(std::string(source) + ":" + std::to_string(e.mark.line + 1) + ": " +
                             e.msg);
  }
  Reader reader(source, env);
  if (!root.IsMap()) reader.fail(root, "expected a map with a 'clouds' key");
  for (const auto& kv : root) {
    if (kv.first.Scalar() != "clouds") {
      reader.fail(kv.first, "unknown key '" + kv.first.Scalar() + "' (expected 'clouds')");
    }
  }
  const auto clouds = root["clouds"];
  if (!clouds || !clouds.IsMap() || clouds.size() == 0) {
    reader.fail(clouds ? clouds : root, "'clouds' must be a non-empty map of name: cloud");
  }
  MockConfig config;
  for (const auto& kv : clouds) {
    auto name = reader.scalar(kv.first, "cloud name");
    for (const auto& seen : config.clouds) {
      if (seen.name == name) reader.fail(kv.first, "cloud '" + name + "' is defined twice");
    }
    config.clouds.push_back(reader.cloud(name, kv.second));
  }
  return config;
}

MockConfig load_mock_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the mock config file");
  std::ostringstream text;
  text << in.rdbuf();
  auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  return parse_mock_config(text.str(), path, env);
}

}  // namespace tollbooth::mock
