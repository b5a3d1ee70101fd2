// A checkpoint ready to generate text: tokenizer + model + sampling, behind a header with no
// LibTorch in it, so the harness (the `local:` backend, `aimicius generate`) stays cheap to build.
//
// Generation (continuous batching): the cache has SamplingParams::max_active slots (default: one
// per prompt; auto_max_active: as many as the device's free memory holds, runtime/slot_budget.h),
// made once per call for the longest prompt + its max_new_tokens. Prompts are admitted in
// order into free slots; the prompts admitted together are prefilled in as few padded forwards as
// the prefill budget allows (runtime/prefill_plan.h: longest first, bounded padded size and
// padding); then every active sequence advances together, one token per decode step. A sequence
// that ends frees its slot at once and the next waiting prompt is admitted before the next decode
// step. The schedule changes nothing beyond float rounding: a prompt's padding never reaches its
// cache or logits, a reused slot is emptied first, and each prompt samples from its own generator.
// With max_active >= the prompts, every prompt is admitted at once into slot = its index.
// On CUDA, greedy decode steps run one ahead of the host (LocalModelOptions::decode_ahead): the
// next step is queued on the device's own picks before the host reads them, and a sequence that
// ended at an end-of-sequence token or stop string in between has its extra row discarded.
//
// Shared-prefix reuse (SamplingParams::prefix_reuse, on by default): the call's prompts (token ids
// after the chat format) are planned for the prefixes several of them share (runtime/prefix_plan.h:
// at least 32 tokens, shared by at least 2 prompts, nested at most 4 deep). Prompts are then
// admitted in sorted token order (each prefix's prompts one after another) instead of call order.
// Each shared prefix is prefilled once into a store slot (a child from a copy of its parent's rows
// plus its own tokens), when the first prompt that needs it is admitted; an admitted prompt's slot
// starts as a copy of its prefix's rows (at most its length - 1, so its last token is always
// prefilled and gives its first logits) and only the rest of the prompt is prefilled. A store slot
// is freed when the last prompt and child prefix that need it have taken their copy. Memory: the
// store is at most 4 extra slots of the call's capacity (one per nesting level), in the same cache.
// Reuse changes the answers by float rounding only (the same positions, the same causal rows).
//
// Greedy (temperature 0) is deterministic; sampling (temperature, top-k, top-p) draws from one generator
// per prompt, seeded by prompt_seeds[i] when given (the harness derives it from the example, so
// batching never changes what an example samples), else by (seed, prompt index).
// A sequence ends at an end-of-sequence token, at a stop string (the text is cut before it), or
// after max_new_tokens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/model_config.h"

