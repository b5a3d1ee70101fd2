// `aimicius bench generate`: end-to-end generation speed of the local runtime on a checkpoint
// (real or from make-checkpoint): prompts of a fixed length, or of lengths drawn in a range (to
// measure the padded prefill of prompts of different lengths), a fixed number of new tokens, or
// numbers drawn in a range (sequences that end at different steps; end-of-sequence ignored),
// several timed repeats after a warm-up, medians reported. With --max-active below --batch the
// prompts go through that many cache slots (continuous batching); the schedule of the last run
// (decode steps, mean active slots per step) is printed with it. --shared-prefix N makes every
// prompt begin with the same N tokens (a suite's few-shot block), so that the prefill line shows
// what shared-prefix reuse saves (--no-prefix-reuse: the reference, every prompt prefilled whole).
// Figures from here go to docs/PERFORMANCE.md with the command that produced them.
#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_commands.h"
#include "bench/bench_stats.h"
#include "common/errors.h"
#include "runtime/local_model.h"

namespace aimicius {
namespace {

// `count` draws uniform in [lo, hi] with splitmix64 from `seed`, or all hi when lo is 0 or hi: the
// prompts' lengths (seed 1, as bench/hf_generate_bench.py draws them: both prefill the same
// lengths) and the prompts' new tokens (seed 2).
std::vector<int64_t> uniform_draws(int64_t count, int64_t lo, int64_t hi, uint64_t seed) {
  std::vector<int64_t> out(count, hi);
  if (lo <= 0 || lo == hi) return out;
  const uint64_t span = static_cast<uint64_t>(hi - lo + 1);
  uint64_t state = seed;
  for (auto& n : out) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    n = lo + static_cast<int64_t>((z ^ (z >> 31)) % span);
  }
  return out;
}

// "N" when every draw is hi, else "lo..hi (T tokens)".
std::string draws_text(const std::vector<int64_t>& draws, int64_t lo, int64_t hi) {
  int64_t total = 0;
  for (int64_t n : draws) total += n;
  if (total == hi * static_cast<int64_t>(draws.size())) return std::to_string(hi);
  return fmt::format("{}..{} ({} tokens)", lo, hi, total);
}

}  // namespace

