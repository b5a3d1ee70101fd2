// The "sql" scorer (see sql_scorer.h): parameter checking, the connection pool, and the five
// metrics. Invariants: the database file is built in the constructor and never written after;
// every borrowed Connections goes back to the free list when the call ends, also on exceptions.
#include "scorers/sql/sql_scorer.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "scorers/sql_engine/sql_execution.h"
#include "scorers/sql_engine/sql_script_database.h"
#include "scorers/sql_engine/sql_token_positions.h"
#include "scorers/sql/sql_reads.h"
#include "scorers/sql/sql_rewrites.h"
#include "scorers/sql/sql_tokens.h"

namespace aimicius {
namespace {

using nlohmann::json;

// What one concurrent call needs: a scoring connection to every database (the base first, then
// the test-suite variants in suite.json order) and the read-inspection connection (base).
struct Connections {
  std::vector<SqlDatabase> databases;
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
  explicit SqlScorer(const ScorerSpec& spec) : limits_(read_limits(spec)) {
    const auto base = script_path(spec);
    databases_.push_back(std::make_unique<SqlScriptDatabase>(base));
    for (const auto& variant : variant_paths(spec)) {
      databases_.push_back(std::make_unique<SqlScriptDatabase>(std::vector<std::filesystem::path>{base, variant}));
      variant_names_.push_back(variant.filename().string());
    }
    // Open one set of connections now: a database that cannot be opened fails at load time.
    auto connections = std::make_unique<Connections>(open_connections());
    catalog_ = read_catalog(connections->databases.front(), limits_);
    release(std::move(connections));
  }

