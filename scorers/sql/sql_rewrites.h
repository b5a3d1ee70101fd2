// sql_rewrites: right and wrong rewrites of a reference SQL query, for the sql scorer's audit
// variants (scorers/audit_variant.h). Everything works on token positions
// (scorers/sql_engine/sql_token_positions.h), never on regular expressions over raw text, so
// literals, quoted names and comments are left alone.
//
// sql_right_rewrites(reference): equivalent queries, each of one kind:
//   keyword-case     every word lower-cased (SQLite keywords, names and functions ignore case)
//   layout           each top-level clause on its own line
//   table-alias      a single table without an alias gets one (FROM jobs AS t0); existing
//                    aliases are renamed (e -> e_1) at their declaration and every "e." use
//   column-alias     each result column of the final SELECT without an alias gets AS col_N
//   count-1          COUNT(*) -> COUNT(1)
//   explicit-asc     ASC written after each final ORDER BY term without a direction
//   where-order      the final WHERE's top-level AND conjuncts rotated (none when the WHERE
//                    holds a top-level OR or a BETWEEN)
//   in-or            x IN (a, b) -> (x = a OR x = b), literals only, not NOT IN
//   between          x >= a AND x <= b (two conjuncts of one WHERE) -> x BETWEEN a AND b
//   operand-swap     the first conjunct "column op literal" written "literal op' column"
//   ne-spelling      != <-> <>
// A rewrite that would give the reference's own text is not returned.
//
// sql_wrong_rewrites(reference, catalog): queries that differ in meaning by one change:
//   literal-value    the literal compared with a column replaced by the catalog's next value of
//                    that column (another host, GPU index, threshold, time, state, ...)
//   comparison       one of > >= < <= loosened or tightened (> -> >=, >= -> >, ...)
//   column-swap      a result column replaced by a sibling of the same type (catalog)
//   table-swap       a FROM / JOIN table replaced by another table (catalog; one per slot)
//   dropped-condition one top-level WHERE conjunct removed
//   limit            LIMIT n -> n - 1 (n > 1) or n + 1
//   aggregate        AVG <-> SUM, MAX <-> MIN
//   distinct         DISTINCT dropped from, or added to, the final SELECT (data-dependent)
//   order-direction  the first final ORDER BY term's direction flipped (data-dependent)
// `data_dependent` marks the kinds whose wrongness depends on the data (a DISTINCT over a key
// changes nothing); the scorer keeps those only when their result differs on some database.
// Several candidates may share a `slot` (alternatives for one change, e.g. each other table):
// the scorer keeps the first of a slot that prepares.
//
// Invariants: pure functions of their arguments (the catalog is consulted, never changed);
// output order is deterministic; no candidate equals the reference text.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace aimicius {

struct SqlRewrite {
  std::string answer;
  bool right = false;
  std::string kind;
  std::string slot;             // candidates with the same slot are alternatives
  bool data_dependent = false;  // wrong only where the data make it differ
};

// What the wrong rewrites need to know about the database; each returns empty when it has no
// answer (the rewrite is then skipped).
struct SqlRewriteCatalog {
  // Another value of column `column` (unqualified, any case) than the literal `literal` (SQL text
  // as written), as SQL literal text: the next larger value in the data, else the smallest.
  std::function<std::string(const std::string& column, const std::string& literal)> other_value;
  // Other columns with the same type, in a table that has `column`.
  std::function<std::vector<std::string>(const std::string& column)> sibling_columns;
  // Every table but `table`.
  std::function<std::vector<std::string>(const std::string& table)> other_tables;
};

std::vector<SqlRewrite> sql_right_rewrites(std::string_view reference);
std::vector<SqlRewrite> sql_wrong_rewrites(std::string_view reference, const SqlRewriteCatalog& catalog);

}  // namespace aimicius
