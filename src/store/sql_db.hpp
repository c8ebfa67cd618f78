#pragma once
// Private to store/: the seam between what the store does (sql_store.cpp, written once) and the
// database it does it on (sqlite_store.cpp, postgres_store.cpp). The store's statements are
// written in the SQL both databases share, with parameters as $1, $2, ...; only the schema
// (the migrations), transactions, locking and connection handling differ per database.
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

namespace tollbooth::store_detail {

// A statement's parameter. Strings are views: the caller keeps them alive for the call.
using SqlParam = std::variant<std::int64_t, bool, std::string_view>;

// One row of a result, read by column index (0-based).
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual std::string text(int column) const = 0;
  virtual std::int64_t int64(int column) const = 0;
  virtual bool boolean(int column) const = 0;
};

// A statement or the database failed. The message never holds a password; the store adds its
// name and the operation (StoreError).
class DbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The connection to the server broke (PostgreSQL). `in_doubt`: it broke while committing, so
// the write may or may not have been applied, and the call must not be repeated.
class ConnectionLost : public DbError {
 public:
  ConnectionLost(const std::string& what, bool in_doubt) : DbError(what), in_doubt(in_doubt) {}
  bool in_doubt;
};

// One step of the schema: applied once, in a transaction, in version order (1, 2, ...).
struct Migration {
  int version;
  const char* sql;  // statements without parameters
};

class SqlDb {
 public:
  virtual ~SqlDb() = default;

  // "sqlite:/path" or "postgres:host:port/db", without credentials.
  virtual std::string describe() const = 0;
  // The schema, version 1 first; element i has version i + 1.
  virtual std::span<const Migration> migrations() const = 0;

  // Runs one statement, calling on_row (when given) for each row of its result.
  virtual void query(std::string_view sql, std::span<const SqlParam> params,
                     const std::function<void(const SqlRow&)>& on_row) = 0;
  void exec(std::string_view sql, std::initializer_list<SqlParam> params = {}) {
    query(sql, std::span<const SqlParam>(params.begin(), params.size()), {});
  }
  // Several statements without parameters (a migration).
  virtual void exec_script(const char* sql) = 0;

  // `write`: the transaction will write, so it takes the write lock at once (SQLite's BEGIN
  // IMMEDIATE: a deferred transaction that upgrades later can fail without waiting).
  virtual void begin(bool write) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // Within a write transaction: waits until no other process is migrating this database.
  virtual void lock_for_migration() {}

  // After ConnectionLost: connects again, or throws DbError. SQLite has no connection to lose.
  virtual void reconnect() { throw DbError("the database cannot reconnect"); }
};

}  // namespace tollbooth::store_detail
