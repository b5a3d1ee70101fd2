// extract_sql: turns a raw model answer for a diagnostics (NL-to-SQL) task into one SQL
// statement, or "" when the answer holds none. Pure and deterministic.
//
// Which part of the answer holds the query (first rule that applies):
//   a. the body of the first fenced block (``` or ~~~ at the start of a line, up to the matching
//      fence or the end) whose info string starts with "sql" or "sqlite" (any case), else the body
//      of the first fenced block of any kind; a one-line ```SELECT ...``` counts too;
//   b. otherwise the text from the first SELECT or WITH keyword that starts a line (after
//      spaces and an optional "SQL:" or "Query:" label, any case; any case), else the first upper-case SELECT word anywhere, else the first WITH
//      (any case) that opens a common table expression (WITH [RECURSIVE] name AS / name( ...).
//      Unfenced text ends at a blank line (prose after the query) or, when the keyword directly
//      follows a backtick (`SELECT ...`), at the next backtick.
// Then one statement is kept: the text up to the first ';' that is outside string literals,
// quoted identifiers and comments; surrounding whitespace is removed.
#pragma once

#include <string>
#include <string_view>

namespace aimicius {

std::string extract_sql(std::string_view model_output);

}  // namespace aimicius
