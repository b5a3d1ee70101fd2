// The results store: one SQLite file (default aimicius.db) holding runs, per-example predictions,
// per-example scores and the API response cache.
//
// Invariants:
// - Schema version lives in PRAGMA user_version; migrations in store.cpp run in order, each in
//   one transaction, so a database is always at some whole version.
// - Journal mode WAL; one writer (the process running a run), any number of readers.
// - (run_id, suite, example_id) is unique in predictions: a resumed run skips what is stored and
//   can never duplicate an example. An example's prediction and all its scores are written in one
//   transaction (record_example), so a killed process loses at most the examples in flight.
// - Each prediction keeps the prompt text sent and the example's reference (what the suite
//   expects: the oracle output after extraction), written with it, so reports need no dataset.
//   Rows written before schema version 4 have them NULL ("not stored"): nothing rebuilds them.
// - A run is "complete" only after every planned example is stored; a run that stopped on an
//   error is "failed"; a process killed mid-run leaves it "running" until `run --resume`.
// - Usage and cost are stored per example (predictions.tokens_in/out, cached, cost_usd) and a run's
//   totals are their sums, so a resumed run's totals need no separate bookkeeping. An answer from
//   the API cache costs nothing and is counted as cached.
// - api_cache holds response bodies keyed by the sha256 of the canonical request (never a
//   credential); a Store is one connection used by one thread at a time, so the cache uses its own
//   Store (see harness/store/response_cache.h).
// - A prediction's status is "judged" (its answer was scored; a model's wrong, empty or malformed
//   answer and a per-example data error are judged) or "infra_error" (the harness failed on it:
//   common/errors.h InfraError; the error column says why). An infra_error example has no scores,
//   so every metric's mean is over the judged examples alone; record_example replaces an
//   infra_error row of the same example (`run --resume --retry-errors`), never a judged one.
// - A run's kind is in its config ("kind"; absent: an evaluation run). An "answer-loss" run
//   (harness/runner/answer_loss_run.h) stores no predictions or scores: one row per example in
//   loglikelihoods (NLL in nats, which is no score in [0, 1]), unique on (run, suite, example) and
//   written in its own transaction, so it resumes as an evaluation run does.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/sqlite_db.h"

namespace aimicius {

inline constexpr const char* kRunRunning = "running";
inline constexpr const char* kRunComplete = "complete";
inline constexpr const char* kRunFailed = "failed";

// predictions.status
inline constexpr const char* kExampleJudged = "judged";
inline constexpr const char* kExampleInfraError = "infra_error";

// runs.config["kind"] of an answer-loss run; evaluation runs have no kind.
inline constexpr const char* kRunKindAnswerLoss = "answer-loss";

struct NewRun {
  std::string model_spec;
  std::string model_hash;
  bool is_oracle = false;
  nlohmann::json suites;  // {suite: {version, prompt_version, data_sha256, examples}}
  nlohmann::json config;  // the options that define the run (suites, limit, split, seed, ...)
  std::string tool_version;
};

struct RunRecord : NewRun {
  int64_t id = 0;
  std::string created_at;
  std::string finished_at;
  std::string status;
  std::string error;

  bool is_answer_loss() const { return config.is_object() && config.value("kind", "") == kRunKindAnswerLoss; }
};

struct PredictionRecord {
  int64_t run_id = 0;
  std::string suite;
  std::string example_id;
  std::string prompt_sha256;
  std::optional<std::string> prompt;     // the prompt text sent; nullopt stores NULL
  std::optional<std::string> reference;  // the suite's expected answer (extracted oracle output)
  std::string raw_output;
  std::string answer;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double latency_ms = 0.0;
  std::optional<std::string> error;
  std::string subset;  // the example's subset (e.g. "nvidia"), "" when the suite has none
  bool cached = false;  // answered from the API response cache (no request made)
  double cost_usd = 0.0;
  bool infra_error = false;  // status "infra_error": not judged (then `error` says why; no scores)
};

// A run's API usage: sums over its stored examples.
struct RunUsage {
  int64_t examples = 0;
  int64_t cached = 0;      // examples answered from the response cache
  int64_t tokens_in = 0;   // over examples not from the cache
  int64_t tokens_out = 0;
  double cost_usd = 0.0;
};

struct ScoreRecord {
  std::string metric;
  double value = 0.0;
  nlohmann::json detail;
};

struct MetricSummary {
  std::string suite;
  std::string metric;
  int64_t examples = 0;
  double mean = 0.0;
};

// A metric's mean over the examples of one subset of a suite.
struct SubsetSummary {
  std::string suite;
  std::string subset;
  std::string metric;
  int64_t examples = 0;
  double mean = 0.0;
};

struct SuiteCounts {
  std::string suite;
  int64_t examples = 0;
  int64_t errors = 0;        // predictions with an error, infra errors included
  int64_t infra_errors = 0;  // examples not judged (status infra_error)
};

// One stored example with all its scores (reports: statistics and the HTML drill-down).
struct StoredExample {
  std::string suite;
  std::string example_id;
  std::string subset;  // "" when the suite has none
  std::string prompt_sha256;
  // nullopt when not stored (rows written before schema version 4) or not asked for.
  std::optional<std::string> prompt;
  std::optional<std::string> reference;
  std::string raw_output;
  std::string answer;
  std::optional<std::string> error;
  bool infra_error = false;         // status infra_error: not judged, no scores
  int64_t tokens_in = 0;            // as the backend counted them (0 when it does not count)
  int64_t tokens_out = 0;
  std::vector<ScoreRecord> scores;  // in the order they were written (the suite's metric order)
};

// Whether stored_examples reads each example's prompt and reference (kilobytes per example:
// only the drill-down needs them).
enum class ExampleTexts { kSkip, kRead };

// One example of an answer-loss run: the log-likelihood of its reference answer after its prompt.
struct LoglikelihoodRecord {
  int64_t run_id = 0;
  std::string suite;
  std::string example_id;
  int64_t position = 0;       // the example's index in its suite's split
  double nll = 0.0;           // nats over the answer's tokens; stored NULL (read 0) with an error
  int64_t tokens = 0;         // the answer's tokens
  int64_t bytes = 0;          // the answer's bytes
  int64_t prompt_tokens = 0;
  std::string error;          // "" = scored; else why not (stored NULL when "")
};

struct ExampleError {
  std::string suite;
  std::string example_id;
  std::string error;
};

class Store {
 public:
  static constexpr int kSchemaVersion = 6;  // == schema_migrations().size()

