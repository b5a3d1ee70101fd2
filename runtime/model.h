// The DiffQKV decoder on LibTorch (CPU float32, or CUDA in bf16/fp16) and its KV cache.
//
// KV cache: paged (runtime/kv_pages.h). Per layer, K is [pages, page_tokens, n_k, d_k] and V is
// [pages, page_tokens, n_v, d_v]: K and V keep their own head counts and dims (that saving is the
// point of DiffQKV). Each slot holds one sequence with its own length, in the pages its row of the
// block table names; forward() appends T tokens to each listed slot at that slot's current length,
// so prompts of different lengths share one cache and one decode step. A cache whose pool holds
// every slot at its full capacity gives slot s the run of pages s x (pages a slot holds) onwards for
// its whole life: the unpaged [slots, capacity] layout, which the CUDA kernels then read without
// the table (KVCache::kernel_k). A smaller pool gives a slot pages as it grows, or ahead of time
// (KVCache::reserve), and takes them back at reset(), so a short sequence holds a short sequence's
// memory.
//
// A slot may start from rows copied from another slot (KVCache::copy_prefix: a shared prompt
// prefix), and forward()/prefill() then append after them like after any earlier tokens.
//
// prefill() appends prompts of different lengths in one forward, right-padded to the longest.
// Padding needs no mask of its own: it comes after every real token of its row, so the causal mask
// already hides it from them; its K/V rows are never stored and its logits never returned (a
// slot's length grows by its own prompt's length). The result is the per-prompt forward's within
// rounding. (Padded queries attend to whatever precedes them; their outputs are discarded.)
//
// Invariants: forward() never reads past a slot's length (a causal mask over positions), lengths
// only grow except that reset() empties a slot for its next sequence (continuous batching: its
// pages go back to the pool, their old rows left where nothing reads them until rewritten), and a
// slot's contents below its length never change (its pages never move). Attention math is done in
// float32 whatever the storage dtype.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/gguf/gguf_file.h"
#include "runtime/kv_pages.h"
#include "runtime/model_config.h"
#include "runtime/safetensors.h"

namespace aimicius::runtime {

namespace cpu {
class CpuTransformer;
}

struct ModelOptions {
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;
  // > 0: at decode (one new token), each Q head reads only the V rows of its top-k attention
  // scores (Sigma's selective V fetching); exact when k >= the context length.
  int64_t selective_v_topk = 0;
  // Decode with aimicius' CUDA kernels where the build and shape allow (false: LibTorch ops, the
  // baseline the kernels are measured against).
  bool cuda_kernels = true;
  // With the kernels: replay each decode step (all layers, for a given batch size) as one CUDA
  // graph instead of launching its ~30 operations per layer one by one.
  bool cuda_graphs = true;
  // With the kernels, at batch <= kernels::kMaxGemvBatch: each decode step as ~8 fused kernels a
  // layer (RMSNorm in the projections, QKV in one, RoPE with the cache append, gate/up with SiLU,
  // residual adds in the output projections; runtime/cuda_decode_step.h) instead of LibTorch ops
  // around the attention kernel (false: those ops, for comparisons).
  bool fused_decode = true;
  // Overrides of the decode-attention planner (kernels/decode_attention.h's DecodePlanOptions), for
  // benchmarks that compare plans inside the whole step: > 0, this many context tokens per block
  // instead of the planner's chunk; false, plain launches instead of programmatic dependent launch.
  int decode_chunk_tokens = 0;
  int decode_q_heads = 0;  // > 0: Q heads a unit (DecodePlanOptions::q_heads_per_block) instead of the planner's
  double decode_chunk_scale = 0;  // > 0: the planner's chunk times this (DecodePlanOptions::chunk_scale)
  bool decode_pdl = true;
  // The fused step's RoPE/append kernel lets decode attention be scheduled before it waits for the
  // QKV projection (true; false, the default: after, kernels/rope_append.h says why).
  bool attention_launch_early = false;
  // A GGUF model on the CPU in float32 (and no selective V): run every forward through the plain
  // CPU path on the weights as stored (Q8_0 / Q4_1 kept quantised, activations quantised to int8
  // per block; runtime/cpu/cpu_transformer.h) instead of dequantising every weight to float32 for
  // LibTorch's ops (false: that path, for comparisons and the parity tests).
  bool cpu_quantized = true;
  // Threads of the CPU path (0: the CPUs this process may use, runtime/cpu/cpu_threads.h).
  int threads = 0;
  // Diagnostics: time the phases of each LibTorch-path forward (embedding, norms, projections and
  // RoPE, attention with its output projection, MLP, output head), synchronising the device at
  // every boundary, so that each phase's time is its own (the overlap between them is lost: the
  // whole is slower). Read with take_phase_seconds(). Graphed and fused decode steps are not split.
  bool phase_times = false;
};

class KVCache {
 public:
  // Rows a page holds: a multiple of 16 (the decode kernels' tile never straddles two pages).
  static constexpr int64_t kPageTokens = 64;
  // `slots` sequences of at most `capacity` tokens each, over a pool of `pool_tokens` rows (0: room
  // for every slot at its full capacity at once). Throws std::invalid_argument on counts below 1.
  KVCache(const ModelConfig& config, int64_t slots, int64_t capacity, const torch::TensorOptions& options,
          int64_t pool_tokens = 0);
  int64_t slots() const { return static_cast<int64_t>(lengths.size()); }
  // The most tokens one slot may hold.
  int64_t capacity() const { return capacity_; }
  // Bytes held by K and V over all layers (the whole pool, not just the used part).
  int64_t bytes() const;
  // Bytes of K and V that the stored tokens occupy: what a decode step must read.
  int64_t used_bytes() const;
  // Room for `tokens` rows in `slot` (pages from the pool, the ones it holds kept); false, changing
  // nothing, when the pool has too few free pages. Throws std::out_of_range past capacity().
  bool reserve(int64_t slot, int64_t tokens);
  // Whether a reset slot can be given room for `tokens` rows now (in a full-size pool, always).
  bool can_reserve(int64_t tokens) const {
    return full_size_pool_ || pages_.pages_for(tokens) <= pages_.free_pages();
  }
  // Room for rows [0, tokens) of slot before they are written: with a full-size pool the slot's
  // whole capacity at once. Throws std::runtime_error naming the slot when the pool is out of pages.
  void ensure(int64_t slot, int64_t tokens);
  // Empties `slot` for a new sequence (its length to 0; in a paged pool its pages back to the pool).
  void reset(int64_t slot);
  // Empties `slot`, keeping its pages: for a slot refilled at once that must not lose its room to
  // other slots meanwhile (the prefix store's).
  void clear(int64_t slot);
  // Starts each slot of `to` as a copy of slot `from`'s first `length` rows (a shared prefix
  // computed once, runtime/prefix_plan.h): their lengths become `length`; `from` is unchanged.
  // Rows are per position, so any length up to from's is a valid prefix of its sequence.
  void copy_prefix(int64_t from, const std::vector<int64_t>& to, int64_t length);

