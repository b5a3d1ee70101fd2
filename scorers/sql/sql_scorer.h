// The "sql" scorer type: a candidate SQL query against the example's reference query, both run on
// a read-only SQLite database that the scorer builds once from a script in the suite folder
// (scorers/sql_engine/sql_script_database.h). Used by the diagnostics suite (the paper's NL2KQL, as SQL).
//
// suite.json parameters:
//   "database": "telemetry.sql"  required; a .sql script relative to the suite folder
//   "variants": ["telemetry-v1.sql", ...]  optional; test-suite variants: delta scripts, each run
//                                on top of "database" to build one more database (built once)
//   "seconds": 2.0               optional; wall-time limit of each query (> 0)
//   "max_rows": 10000            optional; rows a query may return (> 0)
// Example field: "reference" (one SQLite SELECT, non-empty string).
//
// Metrics, each in [0, 1], one row each for every example (an empty answer scores 0 on all), in
// this order:
//   test_suite_accuracy  the headline (Zhong et al. 2020, "Semantic Evaluation for Text-to-SQL
//                       with Distilled Test Suites"): 1 iff the candidate's result equals the
//                       reference's on the base database AND on every variant (score_sql's
//                       comparison on each; rows whose ORDER BY keys tie may come in any order).
//                       The variants are run only while the candidate keeps matching.
//   execution_accuracy  the same comparison on the base database alone.
//   syntax_accuracy     (paper) 1 iff the candidate is one statement that prepares against the
//                       schema and passes the read-only authorizer (score_sql syntax_ok).
//   token_jaccard       (paper) Jaccard similarity of the sets of lower-cased SQL tokens of
//                       candidate and reference (scorers/sql/sql_tokens.h). Text-only and lenient:
//                       computed whether or not the candidate prepares, as the paper computes it;
//                       a wrong query one literal away from the reference scores above a right
//                       one written differently.
//   table_score         (paper) recall of the reference's tables among the tables the candidate
//                       reads;
//   column_score        (paper) recall of the reference's (table, column) pairs among the
//                       candidate's. Both from SQLite's own name resolution
//                       (scorers/sql/sql_reads.h); a candidate that does not prepare scores 0 on
//                       both; a reference that reads no column (count(*) only) gives
//                       column_score 1 to any candidate that prepares.
//
// check_reference(): the reference runs within the limits on every database, returns at least one
// row on the base and on every variant where it does on the base, reads at least one table, has
// no LIMIT without ORDER BY, and no LIMIT that cuts through rows whose ORDER BY keys tie (on any
// database). score() throws std::invalid_argument when the reference fails to run or to prepare
// on any database (a data bug).
//
// audit_variants(): right = equivalent rewrites of the reference, wrong = one change each
// (scorers/sql/sql_rewrites.h, with a catalog of the base database's tables, columns and
// values); a wrong variant is kept when it prepares, and a data-dependent one (DISTINCT, ORDER
// BY direction) only when its result differs on at least one database.
//
// Thread safety: score(), check_reference() and audit_variants() may run on many threads at
// once. Each call borrows one Connections (an SqlDatabase per database and an SqlReadInspector on
// the base) from a mutex-protected free list, opening a new one when the list is empty, and
// returns it after. The databases and the catalog are built in the constructor, never changed.
#pragma once

#include <memory>

#include "scorers/scorer.h"

namespace aimicius {

std::unique_ptr<Scorer> make_sql_scorer(const ScorerSpec& spec);

}  // namespace aimicius
