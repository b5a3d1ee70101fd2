// A thin RAII layer over the SQLite C API: one connection, prepared statements with typed binds,
// and a transaction guard that rolls back unless committed. Every error carries SQLite's message
// and the database path, so a failing write says where it failed.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aimicius {

class SqliteDb;

class Statement {
 public:
  Statement(SqliteDb& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds are 1-based like SQLite's; they return *this so calls chain.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind_null(int index);
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind_optional(int index, const std::optional<std::string>& value);

  // Steps once: true when a row is ready, false when done.
  bool step();
  // Runs to completion, ignoring rows.
  void run();
  void reset();

  int64_t column_int(int col) const;
  double column_double(int col) const;
  std::string column_text(int col) const;
  bool column_is_null(int col) const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  enum class Mode { kReadWriteCreate, kReadOnly };
  // Throws InputError naming the path when the file cannot be opened in `mode`.
  SqliteDb(const std::string& path, Mode mode);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(std::string_view sql);
  int64_t last_insert_rowid() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

  // Throws std::runtime_error with SQLite's message, the path and `what`.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class Transaction {
 public:
  explicit Transaction(SqliteDb& db);
  ~Transaction();  // rolls back if commit() was not reached
  void commit();

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace aimicius
