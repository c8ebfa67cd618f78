// Loading a config file: YAML text -> tree -> sections (server here; providers and models in
// their own files) -> one ConfigError listing every problem, or an immutable Config.
#include "config/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "config/config_sections.hpp"
#include "config/config_values.hpp"
#include "core/date.hpp"

namespace tollbooth {
namespace config_detail {
namespace {

constexpr std::size_t kMaxWorkers = 1024;
constexpr std::size_t kMaxConnections = 10'000'000;

void read_listen(Reader& r, const Field& f, ServerConfig& server) {
  std::string text;
  if (!r.text(f, text, "host:port like 127.0.0.1:4000")) return;
  auto parsed = parse_listen(text);
  if (!parsed.address) {
    r.problem(f, fmt::format("{} is not a listen address; {}", quote_value(text), parsed.error));
    return;
  }
  server.host = parsed.address->host;
  server.port = parsed.address->port;
}

// `auto` (stored as 0) or a whole number from 1 to `max`; `noun` names it in messages.
template <class T>
void read_auto_or_count(Reader& r, const Field& f, std::uint64_t max, std::string_view noun,
                        T& out) {
  std::string expected = fmt::format("auto or an integer from 1 to {}", max);
  std::string text;
  if (!r.text(f, text, expected)) return;
  if (text == "auto") {
    out = 0;
    return;
  }
  auto number = parse_unsigned(text);
  if (!number || *number < 1 || *number > max) {
    r.problem(f, fmt::format("{} is not a {}; expected {}", quote_value(text), noun, expected));
    return;
  }
  out = static_cast<T>(*number);
}

}  // namespace

void read_server(Reader& r, const Field& f, ServerConfig& s) {
  r.read_map(
      f,
      {
          {"listen", [&](const Field& v) { read_listen(r, v, s); }},
          {"workers",
           [&](const Field& v) {
             read_auto_or_count(r, v, kMaxWorkers, "worker count", s.workers);
           }},
          {"max_body_bytes", [&](const Field& v) { r.size(v, s.max_body_bytes); }},
          {"max_header_bytes", [&](const Field& v) { r.size(v, s.max_header_bytes); }},
          {"read_timeout", [&](const Field& v) { r.duration(v, s.read_timeout); }},
          {"idle_timeout", [&](const Field& v) { r.duration(v, s.idle_timeout); }},
          // 0 is meaningful: stop at once without waiting for in-flight requests.
          {"drain_timeout", [&](const Field& v) { r.duration(v, s.drain_timeout, true); }},
          {"admin_key", [&](const Field& v) { r.secret(v, s.admin_key); }},
          {"max_connections",
           [&](const Field& v) {
             read_auto_or_count(r, v, kMaxConnections, "connection count", s.max_connections);
           }},
          {"max_response_bytes", [&](const Field& v) { r.size(v, s.max_response_bytes); }},
          {"max_buffered_bytes", [&](const Field& v) { r.size(v, s.max_buffered_bytes); }},
          {"max_stream_event_bytes", [&](const Field& v) { r.size(v, s.max_stream_event_bytes); }},
      });
}

}  // namespace config_detail

namespace {

using config_detail::Field;
using config_detail::Reader;

void read_root(Reader& r, const Field& root, Config& config) {
  std::optional<Field> server, providers, models, contracts, prices, routing, auth, store, limits,
      teams, keys, billing, metrics;
  auto seen = r.read_map(root, {
                                   {"server", [&](const Field& v) { server = v; }},
                                   {"providers", [&](const Field& v) { providers = v; }},
                                   {"models", [&](const Field& v) { models = v; }},
                                   {"contracts", [&](const Field& v) { contracts = v; }},
                                   {"prices", [&](const Field& v) { prices = v; }},
                                   {"routing", [&](const Field& v) { routing = v; }},
                                   {"auth", [&](const Field& v) { auth = v; }},
                                   {"store", [&](const Field& v) { store = v; }},
                                   {"limits", [&](const Field& v) { limits = v; }},
                                   {"teams", [&](const Field& v) { teams = v; }},
                                   {"keys", [&](const Field& v) { keys = v; }},
                                   {"billing", [&](const Field& v) { billing = v; }},
                                   {"metrics", [&](const Field& v) { metrics = v; }},
                               });
  if (!seen) return;
  // Providers before models, whatever the file order: routes are checked against them.
  config_detail::Declared declared;
  if (server) config_detail::read_server(r, *server, config.server);
  if (providers) config_detail::read_providers(r, *providers, config, declared);
  if (!providers) r.missing(root, "providers", "a mapping of provider names to clouds");
  if (models) config_detail::read_models(r, *models, config, declared);
  if (!models) r.missing(root, "models", "a mapping of public model names to routes");
  // Contracts name providers and models; prices name both.
  if (contracts) config_detail::read_contracts(r, *contracts, config, declared);
  if (prices) config_detail::read_prices(r, *prices, config, declared);
  if (routing) config_detail::read_routing(r, *routing, config.routing);
  if (billing) config_detail::read_billing(r, *billing, config.billing);
  if (auth) config_detail::read_auth(r, *auth, config.auth);
  config.store.sqlite_path = (r.base_dir() / "tollbooth.db").string();
  if (store) config_detail::read_store(r, *store, config.store);
  if (limits) config_detail::read_limits(r, *limits, config.limits);
  if (metrics) config_detail::read_metrics(r, *metrics, config.metrics);
  // Keys name teams.
  if (teams) config_detail::read_teams(r, *teams, config);
  if (keys) config_detail::read_keys(r, *keys, config);
}

std::shared_ptr<const Config> load(const std::string& yaml, const std::string& name, EnvLookup env,
                                   std::filesystem::path base_dir) {
  Reader r(name, env, std::move(base_dir));
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml);
  } catch (const YAML::Exception& e) {
    r.problem_at(e.mark, "YAML syntax error: " + e.msg);
    throw ConfigError(r.take_problems());
  }
  auto config = std::make_shared<Config>();
  config->source_file = name;
  if (documents.empty() || documents[0].IsNull()) {
    r.problem_at(YAML::Mark::null_mark(),
                 "the file is empty; expected a mapping with server, providers and models");
  } else if (!documents[0].IsMap()) {
    r.problem_at(documents[0].Mark(),
                 "expected a mapping with server, providers and models at "
                 "the top level");
  } else {
    const YAML::Node& root = documents[0];
    read_root(r, Field{root, "", "", root.Mark(), root.Mark()}, *config);
  }
  if (documents.size() > 1) {
    r.problem_at(documents[1].Mark(),
                 "a second YAML document (after ---) would be ignored; "
                 "expected one document per file");
  }
  if (!r.ok()) throw ConfigError(r.take_problems());
  return config;
}

}  // namespace

