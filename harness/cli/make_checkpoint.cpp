// `aimicius make-checkpoint`: a checkpoint of any shape (a preset or a config.json) with seeded
// random weights (runtime/checkpoint_writer.h), for tests and benchmarks; prints its size and its
// KV cache bytes per token.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "runtime/checkpoint_writer.h"

namespace aimicius {
namespace {

struct MakeCheckpointOptions {
  std::string preset;
  std::filesystem::path config_file;
  std::filesystem::path out;
  std::string dtype = "f32";
  uint64_t seed = 0;
  int shards = 1;
};

int command_make_checkpoint(const MakeCheckpointOptions& o) {
  const runtime::ModelConfig config = model_config_from(o.preset, o.config_file, "make-checkpoint");
  runtime::CheckpointOptions opts;
  if (o.dtype == "f32") opts.dtype = runtime::DType::kF32;
  else if (o.dtype == "bf16") opts.dtype = runtime::DType::kBF16;
  else if (o.dtype == "f16") opts.dtype = runtime::DType::kF16;
  else throw InputError(fmt::format("unknown dtype \"{}\" (f32, bf16, f16)", o.dtype));
  opts.seed = o.seed;
  opts.shards = o.shards;
  runtime::write_random_checkpoint(config, o.out, opts);
  fmt::print("wrote {} ({} parameters, {} layers, {} Q / {} K / {} V heads, KV cache {} bytes per token in {})\n",
             o.out.string(), config.parameter_count(), config.num_layers, config.num_q_heads, config.num_k_heads,
             config.num_v_heads, config.kv_bytes_per_token(static_cast<int64_t>(runtime::dtype_size(opts.dtype))),
             o.dtype);
  return 0;
}

class MakeCheckpointCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("make-checkpoint", "Write a checkpoint with seeded random weights (any shape)");
    cmd->add_option("--preset", options_.preset, "Shape preset: sigma-1.5b, sigma-10b, std-1.5b, tiny-*, small-*");
    cmd->add_option("--config", options_.config_file, "config.json to take the shape from");
    cmd->add_option("--out", options_.out, "Output folder")->required();
    cmd->add_option("--dtype", options_.dtype, "f32 | bf16 | f16")->capture_default_str();
    cmd->add_option("--seed", options_.seed, "Weight seed")->capture_default_str();
    cmd->add_option("--shards", options_.shards, "Number of safetensors shards")->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions&) override { return command_make_checkpoint(options_); }

 private:
  MakeCheckpointOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_make_checkpoint_command() { return std::make_unique<MakeCheckpointCommand>(); }

}  // namespace aimicius