namespace aimicius::runtime {

struct LocalModelOptions {
  std::string device = "cpu";  // "cpu" or "cuda[:N]"
  std::string dtype;           // "" (float32 on CPU, bf16 on CUDA), "f32", "bf16", "f16"
  int64_t selective_v_topk = 0;
  bool cuda_kernels = true;  // false: decode attention with LibTorch ops (for comparisons)
  bool cuda_graphs = true;   // false: kernel decode steps launched op by op (for comparisons)
  bool fused_decode = true;  // false: kernel decode steps as LibTorch ops around attention (comparisons)
  int decode_chunk_tokens = 0;  // > 0: the decode kernels' chunk instead of the planner's (benchmarks)
  int decode_q_heads = 0;       // > 0: the decode kernels' Q heads a unit instead of the planner's (benchmarks)
  double decode_chunk_scale = 0;  // > 0: the planner's decode chunk times this, all else planned (benchmarks)
  bool decode_pdl = true;       // false: decode attention without programmatic dependent launch (benchmarks)
  bool attention_launch_early = false;  // ModelOptions::attention_launch_early (benchmarks)
  // A GGUF checkpoint on the CPU in float32: weights kept quantised, the plain CPU path
  // (runtime/cpu/); false: dequantised to float32 at load, LibTorch ops (comparisons).
  bool quantized = true;
  int threads = 0;  // threads of the CPU path (0: the CPUs this process may use)
  // Most padded tokens (prompts x the longest of them) per prefill forward; 0: 65536 on CUDA,
  // 4096 on the CPU (whose attention holds [heads, T, T] float32 scores per prompt). A prompt
  // longer than this is prefilled alone.
  int64_t prefill_tokens = 0;
  // Diagnostics (ModelOptions::phase_times): time each phase of the forwards, synchronising the
  // device between them; ScheduleStats::phase_seconds has the sums. Slower, and decode steps run
  // without CUDA graphs.
  bool phase_times = false;
  // Greedy decode steps run one ahead of the host: step t+1 is queued, fed the device's own picks
  // of step t, before step t's ids are read back, so the device does not wait while the host
  // accepts tokens and checks stop strings; a sequence that ends at an end-of-sequence token or a
  // stop string is found one step late and that step's row of it is discarded
  // (ScheduleStats::discarded_rows). The tokens are the same either way. -1: on for CUDA devices
  // (whose steps run asynchronously), off on the CPU (where the discarded rows would be pure cost);
  // 0: off; 1: on (tests of the schedule on the CPU).
  int decode_ahead = -1;
  // The share of the device's free memory a KV pool sized from memory (max_active=auto, or a fixed
  // max_active that ran out of memory) may take with its prefill activations; the rest is left
  // alone (allocator slack, fragmentation). `run --devices 0,0` divides it between the runtimes
  // that share a device, which would otherwise each size a pool from the same free memory.
  // In (0, 1].
  double memory_share = 0.9;
  // Wrap each prompt as one user turn in the checkpoint's chat format (Llama 3, ChatML, or plain
  // "role: content" lines; see tokenizer/chat_template.h) before encoding: for instruction-tuned
  // checkpoints.
  bool chat = false;
};

struct Generation;  // below

struct SamplingParams {
  int64_t max_new_tokens = 128;
  double temperature = 0.0;  // 0: greedy
  int64_t top_k = 0;         // 0: off
  double top_p = 1.0;        // 1: off
  uint64_t seed = 0;
  std::vector<uint64_t> prompt_seeds;  // empty, or one per prompt
  // Empty, or one per prompt: its own max_new_tokens (requests with budgets of their own in one
  // call; benchmarks of sequences that end at different steps).
  std::vector<int64_t> prompt_max_new_tokens;
  std::vector<std::string> stop;
  bool add_bos = true;
  bool ignore_eos = false;  // benchmarks: always generate max_new_tokens
  // Cache slots, i.e. sequences generated at once (0: one per prompt). A per-call choice, not a
  // load option: the cache is made per call, and a caller (the local: backend, bench generate)
  // knows how many sequences its device holds for its prompts.
  int64_t max_active = 0;
  // Choose max_active from the device's free memory (runtime/slot_budget.h: free bytes less a 10%
  // margin and a prefill forward's activations, over a slot's K/V bytes); max_active > 0 then caps
  // the choice. ScheduleStats::slots_reason says how it was chosen. Off the CPU path of GGUF
  // models the cache is then paged (runtime/kv_pages.h): one pool of that memory, each sequence
  // given the pages of its own prompt and new tokens when admitted, so slots are counted by the
  // prompts' average length, not the longest; a prompt waits while the pool is short.
  bool auto_max_active = false;
  // > 0: a paged cache of this many rows (vLLM's num_gpu_blocks_override, in tokens) for max_active
  // slots, instead of one row per slot and token of the longest sequence. At least the longest
  // prompt + its new tokens (and the shared prefixes' slots): std::invalid_argument otherwise.
  int64_t kv_pool_tokens = 0;
  // Compute the K/V of prefixes shared by several prompts once (see the top of this file).
  bool prefix_reuse = true;
  // Streaming (text generation only): called after each decode step with the new text of prompt i
  // that no later token can change: a tail that may still begin a stop string or is an unfinished
  // UTF-8 sequence is held back. The pieces of prompt i concatenate to a prefix of its final
  // Generation::text; generate() returns the rest (the caller sends text.substr(streamed)).
  std::function<void(size_t index, const std::string& piece)> on_text;
  // Text generation only: called once per prompt with its final Generation as soon as the prompt
  // is done (a prompt that does not fit the context first, before any generation), so a caller can
  // store results before the slowest prompt ends. Runs under the model's lock: it must not call
  // back into this LocalModel.
  std::function<void(size_t index, const Generation& result)> on_done;
};

// How one call moved its prompts through the cache slots (LocalModel::generate_tokens).
struct ScheduleStats {
  int64_t slots = 0;         // cache slots of the call
  // Tokens a slot holds: the longest prompt with its new tokens. The CUDA decode attention is
  // planned for it (aimicius-bench-attention's cell to compare a step with has this context).
  int64_t capacity_tokens = 0;
  int64_t prefills = 0;      // prefill forwards (padded groups)
  int64_t decode_steps = 0;  // forwards of one token per active sequence
  int64_t slot_steps = 0;    // sequences advanced, summed over decode steps (/ decode_steps: mean active)
  // Decode ahead (LocalModelOptions::decode_ahead): rows computed for sequences that had already
  // ended (found one step late) and were discarded; not in decode_steps or slot_steps.
  int64_t discarded_rows = 0;
  std::vector<int64_t> slot;         // per prompt: the slot it was generated in
  std::vector<int64_t> admitted_at;  // per prompt: decode steps run before it was prefilled
  std::vector<int64_t> done_at;      // per prompt: decode steps run when it ended (its slot freed)
  // Shared-prefix reuse: prompt tokens prefilled into their own slots, prefix tokens prefilled
  // once into the store, and rows copied from the store into prompts' slots (prefill saved).
  // Without reuse, prompt_tokens_prefilled is every prompt's length and the rest is 0.
  int64_t prompt_tokens_prefilled = 0;
  int64_t prefixes = 0;      // shared prefixes computed
  int64_t prefix_slots = 0;  // cache slots of the prefix store (besides `slots`)
  int64_t prefix_tokens_prefilled = 0;
  int64_t prefix_tokens_reused = 0;
  std::string slots_reason;  // auto_max_active: the choice and the numbers behind it; else empty
  // Wall time inside the model (the first token of each is read back, so on a GPU this is its work
  // plus the host's share): admitting prompts (prefix rows copied, the rest prefilled, the first
  // token picked) and decode steps (a token for every active prompt).
  double admit_seconds = 0;
  double decode_seconds = 0;
  // LocalModelOptions::phase_times: seconds per forward phase (Model::take_phase_seconds).
  std::map<std::string, double> phase_seconds;

