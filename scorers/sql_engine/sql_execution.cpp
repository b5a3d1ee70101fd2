// sql_execution implementation: the read-only SQLite connection, the single-statement runner with
// its time / row / size limits, the ORDER BY detector and the result comparison. The behaviour is
// specified in sql_execution.h; this file keeps to it.
//
// Invariants:
//   - the connection is a SqliteDb (common/sqlite_db.h) and every sqlite3_stmt handle is owned by
//     a unique_ptr, so both are released on every path;
//   - the progress handler points at a QueryClock that lives on run()'s stack, and is removed
//     (ProgressHandlerGuard) before that frame ends, so the connection never holds a dangling
//     pointer; the authorizer's rule (denied functions) captures nothing;
//   - run() reports everything the query causes in SqlResult and never throws;
//   - SqlResult::rows only holds null, integer, real and valid-UTF-8 string JSON values, so the
//     scorer's detail always serialises.
#include "scorers/sql_engine/sql_execution.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sql_lexer.h"
#include "common/utf8.h"
#include "scorers/sql_engine/sql_linear_functions.h"
#include "scorers/sql_engine/sql_order_keys.h"
#include "scorers/sql_engine/sql_query_thread.h"
#include "scorers/sql_engine/sql_token_positions.h"

namespace aimicius {

namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
using Row = std::vector<Json>;

// The time limit is checked only where the virtual machine jumps back (SQLite runs the progress
// handler there), never inside one function call or along straight-line code: a statement of N
// bytes holds up to ~N/40 calls that each touch a whole value, so the time a query can run past its
// limit grows as (statement bytes) x (value bytes). At 100 KB x 16 MB, 300 nested hex / replace
// calls ran 45 s past a 2 s limit; at 16 KB x 1 MB the worst such statement runs ~1 s past it.
// Both stay far above what the task needs: the references' longest statement is 273 bytes, the
// telemetry's longest value 660 bytes, and the whole database ~0.8 MB.
constexpr int kMaxSqlBytes = kMaxSqlStatementBytes;
constexpr int kMaxValueBytes = 1 << 20;
// The references' longest is 31. A LIKE / GLOB call costs up to (pattern bytes) x (string bytes).
constexpr int kMaxLikePatternBytes = 64;
// VM steps between two deadline checks: each step may touch a whole value (~2 ms at 1 MB), so
// 100 steps keep the overrun near 0.2 s; a check costs one clock read (~20 ns) per 100 steps.
constexpr int kProgressStepInterval = 100;
constexpr double kMaxSeconds = 1e6;          // clamp for absurd time limits
constexpr double kRelativeTolerance = 1e-9;
constexpr std::size_t kDetailRows = 5;
constexpr std::size_t kDetailStringBytes = 200;
constexpr int64_t kMatchingBudget = 20000000;  // row comparisons for the greedy multiset matching

constexpr std::array<std::string_view, 5> kDeniedFunctions = {"load_extension", "readfile", "writefile",
                                                               "edit", "fts3_tokenizer"};

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// This connection's narrowing of the read-only authorizer: no function that reaches files or
// loads code. See the header for the list.
bool allow_function(int action, std::string_view /*arg1*/, std::string_view function_name) {
  if (action != SQLITE_FUNCTION) return true;
  for (const auto denied : kDeniedFunctions) {
    if (equals_ignoring_case(function_name, denied)) return false;
  }
  return true;
}

// limits.seconds as a usable number: NaN is 0, and absurd values are clamped.
double limit_seconds(const SqlLimits& limits) {
  return std::isnan(limits.seconds) ? 0.0 : std::clamp(limits.seconds, 0.0, kMaxSeconds);
}

// The deadline of one run; `expired` records that the progress handler stopped the query.
struct QueryClock {
  Clock::time_point deadline;
  bool expired = false;
};

int stop_after_deadline(void* context) {
  auto* clock = static_cast<QueryClock*>(context);
  if (Clock::now() >= clock->deadline) {
    clock->expired = true;
    return 1;
  }
  return 0;
}

class ProgressHandlerGuard {
 public:
  ProgressHandlerGuard(sqlite3* connection, QueryClock* clock) : connection_(connection) {
    sqlite3_progress_handler(connection_, kProgressStepInterval, stop_after_deadline, clock);
  }
  ~ProgressHandlerGuard() { sqlite3_progress_handler(connection_, 0, nullptr, nullptr); }
  ProgressHandlerGuard(const ProgressHandlerGuard&) = delete;
  ProgressHandlerGuard& operator=(const ProgressHandlerGuard&) = delete;