  const KvPages& pages() const { return pages_; }
  // The cache row (page x kPageTokens + offset) of token t of slot, as KvPages::row.
  int64_t row(int64_t slot, int64_t t) const { return pages_.row(slot, t); }
  // Appends the rows of tokens [from, from + n) of slot to `out`.
  void append_rows(int64_t slot, int64_t from, int64_t n, std::vector<int64_t>& out) const;
  // The first row, when tokens [0, tokens) of slot lie in one run of rows (KvPages::contiguous_rows).
  std::optional<int64_t> contiguous_rows(int64_t slot, int64_t tokens) const {
    return pages_.contiguous_rows(slot, tokens);
  }
  // K or V of one layer as [pages x kPageTokens, heads, d]: rows indexed by row().
  torch::Tensor k_rows(int64_t layer) const { return k[layer].view({-1, k[layer].size(2), k[layer].size(3)}); }
  torch::Tensor v_rows(int64_t layer) const { return v[layer].view({-1, v[layer].size(2), v[layer].size(3)}); }
  // The block table on the cache's device (int32 [slots, pages().table_stride()], one tensor for
  // the cache's life, so a CUDA graph may read it), brought up to date by an asynchronous copy on
  // the current stream when it changed since the last call: call before a forward reads the cache.
  const torch::Tensor& device_table();
  // A layer's K or V and the block table as the CUDA kernels take them: in a full-size pool
  // (every slot's pages in place, see the top of the file) [slots, rows a slot holds, heads, d] and
  // no table (an undefined tensor), so the kernels load no page ids; else k[layer] (v[layer]) and
  // device_table().
  torch::Tensor kernel_k(int64_t layer) const;
  torch::Tensor kernel_v(int64_t layer) const;
  torch::Tensor kernel_table();

  std::vector<torch::Tensor> k;  // per layer [pages, kPageTokens, n_k, d_k]
  std::vector<torch::Tensor> v;  // per layer [pages, kPageTokens, n_v, d_v]
  std::vector<int64_t> lengths;  // per slot

