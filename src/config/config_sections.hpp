#pragma once
// The sections of a config file. Each reads its part of the YAML tree into Config and records
// every problem in the Reader; the split is by section, the order of reading is in config.cpp.
#include <map>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "config/config_reader.hpp"

namespace tollbooth::config_detail {

// Declared provider names, with their kind when it was valid: routes are checked against the
// kind only when it is known, so one typo in `kind:` does not cascade into every route.
using Declared = std::map<std::string, std::optional<ProviderKind>, std::less<>>;

void read_server(Reader& r, const Field& f, ServerConfig& server);
void read_providers(Reader& r, const Field& f, Config& config, Declared& declared);
void read_models(Reader& r, const Field& f, Config& config, const Declared& declared);
// contracts:, prices: and routing: (config_contracts.cpp); read after providers and models,
// which they refer to.
void read_contracts(Reader& r, const Field& f, Config& config, const Declared& declared);
void read_prices(Reader& r, const Field& f, Config& config, const Declared& declared);
void read_routing(Reader& r, const Field& f, RoutingConfig& routing);
// billing: (config_billing.cpp).
void read_billing(Reader& r, const Field& f, BillingConfig& billing);
// auth:, store:, limits:, teams: and keys: (config_access.cpp); teams before keys, which name
// them.
void read_auth(Reader& r, const Field& f, AuthMode& auth);
void read_store(Reader& r, const Field& f, StoreSettings& store);
void read_limits(Reader& r, const Field& f, LimitsConfig& limits);
void read_metrics(Reader& r, const Field& f, MetricsConfig& metrics);
void read_teams(Reader& r, const Field& f, Config& config);
void read_keys(Reader& r, const Field& f, Config& config);
// "until: ... is before available_from ..." when both keys were given.
void check_window(Reader& r, const SeenKeys& seen, Days from, Days until);

}  // namespace tollbooth::config_detail
