#include "cli/config_store.hpp"

#include <fmt/format.h>

#include "config/config.hpp"
#include "store/store.hpp"

namespace tollbooth::cli {

std::unique_ptr<Store> open_config_store(const Config& config) {
  StoreConfig where;
  if (config.store.postgres_url == kSecretNotRead) {
    // Read as a placeholder: its variable is not set. libpq would try to parse the placeholder
    // and say something about a connection string nobody wrote.
    throw StoreError(fmt::format(
        "store.postgres in {} is env:{}, and {} is not set; export it (the PostgreSQL URL of "
        "the store the gateway uses) and run the command again",
        config.source_file, config.store.postgres_env, config.store.postgres_env));
  }
  if (!config.store.postgres_url.empty()) {
    where.postgres_url = config.store.postgres_url;
  } else {
    where.sqlite_path = config.store.sqlite_path;
  }
  return open_store(where);
}

}  // namespace tollbooth::cli
