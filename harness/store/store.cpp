#include "harness/store/store.h"

#include <filesystem>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"

namespace aimicius {
namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

// Model output is arbitrary bytes and ends up inside JSON details (extracted commands, flags):
// invalid UTF-8 is replaced (U+FFFD) rather than failing the write.
std::string to_json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

// Migration N takes a database from user_version N to N+1. Never edit a shipped entry: append.
const std::vector<std::string>& schema_migrations() {
  static const std::vector<std::string> kMigrations = {
      R"sql(
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        model_spec TEXT NOT NULL,
        model_hash TEXT NOT NULL,
        is_oracle INTEGER NOT NULL DEFAULT 0,
        suites_json TEXT NOT NULL,
        config_json TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
        error TEXT
      );
      CREATE TABLE predictions (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        suite TEXT NOT NULL,
        example_id TEXT NOT NULL,
        prompt_sha256 TEXT NOT NULL,
        raw_output TEXT NOT NULL,
        answer TEXT NOT NULL,
        tokens_in INTEGER NOT NULL DEFAULT 0,
        tokens_out INTEGER NOT NULL DEFAULT 0,
        latency_ms REAL NOT NULL DEFAULT 0,
        error TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, suite, example_id)
      );
      CREATE TABLE scores (
        run_id INTEGER NOT NULL,
        suite TEXT NOT NULL,
        example_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        value REAL NOT NULL,
        detail_json TEXT,
        PRIMARY KEY (run_id, suite, example_id, metric),
        FOREIGN KEY (run_id, suite, example_id) REFERENCES predictions(run_id, suite, example_id)
      );
      CREATE TABLE api_cache (
        request_sha256 TEXT PRIMARY KEY,
        response_json TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      )sql",
      // 1 -> 2: the example's subset (e.g. cmdgen's platform), for per-subset scores.
      R"sql(
      ALTER TABLE predictions ADD COLUMN subset TEXT;
      )sql",
      // 2 -> 3: per-example API usage: answered from the response cache, and what it cost.
      R"sql(
      ALTER TABLE predictions ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE predictions ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
      )sql",
      // 3 -> 4: the prompt text and the reference with each prediction, so reports need no
      // dataset. NULL in rows written before: reports say "not stored".
      R"sql(
      ALTER TABLE predictions ADD COLUMN prompt TEXT;
      ALTER TABLE predictions ADD COLUMN reference TEXT;
      )sql",
      // 4 -> 5: answer-loss runs (runs.config kind "answer-loss"): per example, the log-likelihood
      // of its reference answer after its prompt, in nats (not in `scores`, whose values are in
      // [0, 1]); position is the example's index in its split, the order the summary reads.
      R"sql(
      CREATE TABLE loglikelihoods (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        suite TEXT NOT NULL,
        example_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        nll REAL,
        tokens INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, suite, example_id)
      );
      )sql",
      // 5 -> 6: whether an example was judged or not, because the harness failed on it
      // (infra_error: no scores, out of every mean's denominator). Earlier rows were all judged.
      R"sql(
      ALTER TABLE predictions ADD COLUMN status TEXT NOT NULL DEFAULT 'judged'
        CHECK (status IN ('judged', 'infra_error'));
      )sql",
  };
  return kMigrations;
}

namespace {

RunRecord read_run(Statement& st) {
  RunRecord r;
  r.id = st.column_int(0);
  r.created_at = st.column_text(1);
  r.finished_at = st.column_text(2);
  r.model_spec = st.column_text(3);
  r.model_hash = st.column_text(4);
  r.is_oracle = st.column_int(5) != 0;
  r.suites = nlohmann::json::parse(st.column_text(6));
  r.config = nlohmann::json::parse(st.column_text(7));
  r.tool_version = st.column_text(8);
  r.status = st.column_text(9);
  r.error = st.column_text(10);
  return r;
}

constexpr const char* kRunColumns =
    "id, created_at, finished_at, model_spec, model_hash, is_oracle, suites_json, config_json, "
    "tool_version, status, error";

}  // namespace