int command_bench_generate(const BenchGenerateOptions& o) {
  if (o.batch < 1 || o.prompt_len < 1 || o.new_tokens < 1 || o.repeats < 1)
    throw InputError("bench generate: --batch, --prompt-len, --new-tokens and --repeats must be at least 1");
  if (o.prompt_len_min < 0 || o.prompt_len_min > o.prompt_len)
    throw InputError(fmt::format("bench generate: --prompt-len-min {} is not in [0, --prompt-len {}] (0: all "
                                 "prompts --prompt-len long)", o.prompt_len_min, o.prompt_len));
  if (o.prefill_tokens < 0) throw InputError("bench generate: --prefill-tokens must be at least 0 (0: the default)");
  if (o.max_active < 0) throw InputError("bench generate: --max-active must be at least 0 (0: every prompt at once)");
  if (o.kv_pool_tokens < 0)
    throw InputError("bench generate: --kv-pool-tokens must be at least 0 (0: every slot holds its full length)");
  const int64_t shortest = o.prompt_len_min > 0 ? o.prompt_len_min : o.prompt_len;
  if (o.shared_prefix < 0 || o.shared_prefix >= shortest)
    throw InputError(fmt::format("bench generate: --shared-prefix {} must be in [0, the shortest prompt's {} tokens)",
                                 o.shared_prefix, shortest));
  if (o.new_tokens_min < 0 || o.new_tokens_min > o.new_tokens)
    throw InputError(fmt::format("bench generate: --new-tokens-min {} is not in [0, --new-tokens {}] (0: every "
                                 "prompt --new-tokens)", o.new_tokens_min, o.new_tokens));
  runtime::LocalModelOptions lo;
  lo.device = o.device;
  lo.dtype = o.dtype;
  lo.selective_v_topk = o.selective_v;
  lo.cuda_kernels = !o.torch_attention;
  lo.cuda_graphs = !o.no_cuda_graphs;
  lo.fused_decode = !o.no_fused_decode;
  lo.decode_chunk_tokens = o.decode_chunk;
  lo.decode_q_heads = o.decode_q_heads;
  lo.decode_chunk_scale = o.decode_chunk_scale;
  lo.decode_pdl = !o.no_decode_pdl;
  lo.attention_launch_early = o.early_attention_launch;
  if (o.no_decode_ahead) lo.decode_ahead = 0;
  lo.prefill_tokens = o.prefill_tokens;
  lo.quantized = !o.dequantized;
  lo.threads = o.threads;
  auto model = runtime::LocalModel::load(o.checkpoint, lo);
  std::mt19937_64 rng(1);
  const std::vector<int64_t> lengths = uniform_draws(o.batch, o.prompt_len_min, o.prompt_len, 1);
  const std::vector<int64_t> budgets = uniform_draws(o.batch, o.new_tokens_min, o.new_tokens, 2);
  int64_t generated = 0;
  for (int64_t n : budgets) generated += n;
  std::vector<std::vector<int32_t>> prompts;
  int64_t prompt_tokens = 0;
  std::vector<int32_t> shared(o.shared_prefix);
  for (auto& t : shared) t = static_cast<int32_t>(rng() % model->config().vocab_size);
  for (int64_t n : lengths) {
    prompts.emplace_back(n);
    for (auto& t : prompts.back()) t = static_cast<int32_t>(rng() % model->config().vocab_size);
    std::copy(shared.begin(), shared.end(), prompts.back().begin());
    prompt_tokens += n;
  }

  runtime::ScheduleStats schedule;
  auto timed = [&](const std::vector<int64_t>& new_tokens) {
    runtime::SamplingParams sp;
    sp.prompt_max_new_tokens = new_tokens;
    sp.ignore_eos = true;
    sp.max_active = o.max_active;
    sp.kv_pool_tokens = o.kv_pool_tokens;
    sp.prefix_reuse = !o.no_prefix_reuse;
    const auto start = std::chrono::steady_clock::now();
    model->generate_tokens(prompts, sp, &schedule);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  for (int i = 0; i < o.warmup; ++i) timed(budgets);
  // Prefill alone (one new token each) and the whole run; decode time is the difference.
  std::vector<double> prefill, total;
  const int64_t path_batch = std::min(o.batch, o.max_active > 0 ? o.max_active : o.batch);
  int64_t graph_steps = 0;  // graphed decode steps of the timed whole runs, and their device time
  double graph_seconds = 0.0;
  for (int i = 0; i < o.repeats; ++i) {
    prefill.push_back(timed(std::vector<int64_t>(o.batch, 1)));
    const runtime::DecodePath before = model->decode_path(path_batch);
    total.push_back(timed(budgets));
    const runtime::DecodePath after = model->decode_path(path_batch);
    graph_steps += after.graph_steps - before.graph_steps;
    graph_seconds += after.graph_gpu_seconds - before.graph_gpu_seconds;
  }
  const double t_prefill = median(prefill), t_total = median(total);
  const double decode_tps = static_cast<double>(generated - o.batch) / std::max(t_total - t_prefill, 1e-9);
  fmt::print("checkpoint {} ({} parameters) device {} dtype {}\n", o.checkpoint.string(),
             model->config().parameter_count(), o.device, o.dtype.empty() ? "default" : o.dtype);
  fmt::print("batch {} prompt {} new {} repeats {}: prefill {:.4f} s ({:.0f} prompt tokens/s), total {:.4f} s, "
             "decode {:.1f} tokens/s, end-to-end {:.1f} tokens/s (medians)\n",
             o.batch, draws_text(lengths, o.prompt_len_min, o.prompt_len),
             draws_text(budgets, o.new_tokens_min, o.new_tokens), o.repeats, t_prefill, prompt_tokens / t_prefill,
             t_total, decode_tps, generated / t_total);
  const runtime::DecodePath path = model->decode_path(path_batch);
  fmt::print("decode path: kernels {}, graphs {}, fused {}, ahead {}, kernels per step {}, CPU quantised path {}\n",
             path.kernels, path.graphs, path.fused, path.ahead,
             path.kernels_per_step > 0 ? std::to_string(path.kernels_per_step) : "-",
             path.cpu.empty() ? "off" : path.cpu);
  if (graph_steps > 0 && schedule.decode_steps > 0) {
    // Device time of a graphed step (CUDA events around each replay) against the decode wall time
    // per step: what the host's work between steps adds.
    const double gpu_ms = 1e3 * graph_seconds / static_cast<double>(graph_steps);
    const double wall_ms = 1e3 * (t_total - t_prefill) / static_cast<double>(schedule.decode_steps);
    fmt::print("decode graphs: {} steps timed, {:.3f} ms of device time per step against {:.3f} ms of wall time "
               "per step (device {:.0f}%)\n",
               graph_steps, gpu_ms, wall_ms, 100.0 * gpu_ms / wall_ms);
    fmt::print("decode graphs captured: {} ({:.3f} s of host time for their first steps, every run)\n",
               path.graph_captures, path.graph_capture_seconds);
  }
  fmt::print("schedule: {} slots of {} tokens, {} prefill forwards, {} decode steps, {:.2f} active slots per step "
             "(mean)\n",
             schedule.slots, schedule.capacity_tokens, schedule.prefills, schedule.decode_steps,
             static_cast<double>(schedule.slot_steps) / std::max<int64_t>(schedule.decode_steps, 1));
  fmt::print("{}\n", schedule.prefill_summary());
  // The CUDA kernels' cut of a step's attention with every slot active: the plan an
  // aimicius-bench-attention cell at this batch and capacity times (bench/README.md).
  const std::string plan = model->decode_attention_plan(schedule.slots, schedule.capacity_tokens);
  if (!plan.empty())
    fmt::print("attention plan of a step of {} slots of {} tokens: {}\n", schedule.slots, schedule.capacity_tokens, plan);
  return 0;
}

}  // namespace aimicius
