#include "cli/route_command.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <vector>

#include "access/snapshot.hpp"
#include "api/openai/chat_request.hpp"
#include "api/openai/responses_request.hpp"
#include "cli/config_store.hpp"
#include "config/config.hpp"
#include "core/commitment_burn.hpp"
#include "core/date.hpp"
#include "core/glob.hpp"
#include "routing/burn.hpp"
#include "routing/catalog.hpp"
#include "routing/explain.hpp"
#include "routing/planner.hpp"
#include "store/store.hpp"

namespace tollbooth::cli {
namespace {

constexpr int kExitProblem = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoRoute = 3;

std::int64_t now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// --at, or today's UTC date. nullopt (after a message) when --at is not a date.
std::optional<Days> day_of(const std::string& at) {
  if (at.empty()) return days_from_unix_ms(now_unix_ms());
  auto day = parse_date(at);
  if (!day) std::cerr << "--at " << at << ": not a date; expected YYYY-MM-DD\n";
  return day;
}

std::shared_ptr<const Config> load(const std::string& path, bool read_env = false) {
  try {
    // Planning needs no secret: `env:NAME` references read as a placeholder, so the commands
    // work on a config whose variables are not set here (a laptop, a CI job).
    // --key reads the store, whose address may be a variable (store.postgres:
    // env:DATABASE_URL): the variables that are set are read; the rest stay placeholders.
    if (read_env) return load_config_file(path, &env_or_not_read);
    return load_config_file(path, [](const char*) -> const char* { return kSecretNotRead; });
  } catch (const ConfigError& e) {
    std::cerr << format_problems(e.problems());
    return nullptr;
  }
}

// The config's prices over its price file (billing.price_catalog or the bundled one); null
// after printing the file's problems.
std::unique_ptr<routing::PriceBook> load_prices(const Config& config) {
  try {
    return std::make_unique<routing::PriceBook>(config);
  } catch (const ConfigError& e) {
    std::cerr << format_problems(e.problems());
    return nullptr;
  }
}

std::optional<std::string> read_body(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  text << in.rdbuf();
  return text.str();
}

// Whether `body` is a Responses API body (POST /v1/responses) rather than a chat completions
// one: a JSON object without `messages`. Anything else is read as a chat body, whose inspection
// says what is wrong with it.
bool is_responses_body(const std::string& body) {
  boost::json::parse_options options;
  options.max_depth = 512;  // as deep as the gateway's readers nest (json/depth.hpp)
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(body, ec, {}, options);
  return !ec && v.is_object() && !v.as_object().contains("messages");
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// What --key plans with: the key (from the config's keys: or its store) and its team.
struct KeyView {
  access::Key key;
  std::optional<access::Team> team;
};

std::optional<KeyView> find_key(const Config& config, const std::string& id) {
  KeyView view;
  bool found = false;
  for (const auto& d : config.keys) {
    if (d.key.id == id) {
      view.key = d.key;
      found = true;
    }
  }
  std::unique_ptr<Store> store;
  if (config.auth == AuthMode::keys || config.store.declared) store = open_config_store(config);
  if (!found && store) {
    if (auto k = store->find_key(id)) {
      view.key = std::move(*k);
      found = true;
    }
  }
  if (!found) return std::nullopt;
  if (!view.key.team.empty()) {
    for (const auto& t : config.teams)
      if (t.id == view.key.team) view.team = t;
    if (!view.team && store) view.team = store->find_team(view.key.team);
  }
  return view;
}

// strategy commitment_burn: what the config's store says each contract has burned, into the
// catalog's burn table (as the gateway seeds it at start). Returns the "burn:" line: where the
// figures come from, or why they are unknown (then the plan orders as if nothing was burned).
std::string load_burn(const std::string& path, std::shared_ptr<const Config> config,
                      const routing::CatalogModel& model, routing::Catalog& catalog) {
  bool committed = false;
  for (const auto& route : catalog.routes(model)) committed = committed || route.commitment;
  if (!committed) return "no route of this model has a commitment: file order";
  constexpr std::string_view kUnknown = "; ordered as if nothing was burned";
  if (config->auth != AuthMode::keys && !config->store.declared)
    return fmt::format("unknown (no store: section, so no ledger){}", kUnknown);
  if (config->store.postgres_url.empty() && !std::filesystem::exists(config->store.sqlite_path)) {
    // Opening it would create it: a gateway has never written a ledger there.
    return fmt::format("unknown (no ledger at {} yet){}", config->store.sqlite_path, kUnknown);
  }
  try {
    // Planning reads no secret, but the store's address may be a variable: read the ones set.
    if (config->store.postgres_url == kSecretNotRead) config = load(path, true);
    if (!config)
      return fmt::format("unknown (the config's variables could not be read){}", kUnknown);
    auto store = open_config_store(*config);
    const auto accruals = store->contract_accruals();
    std::vector<CommitmentBurn> burn;
    for (const auto& contract : accruals) {
      for (const auto& period : contract.burn)
        burn.push_back(CommitmentBurn{contract.contract, period.period, period.burn});
    }
    catalog.burn().set_burn(burn);
    return "from the ledger in " + store->describe();
  } catch (const std::exception& e) {
    return fmt::format("unknown ({}){}", e.what(), kUnknown);
  }
}

// What a Responses body's previous_response_id does to the plan, read from the config's store
// for the caller's key as the gateway reads it (gateway/responses.cpp).
struct Continuation {
  std::string provider;  // not empty: the conversation lives there; the plan is pinned to it
  std::string line;      // the "previous_response_id:" line printed before the plan
};

// nullopt after printing why the gateway would refuse the request, or why the store could not
// be read. `key` is --key's id, "" for requests without a key.
std::optional<Continuation> look_up_previous(const std::string& path,
                                             std::shared_ptr<const Config> config,
                                             const std::string& key, const std::string& id) {
  constexpr std::string_view kRefused = "(clients would get 400 previous_response_not_found)";
  const std::string whose =
      key.empty() ? std::string("requests without a key have") : "key " + key + " has";
  if (config->auth != AuthMode::keys && !config->store.declared) {
    return Continuation{"", fmt::format("{}, not looked up: without a store (auth: none and no "
                                        "store: section) the gateway keeps no responses and "
                                        "passes it on as it came",
                                        id)};
  }
  if (config->store.postgres_url.empty() && !std::filesystem::exists(config->store.sqlite_path)) {
    // Opening it would create it: a gateway has never kept a response there.
    std::cerr << fmt::format(
        "previous_response_id {}: {} no such response: no store at {} yet {}\n", id, whose,
        config->store.sqlite_path, kRefused);
    return std::nullopt;
  }
  // Planning reads no secret, but the store's address may be a variable: read the ones set.
  if (config->store.postgres_url == kSecretNotRead) config = load(path, true);
  if (!config) return std::nullopt;
  try {
    auto store = open_config_store(*config);
    const KeptConversation found =
        find_conversation(*store, key, id, now_unix_ms(), config->server.max_body_bytes);
    switch (found.status) {
      case KeptConversation::Status::found: break;
      case KeptConversation::Status::not_found:
      case KeptConversation::Status::store_failed:
        std::cerr << fmt::format("previous_response_id {}: {} no such response in {} {}\n", id,
                                 whose, store->describe(), kRefused);
        return std::nullopt;
      case KeptConversation::Status::broken:
        std::cerr << fmt::format(
            "previous_response_id {}: it continues response {}, which has expired or was "
            "deleted: the conversation cannot be rebuilt {}\n",
            id, found.missing, kRefused);
        return std::nullopt;
      case KeptConversation::Status::too_long:
        std::cerr << fmt::format(
            "previous_response_id {}: its conversation is longer than a request may be "
            "(server.max_body_bytes) (clients would get 400 conversation_too_long)\n",
            id);
        return std::nullopt;
    }
    const StoredResponse& last = found.chain.front();
    const std::size_t turns = found.chain.size();
    if (!last.provider.empty()) {
      return Continuation{
          last.provider,
          fmt::format("{}, kept in {}: the conversation lives at provider {}, so the plan is "
                      "pinned there",
                      id, store->describe(), last.provider)};
    }
    return Continuation{
        "", fmt::format("{}, kept in {}: the gateway keeps this conversation ({} turn{}) and "
                        "rebuilds its history, so any route may serve",
                        id, store->describe(), turns, turns == 1 ? "" : "s")};
  } catch (const std::exception& e) {
    std::cerr << "previous_response_id " << id << ": " << e.what() << "\n";
    return std::nullopt;
  }
}

}  // namespace

int run_route(const RouteOptions& options) {
  if (!options.key.empty() && !options.regions.empty()) {
    std::cerr << "--key and --regions: give one; a key brings its own (and its team's) regions\n";
    return kExitUsage;
  }
  auto today = day_of(options.at);
  if (!today) return kExitUsage;
  auto config = load(options.config_path, !options.key.empty());
  if (!config) return kExitProblem;
  auto body = read_body(options.request_file);
  if (!body) {
    std::cerr << options.request_file << ": cannot read the request body\n";
    return kExitProblem;
  }
  // The same inspection the gateway runs on every request: what --explain prints is what the
  // gateway would decide. A Responses body is read as POST /v1/responses reads it.
  auto facts = openai::inspect_chat_request(*body);
  if (!facts && is_responses_body(*body)) facts = openai::inspect_responses_request(*body);
  if (!facts) {
    const Error& e = facts.error();
    std::cerr << options.request_file << ": " << e.message
              << (e.param.empty() ? "" : " (" + e.param + ")") << " — clients would get "
              << http_status(e.kind) << "\n";
    return kExitProblem;
  }
  auto& needs = *facts;
  for (const auto& name : split_list(options.needs)) {
    auto capability = capability_from_name(name);
    if (!capability) {
      std::cerr << fmt::format("--needs {}: not a capability; expected some of: {}\n", name,
                               capability_list(CapabilitySet::all()));
      return kExitUsage;
    }
    needs.needs.add(*capability);
  }
  auto prices = load_prices(*config);
  if (!prices) return kExitProblem;
  routing::Catalog catalog(*config, *prices);
  const routing::CatalogModel* model = catalog.find(needs.model);
  if (!model) {
    std::cerr << fmt::format("model {:?} is not in {} (clients would get 404)\n", needs.model,
                             options.config_path);
    return kExitProblem;
  }
  std::vector<std::string> regions = split_list(options.regions);
  std::string who;
  if (!options.key.empty()) {
    std::optional<KeyView> key;
    try {
      key = find_key(*config, options.key);
    } catch (const std::exception& e) {
      std::cerr << "--key: " << e.what() << "\n";
      return kExitProblem;
    }
    if (!key) {
      std::cerr << fmt::format("--key {}: no such key in {} or its store\n", options.key,
                               options.config_path);
      return kExitProblem;
    }
    const std::int64_t now = now_unix_ms();
    if (key->key.revoked_ms != 0 && now >= key->key.revoked_ms) {
      std::cerr << "key " << options.key << " is revoked (clients would get 401)\n";
      return kExitProblem;
    }
    if (key->key.expires_ms != 0 && now >= key->key.expires_ms) {
      std::cerr << "key " << options.key << " has expired (clients would get 401)\n";
      return kExitProblem;
    }
    if (!key->key.team.empty() && !key->team) {
      std::cerr << "key " << options.key << ": its team " << key->key.team
                << " does not exist (clients would get 401)\n";
      return kExitProblem;
    }
    const std::string& name = needs.model;
    bool key_allows = matches_any(key->key.models, name);
    bool team_allows = !key->team || matches_any(key->team->models, name);
    if (!key_allows || !team_allows) {
      std::cerr << fmt::format("{} {} may not use model {} (clients would get 403)\n",
                               key_allows ? "team" : "key",
                               key_allows ? key->team->id : options.key, name);
      return kExitProblem;
    }
    static const std::vector<std::string> kNone;
    regions = access::effective_regions(key->key.regions, key->team ? key->team->regions : kNone);
    who = ", key: " + options.key + (key->team ? " (team " + key->team->id + ")" : "");
    if (!regions.empty()) {
      std::string list;
      for (const auto& r : regions) list += (list.empty() ? "" : ",") + r;
      who += ", regions: " + (list.empty() ? "none in common" : list);
    }
  } else if (!regions.empty()) {
    who = ", regions: " + options.regions;
  }
  // previous_response_id: looked up for the caller's key, as the gateway does before planning.
  std::optional<Continuation> continued;
  if (!needs.previous_response_id.empty()) {
    continued =
        look_up_previous(options.config_path, config, options.key, needs.previous_response_id);
    if (!continued) return kExitProblem;
  }
  std::string burn;
  if (model->strategy == Strategy::commitment_burn)
    burn = load_burn(options.config_path, config, *model, catalog);
  routing::PlanInput input;
  input.needs = needs.needs;
  input.estimated_input_tokens = needs.estimated_input_tokens;
  input.max_output_tokens = needs.max_output_tokens;
  input.today = *today;
  input.now_ms = now_unix_ms();
  input.random = options.seed ? *options.seed : std::random_device{}();
  input.allowed_regions = regions;
  if (continued) input.pinned_provider = continued->provider;
  routing::Plan plan;
  routing::plan(catalog, *model, input, nullptr, plan);
  std::cout << fmt::format("date: {} (UTC){}\n", format_date(*today), who);
  if (continued) std::cout << "previous_response_id: " << continued->line << "\n";
  if (!burn.empty()) std::cout << "burn: " << burn << "\n";
  for (const auto& line : routing::explain_lines(catalog, plan, input.now_ms)) {
    std::cout << line << "\n";
  }
  std::cout << "x-tollbooth-plan: " << routing::plan_header(catalog, plan, input.now_ms) << "\n";
  return plan.empty() ? kExitNoRoute : 0;
}

int run_models(const ModelsOptions& options) {
  auto today = day_of(options.at);
  if (!today) return kExitUsage;
  auto config = load(options.config_path);
  if (!config) return kExitProblem;
  auto prices = load_prices(*config);
  if (!prices) return kExitProblem;
  routing::Catalog catalog(*config, *prices);
  if (!options.json) {
    std::cout << routing::catalog_text(catalog, *today);
    return 0;
  }
  std::string out = "{";
  for (const auto& model : catalog.models()) {
    if (out.size() > 1) out += ',';
    out += boost::json::serialize(boost::json::string(model.name)) + ":" +
           routing::model_facts_json(catalog, model, *today);
  }
  std::cout << out << "}\n";
  return 0;
}

}  // namespace tollbooth::cli
