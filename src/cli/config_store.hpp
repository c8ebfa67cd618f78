#pragma once
// The store a CLI command works on (`keys`, `teams`, `audit`, `route --key`): the one the config
// file's store: section names, the file read with env_or_not_read, so the providers' secrets
// need not be set where the CLI runs, but the store's address must be.
#include <memory>

namespace tollbooth {
struct Config;
class Store;
}  // namespace tollbooth

namespace tollbooth::cli {

// Opens (creating and migrating) the config's store. Throws StoreError, also when
// store.postgres names a variable that is not set here (the message says which).
std::unique_ptr<Store> open_config_store(const Config& config);

}  // namespace tollbooth::cli