const ModelConfig* Config::find_model(std::string_view name) const {
  auto it = std::find_if(models.begin(), models.end(),
                         [&](const ModelConfig& m) { return m.name == name; });
  return it == models.end() ? nullptr : &*it;
}

const ProviderConfig* Config::find_provider(std::string_view name) const {
  auto it = providers.find(std::string(name));
  return it == providers.end() ? nullptr : &it->second;
}

const ContractConfig* Config::contract_of(std::string_view provider) const {
  for (const auto& [name, contract] : contracts) {
    for (const auto& p : contract.providers)
      if (p == provider) return &contract;
  }
  return nullptr;
}

ConfigError::ConfigError(std::vector<ConfigProblem> problems)
    : std::runtime_error(format_problems(problems)), problems_(std::move(problems)) {}

std::string format_problems(const std::vector<ConfigProblem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    if (p.line > 0) {
      out += fmt::format("{}:{}:{}: {}\n", p.file, p.line, p.column, p.message);
    } else {
      out += fmt::format("{}: {}\n", p.file, p.message);
    }
  }
  return out;
}

const char* env_or_not_read(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : kSecretNotRead;
}

std::shared_ptr<const Config> load_config_file(const std::string& path, EnvLookup env) {
  auto fail = [&](std::string why) {
    throw ConfigError(
        {ConfigProblem{path, 0, 0, fmt::format("{}; expected a readable YAML config file", why)}});
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail("is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(fmt::format("cannot open: {}", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail(fmt::format("cannot read: {}", std::strerror(errno)));
  // Relative paths inside the file (ca_file) are relative to the file, not to the cwd.
  return load(text.str(), path, env, std::filesystem::path(path).parent_path());
}

std::shared_ptr<const Config> load_config_string(const std::string& yaml,
                                                 const std::string& name_for_messages,
                                                 EnvLookup env) {
  return load(yaml, name_for_messages, env, {});
}

std::string commitment_period(const CommitmentConfig& c) {
  return format_date(c.from) + ".." + format_date(c.to);
}

}  // namespace tollbooth
