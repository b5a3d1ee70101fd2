// A thin RAII layer over the SQLite C API: one connection, prepared statements with typed binds,
// and a transaction guard that rolls back unless committed. Every error carries SQLite's message
// and the database path, so a failing write says where it failed. The only place in the tree that
// opens a connection (sqlite3_open_v2).
//
// Two ways to open:
//   - SqliteDb(path, mode): the project's own files (the results database, scratch databases),
//     read-write-create, read-only, or read-only immutable (a file this process cannot write),
//     trusted.
//   - SqliteDb::open_hardened(file, label, limits): an existing file that untrusted queries (a
//     model's SQL) will run on. The file must be a regular file with no uncheckpointed WAL (a
//     non-empty `<file>-wal` is refused: the connection would not see it). It is opened read-only
//     and immutable through a URI (`file://<absolute path, percent-encoded>?mode=ro&immutable=1`:
//     no locks, and no journal, -wal or -shm file is ever created), so it must not change while
//     open. Extension loading and triggers are off, defensive mode on, the schema untrusted, no
//     database can be attached (SQLITE_LIMIT_ATTACHED 0), SQL text and values are limited as the
//     caller says, and the schema is read once so that a file that is not a database fails here.
//     Then an authorizer is installed that allows only SQLITE_SELECT, SQLITE_READ,
//     SQLITE_RECURSIVE and SQLITE_FUNCTION: writes, DDL, ATTACH/DETACH, PRAGMA, transactions fail
//     to prepare with SQLite's "not authorized". set_read_only_rule() narrows it further per use
//     (deny some functions, record what is read); it can never widen it.
//
// Invariants: a SqliteDb owns its connection and closes it when destroyed; it may be moved (the
// authorizer's rule lives on the heap, so a move does not invalidate it) but a Statement or
// Transaction refers to its SqliteDb and must not outlive it or see it moved. Not thread-safe:
// one SqliteDb per thread (connections are opened SQLITE_OPEN_NOMUTEX).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

// Limits of a hardened connection (SQLite's sqlite3_limit); a negative value keeps SQLite's own.
struct HardenedLimits {
  int max_sql_bytes = -1;    // SQLITE_LIMIT_SQL_LENGTH: the longest statement text
  int max_value_bytes = -1;  // SQLITE_LIMIT_LENGTH: the longest string or blob
};

// A narrowing of the read-only authorizer: called for each action a statement being prepared needs
// that the read-only policy allows (SQLITE_SELECT, SQLITE_READ with the table and column,
// SQLITE_RECURSIVE, SQLITE_FUNCTION with the function's name in arg2; arguments SQLite leaves
// null are ""). Returning false denies the action, so the statement does not prepare. Must not
// throw: an exception is taken as a denial.
using ReadOnlyRule = std::function<bool(int action, std::string_view arg1, std::string_view arg2)>;

class SqliteDb {
 public:
  // kImmutable: read-only for a file that no process changes while it is open (no locks, and
  // no -wal or -shm file is read or created), for databases in places this process cannot write.
  enum class Mode { kReadWriteCreate, kReadOnly, kImmutable };
  // Throws InputError naming the path when the file cannot be opened in `mode`.
  SqliteDb(const std::string& path, Mode mode);
  // See the top of this file. `label` says what the file is in errors ("SQL telemetry database");
  // throws InputError naming it and the file when the file is missing, not a regular file, has a
  // non-empty WAL, cannot be opened or is not an SQLite database.
  static SqliteDb open_hardened(const std::filesystem::path& file, std::string_view label,
                                const HardenedLimits& limits);
  ~SqliteDb();
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Replaces the rule that narrows a hardened connection's authorizer (an empty function: the
  // read-only policy alone). Throws std::logic_error on a connection not opened hardened.
  void set_read_only_rule(ReadOnlyRule rule);

  void exec(std::string_view sql);
  int64_t last_insert_rowid() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // Throws std::runtime_error with SQLite's message, the path and `what`; InputError when the
  // disk is full (SQLITE_FULL, or a write failing with ENOSPC, EDQUOT or EFBIG), which the user
  // fixes. exec() and Statement errors go through the same rule.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  SqliteDb(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  std::string path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<ReadOnlyRule> rule_;  // hardened connections only: the authorizer's context
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
