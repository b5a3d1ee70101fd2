// `aimicius`: the command-line driver. Parses options (CLI11), resolves the data folder, runs one
// subcommand, and maps failures to exit codes: 0 success, 2 bad input (usage, unknown suite or
// model, missing or corrupt data, unwritable database), 1 anything else (and, for `gate`, a
// regression).
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/commands.h"

#ifndef AIMICIUS_DEFAULT_DATA_DIR
#define AIMICIUS_DEFAULT_DATA_DIR "datasets"
#endif
#ifndef AIMICIUS_DEFAULT_ENCODER_DIR
#define AIMICIUS_DEFAULT_ENCODER_DIR "models/all-MiniLM-L6-v2"
#endif
#ifndef AIMICIUS_DEFAULT_MODEL
#define AIMICIUS_DEFAULT_MODEL "oracle"
#endif
#ifndef AIMICIUS_HOSTSIM_BIN
#define AIMICIUS_HOSTSIM_BIN "aimicius-hostsim"
#endif
#ifndef AIMICIUS_VERSION
#define AIMICIUS_VERSION "dev"
#endif

namespace {

std::filesystem::path default_hostsim_binary() {
  if (const char* env = std::getenv("AIMICIUS_HOSTSIM"); env && *env) return env;
  return AIMICIUS_HOSTSIM_BIN;
}

// The model `run` evaluates without --model: the bundled trained checkpoint in builds with the
// runtime, the oracle otherwise; $AIMICIUS_MODEL overrides both.
std::string default_model() {
  if (const char* env = std::getenv("AIMICIUS_MODEL"); env && *env) return env;
  return AIMICIUS_DEFAULT_MODEL;
}

std::filesystem::path default_data_dir() {
  if (const char* env = std::getenv("AIMICIUS_DATA_DIR"); env && *env) return env;
  return AIMICIUS_DEFAULT_DATA_DIR;
}

std::filesystem::path default_encoder_dir() {
  if (const char* env = std::getenv("AIMICIUS_ENCODER"); env && *env) return env;
  return AIMICIUS_DEFAULT_ENCODER_DIR;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace aimicius;
  CLI::App app{"aimicius: evaluate system-domain language models on the AIMicius suites.\n"
               "Answers are scored, every result is kept in SQLite, and runs become leaderboards."};
  app.set_version_flag("--version", AIMICIUS_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  GlobalOptions global;
  global.data_dir = default_data_dir();
  global.hostsim_binary = default_hostsim_binary();
  global.encoder_dir = default_encoder_dir();
  app.add_option("--db", global.db_path, "SQLite results database")->capture_default_str();
  app.add_option("--data-dir", global.data_dir, "Folder holding one subfolder per suite (env AIMICIUS_DATA_DIR)")
      ->capture_default_str();
  app.add_option("--encoder", global.encoder_dir,
                 "Embedding model of the similarity metrics (env AIMICIUS_ENCODER)")
      ->capture_default_str();
  app.add_option("--hosts-dir", global.hosts_dir,
                 "Host profiles of the simulated tools (default: DATA_DIR/hosts, else the bundled ones)");
  app.add_flag("-v,--verbose", global.verbosity, "More detail on stderr (repeatable)");

  RunCommandOptions run;
  run.run.model_spec = default_model();
  int64_t resume_id = 0;
  std::optional<int64_t> limit_arg;
  auto* run_cmd = app.add_subcommand("run", "Evaluate a model on suites and store every result");
  run_cmd->add_option("--suite", run.run.suites, "Suite(s) to run, repeatable or comma-separated (default: all)")
      ->delimiter(',');
  run_cmd->add_option("--model", run.run.model_spec, "Model spec: oracle | replay:FILE.jsonl | local:DIR[?device=cuda] | openai:MODEL@URL[?...]")
      ->capture_default_str();
  run_cmd->add_option("--limit", limit_arg, "Only the first N examples of each suite");
  run_cmd->add_option("--jobs,-j", run.run.jobs, "Batches generated concurrently")->capture_default_str();
  run_cmd->add_option("--seed", run.run.seed, "Seed for sampling backends")->capture_default_str();
  run_cmd->add_option("--split", run.run.split, "Data split")->capture_default_str();
  run_cmd->add_option("--batch-size", run.run.batch_size, "Examples per backend call")->capture_default_str();
  run_cmd->add_option("--max-new-tokens", run.run.max_new_tokens, "Generation budget per example")->capture_default_str();
  run_cmd->add_option("--temperature", run.run.temperature, "Sampling temperature (0: greedy)")->capture_default_str();
  auto* resume_opt = run_cmd->add_option("--resume", resume_id, "Continue run RUN where it stopped");
  run_cmd->add_option("--format", run.format, "Result table: terminal | markdown")->capture_default_str();
  run_cmd->add_flag("--no-cache", run.no_cache, "API models: do not answer from (or fill) the db's response cache");
  for (const char* name : {"--suite", "--model", "--limit", "--seed", "--split", "--batch-size", "--max-new-tokens",
                           "--temperature"})
    resume_opt->excludes(run_cmd->get_option(name));

  std::string list_what;
  auto* list_cmd = app.add_subcommand("list", "List suites, models or runs");
  list_cmd->add_option("what", list_what, "suites | models | runs")
      ->required()
      ->check(CLI::IsMember({"suites", "models", "runs"}));

  int64_t show_id = 0;
  auto* show_cmd = app.add_subcommand("show", "Show one run: its configuration, scores and errors");
  show_cmd->add_option("run", show_id, "Run id")->required();

  ReportOptions report;
  auto* report_cmd = app.add_subcommand("report", "Leaderboard of stored runs with 95% CIs (default: newest complete run per model)");
  report_cmd->add_option("run_ids", report.run_ids, "Run ids to include (default: newest complete run per model)");
  report_cmd->add_option("--runs", report.run_ids, "Run ids to include (comma-separated)")->delimiter(',');
  report_cmd->add_flag("--all", report.all_runs, "Every run, complete or not");
  report_cmd->add_flag("--all-metrics", report.all_metrics, "Every metric of every suite, not only the headlines");
  report_cmd->add_option("--format", report.format, "terminal | md | html | json | csv")->capture_default_str();
  report_cmd->add_option("--out", report.out, "Write to this file instead of stdout");
  report_cmd->add_flag("--published", report.published,
                       "Add the Sigma paper's figures for Sigma and GPT-4 as separate, labelled rows");
  report_cmd->add_option("--max-rows", report.max_rows, "HTML: examples shown per run and suite (failures first)")
      ->capture_default_str();

  int64_t compare_a = 0, compare_b = 0;
  std::string compare_format = "terminal";
  std::filesystem::path compare_out;
  auto* compare_cmd = app.add_subcommand(
      "compare", "Compare two runs over shared examples: difference, paired bootstrap CI, p-value, flipped examples");
  compare_cmd->add_option("run_a", compare_a, "Baseline run id")->required();
  compare_cmd->add_option("run_b", compare_b, "Candidate run id")->required();
  compare_cmd->add_option("--format", compare_format, "terminal | md | json | csv")->capture_default_str();
  compare_cmd->add_option("--out", compare_out, "Write to this file instead of stdout");

  GateCommandOptions gate;
  auto* gate_cmd = app.add_subcommand(
      "gate", "CI regression gate: exit 1 when the candidate's score drops significantly by more than --max-drop");
  gate_cmd->add_option("--baseline", gate.baseline, "Baseline run id")->required();
  gate_cmd->add_option("--candidate", gate.candidate, "Candidate run id")->required();
  gate_cmd->add_option("--max-drop", gate.max_drop, "Largest tolerated drop, in points")->capture_default_str();
  gate_cmd->add_option("--alpha", gate.alpha, "Significance level of the paired test")->capture_default_str();
  gate_cmd->add_option("--metrics", gate.metrics, "headline | all")->capture_default_str();
  gate_cmd->add_option("--junit", gate.junit, "Write JUnit XML here (one test case per suite/metric)");
  gate_cmd->add_flag("--allow-data-change", gate.allow_data_change,
                     "Gate runs whose suite version or data differ (warned), instead of refusing");

  MakeCheckpointOptions ckpt;
  auto* ckpt_cmd = app.add_subcommand("make-checkpoint", "Write a checkpoint with seeded random weights (any shape)");
  ckpt_cmd->add_option("--preset", ckpt.preset, "Shape preset: sigma-1.5b, sigma-10b, std-1.5b, tiny-*, small-*");
  ckpt_cmd->add_option("--config", ckpt.config_file, "config.json to take the shape from");
  ckpt_cmd->add_option("--out", ckpt.out, "Output folder")->required();
  ckpt_cmd->add_option("--dtype", ckpt.dtype, "f32 | bf16 | f16")->capture_default_str();
  ckpt_cmd->add_option("--seed", ckpt.seed, "Weight seed")->capture_default_str();
  ckpt_cmd->add_option("--shards", ckpt.shards, "Number of safetensors shards")->capture_default_str();

  GenerateOptions gen;
  gen.params.max_new_tokens = 64;
  auto* gen_cmd = app.add_subcommand("generate", "Generate text for prompts with a model (e.g. local:DIR)");
  gen_cmd->add_option("--model", gen.model_spec, "Model spec, e.g. local:DIR?device=cuda")->required();
  gen_cmd->add_option("prompts", gen.prompts, "Prompt(s)")->required();
  gen_cmd->add_option("--max-new-tokens", gen.params.max_new_tokens, "Tokens to generate at most")->capture_default_str();
  gen_cmd->add_option("--temperature", gen.params.temperature, "0 for greedy")->capture_default_str();
  gen_cmd->add_option("--top-k", gen.params.top_k, "Sample from the k most likely tokens (0: off)")->capture_default_str();
  gen_cmd->add_option("--top-p", gen.params.top_p, "Nucleus sampling mass (1: off)")->capture_default_str();
  gen_cmd->add_option("--seed", gen.params.seed, "Sampling seed")->capture_default_str();
  gen_cmd->add_option("--stop", gen.params.stop, "Stop string (repeatable)");

  AnswerLossOptions answer_loss;
  auto* answer_loss_cmd = app.add_subcommand(
      "answer-loss", "A local model's log-likelihood of each example's reference answer after the suite's prompt "
                     "(nats per answer byte with 95% CI; for models too weak to answer right)");
  answer_loss_cmd->add_option("--model", answer_loss.model_spec, "local:DIR[?device=cuda&dtype=...] (required unless --resume)");
  answer_loss_cmd->add_option("--suite", answer_loss.suites, "Suite(s), repeatable or comma-separated (default: all)")
      ->delimiter(',');
  answer_loss_cmd->add_option("--split", answer_loss.split, "Data split")->capture_default_str();
  answer_loss_cmd->add_option("--limit", answer_loss.limit, "Only the first N examples of each suite");
  answer_loss_cmd->add_option("--out", answer_loss.out, "Write one JSON line per example here");
  answer_loss_cmd->add_option("--device", answer_loss.device, "cpu | cuda[:N] (default: the model spec's, else cpu)");
  answer_loss_cmd->add_option("--format", answer_loss.format, "terminal | md | json (one object per suite)")
      ->capture_default_str();
  auto* answer_loss_resume = answer_loss_cmd->add_option(
      "--resume", answer_loss.resume, "Continue answer-loss run RUN where it stopped (its options are the run's)");
  for (const char* name : {"--model", "--suite", "--split", "--limit", "--device"})
    answer_loss_resume->excludes(answer_loss_cmd->get_option(name));

  auto* bench_cmd = app.add_subcommand("bench", "Benchmarks (results go to docs/PERFORMANCE.md)");
  bench_cmd->require_subcommand(1);
  BenchSandboxOptions bench_sb;
  auto* bench_sandbox = bench_cmd->add_subcommand("sandbox", "Sandboxed executions per second");
  bench_sandbox->add_option("--command", bench_sb.command, "Command to run")->capture_default_str();
  bench_sandbox->add_option("--runs", bench_sb.runs, "Executions per repeat")->capture_default_str();
  bench_sandbox->add_option("--jobs", bench_sb.jobs, "Concurrent executions")->capture_default_str();
  bench_sandbox->add_option("--repeats", bench_sb.repeats, "Timed repeats (median reported)")->capture_default_str();
  BenchApiOptions bench_api;
  auto* bench_api_cmd = bench_cmd->add_subcommand(
      "api", "Harness overhead per example on the openai: path, against an in-process server that answers at once");
  bench_api_cmd->add_option("--jobs", bench_api.jobs, "Worker counts to measure (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  bench_api_cmd->add_option("--examples", bench_api.examples, "Examples per run")->capture_default_str();
  bench_api_cmd->add_option("--repeats", bench_api.repeats, "Timed repeats (median reported)")->capture_default_str();
  bench_api_cmd->add_option("--batch-size", bench_api.batch_size, "Examples per backend call")->capture_default_str();
  bench_api_cmd->add_option("--format", bench_api.format, "terminal | markdown")->capture_default_str();
#ifdef AIMICIUS_HAVE_RUNTIME
  TrainCommandOptions train;
  auto* train_cmd = app.add_subcommand("train", "Train a DiffQKV/GQA checkpoint on a corpus (causal LM; AdamW, cosine schedule)");
  train_cmd->add_option("--preset", train.preset, "Shape preset (see make-checkpoint)");
  train_cmd->add_option("--config", train.config_file, "config.json to take the shape from");
  train_cmd->add_option("--corpus", train.train.corpus, "corpus.jsonl, or the folder `aimicius corpus` wrote")->required();
  train_cmd->add_option("--out", train.train.out, "Checkpoint folder to write")->required();
  train_cmd->add_option("--device", train.train.device, "cpu | cuda[:N]")->capture_default_str();
  train_cmd->add_option("--dtype", train.train.compute_dtype, "Matmul dtype: f32 | bf16 | f16 (default: f32 on CPU, bf16 on CUDA)");
  train_cmd->add_option("--save-dtype", train.train.save_dtype, "Dtype of the written weights")->capture_default_str();
  train_cmd->add_option("--steps", train.train.steps, "Optimizer steps")->capture_default_str();
  train_cmd->add_option("--batch", train.train.batch, "Sequences per step")->capture_default_str();
  train_cmd->add_option("--seq-len", train.train.seq_len, "Tokens per sequence")->capture_default_str();
  train_cmd->add_option("--lr", train.train.lr, "Peak learning rate")->capture_default_str();
  train_cmd->add_option("--warmup", train.train.warmup, "Warm-up steps")->capture_default_str();
  train_cmd->add_option("--weight-decay", train.train.weight_decay, "AdamW weight decay (matrices only)")->capture_default_str();
  train_cmd->add_option("--eval-every", train.train.eval_every, "Held-out loss every N steps (0: at the end)")->capture_default_str();
  train_cmd->add_option("--seed", train.train.seed, "Seed of the initial weights and batch positions")->capture_default_str();

  train_cmd->add_option("--tokenizer", train.train.tokenizer,
                        "SentencePiece tokenizer.model (or the folder `aimicius train-tokenizer` wrote); default: byte-level");

  TrainTokenizerOptions train_tok;
  auto* train_tok_cmd = app.add_subcommand(
      "train-tokenizer", "Learn a SentencePiece BPE vocabulary from a corpus' train documents (for `train --tokenizer`)");
  train_tok_cmd->add_option("--corpus", train_tok.corpus, "corpus.jsonl, or the folder `aimicius corpus` wrote")->required();
  train_tok_cmd->add_option("--out", train_tok.out, "Folder to write tokenizer.model into")->required();
  train_tok_cmd->add_option("--vocab", train_tok.vocab_size, "Pieces, bytes and specials included")
      ->check(CLI::Range(260, 1 << 20))
      ->capture_default_str();

  EvalLossOptions eval_loss;
  auto* eval_loss_cmd = app.add_subcommand("eval-loss", "A checkpoint's loss on a corpus' held-out windows (nats per token)");
  eval_loss_cmd->add_option("--checkpoint", eval_loss.checkpoint, "Checkpoint folder")->required();
  eval_loss_cmd->add_option("--corpus", eval_loss.corpus, "corpus.jsonl, or the folder `aimicius corpus` wrote")->required();
  eval_loss_cmd->add_option("--seq-len", eval_loss.seq_len, "Tokens per window")->capture_default_str();
  eval_loss_cmd->add_option("--windows", eval_loss.windows, "Held-out windows")->capture_default_str();

  BenchGenerateOptions bench;
  auto* bench_gen = bench_cmd->add_subcommand("generate", "Generation speed of the local runtime on a checkpoint");
  bench_gen->add_option("--checkpoint", bench.checkpoint, "Checkpoint folder")->required();
  bench_gen->add_option("--device", bench.device, "cpu | cuda[:N]")->capture_default_str();
  bench_gen->add_option("--dtype", bench.dtype, "f32 | bf16 | f16 (default: f32 on CPU, bf16 on CUDA)");
  bench_gen->add_option("--selective-v", bench.selective_v, "Selective V fetching top-k (0: off)")->capture_default_str();
  bench_gen->add_flag("--torch-attention", bench.torch_attention,
                      "Decode attention with LibTorch ops, not the CUDA kernels (the baseline they are measured against)");
  bench_gen->add_flag("--no-cuda-graphs", bench.no_cuda_graphs, "Launch kernel decode steps op by op, without CUDA graphs");
  bench_gen->add_option("--batch", bench.batch, "Prompts per batch")->capture_default_str();
  bench_gen->add_option("--prompt-len", bench.prompt_len, "Prompt tokens")->capture_default_str();
  bench_gen->add_option("--new-tokens", bench.new_tokens, "Tokens generated per prompt")->capture_default_str();
  bench_gen->add_option("--repeats", bench.repeats, "Timed repeats (median reported)")->capture_default_str();
  bench_gen->add_option("--warmup", bench.warmup, "Untimed warm-up runs")->capture_default_str();
#endif

  TokenizeOptions tok;
  bool tok_no_bos = false;
  auto* tok_cmd = app.add_subcommand("tokenize", "Token ids of texts under a checkpoint's tokenizer (JSON, one line each)");
  tok_cmd->add_option("--tokenizer", tok.tokenizer_dir, "Folder with tokenizer.json or tokenizer.model")->required();
  tok_cmd->add_option("--file", tok.file, "Text file: one text per line");
  tok_cmd->add_option("texts", tok.texts, "Texts");
  tok_cmd->add_flag("--no-bos", tok_no_bos, "Do not add the beginning-of-text token");

  std::string published_suite, published_format = "terminal";
  auto* published_cmd = app.add_subcommand(
      "published", "Show the figures the Sigma paper published for the suites (published, not reproduced)");
  published_cmd->add_option("--suite", published_suite, "Only this suite");
  published_cmd->add_option("--format", published_format, "terminal | markdown")->capture_default_str();

  std::vector<std::string> validate_suites;
  auto* validate_cmd = app.add_subcommand("validate", "Check every reference of the suites' data: it must score 1 "
                                                      "on every metric and run where the suite executes");
  validate_cmd->add_option("--suite", validate_suites, "Suite(s) (default: all)")->delimiter(',');
  int validate_jobs = 2;
  validate_cmd->add_option("--jobs,-j", validate_jobs, "Examples checked concurrently")->capture_default_str();

  std::filesystem::path validate_corpus;
  double validate_max_overlap = 0.01;
  validate_cmd->add_option("--corpus", validate_corpus,
                           "Also check a training corpus (DIR/corpus.jsonl) for n-gram overlap with the dev/test splits");
  validate_cmd->add_option("--max-overlap", validate_max_overlap,
                           "Largest allowed share of a test split's examples sharing a 13-gram with the corpus")
      ->capture_default_str();

  CorpusCommandOptions corpus_opts;
  auto* corpus_cmd = app.add_subcommand(
      "corpus", "Build the training corpus from the project's own material (never dev/test) and check its overlap");
  corpus_cmd->add_option("--out", corpus_opts.out, "Output folder (corpus.jsonl, manifest.json)")->required();
  corpus_cmd->add_option("--seed", corpus_opts.seed, "Seed of the generated train pools (0..999)")->capture_default_str();
  corpus_cmd->add_option("--max-bytes", corpus_opts.max_bytes, "Drop documents past this many bytes of text (0: no limit)")
      ->capture_default_str();
  corpus_cmd->add_option("--max-overlap", corpus_opts.max_overlap, "As validate --max-overlap")->capture_default_str();
  corpus_cmd->add_option("--optiflow-train", corpus_opts.optiflow_train,
                         "optiflow train candidates (random topologies; most are dropped as overlapping dev/test)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  corpus_cmd->add_option("--diagnostics-per-template", corpus_opts.diagnostics_per_template,
                         "diagnostics train examples per few-shot template")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();

  std::filesystem::path manifest_dir;
  auto* manifest_cmd = app.add_subcommand(
      "manifest", "Recompute counts and checksums in SUITE_DIR/suite.json after editing its data");
  manifest_cmd->add_option("suite_dir", manifest_dir, "Suite folder, e.g. datasets/cmdgen")->required();

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API (/v1/completions, "
                                                "/v1/chat/completions, /v1/models) until SIGINT/SIGTERM");
  serve_cmd->add_option("--model", serve.model_spec, "Model spec, e.g. local:DIR?device=cuda, replay:FILE.jsonl, oracle")
      ->required();
  serve_cmd->add_option("--host", serve.host, "Address to listen on")->capture_default_str();
  serve_cmd->add_option("--port", serve.port, "TCP port (0: any free port, printed at start)")->capture_default_str();
  serve_cmd->add_option("--served-model-name", serve.served_model_name,
                        "Model id clients use (default: the checkpoint folder's name)");
  serve_cmd->add_option("--max-batch", serve.max_batch, "Requests generated together at most")->capture_default_str();
  serve_cmd->add_option("--batch-window-ms", serve.batch_window_ms,
                        "How long a request waits for others to batch with")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  // Host profiles: the data folder's own, else the bundled ones (a user's suite folder can run
  // commands on the bundled simulated hosts without copying them).
  if (global.hosts_dir.empty()) {
    global.hosts_dir = global.data_dir / "hosts";
    if (!std::filesystem::exists(global.hosts_dir)) global.hosts_dir = std::filesystem::path(AIMICIUS_DEFAULT_DATA_DIR) / "hosts";
  }

  try {
    if (*run_cmd) {
      if (limit_arg) run.run.limit = limit_arg;
      if (*resume_opt) run.resume = resume_id;
      return command_run(global, run);
    }
    if (*list_cmd) return command_list(global, list_what);
    if (*show_cmd) return command_show(global, show_id);
    if (*report_cmd) return command_report(global, report);
    if (*compare_cmd) return command_compare(global, compare_a, compare_b, compare_format, compare_out);
    if (*gate_cmd) return command_gate(global, gate);
    if (*manifest_cmd) return command_manifest(global, manifest_dir);
    if (*published_cmd) return command_published(global, published_suite, published_format);
    if (*validate_cmd) {
      const int rc = command_validate(global, validate_suites, validate_jobs);
      if (rc != 0 || validate_corpus.empty()) return rc;
      return command_validate_corpus(global, validate_suites, validate_corpus, validate_max_overlap);
    }
    if (*corpus_cmd) return command_corpus(global, corpus_opts);
    if (*train_tok_cmd) return command_train_tokenizer(train_tok);
    if (*ckpt_cmd) return command_make_checkpoint(ckpt);
    if (*gen_cmd) return command_generate(gen);
    if (*answer_loss_cmd) return command_answer_loss(global, answer_loss);
    if (*tok_cmd) {
      tok.add_bos = !tok_no_bos;
      return command_tokenize(tok);
    }
    if (*bench_sandbox) return command_bench_sandbox(bench_sb);
    if (*bench_api_cmd) return command_bench_api(bench_api);
    if (*serve_cmd) return command_serve(global, serve);
#ifdef AIMICIUS_HAVE_RUNTIME
    if (*bench_gen) return command_bench_generate(bench);
    if (*train_cmd) return command_train(train);
    if (*eval_loss_cmd) return command_eval_loss(eval_loss);
#endif
  } catch (const InputError& e) {
    fmt::print(stderr, "aimicius: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "aimicius: internal error: {}\n", e.what());
    return 1;
  }
  return 2;
}
