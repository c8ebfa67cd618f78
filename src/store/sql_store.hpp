#pragma once
// Private to store/: the Store over either database (sql_db.hpp), and the two ways to open one.
#include <memory>
#include <string>

#include "store/sql_db.hpp"
#include "store/store.hpp"

namespace tollbooth::store_detail {

// Migrates `db` to the newest schema it knows (throws StoreError when the database is newer).
std::unique_ptr<Store> make_sql_store(std::unique_ptr<SqlDb> db);

// The file is created (with its directory, mode 0600) when missing.
std::unique_ptr<SqlDb> open_sqlite_db(const std::string& path);
// A libpq connection string (key=value pairs) or a postgres:// URL.
std::unique_ptr<SqlDb> open_postgres_db(const std::string& url);

// What describe() and error messages call a PostgreSQL store: "postgres:host:port/db", never
// the user's password. A string libpq cannot parse is described without quoting it.
std::string describe_postgres_url(const std::string& url);

}  // namespace tollbooth::store_detail
