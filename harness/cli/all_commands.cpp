// The list of `aimicius` subcommands (see all_commands.h). The order is the order of
// `aimicius --help`. Which commands a build has is decided here alone, on AIMICIUS_HAVE_RUNTIME
// (builds with LibTorch); CMake compiles the files of the runtime-only commands in those builds.
#include "harness/cli/all_commands.h"

namespace aimicius {

std::vector<std::unique_ptr<Command>> all_commands(const std::string& default_model) {
  std::vector<std::unique_ptr<Command>> bench;
  bench.push_back(make_bench_sandbox_command());
  bench.push_back(make_bench_api_command());
#ifdef AIMICIUS_HAVE_RUNTIME
  bench.push_back(make_bench_generate_command());
  bench.push_back(make_bench_eval_command());
#endif

  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(make_run_command(default_model));
  commands.push_back(make_merge_command());
  commands.push_back(make_list_command());
  commands.push_back(make_show_command());
  commands.push_back(make_report_command());
  commands.push_back(make_compare_command());
  commands.push_back(make_gate_command());
  commands.push_back(make_make_checkpoint_command());
  commands.push_back(make_generate_command());
  commands.push_back(make_answer_loss_command());
  commands.push_back(make_bench_command(std::move(bench)));
#ifdef AIMICIUS_HAVE_RUNTIME
  commands.push_back(make_train_command());
#endif
  commands.push_back(make_train_tokenizer_command());
#ifdef AIMICIUS_HAVE_RUNTIME
  commands.push_back(make_eval_loss_command());
#endif
  commands.push_back(make_tokenize_command());
  commands.push_back(make_prompts_command());
  commands.push_back(make_published_command());
  commands.push_back(make_validate_command());
  commands.push_back(make_audit_command());
  commands.push_back(make_corpus_command());
  commands.push_back(make_manifest_command());
  commands.push_back(make_serve_command());
  return commands;
}

}  // namespace aimicius
