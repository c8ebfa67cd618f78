#include "prices/price_book.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace tollbooth::prices {
namespace {

// Bedrock's cross-region inference profiles: the geography before the model id.
constexpr std::array<std::string_view, 8> kProfilePrefixes = {"us.", "us-gov.", "eu.", "apac.",
                                                              "jp.", "au.",     "ca.", "global."};

TokenPrices token_prices(const PriceConfig& p) {
  TokenPrices t;
  t.input_per_mtok = p.input_per_mtok;
  t.output_per_mtok = p.output_per_mtok;
  if (p.cached_input_per_mtok) t.cached_input_per_mtok = *p.cached_input_per_mtok;
  if (p.cache_write_per_mtok) t.cache_write_per_mtok = *p.cache_write_per_mtok;
  return t;
}

bool older(const DatedPrice& a, const DatedPrice& b) {
  return a.from < b.from;
}

// The file's history for (kind, model, region), oldest first; empty when it has none.
std::vector<DatedPrice> file_history(const PriceFile& file, ProviderKind kind,
                                     std::string_view model, std::string_view region) {
  auto key = [](const PriceEntry& e) { return std::tie(e.kind, e.model, e.region); };
  PriceEntry probe;
  probe.kind = kind;
  probe.model = std::string(model);
  probe.region = std::string(region);
  auto [begin, end] =
      std::equal_range(file.entries.begin(), file.entries.end(), probe,
                       [&](const PriceEntry& a, const PriceEntry& b) { return key(a) < key(b); });
  std::vector<DatedPrice> out;
  for (auto it = begin; it != end; ++it) out.push_back(it->price);
  return out;  // the file is sorted by from within a history
}

}  // namespace

std::string_view strip_inference_profile(std::string_view model_id) noexcept {
  if (model_id.starts_with("arn:")) {
    auto slash = model_id.rfind('/');
    if (slash != std::string_view::npos) model_id.remove_prefix(slash + 1);
  }
  for (std::string_view prefix : kProfilePrefixes) {
    // Only when a model id follows: "us." alone is not a profile.
    if (model_id.starts_with(prefix) && model_id.find('.', prefix.size()) != std::string_view::npos)
      return model_id.substr(prefix.size());
  }
  return model_id;
}

std::string price_model_id(const ProviderConfig& provider, const RouteConfig& route,
                           std::string_view public_model) {
  switch (provider.kind) {
    case ProviderKind::openai: return route.upstream_model;
    case ProviderKind::azure:
      return route.deployed_model.empty() ? std::string(public_model) : route.deployed_model;
    case ProviderKind::bedrock: return std::string(strip_inference_profile(route.upstream_model));
  }
  return route.upstream_model;
}

PriceBook::PriceBook(const Config& config, std::shared_ptr<const PriceFile> file)
    : file_(std::move(file)) {
  for (const PriceConfig& p : config.prices) {
    std::string source = fmt::format("config {}:{}", config.source_file, p.line);
    config_[{p.provider, p.model}].push_back(
        DatedPrice{p.effective_from, token_prices(p), std::move(source)});
  }
  for (auto& [pair, history] : config_) std::stable_sort(history.begin(), history.end(), older);
}

PriceBook::PriceBook(const Config& config)
    : PriceBook(config, config.billing.price_catalog.empty()
                            ? bundled_price_file()
                            : std::make_shared<const PriceFile>(
                                  read_price_file(config.billing.price_catalog))) {}

std::vector<DatedPrice> PriceBook::history(const ProviderConfig& provider, const RouteConfig& route,
                                           std::string_view public_model) const {
  auto configured = config_.find(std::pair(provider.name, std::string(public_model)));
  if (configured != config_.end()) return configured->second;
  std::string model = price_model_id(provider, route, public_model);
  if (!provider.region.empty()) {
    auto regional = file_history(*file_, provider.kind, model, provider.region);
    if (!regional.empty()) return regional;
  }
  return file_history(*file_, provider.kind, model, "");
}

const DatedPrice* price_in_force(std::span<const DatedPrice> history, Days day) noexcept {
  // Histories are a few entries long: the last one that has begun.
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->from <= day) return &*it;
  }
  return nullptr;
}

std::vector<std::string> unpriced_routes(const Config& config, const PriceBook& book, Days day) {
  std::vector<std::string> out;
  for (const ModelConfig& model : config.models) {
    for (std::size_t i = 0; i < model.routes.size(); ++i) {
      const RouteConfig& route = model.routes[i];
      const ProviderConfig* provider = config.find_provider(route.provider);
      if (!provider) continue;
      auto history = book.history(*provider, route, model.name);
      if (price_in_force(history, day)) continue;
      out.push_back(fmt::format("model {}, route {} ({}): no price in force on {}", model.name,
                                i + 1, route.provider, format_date(day)));
    }
  }
  return out;
}

}  // namespace tollbooth::prices
