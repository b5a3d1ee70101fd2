// sql_execution: the SQL execution scorer. A candidate query and a reference query run on the same
// read-only SQLite telemetry database; the candidate scores 1 when its result equals the
// reference's. Also reports "syntax accuracy" (the candidate compiles against the schema).
//
// SqlDatabase::open(file)
//   One connection to an existing database file through SqliteDb::open_hardened
//   (common/sqlite_db.h): read-only and immutable, so the file must not change while it is open
//   and must hold no uncheckpointed WAL. Throws InputError naming the "SQL telemetry database"
//   file when it is missing, is not a regular file, cannot be opened or is not an SQLite database.
//   Defence in depth, on top of the read-only file:
//     - the hardened authorizer allows only SQLITE_SELECT, SQLITE_READ, SQLITE_RECURSIVE
//       (recursive CTEs) and SQLITE_FUNCTION, and this connection's rule denies the functions
//       load_extension, readfile, writefile, edit and fts3_tokenizer; everything else
//       (INSERT/UPDATE/DELETE, CREATE/DROP, ATTACH/DETACH, PRAGMA, BEGIN/COMMIT, ANALYZE,
//       table-valued pragma_* functions, ...) fails to prepare with SQLite's "not authorized";
//     - extension loading and triggers are disabled, defensive mode on, schema untrusted;
//     - limits: SQL text <= kMaxSqlStatementBytes (16 KiB), any one string/blob <= 1 MiB, no
//       attached databases (why these sizes: sql_execution.cpp);
//     - a statement that SQLite does not report as read-only (sqlite3_stmt_readonly, e.g. VACUUM)
//       or that returns no columns (e.g. REINDEX) is refused before its first step, also with an
//       error starting "not authorized".
//   Queries run on a thread of the SqlDatabase's own (SqlQueryThread, sql_query_thread.h), which
//   holds the connection. Not thread-safe: use one SqlDatabase per thread. Movable, not copyable.
//
// SqlDatabase::run(query, limits) -> SqlResult; never throws for anything the query does (only
//   InfraError, when the connection that replaces a given-up one cannot be opened).
//   - Leading whitespace, comments and `;` are skipped; the query must then be ONE statement:
//     after it only whitespace, comments and `;` may follow, else error "multiple statements".
//     Empty query -> error "empty query"; a NUL byte -> error "query contains a NUL byte".
//   - `prepared` is true when that single statement compiled and passed the authorizer and the
//     read-only checks; a prepare failure leaves ok=false, prepared=false, error = SQLite's text.
//   - Wall time from the start of prepare is bounded by limits.seconds through a progress handler
//     (checked every 100 VM steps, where the VM jumps back): error "time limit". SQLite cannot
//     stop inside one function call or along straight-line code, so run() itself gives up on a
//     query still running kGraceSeconds (plus a tenth of the limit) after its limit, answers
//     "time limit", and leaves that connection to end the query on its own thread; the next run()
//     opens a new connection. run() thus returns within limit x 1.1 + kGraceSeconds.
//   - At most limits.max_rows rows are kept; one more row stops reading: ok=false,
//     truncated=true, error "row limit". Values are counted in bytes (text: its length, blob: its
//     hex length, numbers 8, NULL 1); passing limits.max_result_bytes stops reading the same way
//     with error "result size limit". rows then holds what was read before the limit.
//   - Runtime errors (e.g. "integer overflow") give ok=false with SQLite's text.
//   - Values: NULL -> null, INTEGER -> integer, REAL -> real, TEXT -> string (bytes that are not
//     valid UTF-8 are replaced by U+FFFD, one per byte: valid_utf8_bytewise of common/utf8.h, so
//     the value can be serialised), BLOB -> lowercase hex
//     string (so X'41' and the text '41' look alike; the scorer accepts that conflation).
//
// score_sql(db, candidate, reference, limits) -> SqlScore
//   1. The reference runs first; if it is not ok (any error, including limits) the example is a
//      data bug: std::invalid_argument naming the error and the reference query.
//   2. syntax_ok = 1 when the candidate was `prepared` (single statement, compiles against the
//      schema, authorized), else 0. A candidate that prepares but then fails (time limit, row
//      limit, runtime error) keeps syntax_ok = 1 and scores execution_match = 0.
//   3. execution_match = 1 iff the candidate ran ok, has the same NUMBER of columns as the
//      reference (names are ignored: aliases differ), and its rows equal the reference's:
//        - as sequences when reference_orders_rows(reference), else as multisets (duplicates
//          count; a candidate's own ORDER BY changes nothing when the reference has none);
//          in a sequence, reference rows whose ORDER BY keys tie (one tie group, see
//          run_reference) may come in any order among themselves;
//        - values: NULL == NULL only; two numbers (integer or real) are equal when both are
//          integers and equal, or |a - b| <= 1e-9 * max(|a|, |b|) (so 1 == 1.0); strings exactly;
//          a number never equals a string.
//      Multisets are compared by sorting both sides and comparing element-wise; when that fails
//      and the sizes agree, a greedy tolerant matching is tried (so reals within tolerance that
//      sort differently still match), bounded at 20,000,000 row comparisons.
//      When the reference's sort keys cannot be read (sql_order_keys.h returns nullopt, or the
//      keyed query does not reproduce its rows) the sequence comparison is strict.
//   4. detail = {"ordered_comparison": bool, "reason": one of "match", "candidate failed",
//      "column count differs", "row count differs", "rows differ", "comparison budget exceeded",
//      "first_difference": first row index that differs (ordered comparison with a difference
//      only, else absent), "tied_rows" (ordered comparison only: reference rows that tie with
//      the row before them, null when the keys could not be read),
//      "candidate": side, "reference": side}, with side = {"ok", "prepared", "error" (string or
//      null), "columns", "column_count", "row_count", "rows" (first 5 rows, strings cut to 200
//      bytes), "truncated", "seconds"}.
//
// run_reference(db, reference, limits) -> ReferenceRun: step 1 of score_sql on its own, so a
//   scorer that compares several candidates (or one candidate on several databases) runs each
//   reference once per database. For an ordered reference with two or more rows it also reads the
//   ORDER BY keys (sql_order_keys.h, running the keyed query when a key is not a result column)
//   and numbers the tie groups: tie_group[i] == tie_group[i - 1] iff rows i - 1 and i have equal
//   keys (values_equal). tie_group is empty when unordered, fewer than two rows, or unreadable.
//   Throws std::invalid_argument as score_sql does.
// score_against(db, candidate, reference_run, limits): steps 2-4 of score_sql.
// limit_cuts_tie(db, reference, limits): for a reference whose final ORDER BY has a LIMIT (no
//   OFFSET), a sentence saying so when the row just past the limit has the same keys as the last
//   row kept (which rows the reference keeps then depends on an order it does not fix); nullopt
//   when it does not, or when that cannot be read.
//
// reference_orders_rows(query): whether the statement orders its final result. A small tokenizer
//   (sql_token_positions.h) skips comments and quoted spans and tracks parenthesis depth. Among
//   the words at depth 0
//   (so subqueries, CTE bodies, window definitions `OVER (ORDER BY ...)` and function arguments
//   never count), it finds the last SELECT / VALUES / UNION / INTERSECT / EXCEPT and answers true
//   when the words ORDER BY (adjacent words, case-insensitive) follow it at depth 0.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/sqlite_db.h"