Store Store::open_for_write(const std::string& path) {
  auto db = std::make_unique<SqliteDb>(path, SqliteDb::Mode::kReadWriteCreate);
  Store store(std::move(db));
  try {
    store.db_->exec("PRAGMA foreign_keys = ON");
    store.db_->exec("PRAGMA journal_mode = WAL");
    store.db_->exec("PRAGMA synchronous = NORMAL");
    store.migrate();
  } catch (const std::runtime_error& e) {
    throw InputError(fmt::format("cannot write database {}: {}", path, e.what()));
  }
  return store;
}

namespace {

// A connection that reads `path` without writing anything. A WAL database opened read-only
// still needs its -shm file, which SQLite cannot create in a folder (or for a file) this process
// may not write ("attempt to write a readonly database"): then, if no write-ahead log holds
// changes to read, the file is opened immutable, which needs no -shm.
std::unique_ptr<SqliteDb> open_read_only(const std::string& path) {
  auto db = std::make_unique<SqliteDb>(path, SqliteDb::Mode::kReadOnly);
  try {
    Statement(*db, "SELECT count(*) FROM sqlite_master").step();
    return db;
  } catch (const std::runtime_error& e) {
    const int code = sqlite3_errcode(db->handle());
    if (code != SQLITE_READONLY && code != SQLITE_CANTOPEN) throw InputError(fmt::format("cannot read database {}: {}", path, e.what()));
    std::error_code error;
    const std::string wal = path + "-wal";
    if (std::filesystem::exists(wal, error) && std::filesystem::file_size(wal, error) > 0)
      throw InputError(fmt::format("cannot read database {}: {} (its write-ahead log {} holds changes that a "
                                   "reader without write access cannot see: open it once where it is writable)",
                                   path, e.what(), wal));
  }
  db = std::make_unique<SqliteDb>(path, SqliteDb::Mode::kImmutable);
  try {
    Statement(*db, "SELECT count(*) FROM sqlite_master").step();
  } catch (const std::runtime_error& e) {
    throw InputError(fmt::format("cannot read database {}: {}", path, e.what()));
  }
  return db;
}

}  // namespace

Store Store::open_for_read(const std::string& path) {
  if (!input_file_present(path))
    throw InputError(fmt::format("no database at {} (run `aimicius run` first, or pass --db)", path));
  check_input_file(path, std::numeric_limits<int64_t>::max());  // a dangling link or a folder is named
  const int version = Store(open_read_only(path)).schema_version();
  // A database an older aimicius wrote (version 1 or more: 0 is a file aimicius never set up) is
  // migrated in place first, so reports read it; the migrations only add tables and columns.
  if (version >= 1 && version < kSchemaVersion) {
    try {
      open_for_write(path);
    } catch (const InputError& e) {
      throw InputError(fmt::format("database {} has schema version {}, this aimicius reads {} and could not "
                                   "migrate it: {}",
                                   path, version, kSchemaVersion, e.what()));
    }
  } else if (version != kSchemaVersion) {
    throw InputError(fmt::format("database {} has schema version {}, this aimicius reads {}", path, version,
                                 kSchemaVersion));
  }
  return Store(open_read_only(path));
}

int Store::schema_version() {
  Statement st(*db_, "PRAGMA user_version");
  st.step();
  return static_cast<int>(st.column_int(0));
}

void Store::migrate() {
  const auto& steps = schema_migrations();
  int version = schema_version();
  if (version > static_cast<int>(steps.size()))
    throw InputError(fmt::format("database {} has schema version {}, newer than this aimicius ({})",
                                 db_->path(), version, steps.size()));
  for (; version < static_cast<int>(steps.size()); ++version) {
    Transaction tx(*db_);
    db_->exec(steps[version]);
    db_->exec(fmt::format("PRAGMA user_version = {}", version + 1));
    tx.commit();
  }
}

int64_t Store::create_run(const NewRun& run) {
  Statement st(*db_, fmt::format("INSERT INTO runs (created_at, model_spec, model_hash, is_oracle, "
                                 "suites_json, config_json, tool_version, status) "
                                 "VALUES ({}, ?1, ?2, ?3, ?4, ?5, ?6, 'running')",
                                 kNow));
  st.bind(1, run.model_spec)
      .bind(2, run.model_hash)
      .bind(3, int64_t{run.is_oracle ? 1 : 0})
      .bind(4, to_json_text(run.suites))
      .bind(5, to_json_text(run.config))
      .bind(6, run.tool_version)
      .run();
  return db_->last_insert_rowid();
}

