// `aimicius run`: evaluates a model on suites and stores every result (harness/runner/), or
// continues a stopped run (--resume, which excludes the options that define a run: those are
// the stored run's; with --retry-errors it also runs again the examples stored as infra_error,
// the harness's own failures, even in a complete run), then prints the run's score table. --shard K/N
// runs one shard of the examples (harness/runner/shard.h; `aimicius merge` joins the shards) and
// --devices one local: runtime per device (harness/backends/device_pool_backend.h).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "harness/backends/device_pool_backend.h"
#include "harness/runner/progress.h"
#include "harness/runner/runner.h"
#include "reports/run_tables.h"

namespace aimicius {
namespace {

struct RunCommandOptions {
  RunOptions run;
  std::optional<int64_t> resume;
  bool retry_errors = false;  // with resume: run the infra_error examples again
  std::string format = "terminal";
  bool no_cache = false;  // API backends: ask the API even when the db has the answer
};

// The run's model: one backend, or with --devices one replica per device behind one backend.
std::unique_ptr<Backend> run_backend(const std::string& spec, const std::vector<std::string>& devices,
                                     const RunPlan& plan, const BackendOptions& options) {
  if (devices.empty()) return make_backend(spec, plan.suites, options);
  return make_backend_on_devices(spec, devices, plan.suites, options);
}

int command_run(const GlobalOptions& global, RunCommandOptions options) {
  const TableFormat format = parse_table_format(options.format);
  Store store = Store::open_for_write(global.db_path);
  Progress progress(stderr, Progress::style_for(stderr));

  RunPlan plan;
  int64_t run_id = 0;
  std::unique_ptr<Backend> backend;
  BackendOptions backend_options;
  if (!options.no_cache) backend_options.cache_db = global.db_path;
  backend_options.data_dir = global.data_dir;
  if (options.resume) {
    run_id = *options.resume;
    plan = plan_resume(store, run_id, global.data_dir, options.run.jobs, global.hostsim_binary, global.encoder_dir,
                       global.hosts_dir, options.retry_errors);
    backend_options.limit = plan.options.limit;
    backend = run_backend(plan.options.model_spec, options.run.devices, plan, backend_options);
    const RunRecord resumed = *store.find_run(run_id);
    check_resume_backend(resumed, *backend);
    // On another CPU kernel build, the run says it now holds answers of both.
    if (const auto config = config_with_engine(resumed.config, backend->engine()); config != resumed.config)
      store.set_run_config(run_id, config);
    fmt::print(stderr, "resuming run {} ({}) into {}\n", run_id, backend->spec(), global.db_path);
    if (options.retry_errors)
      fmt::print(stderr, "running again {} example(s) not judged (infrastructure errors)\n",
                 store.infra_error_count(run_id));
  } else {
    set_global_paths(options.run, global);
    plan = plan_run(options.run);
    backend_options.limit = plan.options.limit;
    backend = run_backend(plan.options.model_spec, options.run.devices, plan, backend_options);
    run_id = create_run(store, plan, *backend);
    fmt::print(stderr, "run {} ({}{}) into {}; if interrupted, continue with `aimicius run --resume {}`\n",
               run_id, backend->spec(), plan.options.shard ? ", shard " + plan.options.shard->label() : "",
               global.db_path, run_id);
  }
  if (global.verbosity > 0)
    for (const auto& s : plan.suites)
      fmt::print(stderr, "  {} v{}: {} examples, data sha256 {}\n", s.suite->name(), s.suite->version(),
                 s.examples.size(), s.manifest.data_sha256());

  execute_run(store, run_id, plan, *backend, progress);
  const auto run = store.find_run(run_id);
  fmt::print("{}", render_table(run_score_table(store, *run), format));
  const int64_t not_judged = store.infra_error_count(run_id);
  // A run in which nothing was judged measured nothing (an unreachable API, a rejected key, a
  // model that cannot start): an error, not a success with an empty table. Its rows are stored.
  if (not_judged > 0 && not_judged == store.prediction_count(run_id)) {
    const std::vector<ExampleError> first = store.example_errors(run_id, 1);
    throw InputError(fmt::format(
        "run {}: none of its {} example(s) was judged, every one failed for infrastructure reasons (first, {}/{}: "
        "{}); the run is stored: once the cause is fixed, `aimicius run --resume {} --retry-errors`",
        run_id, not_judged, first.empty() ? "?" : first[0].suite, first.empty() ? "?" : first[0].example_id,
        first.empty() ? "?" : first[0].error, run_id));
  }
  if (not_judged > 0)
    fmt::print(stderr, "{} example(s) not judged (infrastructure errors); once the cause is fixed: "
                       "`aimicius run --resume {} --retry-errors`\n", not_judged, run_id);
  return 0;
}

class RunCommand final : public Command {
 public:
  explicit RunCommand(const std::string& default_model) { options_.run.model_spec = default_model; }

  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("run", "Evaluate a model on suites and store every result");
    cmd->add_option("--suite", options_.run.suites, "Suite(s) to run, repeatable or comma-separated (default: all)")
        ->delimiter(',');
    cmd->add_option("--model", options_.run.model_spec, "Model spec: oracle | replay:FILE.jsonl | local:DIR[?device=cuda] | openai:MODEL@URL[?...]")
        ->capture_default_str();
    cmd->add_option("--limit", limit_, "Only the first N examples of each suite");
    cmd->add_option("--jobs,-j", options_.run.jobs, "Batches generated concurrently")->capture_default_str();
    cmd->add_option("--seed", options_.run.seed, "Seed for sampling backends")->capture_default_str();
    cmd->add_option("--split", options_.run.split, "Data split")->capture_default_str();
    cmd->add_option("--batch-size", options_.run.batch_size, "Examples per backend call")->capture_default_str();
    cmd->add_option("--max-new-tokens", options_.run.max_new_tokens,
                    "Generation budget per example (default: each suite's own, suite.json max_new_tokens)");
    cmd->add_option("--temperature", options_.run.temperature, "Sampling temperature (0: greedy)")->capture_default_str();
    cmd->add_option("--shard", shard_,
                    "Run only shard K of N of the examples (K/N, 0 <= K < N; split by example identity); "
                    "join the shards' databases with `aimicius merge`");
    cmd->add_option("--devices", options_.run.devices,
                    "local: models: one runtime per device over the run's examples, e.g. 0,1 (cuda:0, cuda:1) "
                    "or cpu,cpu")
        ->delimiter(',');
    resume_option_ = cmd->add_option("--resume", resume_id_, "Continue run RUN where it stopped");
    cmd->add_flag("--retry-errors", options_.retry_errors,
                  "With --resume: run again the examples not judged because of infrastructure errors")
        ->needs(resume_option_);
    cmd->add_option("--format", options_.format, "Result table: terminal | markdown")->capture_default_str();
    cmd->add_flag("--no-cache", options_.no_cache, "API models: do not answer from (or fill) the db's response cache");
    for (const char* name : {"--suite", "--model", "--limit", "--seed", "--split", "--batch-size", "--max-new-tokens",
                             "--temperature", "--shard"})
      resume_option_->excludes(cmd->get_option(name));
    return cmd;
  }

  int run(const GlobalOptions& global) override {
    if (limit_) options_.run.limit = limit_;
    if (!shard_.empty()) options_.run.shard = parse_shard(shard_);
    if (*resume_option_) options_.resume = resume_id_;
    return command_run(global, options_);
  }

 private:
  RunCommandOptions options_;
  int64_t resume_id_ = 0;
  std::optional<int64_t> limit_;
  std::string shard_;
  CLI::Option* resume_option_ = nullptr;
};

}  // namespace

std::unique_ptr<Command> make_run_command(const std::string& default_model) {
  return std::make_unique<RunCommand>(default_model);
}

}  // namespace aimicius
