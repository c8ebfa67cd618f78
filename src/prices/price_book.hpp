#pragma once
// Each route's price history, resolved once from the config and a price file:
//   1. the config's `prices:` entries for (provider name, public model), if there are any,
//      replace the file entirely for that route;
//   2. else the file's entries for (provider kind, upstream model id, the provider's region);
//   3. else the file's entries for (provider kind, upstream model id) without a region.
// The upstream model id is the route's `model` (openai), its `model` or else the public model
// name (azure: deployments have names of their own), or its `model_id` without an
// inference-profile prefix (bedrock). Pure once built; no I/O but loading the file.
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "prices/price_file.hpp"

namespace tollbooth::prices {

// A Bedrock model id without its cross-region inference-profile prefix ("us.", "eu.", "apac.",
// "global.", ...): "us.anthropic.claude-3-5-sonnet-20240620-v1:0" ->
// "anthropic.claude-3-5-sonnet-20240620-v1:0". An ARN gives the part after its last '/' (then
// without a prefix). Anything else is returned as it is.
std::string_view strip_inference_profile(std::string_view model_id) noexcept;

// The model id a route is priced by in a price file (see the top of this file).
std::string price_model_id(const ProviderConfig& provider, const RouteConfig& route,
                           std::string_view public_model);

class PriceBook {
 public:
  // The config's `prices:` over `file`.
  PriceBook(const Config& config, std::shared_ptr<const PriceFile> file);
  // Over the file `billing.price_catalog` names, else the bundled one. Throws ConfigError when
  // that file cannot be read or has problems.
  explicit PriceBook(const Config& config);

  // The route's prices, oldest first (each from a different day); empty when nothing prices
  // it.
  std::vector<DatedPrice> history(const ProviderConfig& provider, const RouteConfig& route,
                                  std::string_view public_model) const;

  const PriceFile& file() const { return *file_; }

 private:
  std::shared_ptr<const PriceFile> file_;
  // (provider name, public model) -> its history from the config, oldest first.
  std::map<std::pair<std::string, std::string>, std::vector<DatedPrice>> config_;
};

// The price in force on `day`: the last entry of `history` (oldest first) that took effect on
// or before it; nullptr when none has yet.
const DatedPrice* price_in_force(std::span<const DatedPrice> history, Days day) noexcept;

// "model gpt-4o, route 2 (openai): no price in force on 2026-12-01" for every route of the
// config without a price on `day`, in file order (for `tollbooth check`).
std::vector<std::string> unpriced_routes(const Config& config, const PriceBook& book, Days day);

}  // namespace tollbooth::prices
