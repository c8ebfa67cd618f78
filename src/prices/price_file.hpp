#pragma once
// A price file (prices/README.md): dated list prices per provider kind, upstream model id and
// optionally region, each with where it comes from. The bundled one (prices/catalog.yaml) is
// compiled into the binary; `billing.price_catalog` names one that replaces it. Parsing checks
// every value like the config reader does, and reports every problem as file:line:col.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/cost.hpp"
#include "core/date.hpp"

namespace tollbooth::prices {

// One price of a route and the day it takes effect: in force from `from` (a UTC day,
// inclusive) until the next entry of the same history takes effect. List prices, before any
// contract discount.
struct DatedPrice {
  Days from = kNoStartDate;  // kNoStartDate: in force from the beginning
  TokenPrices prices;
  // Where the figure comes from: the file entry's `source:`, or "config FILE:LINE" for an
  // entry of the config's `prices:`.
  std::string source;
};

// One entry of a price file (an entry listing several regions is one entry per region).
struct PriceEntry {
  ProviderKind kind = ProviderKind::openai;
  std::string model;   // the upstream's model id (Bedrock: without an inference-profile prefix)
  std::string region;  // empty: every region without an entry of its own
  DatedPrice price;
  int line = 0;  // in the file, for messages
};

struct PriceFile {
  std::string name;  // the path, or "prices/catalog.yaml (bundled)"
  Days version = 0;  // the file's `version:` date
  // Sorted by kind, model, region, then from: each (kind, model, region) is one history.
  std::vector<PriceEntry> entries;
};

// Parses and checks a price file's text; throws ConfigError listing every problem
// ("NAME:line:col: prices[3].input_per_mtok: ..."). `name` is what messages call the file.
PriceFile parse_price_file(std::string_view yaml, const std::string& name);

// Reads and parses the file at `path`; throws ConfigError (a missing or unreadable file is
// one problem naming the path).
PriceFile read_price_file(const std::string& path);

// The bundled prices/catalog.yaml, parsed once (thread-safe). Its text is compiled into the
// binary (CMake generates the definition of bundled_price_text from the file).
std::string_view bundled_price_text() noexcept;
std::shared_ptr<const PriceFile> bundled_price_file();

// What messages call the bundled file.
inline constexpr std::string_view kBundledName = "prices/catalog.yaml (bundled)";

}  // namespace tollbooth::prices
