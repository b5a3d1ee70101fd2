// Running an evaluation: plan (load and check suites, build the backend), record the run, then
// feed batches of prompts to the backend from `jobs` worker threads while this thread alone writes
// results, one transaction per example.
//
// Invariants:
// - Bad input (unknown suite or model, missing or corrupt data) fails in planning, before any run
//   row exists: no half-made run is left behind.
// - A run becomes "complete" only when every planned example has a stored prediction; any
//   exception while executing marks it "failed" (with the reason) and propagates.
// - Resuming re-plans from the stored options, refuses if the data checksums or the model's
//   content hash changed, and runs only the examples that have no stored prediction (with
//   --retry-errors, also those stored as infra_error, whose rows are replaced).
// - An example is infra_error (stored, not judged, no scores) exactly when the harness failed on
//   it: the backend threw, or flagged its result GenerationResult::infra_error (an API failure
//   after retries), or scoring threw InfraError (common/errors.h). Anything a model's answer
//   causes is judged: a wrong or malformed answer scores 0, and a scorer failing on the example's
//   own data is that example's error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/backends/backend.h"
#include "harness/runner/progress.h"
#include "harness/runner/shard.h"
#include "harness/store/store.h"
#include "scorers/sandbox/sandbox.h"
#include "scorers/text_embedder.h"

namespace aimicius {

constexpr int64_t kDefaultMaxNewTokens = 256;

// --jobs at most: each job is a generation thread (and a scoring one); far above what an API's
// rate limits or a machine's cores make useful, and below the process's thread limit.
inline constexpr int kMaxJobs = 1024;

struct RunOptions {
  std::vector<std::string> suites;  // empty: every known suite
  std::string model_spec = "oracle";
  std::optional<int64_t> limit;     // first N examples of each suite
  int jobs = 1;  // 1..kMaxJobs
  uint64_t seed = 0;
  std::string split = "test";
  int64_t batch_size = 8;
  // --max-new-tokens: the budget of every suite when given; else each suite's own (suite.json
  // max_new_tokens), or kDefaultMaxNewTokens for a suite that states none.
  std::optional<int64_t> max_new_tokens;
  double temperature = 0.0;
  // --shard K/N: only the examples of shard K (shard.h), after the --limit cut. Part of the stored
  // options (config "shard"), so a resume runs the same shard; merge.h joins the N shards' runs.
  std::optional<Shard> shard;
  // --devices: one runtime per device over the run's examples (device_pool_backend.h); like jobs,
  // not part of a run's identity (a resume or another shard may use other devices).
  std::vector<std::string> devices;
  std::filesystem::path data_dir;
  std::filesystem::path hostsim_binary;  // the simulated tools, for suites that execute commands
  std::filesystem::path encoder_dir;     // the embedding model, for suites with embedding metrics
  std::filesystem::path hosts_dir;       // host profiles of the simulated tools (default data_dir/hosts)
  // Set: the embedding model the scorers use, instead of loading encoder_dir (`bench eval` on a
  // machine without the model's files). Not part of the stored options.
  std::shared_ptr<const TextEmbedder> embedder;

  // What is stored in runs.config_json and read back by --resume (jobs, devices and data_dir are
  // not part of a run's identity: a resume may use other values; see run_identity_config).
  nlohmann::json to_json() const;
  static RunOptions from_json(const nlohmann::json& j);
};

struct RunPlan {
  RunOptions options;
  // With a shard: each suite's examples are the shard's (after the --limit cut), and
  // unsharded_examples holds, per suite, what the whole run plans (recorded as the run's
  // suites[suite].unsharded_examples, which merge.h checks a merged run against).
  std::vector<LoadedSuite> suites;
  std::map<std::string, size_t> unsharded_examples;
  std::shared_ptr<const Sandbox> sandbox;        // when some suite executes answers
  std::shared_ptr<const TextEmbedder> embedder;  // when some suite compares embeddings
  ScoringContext context;                        // points into `sandbox` and `embedder`
  bool retry_infra_errors = false;               // resume: run the infra_error examples again
};

// The part of a stored run config that defines what the run computes: the config less what may
// differ between processes of one run (jobs, devices, data_dir, and the shard itself). Two shards
// of one run, a resume and its run, have equal identities.
nlohmann::json run_identity_config(const nlohmann::json& config);

// What a suite's examples are generated with in a run: the budget and the stop strings (the
// suite's chat ones when the backend answers chat turns). Recorded per suite in the run's row
// (runs.suites[suite].generation) with the backend's PromptStyle (runs.config.prompt_style).
struct SuiteGeneration {
  int64_t max_new_tokens = kDefaultMaxNewTokens;
  std::vector<std::string> stop;
};
SuiteGeneration suite_generation(const Suite& suite, const RunOptions& options, const PromptStyle& style);

// The request for one example in `style`: the prompt text, or (chat with few-shot as turns) the
// suite's chat turns with their plain rendering as the prompt (what the store keeps).
GenerationRequest build_request(const Suite& suite, const Example& ex, const PromptStyle& style);

// Loads and validates every requested suite, starts the sandbox when a suite executes answers and
// loads the embedding model when a suite needs it. Throws InputError (also when bubblewrap cannot
// run: nothing is run unsandboxed).
RunPlan plan_run(const RunOptions& options);

// Records a new "running" run for the plan and returns its id.
int64_t create_run(Store& store, const RunPlan& plan, const Backend& backend);

// Re-plans a stored run for --resume. Throws InputError when the run does not exist, is
// complete (unless `retry_infra_errors` and it has infra_error examples), or its data changed
// since it started.
RunPlan plan_resume(Store& store, int64_t run_id, const std::filesystem::path& data_dir, int jobs,
                    const std::filesystem::path& hostsim_binary, const std::filesystem::path& encoder_dir = {},
                    const std::filesystem::path& hosts_dir = {}, bool retry_infra_errors = false);

// Checks that `backend` is the one that started the run (same spec and content hash, and the same
// prompt style when the run recorded one).
void check_resume_backend(const RunRecord& run, const Backend& backend);

// `config` with the engines of `engine` (Backend::engine; one, or several joined by "; ") added to
// its "engine", each once, in the order met: a run resumed, or a shard merged, on another CPU
// kernel build says it holds answers of both. Unchanged when `engine` is empty.
nlohmann::json config_with_engine(nlohmann::json config, const std::string& engine);

// Executes the pending examples of a run and marks it complete (or failed, rethrowing).
void execute_run(Store& store, int64_t run_id, const RunPlan& plan, Backend& backend, Progress& progress);

}  // namespace aimicius