namespace aimicius {

// The longest statement SqlDatabase runs (and SqlReadInspector reads); longer ones are errors.
inline constexpr int kMaxSqlStatementBytes = 16 << 10;

struct SqlLimits {
  double seconds = 2.0;                 // wall time for prepare + all steps of one query
  int64_t max_rows = 10000;             // rows kept; one more is "row limit"
  int64_t max_result_bytes = 1 << 20;   // value bytes kept (see run); more is "result size limit"
};

struct SqlResult {
  bool ok = false;        // ran to completion within the limits
  bool prepared = false;  // single statement that compiled and was authorized
  std::string error;      // SQLite's prepare/runtime text, "time limit", "row limit", ... ("" if ok)
  std::vector<std::string> columns;                 // result column names as SQLite reports them
  std::vector<std::vector<nlohmann::json>> rows;    // null, integer, real, string (blob as hex)
  bool truncated = false;  // reading stopped at max_rows or max_result_bytes
  double seconds = 0.0;    // wall time of prepare + steps
};

class SqlQueryThread;

class SqlDatabase {
 public:
  static constexpr double kGraceSeconds = 0.2;  // see run() above

  static SqlDatabase open(const std::filesystem::path& file);

  SqlResult run(std::string_view query, const SqlLimits& limits) const;

  const std::filesystem::path& file() const { return file_; }

  SqlDatabase(SqlDatabase&&) noexcept;
  SqlDatabase& operator=(SqlDatabase&&) noexcept;
  SqlDatabase(const SqlDatabase&) = delete;
  SqlDatabase& operator=(const SqlDatabase&) = delete;
  ~SqlDatabase();

 private:
  explicit SqlDatabase(std::filesystem::path file);

  std::filesystem::path file_;
  // The connection's thread; replaced by a new one (a new connection) when run() gave up on it.
  mutable std::unique_ptr<SqlQueryThread> thread_;
};

struct SqlScore {
  double execution_match;  // 0 or 1
  double syntax_ok;        // 0 or 1
  nlohmann::json detail;
};

SqlScore score_sql(const SqlDatabase& db, std::string_view candidate, std::string_view reference,
                   const SqlLimits& limits);

struct ReferenceRun {
  SqlResult result;
  bool ordered = false;
  std::vector<std::size_t> tie_group;  // per row, see run_reference; empty: strict order
};

ReferenceRun run_reference(const SqlDatabase& db, std::string_view reference, const SqlLimits& limits);
SqlScore score_against(const SqlDatabase& db, std::string_view candidate, const ReferenceRun& reference,
                       const SqlLimits& limits);
std::optional<std::string> limit_cuts_tie(const SqlDatabase& db, std::string_view reference, const SqlLimits& limits);

bool reference_orders_rows(std::string_view query);

}  // namespace aimicius