 private:
  int64_t capacity_;
  bool full_size_pool_;  // every slot holds its capacity's pages in place from the start
  int64_t k_token_bytes_ = 0, v_token_bytes_ = 0;
  KvPages pages_;
  torch::Tensor device_table_;
  uint64_t device_table_version_ = ~0ull;
};

// Rotary frequencies [d_k / 2] (float64) of runtime/rope.h (every rope type transformers has for
// Llama-style models), shared by the inference model and the trainer so that a trained checkpoint
// rotates as it was trained. (Yarn's attention scaling is not in them: Model applies it to q.)
torch::Tensor rope_inv_freq(const ModelConfig& c);

class Model {
 public:
  // A safetensors checkpoint folder, or a GGUF checkpoint (a .gguf file, or a folder holding exactly
  // one and no config.json: runtime/gguf/gguf_checkpoint.h).
  static std::unique_ptr<Model> load(const std::filesystem::path& checkpoint_dir, const ModelOptions& options);
  // A GGUF checkpoint: on the plain CPU path with its weights as stored (options.cpu_quantized),
  // else its weights dequantised to options.dtype at load.
  static std::unique_ptr<Model> load(const gguf::GgufFile& file, const ModelOptions& options);
  const ModelConfig& config() const { return config_; }
  const ModelOptions& options() const { return options_; }

  // A cache on the model's device in kv_dtype() (KVCache's constructor: pool_tokens 0 is room for
  // every slot at full capacity).
  KVCache make_cache(int64_t slots, int64_t capacity, int64_t pool_tokens = 0) const;
  // The K/V cache's element type: float16 on the GGUF CPU path beside quantised products
  // (runtime/cpu/cpu_transformer.h: kv_half), else the model's dtype.
  torch::ScalarType kv_dtype() const;
  // Whether decode steps run through the CUDA kernels, and as CUDA graphs (false after a capture
  // failed: the steps then run eagerly, exact but slower).
  bool decode_kernels_active() const { return cuda_kernels_; }
  bool decode_graphs_active() const { return cuda_kernels_ && options_.cuda_graphs; }
  bool fused_decode_active() const { return fused_max_batch_ > 0; }
  // "" on the LibTorch path; else the CPU path's kernels and threads ("avx512, 2 threads").
  std::string cpu_path() const;
  // "" on the LibTorch path; else the CPU path's kernel build alone ("avx512-amx").
  std::string cpu_kernels() const;
  // Whether a prefill's attention reads the rows its slots already hold where they lie in the
  // cache (varlen FlashAttention: CUDA with the project's kernels, bf16/f16, d_k = d_v, LibTorch >= 2.5),
  // so that a prefill group's cost does not grow with them (runtime/prefill_plan.h). In a paged
  // pool a sequence whose pages are not one run is gathered instead (a copy of its rows per layer).
  bool prefill_reads_cache_in_place() const;
  // ModelOptions::phase_times: seconds per phase ("prefill mlp", "decode attention", ...) since the
  // last call; then zero.
  std::map<std::string, double> take_phase_seconds();
  ~Model();
  // Kernels one decode step of `batch` sequences runs, counted in its CUDA graph (0 before the
  // first graphed step of that batch size).
  int decode_graph_kernels(int64_t batch) const;
  // How the CUDA kernels cut a decode step's attention for `batch` sequences in slots of `capacity`
  // tokens (runtime/cuda_attention.h: cuda_decode_plan_summary); "" off the kernels' path.
  std::string decode_attention_plan(int64_t batch, int64_t capacity) const;
  // The decode steps replayed from CUDA graphs so far (every batch size) and their device time:
  // against the wall time of those steps, what the host's work per step adds. And the graphs
  // captured (one per batch size and cache) with the host time that took: the step run eagerly,
  // its capture and instantiation.
  struct DecodeGraphStats {
    int64_t steps = 0;
    double seconds = 0.0;
    int64_t captures = 0;
    double capture_seconds = 0.0;
  };
  DecodeGraphStats decode_graph_stats() const;

  // Appends tokens [B, T] to cache slots `slots` (B of them) and returns logits [B, T, vocab]
  // (float32), or [B, vocab] for the last position only when `last_only`.
  torch::Tensor forward(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots,
                        bool last_only);
  // One decode step from token ids already on the model's device ([B] long, one per slot): the
  // argmax of this model's own logits, so in its vocabulary, neither checked again nor read by the
  // host. Appends them to `slots` and returns the logits [B, vocab] (float32), as forward() with
  // last_only. The step can be queued before the previous one's ids reach the host.
  torch::Tensor decode(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots);
  // Appends prompts[b] (non-empty, lengths may differ) to slot slots[b], all in one forward, and
  // returns the logits [B, vocab] (float32) of each prompt's last token. Prompts of one length
  // take forward()'s path; otherwise each is right-padded to the longest (see the top of the file).
  // The caller bounds B x longest (runtime/prefill_plan.h).
  torch::Tensor prefill(const std::vector<std::vector<int32_t>>& prompts, KVCache& cache,
                        const std::vector<int64_t>& slots);

