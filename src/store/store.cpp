#include "store/store.hpp"

#include "store/sql_store.hpp"

namespace tollbooth {

std::string_view spend_group_name(SpendGroup g) noexcept {
  switch (g) {
    case SpendGroup::key: return "key";
    case SpendGroup::team: return "team";
    case SpendGroup::model: return "model";
    case SpendGroup::provider: return "provider";
    case SpendGroup::contract: return "contract";
    case SpendGroup::route: return "route";
    case SpendGroup::day: return "day";
  }
  return "key";
}

std::optional<SpendGroup> parse_spend_group(std::string_view name) noexcept {
  for (auto g : {SpendGroup::key, SpendGroup::team, SpendGroup::model, SpendGroup::provider,
                 SpendGroup::contract, SpendGroup::route, SpendGroup::day})
    if (name == spend_group_name(g)) return g;
  return std::nullopt;
}

std::unique_ptr<Store> open_store(const StoreConfig& config) {
  const bool sqlite = !config.sqlite_path.empty();
  const bool postgres = !config.postgres_url.empty();
  if (sqlite == postgres) {
    // The URL is not quoted: it may hold a password.
    throw StoreError(sqlite ? "store: both a SQLite file and a PostgreSQL URL are configured; "
                              "name one"
                            : "store: neither a SQLite file nor a PostgreSQL URL is configured");
  }
  auto db = sqlite ? store_detail::open_sqlite_db(config.sqlite_path)
                   : store_detail::open_postgres_db(config.postgres_url);
  return store_detail::make_sql_store(std::move(db));
}

}  // namespace tollbooth
