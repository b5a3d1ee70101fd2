// BenchmarkDb: connection pool and the fixed retrieval query; see benchmark_db.h.
#include "scorers/dcw/benchmark_db.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {

std::string sql_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + "'";
}

BenchmarkDb::BenchmarkDb(const std::filesystem::path& script)
    : script_(script), built_(std::make_unique<SqlScriptDatabase>(script)) {
  // Why: a script that runs but lacks a table would otherwise fail on the first answer scored.
  for (const char* table : {"systems", "workloads", "criteria", "results"}) {
    try {
      query(fmt::format("SELECT count(*) FROM {}", table));
    } catch (const std::runtime_error& error) {
      throw InputError(fmt::format("{}: the database has no usable table \"{}\": {}", script.string(), table,
                                   error.what()));
    }
  }
}

std::vector<std::vector<nlohmann::json>> BenchmarkDb::query(const std::string& sql) const {
  return run(sql).rows;
}

SqlResult BenchmarkDb::run(const std::string& sql) const {
  std::optional<SqlDatabase> connection;
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (!idle_.empty()) {
      connection.emplace(std::move(idle_.back()));
      idle_.pop_back();
    }
  }
  if (!connection) connection.emplace(SqlDatabase::open(built_->file()));
  SqlLimits limits;
  limits.seconds = 10.0;  // Why: generous; the tables are small and a slow CI machine must not flake.
  SqlResult result = connection->run(sql, limits);
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    idle_.push_back(std::move(*connection));
  }
  if (!result.ok)
    throw std::runtime_error(fmt::format("{}: query failed ({}): {}", script_.string(), result.error, sql));
  return result;
}

std::vector<int64_t> BenchmarkDb::retrieve(const std::vector<std::string>& systems, const std::string& workload,
                                           const std::string& criterion) const {
  if (systems.empty()) return {};
  std::string in_list;
  for (const std::string& system : systems) in_list += (in_list.empty() ? "" : ", ") + sql_quote(system);
  const std::string sql = fmt::format(
      "SELECT id FROM results WHERE workload = {} AND criterion = {} AND system IN ({}) ORDER BY id",
      sql_quote(workload), sql_quote(criterion), in_list);
  std::vector<int64_t> ids;
  for (const auto& row : query(sql)) ids.push_back(row.at(0).get<int64_t>());
  return ids;
}

std::vector<int64_t> BenchmarkDb::existing_ids(const std::vector<int64_t>& ids) const {
  if (ids.empty()) return {};
  std::string in_list;
  for (const int64_t id : ids) in_list += (in_list.empty() ? "" : ", ") + std::to_string(id);
  std::vector<int64_t> found;
  for (const auto& row : query(fmt::format("SELECT id FROM results WHERE id IN ({}) ORDER BY id", in_list)))
    found.push_back(row.at(0).get<int64_t>());
  return found;
}

std::vector<std::string> BenchmarkDb::names(const std::string& table) const {
  if (table != "systems" && table != "workloads" && table != "criteria")
    throw std::invalid_argument("BenchmarkDb::names: unknown table " + table);
  std::vector<std::string> names;
  for (const auto& row : query(fmt::format("SELECT name FROM {} ORDER BY rowid", table)))
    names.push_back(row.at(0).get<std::string>());
  return names;
}

std::map<std::string, std::string> BenchmarkDb::column(const std::string& table, const std::string& column) const {
  names(table);  // Why: validates the table name before it is put into SQL.
  if (column.empty() || column.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
    throw std::invalid_argument("BenchmarkDb::column: not a column name: " + column);
  std::map<std::string, std::string> values;
  const std::vector<std::string> columns = run(fmt::format("SELECT * FROM {} LIMIT 0", table)).columns;
  if (std::find(columns.begin(), columns.end(), column) == columns.end()) return values;
  for (const auto& row : query(fmt::format("SELECT name, {} FROM {} WHERE {} IS NOT NULL", column, table, column)))
    values[row.at(0).get<std::string>()] = row.at(1).is_string() ? row.at(1).get<std::string>() : row.at(1).dump();
  return values;
}

std::map<std::string, std::vector<std::string>> BenchmarkDb::workload_criteria() const {
  std::map<std::string, std::vector<std::string>> criteria;
  const char* sql =
      "SELECT w.name, c.name FROM workloads w JOIN criteria c "
      "WHERE EXISTS (SELECT 1 FROM results r WHERE r.workload = w.name AND r.criterion = c.name) "
      "ORDER BY w.rowid, c.rowid";
  for (const auto& row : query(sql)) criteria[row.at(0).get<std::string>()].push_back(row.at(1).get<std::string>());
  return criteria;
}

NameFacts BenchmarkDb::name_facts() const {
  NameFacts facts;
  // Why these columns: they are how people name a system (its GPU, its VM size), a workload (the
  // words of its description) and a criterion (its unit); see datasets/infrawise/README.md.
  for (const char* name : {"gpu_model", "vm_size"})
    for (const auto& [system, text] : column("systems", name)) facts.systems[system].push_back(text);
  // "8x MI300X": the GPU count as the catalogue writes it.
  const auto models = column("systems", "gpu_model");
  for (const auto& [system, count] : column("systems", "gpu_count"))
    if (models.count(system)) facts.systems[system].push_back(count + "x " + models.at(system));
  for (const auto& [workload, text] : column("workloads", "description")) facts.workloads[workload].push_back(text);
  for (const auto& [criterion, text] : column("criteria", "unit")) facts.criteria[criterion].push_back(text);
  facts.criteria_of_workload = workload_criteria();
  return facts;
}

}  // namespace aimicius