  // Opens (creating if needed) and migrates. Throws InputError naming the path when the file
  // cannot be created or written.
  static Store open_for_write(const std::string& path);
  // Opens an existing database for reports; one written by an older aimicius is migrated first.
  // Throws InputError when it does not exist, is not an aimicius database, is newer than this
  // aimicius, or is older and cannot be written.
  static Store open_for_read(const std::string& path);

  int schema_version();
  const std::string& path() const { return db_->path(); }

  int64_t create_run(const NewRun& run);
  std::optional<RunRecord> find_run(int64_t id);
  std::vector<RunRecord> list_runs();
  void finish_run(int64_t id, const std::string& status, const std::string& error = "");
  void reopen_run(int64_t id);  // back to "running" for --resume
  void set_run_config(int64_t id, const nlohmann::json& config);  // merge: the shards merged so far; resume: engines

  // Merging shards (harness/runner/merge.h): copies run `from_run` of the aimicius database at
  // `from_path` (at this schema version) into run `into_run` of this one, in one transaction:
  // every prediction with all its columns (status, usage, created_at) and its scores, and the API
  // cache entries this database lacks. An example already in `into_run` with the same prompt hash,
  // raw output and status is left as it is (merging twice changes nothing); an infra_error row
  // there that the other database has judged is replaced; any other difference throws InputError
  // naming the example and both files. Returns the number of examples added.
  int64_t copy_examples(const std::string& from_path, int64_t from_run, int64_t into_run);

  std::set<std::string> stored_example_ids(int64_t run_id, const std::string& suite);
  // The examples of a suite stored as infra_error (what --retry-errors runs again).
  std::set<std::string> infra_error_example_ids(int64_t run_id, const std::string& suite);
  int64_t infra_error_count(int64_t run_id);
  // Stores one example (prediction and scores, one transaction); an infra_error row of the same
  // example is replaced in that transaction. A judged row of it makes this throw (UNIQUE).
  void record_example(const PredictionRecord& prediction, const std::vector<ScoreRecord>& scores);

  std::vector<MetricSummary> metric_summaries(int64_t run_id);
  // Per-subset means of the suites that have subsets (by suite, subset, then metric order).
  std::vector<SubsetSummary> subset_summaries(int64_t run_id);
  std::vector<SuiteCounts> suite_counts(int64_t run_id);
  std::vector<ExampleError> example_errors(int64_t run_id, int64_t limit);
  // (suite, example_id, metric) -> value, for comparisons.
  std::map<std::tuple<std::string, std::string, std::string>, double> example_scores(int64_t run_id);
  int64_t prediction_count(int64_t run_id);
  int64_t score_count(int64_t run_id);
  RunUsage run_usage(int64_t run_id);

  // Answer-loss runs: one example's row, in its own transaction (unique on run, suite, example).
  void record_loglikelihood(const LoglikelihoodRecord& record);
  // Every stored row of a run, in storage order.
  std::vector<LoglikelihoodRecord> loglikelihoods(int64_t run_id);

  // The API response cache (request hash -> response body).
  std::optional<std::string> cached_response(const std::string& request_sha256);
  void store_response(const std::string& request_sha256, const std::string& response_json);

  // Every stored example of a run with its scores (details parsed), in storage order; with its
  // prompt and reference when `texts` is kRead (and the row has them). Read-only.
  std::vector<StoredExample> stored_examples(int64_t run_id, ExampleTexts texts = ExampleTexts::kSkip);

 private:
  explicit Store(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  // A suite's stored example ids in a run; with `status` ("" for any) only those with it.
  std::set<std::string> example_ids(int64_t run_id, const std::string& suite, const std::string& status);
  void migrate();
  std::unique_ptr<SqliteDb> db_;
};

// The schema's migrations, in order: entry N takes a database from user_version N to N+1. Shipped
// entries never change (tests build databases of an older version from them).
const std::vector<std::string>& schema_migrations();

}  // namespace aimicius