std::optional<RunRecord> Store::find_run(int64_t id) {
  Statement st(*db_, fmt::format("SELECT {} FROM runs WHERE id = ?1", kRunColumns));
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return read_run(st);
}

std::vector<RunRecord> Store::list_runs() {
  Statement st(*db_, fmt::format("SELECT {} FROM runs ORDER BY id", kRunColumns));
  std::vector<RunRecord> out;
  while (st.step()) out.push_back(read_run(st));
  return out;
}

void Store::finish_run(int64_t id, const std::string& status, const std::string& error) {
  Statement st(*db_, fmt::format("UPDATE runs SET status = ?1, error = ?2, finished_at = {} WHERE id = ?3",
                                 kNow));
  st.bind(1, status).bind(2, error).bind(3, id).run();
}

void Store::reopen_run(int64_t id) {
  Statement st(*db_, "UPDATE runs SET status = 'running', error = NULL, finished_at = NULL WHERE id = ?1");
  st.bind(1, id).run();
}

void Store::set_run_config(int64_t id, const nlohmann::json& config) {
  Statement st(*db_, "UPDATE runs SET config_json = ?1 WHERE id = ?2");
  st.bind(1, to_json_text(config)).bind(2, id).run();
}

namespace {

// The other database attached to a connection as "other" while it lives (ATTACH is refused
// inside a transaction, so this wraps one).
class Attached {
 public:
  Attached(SqliteDb& db, const std::string& path) : db_(db) {
    Statement(db_, "ATTACH DATABASE ?1 AS other").bind(1, path).run();
  }
  ~Attached() {
    try {
      db_.exec("DETACH DATABASE other");
    } catch (...) {
      // The connection is closing or failing; the error that got here is the one to report.
    }
  }
  Attached(const Attached&) = delete;
  Attached& operator=(const Attached&) = delete;

 private:
  SqliteDb& db_;
};

}  // namespace

int64_t Store::copy_examples(const std::string& from_path, int64_t from_run, int64_t into_run) {
  const int64_t before = prediction_count(into_run);
  Attached other(*db_, from_path);
  Transaction tx(*db_);
  {
    // A retried example: judged there, infra_error here (the shard was resumed with --retry-errors
    // after an earlier merge). An infra_error row has no scores.
    Statement del(*db_, "DELETE FROM main.predictions WHERE run_id = ?1 AND status = 'infra_error' AND EXISTS "
                        "(SELECT 1 FROM other.predictions o WHERE o.run_id = ?2 AND o.suite = predictions.suite "
                        "AND o.example_id = predictions.example_id AND o.status = 'judged')");
    del.bind(1, into_run).bind(2, from_run).run();
  }
  {
    Statement clash(*db_, "SELECT o.suite, o.example_id FROM other.predictions o JOIN main.predictions m "
                          "ON m.run_id = ?1 AND m.suite = o.suite AND m.example_id = o.example_id "
                          "WHERE o.run_id = ?2 AND (m.prompt_sha256 IS NOT o.prompt_sha256 OR "
                          "m.raw_output IS NOT o.raw_output OR m.status IS NOT o.status) LIMIT 1");
    clash.bind(1, into_run).bind(2, from_run);
    if (clash.step())
      throw InputError(fmt::format("{} (run {}) and {} (run {}) hold different results for {} example \"{}\": "
                                   "they are not shards of one run",
                                   from_path, from_run, db_->path(), into_run, clash.column_text(0),
                                   clash.column_text(1)));
  }
  Statement(*db_, "INSERT INTO main.predictions (run_id, suite, example_id, prompt_sha256, raw_output, answer, "
                  "tokens_in, tokens_out, latency_ms, error, created_at, subset, cached, cost_usd, prompt, reference, "
                  "status) SELECT ?1, suite, example_id, prompt_sha256, raw_output, answer, tokens_in, tokens_out, "
                  "latency_ms, error, created_at, subset, cached, cost_usd, prompt, reference, status "
                  "FROM other.predictions o WHERE o.run_id = ?2 AND NOT EXISTS (SELECT 1 FROM main.predictions m "
                  "WHERE m.run_id = ?1 AND m.suite = o.suite AND m.example_id = o.example_id) ORDER BY o.rowid")
      .bind(1, into_run)
      .bind(2, from_run)
      .run();
  Statement(*db_, "INSERT INTO main.scores (run_id, suite, example_id, metric, value, detail_json) "
                  "SELECT ?1, suite, example_id, metric, value, detail_json FROM other.scores o WHERE o.run_id = ?2 "
                  "AND NOT EXISTS (SELECT 1 FROM main.scores m WHERE m.run_id = ?1 AND m.suite = o.suite AND "
                  "m.example_id = o.example_id AND m.metric = o.metric) ORDER BY o.rowid")
      .bind(1, into_run)
      .bind(2, from_run)
      .run();
  db_->exec("INSERT OR IGNORE INTO main.api_cache (request_sha256, response_json, created_at) "
            "SELECT request_sha256, response_json, created_at FROM other.api_cache");
  tx.commit();
  return prediction_count(into_run) - before;
}

