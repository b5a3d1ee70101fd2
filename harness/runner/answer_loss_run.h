// An answer-loss run (`aimicius answer-loss`): how likely a model finds each example's reference
// answer, for comparing models too weak to answer right (issue 9's tiny DiffQKV/GQA ablation), as
// lm-evaluation-harness' loglikelihood tasks do. Per example: the negative log-likelihood of the
// oracle backend's answer (the reference) as the continuation of the suite's own prompt (the one
// `aimicius run` sends), through Backend::loglikelihood. The per-suite summary (nats per answer
// byte with its CI, nats per token) is reports/answer_loss_table.h's, read from the store.
//
// Invariants:
// - The run is stored like an evaluation run (runs row, config kind "answer-loss") and each
//   example's row goes to the store's loglikelihoods table in its own transaction as soon as it is
//   scored, so a killed run loses at most the example in flight and `--resume RUN` scores only
//   what is not stored; a resumed run gives the numbers an uninterrupted one gives.
// - Examples are the run's (each split's examples in order, the first `limit` of them). An example
//   that cannot be scored (longer than the model's context, an empty reference, a backend that
//   gives no log-likelihoods) is stored with its reason as its error, never dropped.
// - Bad input (unknown suite, malformed model spec, unusable --out) fails before the run row
//   exists; resuming refuses a run of another kind, a complete run, changed data or a changed model.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/backends/backend.h"
#include "harness/store/store.h"

namespace aimicius {

struct AnswerLossRunOptions {
  std::vector<std::string> suites;  // empty: every known suite (planning resolves the list)
  std::string model_spec;           // as the user wrote it, e.g. local:DIR
  std::string device;               // "" = the spec's own (cpu unless it says otherwise)
  std::string split = "test";
  std::optional<int64_t> limit;     // first N examples of each suite, as `run --limit`
  std::filesystem::path data_dir;   // where the suites are; not part of the run's identity

  // The spec the backend is built from: --device appended last, so it wins over the spec's own
  // (spec options are read in order).
  std::string backend_spec() const;
  // runs.config: {"kind": "answer-loss", suites, model, device, split, limit, data_dir}.
  nlohmann::json to_json() const;
  static AnswerLossRunOptions from_json(const nlohmann::json& j);
};

struct AnswerLossPlan {
  AnswerLossRunOptions options;  // suites resolved
  std::vector<LoadedSuite> suites;
};

// Loads and validates every requested suite; InputError for bad options or data.
AnswerLossPlan plan_answer_loss(const AnswerLossRunOptions& options);
// Records a new "running" answer-loss run for the plan; returns its id.
int64_t create_answer_loss_run(Store& store, const AnswerLossPlan& plan, const Backend& backend);
// Re-plans a stored answer-loss run (suites from `data_dir`); InputError when the run does not
// exist, is not an answer-loss run, is complete, or its data or prompts changed.
AnswerLossPlan plan_answer_loss_resume(Store& store, int64_t run_id, const std::filesystem::path& data_dir);

// Receives every planned example's row in plan order: the stored ones as read back, the others
// once they are stored.
using LoglikelihoodSink = std::function<void(const LoglikelihoodRecord&)>;

// Scores the examples the run has not stored, storing each, then marks the run complete (or
// failed, rethrowing). `log` (may be null) gets one line per suite.
void execute_answer_loss(Store& store, int64_t run_id, const AnswerLossPlan& plan, Backend& backend,
                         const LoglikelihoodSink& sink, std::FILE* log = nullptr);

// One example as a line of `--out`: {suite, id, nll (null when not scored), tokens, bytes,
// prompt_tokens, error ("" when scored)}.
nlohmann::json loglikelihood_json(const LoglikelihoodRecord& record);

// All of `aimicius answer-loss` but its printing: a new run (or `resume`), its backend from the
// model spec, every example stored, `out` (when not empty) rewritten with one line per example of
// the whole run. Returns the run's id.
struct AnswerLossRequest {
  AnswerLossRunOptions run;  // a new run's options (only data_dir is read when resuming)
  std::optional<int64_t> resume;
  std::filesystem::path out;
  std::FILE* log = nullptr;  // progress lines (`-v`), or null
};
int64_t run_answer_loss(Store& store, const AnswerLossRequest& request);

}  // namespace aimicius