 private:
  sqlite3* connection_;
};

// Position of the first character at or after `pos` that is not whitespace, part of a comment or
// a ';'. An unterminated block comment runs to the end, as in SQLite.
std::size_t skip_blank(std::string_view text, std::size_t pos) {
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == ';') {
      ++pos;
      continue;
    }
    const SqlSpan span = sql_span_at(text, pos);
    if (!is_sql_comment(span.kind)) break;
    pos = span.end;
  }
  return pos;
}

std::string hex_of(const unsigned char* bytes, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (std::size_t i = 0; i < size; ++i) {
    hex += kHex[bytes[i] >> 4];
    hex += kHex[bytes[i] & 0xF];
  }
  return hex;
}

// One column of the current row, and the bytes it counts against max_result_bytes.
Json column_value(sqlite3_stmt* statement, int column, int64_t& value_bytes) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER:
      value_bytes = 8;
      return Json(static_cast<int64_t>(sqlite3_column_int64(statement, column)));
    case SQLITE_FLOAT:
      value_bytes = 8;
      return Json(sqlite3_column_double(statement, column));
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
      value_bytes = static_cast<int64_t>(size);
      return Json(valid_utf8_bytewise(std::string_view(text != nullptr ? text : "", text != nullptr ? size : 0)));
    }
    case SQLITE_BLOB: {
      const auto* bytes = static_cast<const unsigned char*>(sqlite3_column_blob(statement, column));
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
      value_bytes = 2 * static_cast<int64_t>(size);
      return Json(bytes != nullptr ? hex_of(bytes, size) : std::string());
    }
    default:
      value_bytes = 1;
      return Json(nullptr);
  }
}

// The body of SqlDatabase::run; may throw only std::bad_alloc-like failures, which run() catches.
void execute_query(sqlite3* connection, std::string_view query, const SqlLimits& limits, SqlResult& result) {
  if (query.find('\0') != std::string_view::npos) {
    result.error = "query contains a NUL byte";
    return;
  }
  const std::string_view body = query.substr(skip_blank(query, 0));
  if (body.empty()) {
    result.error = "empty query";
    return;
  }
  if (body.size() > static_cast<std::size_t>(kMaxSqlBytes)) {
    result.error = fmt::format("statement too long ({} bytes, limit {})", body.size(), kMaxSqlBytes);
    return;
  }

  const double seconds = limit_seconds(limits);
  QueryClock clock;
  clock.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const ProgressHandlerGuard progress_guard(connection, &clock);

  sqlite3_stmt* raw_statement = nullptr;
  const char* tail = nullptr;
  const int prepare_code =
      sqlite3_prepare_v2(connection, body.data(), static_cast<int>(body.size()), &raw_statement, &tail);
  const StatementHandle statement(raw_statement);
  if (prepare_code != SQLITE_OK) {
    result.error = clock.expired ? "time limit" : sqlite3_errmsg(connection);
    return;
  }
  if (!statement) {
    result.error = "empty query";
    return;
  }
  const auto tail_pos = static_cast<std::size_t>(tail - body.data());
  if (skip_blank(body, tail_pos) != body.size()) {
    result.error = "multiple statements";
    return;
  }
  if (sqlite3_stmt_readonly(statement.get()) == 0) {
    result.error = "not authorized: not a read-only statement";
    return;
  }
  const int column_count = sqlite3_column_count(statement.get());
  if (column_count == 0) {
    result.error = "not authorized: the statement returns no columns (not a query)";
    return;
  }
  result.prepared = true;
  for (int column = 0; column < column_count; ++column) {
    const char* name = sqlite3_column_name(statement.get(), column);
    result.columns.push_back(valid_utf8_bytewise(name != nullptr ? name : ""));
  }

  int64_t result_bytes = 0;
  while (true) {
    const int step_code = sqlite3_step(statement.get());
    if (step_code == SQLITE_DONE) {
      result.ok = true;
      return;
    }
    if (step_code != SQLITE_ROW) {
      result.error = clock.expired ? "time limit" : sqlite3_errmsg(connection);
      return;
    }
    if (static_cast<int64_t>(result.rows.size()) >= limits.max_rows) {
      result.truncated = true;
      result.error = "row limit";
      return;
    }
    Row row;
    row.reserve(static_cast<std::size_t>(column_count));
    int64_t row_bytes = 0;
    for (int column = 0; column < column_count; ++column) {
      int64_t value_bytes = 0;
      row.push_back(column_value(statement.get(), column, value_bytes));
      row_bytes += value_bytes;
    }
    if (result_bytes + row_bytes > limits.max_result_bytes) {
      result.truncated = true;
      result.error = "result size limit";
      return;
    }
    result_bytes += row_bytes;
    result.rows.push_back(std::move(row));
  }
}