std::set<std::string> Store::stored_example_ids(int64_t run_id, const std::string& suite) {
  return example_ids(run_id, suite, "");
}

std::set<std::string> Store::infra_error_example_ids(int64_t run_id, const std::string& suite) {
  return example_ids(run_id, suite, kExampleInfraError);
}

std::set<std::string> Store::example_ids(int64_t run_id, const std::string& suite, const std::string& status) {
  Statement st(*db_, "SELECT example_id FROM predictions WHERE run_id = ?1 AND suite = ?2 AND (?3 = '' OR status = ?3)");
  st.bind(1, run_id).bind(2, suite).bind(3, status);
  std::set<std::string> ids;
  while (st.step()) ids.insert(st.column_text(0));
  return ids;
}

int64_t Store::infra_error_count(int64_t run_id) {
  Statement st(*db_, "SELECT COUNT(*) FROM predictions WHERE run_id = ?1 AND status = 'infra_error'");
  st.bind(1, run_id).step();
  return st.column_int(0);
}

void Store::record_example(const PredictionRecord& p, const std::vector<ScoreRecord>& scores) {
  if (p.infra_error && !scores.empty())
    throw std::logic_error(fmt::format("{}/{}: an infra_error example has no scores", p.suite, p.example_id));
  Transaction tx(*db_);
  {
    // A retried infra_error example: its old row goes in the same transaction as the new one, so
    // a kill in between leaves the old row. (An infra_error row has no scores to delete.)
    Statement del(*db_, "DELETE FROM predictions WHERE run_id = ?1 AND suite = ?2 AND example_id = ?3 "
                        "AND status = 'infra_error'");
    del.bind(1, p.run_id).bind(2, p.suite).bind(3, p.example_id).run();
  }
  Statement ins(*db_, fmt::format("INSERT INTO predictions (run_id, suite, example_id, prompt_sha256, "
                                  "raw_output, answer, tokens_in, tokens_out, latency_ms, error, "
                                  "subset, cached, cost_usd, prompt, reference, status, created_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, {})",
                                  kNow));
  ins.bind(1, p.run_id)
      .bind(2, p.suite)
      .bind(3, p.example_id)
      .bind(4, p.prompt_sha256)
      .bind(5, p.raw_output)
      .bind(6, p.answer)
      .bind(7, p.tokens_in)
      .bind(8, p.tokens_out)
      .bind(9, p.latency_ms)
      .bind_optional(10, p.error)
      .bind_optional(11, p.subset.empty() ? std::nullopt : std::optional<std::string>(p.subset))
      .bind(12, int64_t{p.cached ? 1 : 0})
      .bind(13, p.cost_usd)
      .bind_optional(14, p.prompt)
      .bind_optional(15, p.reference)
      .bind(16, std::string(p.infra_error ? kExampleInfraError : kExampleJudged))
      .run();
  Statement sc(*db_, "INSERT INTO scores (run_id, suite, example_id, metric, value, detail_json) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  for (const auto& s : scores) {
    sc.reset();
    sc.bind(1, p.run_id)
        .bind(2, p.suite)
        .bind(3, p.example_id)
        .bind(4, s.metric)
        .bind(5, s.value)
        .bind(6, s.detail.is_null() ? std::string("{}") : to_json_text(s.detail))
        .run();
  }
  tx.commit();
}

