// sql_reads: which tables and columns a query reads, as SQLite itself resolves them. Used by the
// diagnostics suite's table_score and column_score (recall of the reference's tables / columns).
//
// SqlReadInspector::open(file) opens its OWN connection to an existing database file through
// SqliteDb::open_hardened (common/sqlite_db.h: read-only and immutable, defensive mode on,
// untrusted schema, no extension loading, the read-only authorizer). It is separate from
// SqlDatabase because SqlDatabase narrows that authorizer with its own rule; this one narrows it
// with a rule that collects what is read instead.
//
// reads(query) prepares the first statement of `query` (never steps it, so nothing runs) with a
// rule that records every SQLITE_READ callback: the table, and (table, column) unless the
// column name is empty (SQLite reports a read with an empty column for a table of which no column
// is used, e.g. count(*)). Names are lower-cased; `main`/`temp` schema names are dropped. CTE
// and subquery names never appear: SQLite resolves them to the tables underneath. The read-only
// authorizer allows only SELECT, READ, RECURSIVE and FUNCTION actions (any function), so a
// statement that would write or change anything does not prepare. Returns std::nullopt when the statement does not prepare
// (syntax error, unknown table or column, not a reading statement, empty text).
//
// Not thread-safe: one inspector per thread (the collecting rule is set per call).
// Movable, not copyable.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "common/sqlite_db.h"

namespace aimicius {

struct SqlReads {
  std::set<std::string> tables;
  std::set<std::pair<std::string, std::string>> columns;  // (table, column)
};

class SqlReadInspector {
 public:
  // Throws InputError naming the file when it cannot be opened as a database.
  static SqlReadInspector open(const std::filesystem::path& file);

  std::optional<SqlReads> reads(std::string_view query) const;

  SqlReadInspector(SqlReadInspector&&) noexcept = default;
  SqlReadInspector& operator=(SqlReadInspector&&) noexcept = default;
  ~SqlReadInspector() = default;

 private:
  explicit SqlReadInspector(SqliteDb db) : db_(std::move(db)) {}

  // mutable: reads() installs its collecting rule on the connection for one prepare.
  mutable SqliteDb db_;
};

}  // namespace aimicius
