// The subcommands of the `aimicius` CLI. Each takes its parsed options and returns the process
// exit code; InputError escapes to main(), which prints it and exits with 2.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_commands.h"
#include "harness/runner/runner.h"
#include "runtime/model_config.h"
#include "training/trainer.h"

namespace aimicius {

struct GlobalOptions {
  std::string db_path = "aimicius.db";
  std::filesystem::path data_dir;
  std::filesystem::path hostsim_binary;  // the simulated GPU/cluster tools
  std::filesystem::path encoder_dir;     // the embedding model of the similarity metrics
  std::filesystem::path hosts_dir;       // host profiles: <data dir>/hosts, else the bundled ones
  int verbosity = 0;
};

struct RunCommandOptions {
  RunOptions run;
  std::optional<int64_t> resume;
  std::string format = "terminal";
  bool no_cache = false;  // API backends: ask the API even when the db has the answer
};

int command_run(const GlobalOptions& global, RunCommandOptions options);
int command_list(const GlobalOptions& global, const std::string& what);
int command_show(const GlobalOptions& global, int64_t run_id);
struct ReportOptions {
  std::vector<int64_t> run_ids;  // empty: the newest complete run per model (every run with all_runs)
  bool all_runs = false;
  std::string format = "terminal";  // terminal | md | html | json | csv
  std::filesystem::path out;        // "" = stdout
  bool all_metrics = false;
  bool published = false;  // the Sigma paper's figures for Sigma and GPT-4, as their own rows
  size_t max_rows = 100;   // HTML drill-down rows per run and suite (failures first)
};
int command_report(const GlobalOptions& global, const ReportOptions& options);
int command_compare(const GlobalOptions& global, int64_t run_a, int64_t run_b, const std::string& format,
                    const std::filesystem::path& out = {});

struct GateCommandOptions {
  int64_t baseline = 0;
  int64_t candidate = 0;
  double max_drop = 1.0;
  double alpha = 0.05;
  std::string metrics = "headline";  // headline | all
  std::filesystem::path junit;       // "" = none
  bool allow_data_change = false;
};
// Exit 0 when the candidate passes, 1 on a regression; InputError (exit 2) on bad input.
int command_gate(const GlobalOptions& global, const GateCommandOptions& options);
struct MakeCheckpointOptions {
  std::string preset;
  std::filesystem::path config_file;
  std::filesystem::path out;
  std::string dtype = "f32";
  uint64_t seed = 0;
  int shards = 1;
};
int command_make_checkpoint(const MakeCheckpointOptions& options);
// A model shape from a preset name or a config.json (exactly one); InputError names `command`.
runtime::ModelConfig model_config_from(const std::string& preset, const std::filesystem::path& config_file,
                                       const std::string& command);

struct TrainCommandOptions {
  std::string preset;
  std::filesystem::path config_file;
  runtime::TrainOptions train;
};
// Only in builds with the runtime (LibTorch).
int command_train(const TrainCommandOptions& options);

struct TrainTokenizerOptions {
  std::filesystem::path corpus;
  std::filesystem::path out;
  int vocab_size = 4096;
};
// Writes OUT/tokenizer.model (SentencePiece BPE on the corpus' train documents) and its report.
int command_train_tokenizer(const TrainTokenizerOptions& options);

struct EvalLossOptions {
  std::filesystem::path checkpoint;
  std::filesystem::path corpus;
  int64_t seq_len = 1024;
  int64_t windows = 64;
};
// Prints one JSON line with the held-out loss. Only in builds with the runtime.
int command_eval_loss(const EvalLossOptions& options);

struct AnswerLossOptions {
  std::optional<int64_t> resume;    // continue this stored answer-loss run (its options are the run's)
  std::string model_spec;           // local:DIR[?...]; required unless resuming
  std::vector<std::string> suites;  // empty: every known suite
  std::string split = "test";
  std::optional<int64_t> limit;     // first N examples of each suite, as `run --limit`
  std::filesystem::path out;        // "" = none; else one JSON line per example
  std::string device;               // "" = the spec's (cpu unless it says otherwise)
  std::string format = "terminal";  // terminal | md | json (one object per suite)
};
// The log-likelihood of each example's reference answer after the suite's prompt, per suite,
// stored as an answer-loss run (harness/runner/answer_loss_run.h) and printed from the store.
// InputError in builds without the runtime (LibTorch).
int command_answer_loss(const GlobalOptions& global, const AnswerLossOptions& options);

struct GenerateOptions {
  std::string model_spec;
  std::vector<std::string> prompts;
  GenerationParams params;
};
int command_generate(const GenerateOptions& options);

struct TokenizeOptions {
  std::filesystem::path tokenizer_dir;
  std::filesystem::path file;      // one text per line; else `texts`
  std::vector<std::string> texts;
  bool add_bos = true;
};
// Prints one JSON array of token ids per text.
int command_tokenize(const TokenizeOptions& options);

// Checks every example's reference by scoring it as an answer (and running it where the suite
// executes); InputError (exit 2) when any fails.
int command_validate(const GlobalOptions& global, const std::vector<std::string>& suites, int jobs);

int command_manifest(const GlobalOptions& global, const std::filesystem::path& suite_dir);

// `aimicius corpus`: builds the training corpus (training/corpus/corpus_writer.h) into options.out, then
// prints the contamination report against the dev/test splits (training/corpus/contamination.h);
// InputError (exit 2) when a test split's 13-gram overlap exceeds max_overlap.
struct CorpusCommandOptions {
  std::filesystem::path out;
  uint64_t seed = 1;
  int64_t max_bytes = 0;
  double max_overlap = 0.01;
  int optiflow_train = 3000;          // corpus::CorpusOptions' train pool sizes
  int diagnostics_per_template = 150;
};
int command_corpus(const GlobalOptions& global, const CorpusCommandOptions& options);
// `aimicius validate --corpus DIR`: the contamination report alone; InputError (exit 2) naming the
// suite and the worst example when a test split's 13-gram overlap exceeds max_overlap.
int command_validate_corpus(const GlobalOptions& global, const std::vector<std::string>& suites,
                            const std::filesystem::path& corpus_dir, double max_overlap);

// Prints the figures papers published for the suites (DATA_DIR/published/*.json), labelled as such.
int command_published(const GlobalOptions& global, const std::string& suite, const std::string& format);

struct ServeOptions {
  std::string model_spec;
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string served_model_name;  // "" : the checkpoint folder's name (serve::default_model_id)
  int64_t max_batch = 8;
  int64_t batch_window_ms = 10;
};
// An OpenAI-compatible HTTP server over a model until SIGINT/SIGTERM (harness/serve/).
int command_serve(const GlobalOptions& global, const ServeOptions& options);

}  // namespace aimicius
