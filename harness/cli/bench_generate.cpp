// `aimicius bench generate`: generation speed of the local runtime on a checkpoint (the measuring
// is bench/generate_bench.cpp). Only in builds with the runtime (LibTorch): CMake compiles this
// file there alone, and all_commands.cpp adds it to the `bench` group there alone.
#include <memory>

#include <CLI/CLI.hpp>

#include "bench/bench_commands.h"
#include "harness/cli/all_commands.h"

namespace aimicius {
namespace {

class BenchGenerateCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("generate", "Generation speed of the local runtime on a checkpoint");
    cmd->add_option("--checkpoint", options_.checkpoint, "Checkpoint folder")->required();
    cmd->add_option("--device", options_.device, "cpu | cuda[:N]")->capture_default_str();
    cmd->add_option("--dtype", options_.dtype, "f32 | bf16 | f16 (default: f32 on CPU, bf16 on CUDA)");
    cmd->add_option("--selective-v", options_.selective_v, "Selective V fetching top-k (0: off)")->capture_default_str();
    cmd->add_flag("--torch-attention", options_.torch_attention,
                  "Decode attention with LibTorch ops, not the CUDA kernels (the baseline they are measured against)");
    cmd->add_flag("--no-cuda-graphs", options_.no_cuda_graphs, "Launch kernel decode steps op by op, without CUDA graphs");
    cmd->add_flag("--no-decode-ahead", options_.no_decode_ahead,
                  "Read each decode step's tokens on the host before queuing the next (CUDA queues the next first)");
    cmd->add_option("--decode-chunk", options_.decode_chunk,
                    "Decode attention's context tokens per block instead of the planner's choice (CUDA; 0: planner)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--decode-chunk-scale", options_.decode_chunk_scale,
                    "The planner's decode attention chunk times this, its other choices kept (CUDA; 0: the "
                    "planner's chunk; 0.5: about twice the splits)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--decode-q-heads", options_.decode_q_heads,
                    "Decode attention's Q heads a unit instead of the planner's choice (CUDA; 0: planner; twice the "
                    "Q heads a K head: units of two K heads)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_flag("--no-decode-pdl", options_.no_decode_pdl,
                  "Launch decode attention without programmatic dependent launch (CUDA)");
    cmd->add_flag("--early-attention-launch", options_.early_attention_launch,
                  "Let decode attention be scheduled while the step's QKV projection runs (CUDA, fused step; "
                  "the default waits for it to end)");
    cmd->add_flag("--no-fused-decode", options_.no_fused_decode,
                  "Kernel decode steps as LibTorch ops around the attention kernel, not the fused step");
    cmd->add_flag("--dequantized", options_.dequantized,
                  "A GGUF checkpoint on the CPU: dequantise its weights to float32 at load and run LibTorch ops "
                  "(the path before the quantised CPU kernels; local:FILE.gguf?quantized=0)");
    cmd->add_option("--threads", options_.threads, "Threads of the quantised CPU path (0: the CPUs this process may use)")
        ->capture_default_str();
    cmd->add_option("--batch", options_.batch, "Prompts per batch")->capture_default_str();
    cmd->add_option("--prompt-len", options_.prompt_len, "Prompt tokens")->capture_default_str();
    cmd->add_option("--prompt-len-min", options_.prompt_len_min,
                    "Prompt lengths drawn uniformly in [this, --prompt-len] with a fixed seed (default: --prompt-len)");
    cmd->add_option("--prefill-tokens", options_.prefill_tokens,
                    "Most padded tokens per prefill forward (default: 65536 on CUDA, 4096 on the CPU)");
    cmd->add_option("--max-active", options_.max_active,
                    "Sequences generated at once (cache slots); a finished one's slot takes the next prompt "
                    "(default: all --batch)");
    cmd->add_option("--kv-pool-tokens", options_.kv_pool_tokens,
                    "A paged KV cache of this many rows shared by the slots, each sequence holding its own "
                    "prompt and new tokens (default 0: every slot the longest sequence's rows)");
    cmd->add_option("--shared-prefix", options_.shared_prefix,
                    "The first N tokens of every prompt are the same, as a suite's instruction and few-shot block")
        ->capture_default_str();
    cmd->add_flag("--no-prefix-reuse", options_.no_prefix_reuse,
                  "Prefill every prompt whole, not from the K/V of the prefix it shares with others");
    cmd->add_option("--new-tokens", options_.new_tokens, "Tokens generated per prompt")->capture_default_str();
    cmd->add_option("--new-tokens-min", options_.new_tokens_min,
                    "New tokens per prompt drawn uniformly in [this, --new-tokens] with a fixed seed, so that "
                    "sequences end at different steps (default: --new-tokens)");
    cmd->add_option("--repeats", options_.repeats, "Timed repeats (median reported)")->capture_default_str();
    cmd->add_option("--warmup", options_.warmup, "Untimed warm-up runs")->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions&) override { return command_bench_generate(options_); }

 private:
  BenchGenerateOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_bench_generate_command() { return std::make_unique<BenchGenerateCommand>(); }

}  // namespace aimicius
