// The "sql" scorer type: a candidate SQL query against the example's reference query, both run on
// a read-only SQLite database that the scorer builds once from a script in the suite folder
// (scorers/sql_engine/sql_script_database.h). Used by the diagnostics suite (the paper's NL2KQL, as SQL).
//
// suite.json parameters:
//   "database": "telemetry.sql"  required; a .sql script relative to the suite folder
//   "seconds": 2.0               optional; wall-time limit of each query (> 0)
//   "max_rows": 10000            optional; rows a query may return (> 0)
// Example field: "reference" (one SQLite SELECT, non-empty string).
//
// Metrics, each in [0, 1], one row each for every example (an empty answer scores 0 on all):
//   execution_accuracy  1 iff the candidate's result equals the reference's (score_sql
//                       execution_match: same column count, same rows; as sequences only when the
//                       reference orders its result). The headline.
//   syntax_accuracy     1 iff the candidate is one statement that prepares against the schema
//                       and passes the read-only authorizer (score_sql syntax_ok).
//   token_jaccard       Jaccard similarity of the sets of lower-cased SQL tokens of candidate and
//                       reference (scorers/sql/sql_tokens.h). Text-only: computed whether
//                       or not the candidate prepares, as the paper computes it on query text.
//   table_score         recall of the reference's tables among the tables the candidate reads;
//   column_score        recall of the reference's (table, column) pairs among the candidate's.
//                       Both from SQLite's own name resolution (scorers/sql/sql_reads.h);
//                       a candidate that does not prepare scores 0 on both; a reference that
//                       reads no column (count(*) only) gives column_score 1 to any candidate
//                       that prepares.
//
// check_reference(): the reference runs within the limits, returns at least one row and reads at
// least one table. score() throws std::invalid_argument when the reference fails to run or to
// prepare (a data bug).
//
// Thread safety: score() and check_reference() may run on many threads at once. Each call borrows
// one Connections (an SqlDatabase and an SqlReadInspector on the built file) from a
// mutex-protected free list, opening a new one when the list is empty, and returns it after.
#pragma once

#include <memory>

#include "scorers/scorer.h"

namespace aimicius {

std::unique_ptr<Scorer> make_sql_scorer(const ScorerSpec& spec);

}  // namespace aimicius
