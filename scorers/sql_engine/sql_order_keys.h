// sql_order_keys: the sort keys of a query's final ORDER BY, in a form that can be read from its
// result rows, so that the execution comparison can let rows whose keys tie come in any order,
// and `validate` can tell when a LIMIT cuts through a tie (the reference then depends on an order
// it does not fix).
//
// order_keys(query, result_columns) reads the ORDER BY at parenthesis depth 0 after the last
// top-level SELECT (tokens of sql_token_positions.h). Each term (ASC / DESC / NULLS FIRST|LAST
// dropped) is either
//   - a result column: an integer literal N (column N), or a term whose text equals a result
//     column's name (what SQLite reports: the alias, or the expression as written) ignoring case
//     and whitespace; or
//   - appended: the term's expression, added as an extra result column of `keyed_query` (the
//     query with ", term1, term2" inserted before the top-level FROM / WHERE / GROUP / HAVING /
//     WINDOW / ORDER / LIMIT that follows the SELECT).
// Returns nullopt when there is no such ORDER BY, or when its keys cannot be read this way: a
// compound SELECT (UNION / INTERSECT / EXCEPT at depth 0), VALUES, a COLLATE in a term, an empty
// term, or a column number out of range. Callers then compare in strict order.
// keyed_query may still fail to run or change the rows (a DISTINCT over appended keys); callers
// check that its first result_columns.size() columns equal the query's rows before using it.
//
// Invariants: a pure function of its arguments; keyed_query == query when nothing is appended;
// unlimited_keyed_query is keyed_query cut before its top-level LIMIT (equal to it when none).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aimicius {

struct OrderKeys {
  std::vector<int> output_column;     // per term: the result column it reads, or -1 when appended
  std::vector<std::string> appended;  // the appended terms' expressions, in term order
  std::string keyed_query;
  std::string unlimited_keyed_query;
  bool has_limit = false;
  bool has_offset = false;  // LIMIT n OFFSET m, or LIMIT m, n
};

std::optional<OrderKeys> order_keys(std::string_view query, const std::vector<std::string>& result_columns);

}  // namespace aimicius
