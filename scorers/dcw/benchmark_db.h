// The benchmark-results database of the infrawise suite and its one retrieval query.
//
// Built once from a .sql script (SqlScriptDatabase: a private read-only SQLite file); queried
// through SqlDatabase connections (read-only, authorizer, limits), one per concurrent caller:
// idle connections wait in a pool behind a mutex and a caller that finds none opens a new one, so
// every method is safe to call from several threads at once.
//
// Schema the database must have (datasets/infrawise/benchmarks.sql):
//   systems(name, ...), workloads(name, ...), criteria(name, ...),
//   results(id INTEGER, system, workload, criterion, value, unit, params, source)
//
// THE RETRIEVAL (fixed, documented in datasets/infrawise/README.md): the results a DCW selects are
//   SELECT id FROM results WHERE workload = :workload AND criterion = :criterion
//     AND system IN (:systems) ORDER BY id
// where :systems are the DCW's target and baseline (those that are known names; none -> nothing).
// Names are passed as SQL string literals with quotes doubled (only canonical names reach here).
//
// Any query failure is a data or schema bug: std::runtime_error naming the script and the query.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "scorers/dcw/dcw_names.h"
#include "scorers/sql_engine/sql_execution.h"
#include "scorers/sql_engine/sql_script_database.h"

namespace aimicius {

class BenchmarkDb {
 public:
  // Throws InputError naming the script when it cannot be read, does not execute or lacks a table.
  explicit BenchmarkDb(const std::filesystem::path& script);

  // The retrieval above; `systems` may be empty (then nothing is selected). Ids ascending.
  std::vector<int64_t> retrieve(const std::vector<std::string>& systems, const std::string& workload,
                                const std::string& criterion) const;
  // Which of `ids` are ids of rows in `results`, ascending.
  std::vector<int64_t> existing_ids(const std::vector<int64_t>& ids) const;
  // The `name` column of systems, workloads or criteria, in rowid order.
  std::vector<std::string> names(const std::string& table) const;
  // name -> the text of `column` in systems, workloads or criteria (rows where it is NULL are left
  // out; empty when the table has no such column: facts are optional). Throws std::invalid_argument for a table or column name that is not a plain identifier.
  std::map<std::string, std::string> column(const std::string& table, const std::string& column) const;
  // workload -> the criteria it has results for, both in rowid order of their tables.
  std::map<std::string, std::vector<std::string>> workload_criteria() const;
  // What canonicalisation may match besides names and aliases (dcw_names.h): a system's GPU model,
  // GPU count and VM size, a workload's description, a criterion's unit; and each workload's criteria.
  NameFacts name_facts() const;

  const std::filesystem::path& script() const { return script_; }

 private:
  std::vector<std::vector<nlohmann::json>> query(const std::string& sql) const;
  SqlResult run(const std::string& sql) const;

  std::filesystem::path script_;
  std::unique_ptr<SqlScriptDatabase> built_;
  mutable std::mutex pool_mutex_;
  mutable std::vector<SqlDatabase> idle_;  // connections not in use; guarded by pool_mutex_
};

// An SQL string literal: 'text' with every ' doubled.
std::string sql_quote(const std::string& text);

}  // namespace aimicius
