#pragma once
// A thin RAII layer over the SQLite C API: a connection, prepared statements and transactions.
// Every failure becomes a frugal::input_error naming the database file, because what goes wrong
// with a campaign file (not a database, locked, newer schema, disk full) is the user's to fix.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace frugal::campaign::detail {

class connection {
 public:
  enum class mode { open_existing, create_new };
  connection(const std::string& path, mode how);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void execute(const char* sql);
  [[noreturn]] void fail(std::string_view what) const;
  sqlite3* handle() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class statement {
 public:
  statement(connection& db, const char* sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& bind(int index, std::int64_t value);
  statement& bind(int index, std::string_view value);
  statement& bind_null(int index);
  statement& bind_blob(int index, std::string_view bytes);
  /// true while a row is available.
  bool step();
  /// Runs a statement that returns no rows, then resets it for the next bindings.
  void run();
  void reset();

  std::int64_t integer(int column) const;
  std::string text(int column) const;
  std::string blob(int column) const;
  bool is_null(int column) const;

 private:
  connection* db_;
  sqlite3_stmt* statement_ = nullptr;
};

/// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed before commit().
class transaction {
 public:
  explicit transaction(connection& db);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

 private:
  connection* db_;
  bool open_ = true;
};

}  // namespace frugal::campaign::detail