  // Adds another call's counts (slots, capacity_tokens and prefix_slots: the largest, slots_reason: that of the call
  // with the most slots; per-prompt vectors: left out).
  void add_counts(const ScheduleStats& other);
  // "prefill: P prompt tokens + Q prefix tokens prefilled, R reused from N shared prefixes (X% of
  // the prompts' tokens)": the line bench commands print.
  std::string prefill_summary() const;
  // "time in the model: admitting A s (P prefill forwards), decoding D s (N steps, X prompts a step
  // on average)", then "; PHASE S s" for each timed phase.
  std::string time_summary() const;
};

struct ChatMessage;  // runtime/tokenizer/chat_template.h

// The log-likelihood of a continuation given a prompt (LocalModel::score).
struct ContinuationScore {
  double nll = 0.0;           // sum of -log p(token | everything before it) over the continuation's tokens, nats
  int64_t tokens = 0;         // the continuation's tokens
  int64_t prompt_tokens = 0;  // the prompt's tokens (with the begin-of-text token when added)
  std::string error;          // non-empty: not scored (does not fit the context, or nothing to score)
};

struct Generation {
  std::string text;
  std::vector<int32_t> tokens;
  int64_t prompt_tokens = 0;
  std::string finish_reason;  // "eos", "stop", "length"; "" with an error
  std::string error;          // non-empty: not generated (the prompt does not fit the context)
  bool context_exceeded = false;  // the error is that one (servers answer it as a bad request)
  // The error is that the chat template refused the conversation (raise_exception: a system turn
  // the family has none of, roles that do not alternate): the request's fault, not the server's.
  bool template_refused = false;
};

// How decode steps run (for benchmarks and logs).
struct DecodePath {
  bool kernels = false, graphs = false, fused = false;
  bool ahead = false;  // greedy steps queued one ahead of the host (LocalModelOptions::decode_ahead)
  int kernels_per_step = 0;  // kernels one graphed step of that batch launches (0: not captured yet)
  // Graphed decode steps so far (all batch sizes) and their device time (CUDA events).
  int64_t graph_steps = 0;
  double graph_gpu_seconds = 0.0;
  // Graphs captured so far (one per batch size and KV cache: each generate() call makes its cache)
  // and the host time their first steps took (run eagerly, captured, instantiated).
  int64_t graph_captures = 0;
  double graph_capture_seconds = 0.0;
  std::string cpu;  // "" on the LibTorch path; else the plain CPU path's kernels and threads
};

class LocalModel {
 public:
  static std::unique_ptr<LocalModel> load(const std::filesystem::path& checkpoint_dir, const LocalModelOptions& options);
  ~LocalModel();