std::vector<MetricSummary> Store::metric_summaries(int64_t run_id) {
  // Metrics keep the order the suite first wrote them in (MIN(rowid)), suites their run order.
  Statement st(*db_, "SELECT suite, metric, COUNT(*), AVG(value) FROM scores WHERE run_id = ?1 "
                     "GROUP BY suite, metric ORDER BY MIN(rowid)");
  st.bind(1, run_id);
  std::vector<MetricSummary> out;
  while (st.step())
    out.push_back({st.column_text(0), st.column_text(1), st.column_int(2), st.column_double(3)});
  return out;
}

std::vector<SubsetSummary> Store::subset_summaries(int64_t run_id) {
  Statement st(*db_, "SELECT s.suite, p.subset, s.metric, COUNT(*), AVG(s.value) FROM scores s "
                     "JOIN predictions p USING (run_id, suite, example_id) "
                     "WHERE s.run_id = ?1 AND p.subset IS NOT NULL "
                     "GROUP BY s.suite, p.subset, s.metric ORDER BY s.suite, p.subset, MIN(s.rowid)");
  st.bind(1, run_id);
  std::vector<SubsetSummary> out;
  while (st.step())
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_int(3), st.column_double(4)});
  return out;
}

std::vector<SuiteCounts> Store::suite_counts(int64_t run_id) {
  Statement st(*db_, "SELECT suite, COUNT(*), COUNT(error), SUM(status = 'infra_error') FROM predictions "
                     "WHERE run_id = ?1 GROUP BY suite ORDER BY MIN(rowid)");
  st.bind(1, run_id);
  std::vector<SuiteCounts> out;
  while (st.step()) out.push_back({st.column_text(0), st.column_int(1), st.column_int(2), st.column_int(3)});
  return out;
}

// Examples are listed suite by suite (in the order the run started them) and by id within a suite,
// not in the order they were written: the runner writes them as they are judged, which varies
// from run to run, and a report or a diff of two runs must not.
constexpr const char* kExampleOrder =
    "(SELECT MIN(q.rowid) FROM predictions q WHERE q.run_id = predictions.run_id AND q.suite = predictions.suite), "
    "example_id";

std::vector<ExampleError> Store::example_errors(int64_t run_id, int64_t limit) {
  Statement st(*db_, fmt::format("SELECT suite, example_id, error FROM predictions WHERE run_id = ?1 AND error IS "
                                 "NOT NULL ORDER BY {} LIMIT ?2",
                                 kExampleOrder));
  st.bind(1, run_id).bind(2, limit);
  std::vector<ExampleError> out;
  while (st.step()) out.push_back({st.column_text(0), st.column_text(1), st.column_text(2)});
  return out;
}

std::map<std::tuple<std::string, std::string, std::string>, double> Store::example_scores(int64_t run_id) {
  Statement st(*db_, "SELECT suite, example_id, metric, value FROM scores WHERE run_id = ?1");
  st.bind(1, run_id);
  std::map<std::tuple<std::string, std::string, std::string>, double> out;
  while (st.step()) out[{st.column_text(0), st.column_text(1), st.column_text(2)}] = st.column_double(3);
  return out;
}

int64_t Store::prediction_count(int64_t run_id) {
  Statement st(*db_, "SELECT COUNT(*) FROM predictions WHERE run_id = ?1");
  st.bind(1, run_id).step();
  return st.column_int(0);
}

int64_t Store::score_count(int64_t run_id) {
  Statement st(*db_, "SELECT COUNT(*) FROM scores WHERE run_id = ?1");
  st.bind(1, run_id).step();
  return st.column_int(0);
}