 private:
  struct Layer {
    torch::Tensor input_norm, q_proj, q_bias, q_up, q_gate, q_down, k_proj, k_bias, v_proj, v_bias, o_proj;
    torch::Tensor post_norm, gate_proj, up_proj, down_proj;  // post_norm: the MLP's input norm
    // Sandwich norms (ModelConfig::sandwich_norms, Gemma 2): the attention's and the MLP's output
    // norms, applied before each residual add; undefined otherwise.
    torch::Tensor attn_out_norm, mlp_out_norm;
    // q/k norms (ModelConfig::qk_norm: Qwen3, Gemma 3): gains of head_dim; undefined otherwise.
    torch::Tensor q_norm, k_norm;
  };
  // Device index tensors of one decode step, built once per forward for every layer.
  struct DecodeIndex {
    torch::Tensor rows_long;                    // [B]: the cache row this step's K/V go to (KVCache::row)
    torch::Tensor slots_i32, context_lens_i32;  // [B]: what the CUDA kernels read
    torch::Tensor table;                        // the cache's block table (KVCache::device_table)
  };
  // Where one forward's K/V rows go in the paged cache and where each slot's context lies, built
  // once for every layer (host work and a transfer each).
  struct CacheIndex {
    torch::Tensor write;   // [R] long: the cache row of each real new token, rows in order, tokens in order
    torch::Tensor source;  // [R] long: its index among the forward's B x T tokens; undefined when R = B x T
    int64_t longest = 0;   // the longest context after the write
    torch::Tensor read;    // [B, longest] long: each slot's context rows (context_rows() builds it)
  };
  // A forward whose rows have different numbers of real tokens (prefill()): row b's first real[b]
  // tokens are its own, the rest of its T is padding.
  struct Padding {
    std::vector<int64_t> real;
    torch::Tensor last_rows;  // [B] long on the device: b * T + real[b] - 1, the rows whose logits count
  };
  Model(ModelConfig config, ModelOptions options, SafetensorsCheckpoint checkpoint);
  // Every weight by its runtime name (weight_specs.h; an undefined tensor when the checkpoint has
  // none), then the rotary table and the CUDA decode path: the part both checkpoint formats share.
  void assign_weights(const std::function<torch::Tensor(const std::string&)>& get);
  // Checked token ids [B, T] as a contiguous long tensor on the host (ids in the vocabulary, one
  // row per slot).
  torch::Tensor checked_host_tokens(const torch::Tensor& tokens, size_t slots) const;
  // Where each slot's new rows start (its length now), after checking that T rows (padding's real
  // ones) fit its capacity.
  // Also gives the slots room for those rows (KVCache::ensure).
  std::vector<int64_t> start_rows(KVCache& cache, const std::vector<int64_t>& slots, const Padding* padding,
                                  int64_t T) const;
  // The CacheIndex of a forward of T tokens a slot starting at `start` (after start_rows).
  CacheIndex cache_index(const KVCache& cache, const std::vector<int64_t>& slots, const std::vector<int64_t>& start,
                         const Padding* padding, int64_t T) const;
  // rows.read, built on first use: [B, rows.longest], entries past a slot's room row 0 (masked).
  const torch::Tensor& context_rows(const KVCache& cache, const std::vector<int64_t>& slots, CacheIndex& rows) const;
  // forward() and prefill()'s unpadded case from checked host tokens: a graphed decode step when
  // one applies, else append() on the tokens moved to the device.
  torch::Tensor append_host(const torch::Tensor& host_tokens, KVCache& cache, const std::vector<int64_t>& slots,
                            bool last_only);
  // forward() and prefill(): capacity check, positions, the layers, the slots' new lengths.
  torch::Tensor append(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots,
                       const Padding* padding, bool last_only);
  torch::Tensor attention(const Layer& layer, int64_t index, const torch::Tensor& h, const torch::Tensor& positions,
                          KVCache& cache, const std::vector<int64_t>& slots, const DecodeIndex* kernel_step,
                          const Padding* padding, CacheIndex* rows);
  // Writes each row's K and V [B, T, heads, d] (its real tokens only) at its slot's current length
  // (rows.write); returns the longest context after the write.
  int64_t store_rows(KVCache& cache, int64_t index, const torch::Tensor& k, const torch::Tensor& v,
                     const CacheIndex& rows) const;
  // Embedding, every layer, and the logits of the last position ([B, vocab] float32 when
  // last_only: each row's last real token under padding); no host work, so a kernel decode step
  // through it can be captured in a graph.
  torch::Tensor run_layers(const torch::Tensor& tokens, const torch::Tensor& positions, KVCache& cache,
                           const std::vector<int64_t>& slots, const DecodeIndex* kernel_step, const Padding* padding,
                           CacheIndex* rows, bool last_only);
  // A kernel decode step (one token per slot, last_only) through the fused kernels: the same
  // result as run_layers within fp32 summation order (see kernels/gemv.h on rounding).
  torch::Tensor run_layers_fused(const torch::Tensor& tokens, KVCache& cache, const DecodeIndex& step);
  bool fused_step(int64_t batch) const;
  // A prefill with every sequence's real tokens packed (no padding row computed), RoPE and the K/V
  // append fused, attention in one varlen FlashAttention call over the cache in place (or over the
  // group's contexts gathered, when a paged pool split one of them); on the
  // path prefill_reads_cache_in_place() names. The same result as run_layers within bf16 rounding.
  torch::Tensor run_layers_packed(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots,
                                  const Padding* padding, bool last_only);
  // run_layers on the plain CPU path (cpu_ set): the same result within int8 activation rounding.
  torch::Tensor run_layers_cpu(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots,
                               const Padding* padding, bool last_only);
  // Whether a step of T tokens a slot runs as a replayed CUDA graph (decode_with_graph).
  bool graphed_step(int64_t T, bool last_only) const;
  // A kernel decode step (token ids [B, 1] on the host, or on the device (decode()), each slot's
  // start row) replayed from the CUDA graph of its batch size (captured on first use); the caller
  // advances the slots' lengths.
  torch::Tensor decode_with_graph(const torch::Tensor& tokens, const std::vector<int64_t>& start,
                                  const std::vector<int64_t>& slots, KVCache& cache);
  struct DecodeGraph;
  torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& gain) const;
  // ModelOptions::phase_times: the time since the last mark (device synchronised) to `phase`,
  // under "prefill " or "decode "; phase_start() sets the first mark. No-ops otherwise.
  void phase_start();
  void phase_mark(const char* phase, bool prefill);
  // The embedding rows of `tokens` (any shape) as [tokens.numel(), hidden], scaled where the family
  // scales them (Gemma).
  torch::Tensor embed(const torch::Tensor& tokens) const;
  // q = W_Q h (+ bias), then the augmented-Q MLP where the layer has one (model_config.h).
  torch::Tensor project_q(const Layer& w, const torch::Tensor& h) const;
  // down(act(gate h) * up h), act as the config says (SwiGLU or GeGLU).
  torch::Tensor mlp(const Layer& w, const torch::Tensor& h) const;
  torch::Tensor rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) const;

  ModelConfig config_;
  ModelOptions options_;
  SafetensorsCheckpoint checkpoint_;  // keeps zero-copy weights mapped
  torch::Tensor embed_, final_norm_, lm_head_, inv_freq_;
  double q_logit_scale_ = 1.0;  // RoPE attention scaling squared (yarn; runtime/rope.h), applied to q
  // The local-RoPE layers' frequencies (ModelConfig::local_rope: Gemma 3); undefined without them.
  torch::Tensor local_inv_freq_;
  std::vector<Layer> layers_;
  // Decode steps use aimicius' CUDA kernels (runtime/cuda_attention.h) when this build has them
  // and the model is on CUDA in bf16/fp16 with a shape they take; else the LibTorch path.
  bool cuda_kernels_ = false;
  int cuda_sm_count_ = 0;
  int64_t fused_max_batch_ = 0;  // decode steps of up to this many slots run fused (0: never)
  std::map<int64_t, std::shared_ptr<DecodeGraph>> decode_graphs_;  // by batch size
  DecodeGraphStats graph_stats_;  // captures, and the replays of graphs since replaced (a new cache)
  std::map<std::string, double> phase_seconds_;                    // ModelOptions::phase_times
  std::chrono::steady_clock::time_point phase_last_;
  // Set when a GGUF model runs on the plain CPU path (ModelOptions::cpu_quantized): then no
  // LibTorch weight above is loaded and every forward goes through it.
  std::unique_ptr<cpu::CpuTransformer> cpu_;
};

}  // namespace aimicius::runtime
