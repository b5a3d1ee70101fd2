// `aimicius answer-loss`: its options checked, then one answer-loss run (new or resumed; the run
// itself is harness/runner/answer_loss_run.h) and its summary printed from the store
// (reports/answer_loss_table.h). The model must be local: (the runtime), and builds without
// LibTorch say so.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/all_commands.h"
#include "harness/runner/answer_loss_run.h"
#include "harness/store/store.h"
#include "reports/answer_loss_table.h"

namespace aimicius {
namespace {

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

int command_answer_loss(const GlobalOptions& global, const AnswerLossOptions& o) {
  if (!o.resume && o.model_spec.empty()) throw InputError("answer-loss needs --model local:DIR (or --resume RUN)");
  if (!o.resume && o.model_spec.rfind("local:", 0) != 0)
    throw InputError(fmt::format("answer-loss scores with the local runtime: --model must be local:DIR (got \"{}\")",
                                 o.model_spec));
  if (o.limit && *o.limit < 1) throw InputError(fmt::format("--limit must be at least 1 (got {})", *o.limit));
  check_answer_loss_format(o.format);  // a bad --format fails before the model loads
#ifndef AIMICIUS_HAVE_RUNTIME
  (void)global;
  throw InputError("answer-loss needs the local runtime, which this build lacks: LibTorch was not found at "
                   "configure time (configure with -DAIMICIUS_WITH_TORCH=ON where LibTorch is installed)");
#else
  Store store = Store::open_for_write(global.db_path);
  AnswerLossRequest request;
  request.run.suites = o.suites;
  request.run.model_spec = o.model_spec;
  request.run.device = o.device;
  request.run.split = o.split;
  request.run.limit = o.limit;
  request.run.data_dir = global.data_dir;
  request.resume = o.resume;
  request.out = o.out;
  request.log = global.verbosity > 0 ? stderr : nullptr;
  const int64_t run_id = run_answer_loss(store, request);
  const RunRecord run = *store.find_run(run_id);
  fmt::print("{}", render_answer_loss(answer_loss_summary(store, run), run, o.format));
  return 0;
#endif
}

class AnswerLossCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "answer-loss", "A local model's log-likelihood of each example's reference answer after the suite's prompt "
                       "(nats per answer byte with 95% CI; for models too weak to answer right)");
    cmd->add_option("--model", options_.model_spec, "local:DIR[?device=cuda&dtype=...] (required unless --resume)");
    cmd->add_option("--suite", options_.suites, "Suite(s), repeatable or comma-separated (default: all)")
        ->delimiter(',');
    cmd->add_option("--split", options_.split, "Data split")->capture_default_str();
    cmd->add_option("--limit", options_.limit, "Only the first N examples of each suite");
    cmd->add_option("--out", options_.out, "Write one JSON line per example here");
    cmd->add_option("--device", options_.device, "cpu | cuda[:N] (default: the model spec's, else cpu)");
    cmd->add_option("--format", options_.format, "terminal | md | json (one object per suite)")
        ->capture_default_str();
    auto* resume = cmd->add_option("--resume", options_.resume,
                                   "Continue answer-loss run RUN where it stopped (its options are the run's)");
    for (const char* name : {"--model", "--suite", "--split", "--limit", "--device"})
      resume->excludes(cmd->get_option(name));
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_answer_loss(global, options_); }

 private:
  AnswerLossOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_answer_loss_command() { return std::make_unique<AnswerLossCommand>(); }

}  // namespace aimicius
