#include "cli/route_command.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <vector>

#include "api/openai/chat_request.hpp"
#include "config/config.hpp"
#include "core/date.hpp"
#include "routing/catalog.hpp"
#include "routing/explain.hpp"
#include "routing/planner.hpp"

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

std::shared_ptr<const Config> load(const std::string& path) {
  try {
    // Planning needs no secret: `env:NAME` references read as a placeholder, so the commands
    // work on a config whose variables are not set here (a laptop, a CI job).
    return load_config_file(path, [](const char*) -> const char* { return "(not read)"; });
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

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int run_route(const RouteOptions& options) {
  if (!options.key.empty()) {
    std::cerr << "--key: API keys arrive in a later version of tollbooth; this version cannot "
                 "plan for a key. Use --regions to restrict regions.\n";
    return kExitUsage;
  }
  auto today = day_of(options.at);
  if (!today) return kExitUsage;
  auto config = load(options.config_path);
  if (!config) return kExitProblem;
  auto body = read_body(options.request_file);
  if (!body) {
    std::cerr << options.request_file << ": cannot read the request body\n";
    return kExitProblem;
  }
  // The same inspection the gateway runs on every request: what --explain prints is what the
  // gateway would decide.
  auto facts = openai::inspect_chat_request(*body);
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
  routing::PriceBook prices(config->prices);
  routing::Catalog catalog(*config, prices);
  const routing::CatalogModel* model = catalog.find(needs.model);
  if (!model) {
    std::cerr << fmt::format("model {:?} is not in {} (clients would get 404)\n", needs.model,
                             options.config_path);
    return kExitProblem;
  }
  std::vector<std::string> regions = split_list(options.regions);
  routing::PlanInput input;
  input.needs = needs.needs;
  input.estimated_input_tokens = needs.estimated_input_tokens;
  input.max_output_tokens = needs.max_output_tokens;
  input.today = *today;
  input.now_ms = now_unix_ms();
  input.random = options.seed ? *options.seed : std::random_device{}();
  input.allowed_regions = regions;
  routing::Plan plan;
  routing::plan(catalog, *model, input, nullptr, plan);
  std::cout << fmt::format("date: {} (UTC){}\n", format_date(*today),
                           regions.empty() ? "" : ", regions: " + options.regions);
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
  routing::PriceBook prices(config->prices);
  routing::Catalog catalog(*config, prices);
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