// ---- comparison -----------------------------------------------------------------------------

bool values_equal(const Json& a, const Json& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  if (a.is_number() && b.is_number()) {
    if (a.is_number_integer() && b.is_number_integer()) return a.get<int64_t>() == b.get<int64_t>();
    const double x = a.get<double>();
    const double y = b.get<double>();
    if (x == y) return true;
    if (!std::isfinite(x) || !std::isfinite(y)) return false;
    return std::fabs(x - y) <= kRelativeTolerance * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.is_string() && b.is_string()) return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
  return false;
}

bool rows_equal(const Row& a, const Row& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!values_equal(a[i], b[i])) return false;
  }
  return true;
}

// A strict weak order on values: NULL < numbers (by value as double) < strings (bytewise).
int type_rank(const Json& value) {
  if (value.is_null()) return 0;
  if (value.is_number()) return 1;
  return 2;
}

int compare_values(const Json& a, const Json& b) {
  const int rank_a = type_rank(a);
  const int rank_b = type_rank(b);
  if (rank_a != rank_b) return rank_a < rank_b ? -1 : 1;
  if (rank_a == 1) {
    const double x = a.get<double>();
    const double y = b.get<double>();
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  if (rank_a == 2) return a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
  return 0;
}

bool row_less(const Row* a, const Row* b) {
  const std::size_t common = std::min(a->size(), b->size());
  for (std::size_t i = 0; i < common; ++i) {
    const int order = compare_values((*a)[i], (*b)[i]);
    if (order != 0) return order < 0;
  }
  return a->size() < b->size();
}

struct Comparison {
  bool match = false;
  std::string reason;
  int64_t first_difference = -1;  // ordered comparison only
};

Comparison compare_ordered(const std::vector<Row>& candidate, const std::vector<Row>& reference) {
  Comparison comparison;
  const std::size_t common = std::min(candidate.size(), reference.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (!rows_equal(candidate[i], reference[i])) {
      comparison.reason = candidate.size() == reference.size() ? "rows differ" : "row count differs";
      comparison.first_difference = static_cast<int64_t>(i);
      return comparison;
    }
  }
  if (candidate.size() != reference.size()) {
    comparison.reason = "row count differs";
    comparison.first_difference = static_cast<int64_t>(common);
    return comparison;
  }
  comparison.match = true;
  comparison.reason = "match";
  return comparison;
}

Comparison compare_multisets(const std::vector<Row>& candidate, const std::vector<Row>& reference) {
  Comparison comparison;
  if (candidate.size() != reference.size()) {
    comparison.reason = "row count differs";
    return comparison;
  }
  std::vector<const Row*> sorted_candidate;
  std::vector<const Row*> sorted_reference;
  for (const Row& row : candidate) sorted_candidate.push_back(&row);
  for (const Row& row : reference) sorted_reference.push_back(&row);
  std::sort(sorted_candidate.begin(), sorted_candidate.end(), row_less);
  std::sort(sorted_reference.begin(), sorted_reference.end(), row_less);

  bool aligned = true;
  for (std::size_t i = 0; i < sorted_candidate.size() && aligned; ++i) {
    aligned = rows_equal(*sorted_candidate[i], *sorted_reference[i]);
  }
  if (aligned) {
    comparison.match = true;
    comparison.reason = "match";
    return comparison;
  }

  // Greedy tolerant matching: reals within tolerance may sort on different sides of each other.
  // Partners are searched outward from the same sorted position, where they almost always are.
  const std::size_t count = sorted_reference.size();
  std::vector<bool> used(count, false);
  int64_t budget = kMatchingBudget;
  for (std::size_t i = 0; i < count; ++i) {
    bool found = false;
    for (std::size_t offset = 0; offset < count && !found; ++offset) {
      for (const int sign : {1, -1}) {
        if (offset == 0 && sign < 0) continue;
        if (sign < 0 && offset > i) continue;
        const std::size_t j = sign > 0 ? i + offset : i - offset;
        if (j >= count || used[j]) continue;
        if (--budget < 0) {
          comparison.reason = "comparison budget exceeded";
          return comparison;
        }
        if (rows_equal(*sorted_candidate[i], *sorted_reference[j])) {
          used[j] = true;
          found = true;
          break;
        }
      }
    }
    if (!found) {
      comparison.reason = "rows differ";
      return comparison;
    }
  }
  comparison.match = true;
  comparison.reason = "match";
  return comparison;
}

// Ordered comparison where reference rows with equal sort keys (one tie group) may come in any
// order: the row counts agree, and each group's slice compares as a multiset.
Comparison compare_tie_groups(const std::vector<Row>& candidate, const std::vector<Row>& reference,
                              const std::vector<std::size_t>& tie_group) {
  if (candidate.size() != reference.size()) {
    Comparison comparison;
    comparison.reason = "row count differs";
    comparison.first_difference = static_cast<int64_t>(std::min(candidate.size(), reference.size()));
    return comparison;
  }
  std::size_t start = 0;
  while (start < reference.size()) {
    std::size_t end = start + 1;
    while (end < reference.size() && tie_group[end] == tie_group[start]) ++end;
    const std::vector<Row> got(candidate.begin() + static_cast<std::ptrdiff_t>(start),
                               candidate.begin() + static_cast<std::ptrdiff_t>(end));
    const std::vector<Row> want(reference.begin() + static_cast<std::ptrdiff_t>(start),
                                reference.begin() + static_cast<std::ptrdiff_t>(end));
    Comparison group = end == start + 1 ? compare_ordered(got, want) : compare_multisets(got, want);
    if (!group.match) {
      group.first_difference = static_cast<int64_t>(start);
      return group;
    }
    start = end;
  }
  Comparison comparison;
  comparison.match = true;
  comparison.reason = "match";
  return comparison;
}

// The sort keys of row `row` (result columns first, then `keyed`'s appended columns).
std::vector<Json> key_of(const Row& row, std::size_t result_columns, const OrderKeys& keys) {
  std::vector<Json> key;
  std::size_t appended = 0;
  for (const int column : keys.output_column)
    key.push_back(column >= 0 ? row[static_cast<std::size_t>(column)] : row[result_columns + appended++]);
  return key;
}

bool keys_equal(const std::vector<Json>& a, const std::vector<Json>& b) { return rows_equal(a, b); }

// The keyed query's rows when they are the reference's rows plus key columns, else nullopt.
std::optional<SqlResult> keyed_rows(const SqlDatabase& db, const SqlResult& reference, const OrderKeys& keys,
                                    const std::string& keyed_query, const SqlLimits& limits, bool same_count) {
  if (keys.appended.empty() && !same_count) return db.run(keyed_query, limits);
  if (keys.appended.empty()) return reference;
  SqlResult keyed = db.run(keyed_query, limits);
  const std::size_t width = reference.columns.size();
  if (!keyed.ok || keyed.columns.size() != width + keys.appended.size()) return std::nullopt;
  if (same_count) {
    if (keyed.rows.size() != reference.rows.size()) return std::nullopt;
    for (std::size_t i = 0; i < keyed.rows.size(); ++i) {
      const Row head(keyed.rows[i].begin(), keyed.rows[i].begin() + static_cast<std::ptrdiff_t>(width));
      if (!rows_equal(head, reference.rows[i])) return std::nullopt;
    }
  }
  return keyed;
}

// ---- detail ---------------------------------------------------------------------------------

Json shortened(const Json& value) {
  if (!value.is_string()) return value;
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() <= kDetailStringBytes) return value;
  return Json(std::string(truncate_utf8(text, kDetailStringBytes)) + "...");
}

