// The Llama/Qwen2 forward on the CPU as plain loops over the kernels of runtime/cpu/kernels.h, for
// GGUF checkpoints whose weights stay quantised (Q8_0 and Q4_1 as stored; every other type
// dequantised to float32 at load). Used by runtime/model.cpp instead of its LibTorch ops when a GGUF
// model runs on the CPU in float32 (ModelOptions::cpu_quantized): at 135M parameters LibTorch's
// per-op cost alone was most of a decode step (docs/PERFORMANCE.md).
//
// Per layer: RMSNorm, one product for q|k|v (stacked rows, + biases), RoPE (rotate-half, the
// runtime's frequencies and attention scaling), K/V rows written into the caller's cache, attention
// of each real query over its slot's context (the float kernel, or AMX-BF16 tiles for a prefill of
// at least kTileQueries tokens where the CPU has them; no [T, T] buffer), the output
// projection added to the residual, RMSNorm, one product for gate|up, SiLU(gate) * up, down added.
// Gemma 2 (ModelConfig): the scores softcapped, a sliding layer's queries over their window only,
// the attention and MLP outputs normed before their residual adds, the logits softcapped. Qwen3
// and Gemma 3: each head of q and k normed before RoPE; Gemma 3's sliding layers rotate with their
// own base.
// Numeric paths, chosen per sequence and forward by its count of real tokens in the forward, so
// that a sequence's floats never depend on the others in its batch. Where the CPU has AMX-BF16: a
// sequence with at least kBf16ProductRows (a prompt, or what is left of one after a reused prefix)
// takes bfloat16 tile products (kernels.h: matmul_bf16_tiles; below that count converting every
// weight to bfloat16 costs more than the int8 products it replaces), and one with at least
// kTileQueries the tile attention: plain bfloat16 when every layer matrix is Q4_1 or Q8_0, else on
// bfloat16 pairs (~float32's precision, as the float32 products beside it). Every other sequence (a
// decode step, a short run) and every CPU without AMX-BF16: int8 products (activations quantised
// per block of 32) and float attention. The output head is always int8, so a position's logits do
// not depend on whether the forward returns only the last. The K/V cache is float16 where every layer
// matrix is Q4_1 or Q8_0, float32 otherwise (kv_half()); every path widens it to float32 as it reads.
//
// Invariants: a row's padding (tokens past real[b]) is never written to the cache and never
// attended from; nothing reads a cache row at or past start[b] + real[b] of its own slot except the
// rows this forward wrote; no aug-Q (GGUF files have none); threads as given (no global setting).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/weight_matrix.h"
#include "runtime/gguf/gguf_file.h"
#include "runtime/model_config.h"

namespace aimicius::runtime::cpu {

// B rows of T token slots for one forward, and where their K/V go.
struct CpuBatch {
  const int64_t* tokens = nullptr;  // [rows, T]
  int64_t rows = 0, T = 0;
  const int64_t* start = nullptr;   // per row: the cache position of its first token
  const int64_t* real = nullptr;    // per row: its real tokens (<= T); the rest is padding
  // Per row: the cache row of its sequence's position 0; positions 0 .. start + real - 1 are the
  // rows after it, one run (runtime/kv_pages.h: the caller checks that the slot's pages are).
  const int64_t* first_row = nullptr;
  // Per layer: K [cache rows, n_k, d_k] and V [cache rows, n_v, d_v], contiguous, of
  // CpuTransformer::kv_half()'s type: float16 (uint16_t, IEEE half) or float32.
  std::vector<void*> k_cache, v_cache;
};

// The fewest real tokens of a sequence in one forward for which its products take the bfloat16 tiles
// (measured on SmolLM2-135M, 2 threads: 16 tokens 14 -> 21 ms, 64 even, 128 85 -> 56-69 ms:
// docs/PERFORMANCE.md).
constexpr int64_t kBf16ProductRows = 64;

class CpuTransformer {
 public:
  // The weights of `file` (checked by the caller against weight_specs(config)).
  CpuTransformer(const gguf::GgufFile& file, const ModelConfig& config, int threads, Isa isa);

  // Logits float32: [rows, vocab] of each row's last real token when last_only, else [rows * T,
  // vocab] (a padding position's logits are meaningless).
  void forward(const CpuBatch& batch, bool last_only, float* logits);

  int threads() const { return pool_.size(); }
  // Whether the K/V cache holds float16 (every layer matrix Q4_1 or Q8_0: the products' own rounding,
  // int8 blocks or bfloat16, is far above float16's 2^-11, and a long-context decode step reads half
  // the bytes, as llama.cpp's default cache) or float32 (float32 products: F32, F16 and K-quant
  // files, whose parity with transformers is float32's).
  bool kv_half() const { return kv_half_; }
  const char* isa_name() const { return kernels_->name; }
  // Bytes of weights held (quantised formats as stored).
  int64_t weight_bytes() const;

 private:
  struct Layer {
    std::vector<float> attn_norm, ffn_norm, qkv_bias;  // bias empty when the model has none
    std::vector<float> attn_out_norm, ffn_out_norm;     // sandwich norms (Gemma 2 and 3); empty otherwise
    std::vector<float> q_norm, k_norm;                  // per-head q/k gains (Qwen3, Gemma 3); empty otherwise
    WeightMatrix qkv, o, gate_up, down;
  };
  void rms_norm(const float* x, const std::vector<float>& gain, int64_t rows, float* out);
  // Layer l's attention for the sequences marked in `tiled` by the AMX-BF16 tile kernels
  // (kernels.h: attend_tiles): their K/V heads packed once, then items of kTileQueries tokens x
  // one query head dealt to the threads. Writes those sequences' rows of `attn`.
  void attend_by_tiles(const CpuBatch& batch, const std::vector<char>& tiled, int64_t l, const float* qkv, float* attn,
                       float q_scale, float softcap);

  ModelConfig config_;
  ThreadPool pool_;
  const KernelTable* kernels_;
  // Whether a prompt's layer products take the bfloat16 tiles: the CPU has them and every layer
  // matrix is Q4_1 or Q8_0. Then its tile attention is plain bfloat16 as well; else the attention
  // takes bfloat16 pairs (~2^-18 of float32), the precision of the float32 products beside it.
  bool bf16_products_ = false;
  bool kv_half_ = false;
  WeightMatrix embed_, lm_head_;  // lm_head_ empty when tied (embed_ is the output projection)
  std::vector<float> final_norm_;
  // RoPE frequencies (runtime/rope.h; angles in float64 as runtime/model.cpp) and the q scale
  // (RoPE attention scaling squared (yarn) x ModelConfig::attention_scale), for the layers with
  // the model's RoPE and (Gemma 3's sliding layers) with the local one.
  std::vector<double> inv_freq_, local_inv_freq_;
  float q_scale_ = 1.0f, local_q_scale_ = 1.0f;
  std::vector<Layer> layers_;
  // attend_by_tiles' buffers, kept between layers and forwards (forwards are serialised: a pool
  // runs one job at a time): the packed K/V, and each thread's scratch.
  std::vector<uint16_t> tile_packs_;
  std::vector<std::vector<float>> tile_scratch_;
};

}  // namespace aimicius::runtime::cpu