  const ModelConfig& config() const;
  DecodePath decode_path(int64_t batch) const;
  // Model::decode_attention_plan: the CUDA kernels' cut of a step's attention, "" off them.
  std::string decode_attention_plan(int64_t batch, int64_t capacity) const;
  // Model::cpu_kernels: the CPU path's kernel build, or "" off it.
  std::string cpu_kernels() const;
  // `stats`, when given, receives the schedule of the prompts that fit the context.
  std::vector<Generation> generate(const std::vector<std::string>& prompts, const SamplingParams& params,
                                   ScheduleStats* stats = nullptr);
  // Each conversation rendered with the checkpoint's chat format (the `chat` option's format, with
  // the assistant's generation prompt), whatever the `chat` option says; otherwise as generate().
  std::vector<Generation> generate_chat(const std::vector<std::vector<ChatMessage>>& conversations,
                                        const SamplingParams& params, ScheduleStats* stats = nullptr);
  // Token-level entry, for tests and benchmarks: the same loop without the tokenizer (no stop
  // strings, no callbacks); `stats`, when given, receives the schedule.
  std::vector<std::vector<int32_t>> generate_tokens(const std::vector<std::vector<int32_t>>& prompts,
                                                    const SamplingParams& params, ScheduleStats* stats = nullptr);

  // Log-likelihood of continuations[i] after prompts[i] (as lm-evaluation-harness' loglikelihood
  // requests): one prefill over prompt + continuation, float32 log-softmax, summed over the
  // continuation's positions. The prompt is encoded as generate() encodes it (with the chat format
  // under the `chat` option) and the continuation on its own, without special tokens, and the ids
  // are concatenated: the token at the boundary is then always the prompt's last one, so every
  // continuation of a prompt is scored against the same context, and a continuation's tokens are
  // what the model would have to emit after that prompt. (With a SentencePiece tokenizer that adds
  // a dummy-prefix space, that space is part of the continuation's first piece.)
  // An item longer than the context (max_position_embeddings), an empty continuation or an empty
  // prompt (nothing to condition on) gets `error`; the other items are scored all the same.
  // Items are scored one at a time, on the model's device.
  std::vector<ContinuationScore> score(const std::vector<std::string>& prompts,
                                       const std::vector<std::string>& continuations, bool add_bos = true);
  // Token-level entry: the same computation on token ids (no tokenizer needed).
  std::vector<ContinuationScore> score_tokens(const std::vector<std::vector<int32_t>>& prompts,
                                              const std::vector<std::vector<int32_t>>& continuations);

 private:
  struct Impl;
  explicit LocalModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses "cpu" / "cuda" / "cuda:1" and the dtype names; throws InputError otherwise.
void check_device_spec(const std::string& device, const std::string& dtype);

}  // namespace aimicius::runtime