Json side_detail(const SqlResult& result) {
  Json rows = Json::array();
  for (std::size_t i = 0; i < result.rows.size() && i < kDetailRows; ++i) {
    Json row = Json::array();
    for (const Json& value : result.rows[i]) row.push_back(shortened(value));
    rows.push_back(std::move(row));
  }
  return Json{{"ok", result.ok},
              {"prepared", result.prepared},
              {"error", result.error.empty() ? Json(nullptr) : Json(valid_utf8_bytewise(result.error))},
              {"columns", result.columns},
              {"column_count", result.columns.size()},
              {"row_count", result.rows.size()},
              {"rows", std::move(rows)},
              {"truncated", result.truncated},
              {"seconds", result.seconds}};
}

}  // namespace

bool reference_orders_rows(std::string_view query) {
  const std::vector<SqlToken> tokens = sql_token_positions(query);
  std::size_t last_select = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const SqlToken& t = tokens[i];
    if (t.depth != 0 || t.kind != SqlTokenKind::kWord) continue;
    if (t.upper == "SELECT" || t.upper == "VALUES" || t.upper == "UNION" || t.upper == "INTERSECT" ||
        t.upper == "EXCEPT")
      last_select = i;
  }
  for (std::size_t i = last_select; i + 1 < tokens.size(); ++i) {
    if (tokens[i].depth == 0 && tokens[i].is_word("ORDER") && tokens[i + 1].depth == 0 && tokens[i + 1].is_word("BY"))
      return true;
  }
  return false;
}