  std::vector<MetricSpec> metrics() const override {
    return {
        {"test_suite_accuracy",
         "the query's result equals the reference's on the telemetry database and on every test-suite variant "
         "of it (Zhong et al. 2020)",
         true, false},
        {"execution_accuracy", "the query's result equals the reference query's result on the one telemetry database",
         false, false},
        {"syntax_accuracy", "the query is one statement that prepares against the schema (paper)", false, true},
        {"token_jaccard",
         "Jaccard similarity of the query's and the reference's SQL token sets (paper; lenient: it does not run the "
         "query, and a wrong query that shares the reference's words scores above a right one written differently)",
         false, true},
        {"table_score", "share of the reference's tables that the query reads (paper)", false, true},
        {"column_score", "share of the reference's table columns that the query reads (paper)", false, true},
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
    const SqlScore executed = score_sql(lease->databases.front(), answer, reference, limits_);
    const ScoreRow test_suite = test_suite_row(*lease, ex, answer, reference, executed);

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
    rows.push_back(test_suite);
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
    const SqlResult result = lease->databases.front().run(reference, limits_);
    if (!result.ok) {
      problems.push_back(fmt::format("the reference query fails: {}", result.error));
      return problems;
    }
    if (result.rows.empty()) problems.push_back("the reference query returns no rows");
    const auto reads = lease->inspector.reads(reference);
    if (!reads || reads->tables.empty()) problems.push_back("the reference query reads no table");
    if (has_top_level_limit(reference) && !reference_orders_rows(reference))
      problems.push_back("the reference query has a LIMIT but no ORDER BY: which rows it keeps depends on row order");
    for (std::size_t i = 0; i < lease->databases.size(); ++i) {
      const SqlDatabase& db = lease->databases[i];
      const std::string where = database_name(i);
      if (i > 0) {
        const SqlResult on_variant = db.run(reference, limits_);
        if (!on_variant.ok) {
          problems.push_back(fmt::format("the reference query fails on {}: {}", where, on_variant.error));
          continue;
        }
        if (on_variant.rows.empty() && !result.rows.empty())
          problems.push_back(fmt::format("the reference query returns no rows on {} (it does on the base)", where));
      }
      if (const auto cut = limit_cuts_tie(db, reference, limits_))
        problems.push_back(fmt::format("on {}, {}", where, *cut));
    }
    return problems;
  }

  // Right variants: equivalent rewrites of the reference (sql_rewrites.h). Wrong variants: one
  // change each, kept when they prepare on the base database (the first of each slot that does),
  // and, for the kinds whose wrongness depends on the data, only when their result differs from
  // the reference's on at least one database.
  std::vector<AuditVariant> audit_variants(const Example& ex) const override {
    validate_example(ex);
    const std::string reference = ex.fields["reference"].get<std::string>();
    std::vector<AuditVariant> variants;
    for (auto& rewrite : sql_right_rewrites(reference))
      variants.push_back({std::move(rewrite.answer), true, std::move(rewrite.kind)});

    Lease lease(*this);
    const SqlDatabase& base = lease->databases.front();
    std::set<std::string> filled_slots;
    for (auto& rewrite : sql_wrong_rewrites(reference, rewrite_catalog(base))) {
      if (filled_slots.count(rewrite.slot) != 0) continue;
      if (!base.run(rewrite.answer, limits_).prepared) continue;
      if (rewrite.data_dependent) {
        bool differs = false;
        for (const auto& db : lease->databases)
          differs = differs || score_sql(db, rewrite.answer, reference, limits_).execution_match < 0.5;
        if (!differs) continue;
      }
      filled_slots.insert(rewrite.slot);
      variants.push_back({std::move(rewrite.answer), false, std::move(rewrite.kind)});
    }
    return variants;
  }

 private:
  // Tables and their columns, with the JSON type of each column's first non-NULL value.
  struct CatalogTable {
    std::string name;
    std::vector<std::pair<std::string, std::string>> columns;  // (name, "integer" | "real" | "text" | "")
  };

  static std::vector<CatalogTable> read_catalog(const SqlDatabase& db, const SqlLimits& limits) {
    std::vector<CatalogTable> tables;
    const SqlResult names = db.run("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", limits);
    for (const auto& row : names.rows) {
      CatalogTable table{row[0].get<std::string>(), {}};
      const SqlResult sample = db.run(fmt::format("SELECT * FROM \"{}\" LIMIT 1", table.name), limits);
      for (std::size_t c = 0; c < sample.columns.size(); ++c) {
        const json value = sample.rows.empty() ? json() : sample.rows[0][c];
        const std::string type = value.is_number_integer() ? "integer"
                                 : value.is_number()       ? "real"
                                 : value.is_string()       ? "text"
                                                           : "";
        table.columns.emplace_back(sample.columns[c], type);
      }
      tables.push_back(std::move(table));
    }
    return tables;
  }

  static std::string upper(std::string text) {
    for (char& c : text)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return text;
  }

  static std::string sql_literal(const json& value) {
    if (value.is_string()) {
      std::string quoted = "'";
      for (const char c : value.get<std::string>()) quoted += c == '\'' ? std::string("''") : std::string(1, c);
      return quoted + "'";
    }
    if (value.is_number()) return value.dump();
    return {};
  }

  // The catalog the wrong rewrites consult, answering from `db` (the base database).
  SqlRewriteCatalog rewrite_catalog(const SqlDatabase& db) const {
    SqlRewriteCatalog catalog;
    catalog.other_value = [this, &db](const std::string& column, const std::string& literal) -> std::string {
      const bool text = !literal.empty() && literal.front() == '\'';
      std::string fallback;
      for (const auto& table : catalog_) {
        for (const auto& [name, type] : table.columns) {
          if (upper(name) != column || (type == "text") != text) continue;
          const SqlResult next = db.run(fmt::format("SELECT \"{0}\" FROM \"{1}\" WHERE \"{0}\" > {2} ORDER BY 1 LIMIT 1",
                                                    name, table.name, literal), limits_);
          const SqlResult first = db.run(fmt::format("SELECT MIN(\"{0}\") FROM \"{1}\" WHERE \"{0}\" <> {2}",
                                                     name, table.name, literal), limits_);
          std::string value = next.ok && !next.rows.empty() ? sql_literal(next.rows[0][0])
                              : first.ok && !first.rows.empty() ? sql_literal(first.rows[0][0])
                                                                : std::string();
          const SqlResult has = db.run(fmt::format("SELECT 1 FROM \"{0}\" WHERE \"{1}\" = {2} LIMIT 1", table.name,
                                                   name, literal), limits_);
          if (has.ok && !has.rows.empty() && !value.empty()) return value;  // a table that holds the literal
          if (fallback.empty()) fallback = value;
        }
      }
      return fallback;
    };
    catalog.sibling_columns = [this](const std::string& column) {
      std::vector<std::string> siblings;
      for (const auto& table : catalog_) {
        std::string type;
        bool has = false;
        for (const auto& [name, column_type] : table.columns)
          if (upper(name) == column) has = true, type = column_type;
        if (!has) continue;
        for (const auto& [name, column_type] : table.columns)
          if (upper(name) != column && column_type == type && !type.empty()) siblings.push_back(name);
        if (!siblings.empty()) break;
      }
      return siblings;
    };
    catalog.other_tables = [this](const std::string& table) {
      std::vector<std::string> others;
      for (const auto& t : catalog_)
        if (t.name != table) others.push_back(t.name);
      return others;
    };
    return catalog;
  }

  std::string database_name(std::size_t index) const {
    return index == 0 ? "the base database" : fmt::format("variant {}", variant_names_[index - 1]);
  }

  // 1 iff the answer matches on the base (already scored) and on every variant; the variants are
  // not run once the answer fails somewhere, which keeps wrong answers cheap.
  ScoreRow test_suite_row(const Connections& connections, const Example& ex, const std::string& answer,
                          const std::string& reference, const SqlScore& on_base) const {
    json databases = json::array();
    databases.push_back({{"database", database_name(0)}, {"reason", on_base.detail.at("reason")}});
    bool all = on_base.execution_match > 0.5;
    for (std::size_t i = 1; i < connections.databases.size() && all; ++i) {
      ReferenceRun run;
      try {
        run = run_reference(connections.databases[i], reference, limits_);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(fmt::format("{}: the reference query of \"{}\" fails on {}: {}", ex.origin,
                                                ex.id, database_name(i), e.what()));
      }
      const SqlScore scored = score_against(connections.databases[i], answer, run, limits_);
      databases.push_back({{"database", database_name(i)}, {"reason", scored.detail.at("reason")}});
      all = scored.execution_match > 0.5;
    }
    return {"test_suite_accuracy", all ? 1.0 : 0.0,
            {{"databases", std::move(databases)}, {"database_count", connections.databases.size()}}};
  }

  static bool has_top_level_limit(const std::string& query) {
    for (const SqlToken& token : sql_token_positions(query))
      if (token.depth == 0 && token.is_word("LIMIT")) return true;
    return false;
  }

  // Borrows one Connections for the length of a call and always gives it back.
  class Lease {
   public:
    explicit Lease(const SqlScorer& owner) : owner_(owner), connections_(owner.acquire()) {}
    ~Lease() { owner_.release(std::move(connections_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connections* operator->() const { return connections_.get(); }
    Connections& operator*() const { return *connections_; }

   private:
    const SqlScorer& owner_;
    std::unique_ptr<Connections> connections_;
  };

  static std::filesystem::path script_path(const ScorerSpec& spec) {
    check_params(spec, {"database", "variants", "seconds", "max_rows"});
    const auto it = spec.params.find("database");
    if (it == spec.params.end() || !it->is_string() || it->get<std::string>().empty())
      throw InputError(fmt::format("{}: scorer \"sql\" needs \"database\": a .sql script in the suite folder",
                                   spec.where));
    return file_inside(spec.suite_dir, it->get<std::string>(), spec.where + ": \"database\"");
  }

  static std::vector<std::filesystem::path> variant_paths(const ScorerSpec& spec) {
    std::vector<std::filesystem::path> paths;
    const auto it = spec.params.find("variants");
    if (it == spec.params.end()) return paths;
    if (!it->is_array())
      throw InputError(fmt::format("{}: \"variants\" must be an array of .sql scripts in the suite folder",
                                   spec.where));
    for (const auto& name : *it) {
      if (!name.is_string() || name.get<std::string>().empty())
        throw InputError(fmt::format("{}: \"variants\": each entry must be a non-empty file name", spec.where));
      paths.push_back(file_inside(spec.suite_dir, name.get<std::string>(), spec.where + ": \"variants\""));
    }
    return paths;
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
    std::vector<SqlDatabase> databases;
    for (const auto& database : databases_) databases.push_back(SqlDatabase::open(database->file()));
    return Connections{std::move(databases), SqlReadInspector::open(databases_.front()->file())};
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
    // Opened outside the lock. The files were built and opened once at load, so failing to open them
    // now (a full /tmp, a descriptor limit, a file removed under the run) is the machine's fault,
    // not the answer's: an InfraError, stored as infra_error and redone by --retry-errors.
    try {
      return std::make_unique<Connections>(open_connections());
    } catch (const std::exception& e) {
      throw InfraError(fmt::format("SQL scoring: cannot open the suite's telemetry database again: {}", e.what()));
    }
  }

  void release(std::unique_ptr<Connections> connections) const {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(connections));
  }

  SqlLimits limits_;
  std::vector<std::unique_ptr<SqlScriptDatabase>> databases_;  // base, then variants; built once
  std::vector<std::string> variant_names_;
  std::vector<CatalogTable> catalog_;  // of the base database, read once
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Connections>> free_;
};

}  // namespace

std::unique_ptr<Scorer> make_sql_scorer(const ScorerSpec& spec) { return std::make_unique<SqlScorer>(spec); }

}  // namespace aimicius
