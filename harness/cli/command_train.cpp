// `aimicius train`: trains a checkpoint on a corpus (training/trainer.h) and prints its progress;
// `aimicius eval-loss`: a checkpoint's loss on the corpus' held-out windows.
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "harness/cli/commands.h"
#include "training/trainer.h"

namespace aimicius {

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

int command_eval_loss(const EvalLossOptions& o) {
  const double loss = runtime::heldout_loss(o.checkpoint, o.corpus, o.seq_len, o.windows);
  fmt::print("{{\"checkpoint\": \"{}\", \"seq_len\": {}, \"windows\": {}, \"heldout_loss\": {:.6f}}}\n",
             o.checkpoint.string(), o.seq_len, o.windows, loss);
  return 0;
}

}  // namespace aimicius