namespace {

// One hardened connection to `file` with the engine's functions and limits.
SqliteDb open_connection(const std::filesystem::path& file) {
  HardenedLimits limits;
  limits.max_sql_bytes = kMaxSqlBytes;
  limits.max_value_bytes = kMaxValueBytes;
  SqliteDb db = SqliteDb::open_hardened(file, "SQL telemetry database", limits);
  db.set_read_only_rule(allow_function);
  // The time limit cannot stop a function call midway: the superlinear built-ins are replaced, and
  // LIKE/GLOB patterns (linear in the string per pattern byte) are kept short.
  if (register_linear_string_functions(db.handle()) != SQLITE_OK)
    throw std::runtime_error(
        fmt::format("{}: cannot register the bounded string functions: {}", file.string(), sqlite3_errmsg(db.handle())));
  sqlite3_limit(db.handle(), SQLITE_LIMIT_LIKE_PATTERN_LENGTH, kMaxLikePatternBytes);
  return db;
}

// What the connection's thread runs: execute_query with every failure in the result.
SqlResult run_on_connection(sqlite3* connection, std::string_view query, const SqlLimits& limits) {
  SqlResult result;
  try {
    execute_query(connection, query, limits, result);
  } catch (const std::bad_alloc&) {
    result.ok = false;
    result.error = "out of memory";
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = fmt::format("internal error while running the query: {}", e.what());
  }
  if (!result.ok && result.error.empty()) result.error = "unknown error";
  return result;
}

}  // namespace

SqlDatabase::SqlDatabase(std::filesystem::path file) : file_(std::move(file)) {}
SqlDatabase::SqlDatabase(SqlDatabase&&) noexcept = default;
SqlDatabase& SqlDatabase::operator=(SqlDatabase&&) noexcept = default;
SqlDatabase::~SqlDatabase() = default;

SqlDatabase SqlDatabase::open(const std::filesystem::path& file) {
  SqlDatabase db(file);
  db.thread_ = std::make_unique<SqlQueryThread>(open_connection(file), run_on_connection);
  return db;
}

SqlResult SqlDatabase::run(std::string_view query, const SqlLimits& limits) const {
  const auto start = Clock::now();
  const double seconds = limit_seconds(limits);
  const auto give_up_at =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds * 1.1 + kGraceSeconds));
  if (!thread_ || thread_->spent()) {
    // The file opened once already: failing now (a descriptor limit, the file removed under the
    // run) is the machine's fault, not the query's.
    try {
      thread_ = std::make_unique<SqlQueryThread>(open_connection(file_), run_on_connection);
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("SQL scoring: cannot open '{}' again: {}", file_.string(), e.what()));
    }
  }
  std::optional<SqlResult> result = thread_->run(query, limits, give_up_at);
  if (!result) {
    result.emplace();
    result->error = "time limit";
  }
  result->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return std::move(*result);
}

