// The "sql" scorer (see sql_scorer.h): parameter checking, the connection pool, and the five
// metrics. Invariants: the database file is built in the constructor and never written after;
// every borrowed Connections goes back to the free list when the call ends, also on exceptions.
#include "scorers/sql/sql_scorer.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/errors.h"
#include "scorers/sql_engine/sql_execution.h"
#include "scorers/sql_engine/sql_script_database.h"
#include "scorers/sql/sql_reads.h"
#include "scorers/sql/sql_tokens.h"

namespace aimicius {
namespace {

using nlohmann::json;

// What one concurrent call needs: the scoring connection and the read-inspection connection.
struct Connections {
  SqlDatabase database;
  SqlReadInspector inspector;
};

double recall(std::size_t found, std::size_t wanted) {
  return wanted == 0 ? 1.0 : static_cast<double>(found) / static_cast<double>(wanted);
}

json column_names(const std::set<std::pair<std::string, std::string>>& columns) {
  json out = json::array();
  for (const auto& [table, column] : columns) out.push_back(table + "." + column);
  return out;
}

class SqlScorer : public Scorer {
 public:
  explicit SqlScorer(const ScorerSpec& spec) : database_(script_path(spec)), limits_(read_limits(spec)) {
    // Open one set of connections now: a database that cannot be opened fails at load time.
    release(std::make_unique<Connections>(open_connections()));
  }

  std::vector<MetricSpec> metrics() const override {
    return {
        {"execution_accuracy", "the query's result equals the reference query's result", true},
        {"syntax_accuracy", "the query is one statement that prepares against the schema", false},
        {"token_jaccard", "Jaccard similarity of the query's and the reference's SQL token sets", false},
        {"table_score", "share of the reference's tables that the query reads", false},
        {"column_score", "share of the reference's table columns that the query reads", false},
    };
  }

  void validate_example(const Example& ex) const override {
    const auto it = ex.fields.find("reference");
    if (it == ex.fields.end() || !it->is_string() || it->get<std::string>().empty())
      throw InputError(fmt::format("{}: example \"{}\" needs a non-empty string field \"reference\" (a SQL query)",
                                   ex.origin, ex.id));
  }

  std::vector<ScoreRow> score(const Example& ex, const std::string& answer,
                              const ScoringContext& /*context*/) const override {
    validate_example(ex);
    const std::string reference = ex.fields["reference"].get<std::string>();
    Lease lease(*this);
    const SqlScore executed = score_sql(lease->database, answer, reference, limits_);

    const auto reference_reads = lease->inspector.reads(reference);
    if (!reference_reads)
      throw std::invalid_argument(fmt::format("{}: the reference query of \"{}\" does not prepare: {}", ex.origin,
                                              ex.id, reference));
    const bool candidate_prepared = executed.syntax_ok > 0.5;
    const auto candidate_reads = candidate_prepared ? lease->inspector.reads(answer) : std::nullopt;

    double table_score = 0.0;
    double column_score = 0.0;
    json table_detail = {{"reference", reference_reads->tables}, {"candidate", nullptr}};
    json column_detail = {{"reference", column_names(reference_reads->columns)}, {"candidate", nullptr}};
    if (candidate_reads) {
      std::size_t tables_found = 0;
      for (const auto& table : reference_reads->tables) tables_found += candidate_reads->tables.count(table);
      std::size_t columns_found = 0;
      for (const auto& column : reference_reads->columns) columns_found += candidate_reads->columns.count(column);
      table_score = recall(tables_found, reference_reads->tables.size());
      column_score = recall(columns_found, reference_reads->columns.size());
      table_detail["candidate"] = candidate_reads->tables;
      column_detail["candidate"] = column_names(candidate_reads->columns);
    }

    const auto candidate_tokens = sql_tokens(answer);
    const auto reference_tokens = sql_tokens(reference);
    std::vector<ScoreRow> rows;
    rows.push_back({"execution_accuracy", executed.execution_match, executed.detail});
    rows.push_back({"syntax_accuracy", executed.syntax_ok,
                    {{"error", executed.detail.at("candidate").value("error", json())}}});
    rows.push_back({"token_jaccard", token_jaccard(answer, reference),
                    {{"candidate_tokens", candidate_tokens.size()}, {"reference_tokens", reference_tokens.size()}}});
    rows.push_back({"table_score", table_score, table_detail});
    rows.push_back({"column_score", column_score, column_detail});
    return rows;
  }

  std::vector<std::string> check_reference(const Example& ex, const ScoringContext& /*context*/) const override {
    validate_example(ex);
    const std::string reference = ex.fields["reference"].get<std::string>();
    Lease lease(*this);
    std::vector<std::string> problems;
    const SqlResult result = lease->database.run(reference, limits_);
    if (!result.ok) {
      problems.push_back(fmt::format("the reference query fails: {}", result.error));
      return problems;
    }
    if (result.rows.empty()) problems.push_back("the reference query returns no rows");
    const auto reads = lease->inspector.reads(reference);
    if (!reads || reads->tables.empty()) problems.push_back("the reference query reads no table");
    return problems;
  }

 private:
  // Borrows one Connections for the length of a call and always gives it back.
  class Lease {
   public:
    explicit Lease(const SqlScorer& owner) : owner_(owner), connections_(owner.acquire()) {}
    ~Lease() { owner_.release(std::move(connections_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connections* operator->() const { return connections_.get(); }

   private:
    const SqlScorer& owner_;
    std::unique_ptr<Connections> connections_;
  };

  static std::filesystem::path script_path(const ScorerSpec& spec) {
    check_params(spec, {"database", "seconds", "max_rows"});
    const auto it = spec.params.find("database");
    if (it == spec.params.end() || !it->is_string() || it->get<std::string>().empty())
      throw InputError(fmt::format("{}: scorer \"sql\" needs \"database\": a .sql script in the suite folder",
                                   spec.where));
    const auto path = spec.suite_dir / it->get<std::string>();
    if (!std::filesystem::is_regular_file(path))
      throw InputError(fmt::format("{}: \"database\": no such file {}", spec.where, path.string()));
    return path;
  }

  static SqlLimits read_limits(const ScorerSpec& spec) {
    SqlLimits limits;
    if (const auto it = spec.params.find("seconds"); it != spec.params.end()) {
      if (!it->is_number() || it->get<double>() <= 0)
        throw InputError(fmt::format("{}: \"seconds\" must be a positive number", spec.where));
      limits.seconds = it->get<double>();
    }
    if (const auto it = spec.params.find("max_rows"); it != spec.params.end()) {
      if (!it->is_number_integer() || it->get<int64_t>() <= 0)
        throw InputError(fmt::format("{}: \"max_rows\" must be a positive integer", spec.where));
      limits.max_rows = it->get<int64_t>();
    }
    return limits;
  }

  Connections open_connections() const {
    return Connections{SqlDatabase::open(database_.file()), SqlReadInspector::open(database_.file())};
  }

  std::unique_ptr<Connections> acquire() const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        auto connections = std::move(free_.back());
        free_.pop_back();
        return connections;
      }
    }
    return std::make_unique<Connections>(open_connections());  // opened outside the lock
  }

  void release(std::unique_ptr<Connections> connections) const {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(connections));
  }

  SqlScriptDatabase database_;
  SqlLimits limits_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Connections>> free_;
};

}  // namespace

std::unique_ptr<Scorer> make_sql_scorer(const ScorerSpec& spec) { return std::make_unique<SqlScorer>(spec); }

}  // namespace aimicius