std::vector<StoredExample> Store::stored_examples(int64_t run_id, ExampleTexts texts) {
  std::vector<StoredExample> out;
  std::map<std::pair<std::string, std::string>, size_t> index;
  Statement st(*db_, fmt::format("SELECT suite, example_id, subset, prompt_sha256, raw_output, answer, error, {}, "
                                 "status, tokens_in, tokens_out FROM predictions WHERE run_id = ?1 ORDER BY {}",
                                 texts == ExampleTexts::kRead ? "prompt, reference" : "NULL, NULL", kExampleOrder));
  st.bind(1, run_id);
  while (st.step()) {
    StoredExample e;
    e.suite = st.column_text(0);
    e.example_id = st.column_text(1);
    e.subset = st.column_text(2);
    e.prompt_sha256 = st.column_text(3);
    e.raw_output = st.column_text(4);
    e.answer = st.column_text(5);
    if (!st.column_is_null(6)) e.error = st.column_text(6);
    if (!st.column_is_null(7)) e.prompt = st.column_text(7);
    if (!st.column_is_null(8)) e.reference = st.column_text(8);
    e.infra_error = st.column_text(9) == kExampleInfraError;
    e.tokens_in = st.column_int(10);
    e.tokens_out = st.column_int(11);
    index[{e.suite, e.example_id}] = out.size();
    out.push_back(std::move(e));
  }
  Statement sc(*db_, "SELECT suite, example_id, metric, value, detail_json FROM scores WHERE run_id = ?1 ORDER BY rowid");
  sc.bind(1, run_id);
  while (sc.step()) {
    auto it = index.find({sc.column_text(0), sc.column_text(1)});
    if (it == index.end()) continue;  // the foreign key makes this impossible; never invent a row
    const std::string detail = sc.column_text(4);
    out[it->second].scores.push_back(
        {sc.column_text(2), sc.column_double(3),
         detail.empty() ? nlohmann::json::object() : nlohmann::json::parse(detail, nullptr, false)});
  }
  return out;
}

RunUsage Store::run_usage(int64_t run_id) {
  // TOTAL, not SUM: token counts are what an API reported, and SQLite's integer SUM fails the whole
  // query with "integer overflow" when they add past 2^63 (a server claiming 10^19 tokens once made
  // `show` unusable). The float total is clamped back to a count.
  Statement st(*db_, "SELECT COUNT(*), TOTAL(cached), "
                     "TOTAL(CASE WHEN cached = 0 THEN tokens_in ELSE 0 END), "
                     "TOTAL(CASE WHEN cached = 0 THEN tokens_out ELSE 0 END), "
                     "TOTAL(cost_usd) FROM predictions WHERE run_id = ?1");
  st.bind(1, run_id).step();
  const auto count = [&](int column) {
    const double total = st.column_double(column);
    return total >= 9.2e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(total);
  };
  return {st.column_int(0), count(1), count(2), count(3), st.column_double(4)};
}

void Store::record_loglikelihood(const LoglikelihoodRecord& r) {
  Transaction tx(*db_);
  Statement st(*db_, fmt::format("INSERT INTO loglikelihoods (run_id, suite, example_id, position, nll, tokens, "
                                 "bytes, prompt_tokens, error, created_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, {})",
                                 kNow));
  st.bind(1, r.run_id).bind(2, r.suite).bind(3, r.example_id).bind(4, r.position);
  if (r.error.empty()) st.bind(5, r.nll);
  else st.bind_null(5);
  st.bind(6, r.tokens)
      .bind(7, r.bytes)
      .bind(8, r.prompt_tokens)
      .bind_optional(9, r.error.empty() ? std::nullopt : std::optional<std::string>(r.error))
      .run();
  tx.commit();
}

std::vector<LoglikelihoodRecord> Store::loglikelihoods(int64_t run_id) {
  Statement st(*db_, "SELECT suite, example_id, position, nll, tokens, bytes, prompt_tokens, error "
                     "FROM loglikelihoods WHERE run_id = ?1 ORDER BY rowid");
  st.bind(1, run_id);
  std::vector<LoglikelihoodRecord> out;
  while (st.step()) {
    LoglikelihoodRecord r;
    r.run_id = run_id;
    r.suite = st.column_text(0);
    r.example_id = st.column_text(1);
    r.position = st.column_int(2);
    r.nll = st.column_is_null(3) ? 0.0 : st.column_double(3);
    r.tokens = st.column_int(4);
    r.bytes = st.column_int(5);
    r.prompt_tokens = st.column_int(6);
    r.error = st.column_text(7);  // "" for NULL
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<std::string> Store::cached_response(const std::string& request_sha256) {
  Statement st(*db_, "SELECT response_json FROM api_cache WHERE request_sha256 = ?1");
  st.bind(1, request_sha256);
  if (!st.step()) return std::nullopt;
  return st.column_text(0);
}

void Store::store_response(const std::string& request_sha256, const std::string& response_json) {
  // A concurrent identical request may have stored it first; the newer body replaces it.
  Statement st(*db_, fmt::format("INSERT OR REPLACE INTO api_cache (request_sha256, response_json, created_at) "
                                 "VALUES (?1, ?2, {})",
                                 kNow));
  st.bind(1, request_sha256).bind(2, response_json).run();
}

}  // namespace aimicius
