// `aimicius train`: trains a checkpoint on a corpus (training/trainer.h) and prints its progress.
// Only in builds with the runtime (LibTorch): CMake compiles this file there alone.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "training/trainer.h"

namespace aimicius {
namespace {

struct TrainCommandOptions {
  std::string preset;
  std::filesystem::path config_file;
  runtime::TrainOptions train;
};

int command_train(const TrainCommandOptions& o) {
  runtime::TrainOptions train = o.train;
  train.config = model_config_from(o.preset, o.config_file, "train");
  const runtime::TrainReport report = runtime::train_model(train, [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  });
  const double final_eval = report.eval_loss.empty() ? 0.0 : report.eval_loss.back().second;
  fmt::print("trained {} parameters on {} tokens in {:.1f} s: held-out loss {:.4f} ({:.3f} bits per token)\n",
             report.parameters, report.tokens_seen, report.seconds, final_eval, final_eval / std::log(2.0));
  return 0;
}

class TrainCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("train", "Train a DiffQKV/GQA checkpoint on a corpus (causal LM; AdamW, cosine schedule)");
    cmd->add_option("--preset", options_.preset, "Shape preset (see make-checkpoint)");
    cmd->add_option("--config", options_.config_file, "config.json to take the shape from");
    cmd->add_option("--corpus", options_.train.corpus, "corpus.jsonl, or the folder `aimicius corpus` wrote")->required();
    cmd->add_option("--out", options_.train.out, "Checkpoint folder to write")->required();
    cmd->add_option("--device", options_.train.device, "cpu | cuda[:N]")->capture_default_str();
    cmd->add_option("--dtype", options_.train.compute_dtype, "Matmul dtype: f32 | bf16 | f16 (default: f32 on CPU, bf16 on CUDA)");
    cmd->add_option("--save-dtype", options_.train.save_dtype, "Dtype of the written weights")->capture_default_str();
    cmd->add_option("--steps", options_.train.steps, "Optimizer steps")->capture_default_str();
    cmd->add_option("--batch", options_.train.batch, "Sequences per step")->capture_default_str();
    cmd->add_option("--seq-len", options_.train.seq_len, "Tokens per sequence")->capture_default_str();
    cmd->add_option("--lr", options_.train.lr, "Peak learning rate")->capture_default_str();
    cmd->add_option("--warmup", options_.train.warmup, "Warm-up steps")->capture_default_str();
    cmd->add_option("--weight-decay", options_.train.weight_decay, "AdamW weight decay (matrices only)")->capture_default_str();
    cmd->add_option("--eval-every", options_.train.eval_every, "Held-out loss every N steps (0: at the end)")->capture_default_str();
    cmd->add_option("--seed", options_.train.seed, "Seed of the initial weights and batch positions")->capture_default_str();
    cmd->add_option("--tokenizer", options_.train.tokenizer,
                    "SentencePiece tokenizer.model (or the folder `aimicius train-tokenizer` wrote); default: byte-level");
    return cmd;
  }
  int run(const GlobalOptions&) override { return command_train(options_); }

 private:
  TrainCommandOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_train_command() { return std::make_unique<TrainCommand>(); }

}  // namespace aimicius
