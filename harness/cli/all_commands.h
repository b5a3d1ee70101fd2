// The subcommands of `aimicius`, in the order `aimicius --help` lists them.
//
// all_commands() is the one list (harness/cli/all_commands.cpp): main.cpp adds each to the
// application. It is also the one place that knows which commands exist only in builds with the
// runtime (LibTorch): train, eval-loss and `bench generate`; their files are compiled only there.
// Each make_*_command() below is defined in the file of its command (harness/cli/<name>.cpp) and
// returns a fresh object holding that command's default options.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/cli/command.h"

namespace aimicius {

// `default_model`: the model `run` evaluates without --model (main.cpp decides it).
std::vector<std::unique_ptr<Command>> all_commands(const std::string& default_model);

std::unique_ptr<Command> make_run_command(const std::string& default_model);
std::unique_ptr<Command> make_merge_command();
std::unique_ptr<Command> make_list_command();
std::unique_ptr<Command> make_show_command();
std::unique_ptr<Command> make_report_command();
std::unique_ptr<Command> make_compare_command();
std::unique_ptr<Command> make_gate_command();
std::unique_ptr<Command> make_make_checkpoint_command();
std::unique_ptr<Command> make_generate_command();
std::unique_ptr<Command> make_answer_loss_command();
// `bench`: a group whose own subcommands are `subcommands` (bench sandbox, api, generate).
std::unique_ptr<Command> make_bench_command(std::vector<std::unique_ptr<Command>> subcommands);
std::unique_ptr<Command> make_bench_sandbox_command();
std::unique_ptr<Command> make_bench_api_command();
std::unique_ptr<Command> make_bench_generate_command();  // only in builds with the runtime
std::unique_ptr<Command> make_bench_eval_command();      // only in builds with the runtime
std::unique_ptr<Command> make_train_command();           // only in builds with the runtime
std::unique_ptr<Command> make_train_tokenizer_command();
std::unique_ptr<Command> make_eval_loss_command();       // only in builds with the runtime
std::unique_ptr<Command> make_tokenize_command();
std::unique_ptr<Command> make_prompts_command();
std::unique_ptr<Command> make_published_command();
std::unique_ptr<Command> make_validate_command();
std::unique_ptr<Command> make_audit_command();
std::unique_ptr<Command> make_corpus_command();
std::unique_ptr<Command> make_manifest_command();
std::unique_ptr<Command> make_serve_command();

}  // namespace aimicius
