#include "app/config_check.hpp"

#include <exception>

#include "config/config.hpp"
#include "limits/redis_url.hpp"
#include "prices/price_book.hpp"

namespace tollbooth {

CheckedConfig check_config_file(const std::string& path, Days today) {
  CheckedConfig out;
  std::shared_ptr<const Config> config;
  try {
    config = load_config_file(path);
    if (!config->store.redis_url.empty()) {
      // Parsed by limits/, which config/ may not include.
      auto url = limits::parse_redis_url(config->store.redis_url);
      if (!url) {
        out.problems = path + ": store.redis: " + url.error().message + "\n";
        return out;
      }
    }
    // The price file is read by prices/, which config/ may not include.
    prices::PriceBook prices(*config);
    if (config->billing.unpriced == Unpriced::refuse) {
      for (const auto& route : prices::unpriced_routes(*config, prices, today))
        out.warnings +=
            path + ": warning: " + route + "; it is not used (billing.unpriced: refuse)\n";
    }
  } catch (const ConfigError& e) {
    const std::size_t n = e.problems().size();
    out.problems = format_problems(e.problems()) + path + ": " + std::to_string(n) + " problem" +
                   (n == 1 ? "" : "s") + "\n";
    return out;
  } catch (const std::exception& e) {
    out.problems = path + ": " + e.what() + "\n";
    return out;
  }
  std::size_t routes = 0;
  for (const auto& m : config->models) routes += m.routes.size();
  out.summary = path + ": ok (" + std::to_string(config->providers.size()) + " providers, " +
                std::to_string(config->models.size()) + " models, " + std::to_string(routes) +
                " routes)";
  out.config = std::move(config);
  return out;
}

}  // namespace tollbooth