ReferenceRun run_reference(const SqlDatabase& db, std::string_view reference, const SqlLimits& limits) {
  ReferenceRun run;
  run.result = db.run(reference, limits);
  if (!run.result.ok) {
    throw std::invalid_argument(fmt::format("SQL reference query fails on '{}' ({}): {}", db.file().string(),
                                            run.result.error, reference));
  }
  run.ordered = reference_orders_rows(reference);
  if (!run.ordered || run.result.rows.size() < 2) return run;
  const auto keys = order_keys(reference, run.result.columns);
  if (!keys) return run;
  const auto keyed = keyed_rows(db, run.result, *keys, keys->keyed_query, limits, true);
  if (!keyed) return run;
  const std::size_t width = run.result.columns.size();
  run.tie_group.assign(keyed->rows.size(), 0);
  for (std::size_t i = 1; i < keyed->rows.size(); ++i) {
    const bool tied = keys_equal(key_of(keyed->rows[i], width, *keys), key_of(keyed->rows[i - 1], width, *keys));
    run.tie_group[i] = tied ? run.tie_group[i - 1] : run.tie_group[i - 1] + 1;
  }
  return run;
}

std::optional<std::string> limit_cuts_tie(const SqlDatabase& db, std::string_view reference, const SqlLimits& limits) {
  const SqlResult result = db.run(reference, limits);
  if (!result.ok || result.rows.empty() || !reference_orders_rows(reference)) return std::nullopt;
  const auto keys = order_keys(reference, result.columns);
  if (!keys || !keys->has_limit || keys->has_offset) return std::nullopt;
  const auto unlimited = keyed_rows(db, result, *keys, keys->unlimited_keyed_query, limits, false);
  if (!unlimited || !unlimited->ok || unlimited->rows.size() <= result.rows.size()) return std::nullopt;
  const std::size_t width = result.columns.size();
  const std::size_t last = result.rows.size() - 1;
  if (!keys_equal(key_of(unlimited->rows[last], width, *keys), key_of(unlimited->rows[last + 1], width, *keys)))
    return std::nullopt;
  return fmt::format("its LIMIT cuts through rows whose ORDER BY keys tie (row {} and row {} of {} sort alike), "
                     "so which rows it keeps depends on an order the query does not fix",
                     last + 1, last + 2, unlimited->rows.size());
}

SqlScore score_against(const SqlDatabase& db, std::string_view candidate, const ReferenceRun& reference,
                       const SqlLimits& limits) {
  const SqlResult candidate_result = db.run(candidate, limits);
  const SqlResult& reference_result = reference.result;
  const bool ordered = reference.ordered;

  Comparison comparison;
  if (!candidate_result.ok) {
    comparison.reason = "candidate failed";
  } else if (candidate_result.columns.size() != reference_result.columns.size()) {
    comparison.reason = "column count differs";
  } else if (ordered && !reference.tie_group.empty()) {
    comparison = compare_tie_groups(candidate_result.rows, reference_result.rows, reference.tie_group);
  } else if (ordered) {
    comparison = compare_ordered(candidate_result.rows, reference_result.rows);
  } else {
    comparison = compare_multisets(candidate_result.rows, reference_result.rows);
  }

  Json detail = {{"ordered_comparison", ordered},
                 {"reason", comparison.reason},
                 {"candidate", side_detail(candidate_result)},
                 {"reference", side_detail(reference_result)}};
  if (ordered) {
    std::size_t groups = 0;
    for (std::size_t i = 0; i < reference.tie_group.size(); ++i)
      groups += (i == 0 || reference.tie_group[i] != reference.tie_group[i - 1]) ? 1 : 0;
    detail["tied_rows"] = reference.tie_group.empty() ? Json(nullptr) : Json(reference.tie_group.size() - groups);
  }
  if (ordered && comparison.first_difference >= 0) detail["first_difference"] = comparison.first_difference;
  return SqlScore{comparison.match ? 1.0 : 0.0, candidate_result.prepared ? 1.0 : 0.0, std::move(detail)};
}

SqlScore score_sql(const SqlDatabase& db, std::string_view candidate, std::string_view reference,
                   const SqlLimits& limits) {
  return score_against(db, candidate, run_reference(db, reference, limits), limits);
}

}  // namespace aimicius
