// `aimicius bench generate`: end-to-end generation speed of the local runtime on a checkpoint
// (real or from make-checkpoint): prompts of a fixed length, a fixed number of new tokens
// (end-of-sequence ignored), several timed repeats after a warm-up, medians reported.
// Figures from here go to docs/PERFORMANCE.md with the command that produced them.
#include <algorithm>
#include <chrono>
#include <random>

#include <fmt/format.h>

#include "bench/bench_commands.h"
#include "bench/bench_stats.h"
#include "common/errors.h"
#include "runtime/local_model.h"

namespace aimicius {

int command_bench_generate(const BenchGenerateOptions& o) {
  if (o.batch < 1 || o.prompt_len < 1 || o.new_tokens < 1 || o.repeats < 1)
    throw InputError("bench generate: --batch, --prompt-len, --new-tokens and --repeats must be at least 1");
  runtime::LocalModelOptions lo;
  lo.device = o.device;
  lo.dtype = o.dtype;
  lo.selective_v_topk = o.selective_v;
  lo.cuda_kernels = !o.torch_attention;
  lo.cuda_graphs = !o.no_cuda_graphs;
  auto model = runtime::LocalModel::load(o.checkpoint, lo);
  std::mt19937_64 rng(1);
  std::vector<std::vector<int32_t>> prompts(o.batch, std::vector<int32_t>(o.prompt_len));
  for (auto& p : prompts)
    for (auto& t : p) t = static_cast<int32_t>(rng() % model->config().vocab_size);

  auto timed = [&](int64_t new_tokens) {
    runtime::SamplingParams sp;
    sp.max_new_tokens = new_tokens;
    sp.ignore_eos = true;
    const auto start = std::chrono::steady_clock::now();
    model->generate_tokens(prompts, sp);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (int i = 0; i < o.warmup; ++i) timed(o.new_tokens);
  // Prefill alone (one new token) and the whole run; decode time is the difference.
  std::vector<double> prefill, total;
  for (int i = 0; i < o.repeats; ++i) {
    prefill.push_back(timed(1));
    total.push_back(timed(o.new_tokens));
  }
  const double t_prefill = median(prefill), t_total = median(total);
  const double decode_tps = o.batch * (o.new_tokens - 1) / std::max(t_total - t_prefill, 1e-9);
  fmt::print("checkpoint {} ({} parameters) device {} dtype {}\n", o.checkpoint.string(),
             model->config().parameter_count(), o.device, o.dtype.empty() ? "default" : o.dtype);
  fmt::print("batch {} prompt {} new {} repeats {}: prefill {:.4f} s, total {:.4f} s, decode {:.1f} tokens/s, "
             "end-to-end {:.1f} tokens/s (medians)\n",
             o.batch, o.prompt_len, o.new_tokens, o.repeats, t_prefill, t_total, decode_tps,
             o.batch * o.new_tokens / t_total);
  return 0;
}

}  // namespace aimicius
