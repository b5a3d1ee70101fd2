// The `aimicius bench ...` subcommands: each measures one of the project's own code paths and
// prints a table for docs/PERFORMANCE.md. The CLI (harness/cli/) parses their options; the
// measuring lives here with the other benchmark programs of bench/.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace aimicius {

struct BenchGenerateOptions {
  std::filesystem::path checkpoint;
  std::string device = "cpu";
  std::string dtype;
  int64_t selective_v = 0;
  bool torch_attention = false;  // decode attention with LibTorch ops instead of the CUDA kernels
  bool no_cuda_graphs = false;   // kernel decode steps without CUDA graphs
  bool no_fused_decode = false;  // kernel decode steps as LibTorch ops around attention, not fused
  bool no_decode_ahead = false;  // the host reads each step's tokens before queuing the next (CUDA)
  int decode_chunk = 0;          // > 0: decode attention's context tokens per block, not the planner's (CUDA)
  int decode_q_heads = 0;        // > 0: decode attention's Q heads a unit, not the planner's (CUDA)
  double decode_chunk_scale = 0;  // > 0: the planner's decode chunk times this, all else as planned (CUDA)
  bool no_decode_pdl = false;    // decode attention launched without programmatic dependent launch (CUDA)
  bool early_attention_launch = false;  // decode attention scheduled while the QKV projection runs (CUDA)
  bool dequantized = false;      // a GGUF on the CPU: float32 weights and LibTorch ops, not the quantised path
  int threads = 0;               // threads of the CPU path (0: the CPUs this process may use)
  int64_t batch = 1;
  int64_t prompt_len = 128;
  int64_t prompt_len_min = 0;  // > 0: prompt lengths drawn uniformly in [this, prompt_len]; 0: all prompt_len
  int64_t prefill_tokens = 0;  // padded tokens per prefill forward (LocalModelOptions); 0: the default
  int64_t new_tokens = 64;
  int64_t new_tokens_min = 0;  // > 0: each prompt's new tokens drawn uniformly in [this, new_tokens]; 0: all new_tokens
  int64_t max_active = 0;      // cache slots: sequences generated at once (SamplingParams); 0: --batch
  int64_t kv_pool_tokens = 0;  // > 0: a paged KV pool of this many rows (SamplingParams); 0: every slot full size
  int64_t shared_prefix = 0;   // the first this many tokens of every prompt are the same (a few-shot block)
  bool no_prefix_reuse = false;  // SamplingParams::prefix_reuse off: every prompt prefilled whole
  int repeats = 5;
  int warmup = 1;
};
// Only in builds with the runtime (LibTorch).
int command_bench_generate(const BenchGenerateOptions& options);

struct BenchSandboxOptions {
  std::string command = "echo ok";
  int runs = 200;
  int jobs = 2;
  int repeats = 5;
};
int command_bench_sandbox(const BenchSandboxOptions& options);

struct BenchApiOptions {
  std::vector<int> jobs = {1, 8, 64};
  int examples = 2000;
  int repeats = 5;
  int64_t batch_size = 8;
  std::string format = "terminal";
};
// Examples per second of the openai: backend path against an in-process server that answers at once.
int command_bench_api(const BenchApiOptions& options);

}  // namespace aimicius
