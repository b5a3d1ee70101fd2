// `aimicius eval-loss`: a checkpoint's loss on a corpus' held-out windows (training/trainer.h),
// printed as one JSON line. Only in builds with the runtime (LibTorch): CMake compiles this file
// there alone.
#include <cstdint>
#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/all_commands.h"
#include "training/trainer.h"

namespace aimicius {
namespace {

struct EvalLossOptions {
  std::filesystem::path checkpoint;
  std::filesystem::path corpus;
  int64_t seq_len = 1024;
  int64_t windows = 64;
};

int command_eval_loss(const EvalLossOptions& o) {
  const double loss = runtime::heldout_loss(o.checkpoint, o.corpus, o.seq_len, o.windows);
  fmt::print("{{\"checkpoint\": \"{}\", \"seq_len\": {}, \"windows\": {}, \"heldout_loss\": {:.6f}}}\n",
             o.checkpoint.string(), o.seq_len, o.windows, loss);
  return 0;
}

class EvalLossCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("eval-loss", "A checkpoint's loss on a corpus' held-out windows (nats per token)");
    cmd->add_option("--checkpoint", options_.checkpoint, "Checkpoint folder")->required();
    cmd->add_option("--corpus", options_.corpus, "corpus.jsonl, or the folder `aimicius corpus` wrote")->required();
    cmd->add_option("--seq-len", options_.seq_len, "Tokens per window")->capture_default_str();
    cmd->add_option("--windows", options_.windows, "Held-out windows")->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions&) override { return command_eval_loss(options_); }

 private:
  EvalLossOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_eval_loss_command() { return std::make_unique<EvalLossCommand>(); }

}  // namespace aimicius
