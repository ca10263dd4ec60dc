#include "campaign/sqlite.hpp"

#include <fmt/format.h>

#include "frugal/error.hpp"

namespace frugal::campaign::detail {

connection::connection(const std::string& path, mode how) : path_(path) {
  const int flags =
      how == mode::create_new ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw input_error(path, 0, 0, fmt::format("cannot open the campaign database: {}", message));
  }
  sqlite3_extended_result_codes(db_, 1);
  // Another process (frugal serve, a second annotator's import) may hold the write lock briefly.
  sqlite3_busy_timeout(db_, 10000);
}

connection::~connection() {
  sqlite3_close(db_);
}

void connection::fail(std::string_view what) const {
  throw input_error(path_, 0, 0, fmt::format("{}: {}", what, sqlite3_errmsg(db_)));
}

void connection::execute(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw input_error(path_, 0, 0, fmt::format("campaign database: {}", message));
  }
}

statement::statement(connection& db, const char* sql) : db_(&db) {
  if (sqlite3_prepare_v2(db.handle(), sql, -1, &statement_, nullptr) != SQLITE_OK)
    db.fail("campaign database");
}

statement::~statement() {
  sqlite3_finalize(statement_);
}

statement& statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(statement_, index, value) != SQLITE_OK) db_->fail("campaign database");
  return *this;
}

statement& statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                          SQLITE_UTF8) != SQLITE_OK)
    db_->fail("campaign database");
  return *this;
}

statement& statement::bind_blob(int index, std::string_view bytes) {
  if (sqlite3_bind_blob64(statement_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    db_->fail("campaign database");
  return *this;
}

statement& statement::bind_null(int index) {
  if (sqlite3_bind_null(statement_, index) != SQLITE_OK) db_->fail("campaign database");
  return *this;
}

bool statement::step() {
  const int status = sqlite3_step(statement_);
  if (status == SQLITE_ROW) return true;
  if (status == SQLITE_DONE) return false;
  db_->fail("campaign database");
}

void statement::run() {
  while (step()) {
  }
  reset();
}

void statement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::int64_t statement::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string statement::blob(int column) const {
  const void* bytes = sqlite3_column_blob(statement_, column);
  return bytes ? std::string(static_cast<const char*>(bytes),
                             static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)))
               : std::string();
}

std::string statement::text(int column) const {
  const auto* bytes = sqlite3_column_text(statement_, column);
  return bytes ? std::string(reinterpret_cast<const char*>(bytes),
                             static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)))
               : std::string();
}

bool statement::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

transaction::transaction(connection& db) : db_(&db) {
  db.execute("BEGIN IMMEDIATE");
}

transaction::~transaction() {
  if (open_) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  db_->execute("COMMIT");
  open_ = false;
}

}  // namespace frugal::campaign::detail
