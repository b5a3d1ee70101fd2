// Matrix-vector products of one decode step (batch 1 to kMaxGemvBatch rows): y = W x for bf16/fp16
// weights W [rows, k] (row-major, as LibTorch's linear holds them), with what comes before and
// after each projection of a Llama-style layer fused in, so that a layer is a handful of kernels.
//
// Why: at batch 1 a decode step is a stream of weight reads (~4 GB for a 1.5B model, ~1 ms on an
// H200); launched as LibTorch ops it is ~60 small kernels a layer whose fixed costs, not the
// reads, set the time. Here a warp computes whole output rows (a gate and an up row together for the
// gated SiLU) from 16-byte weight loads, one after another with the next row's loads in flight, the
// x rows sit in shared memory, and each kernel loads its first weights before waiting for the
// kernel before it (programmatic dependent launch, kernels/pdl.cuh).
//
// Rounding: outputs are rounded to the storage type where LibTorch's unfused ops round (each
// linear's output, the norm before its gain, the gain product, silu, the gate product, the residual
// sum), so the fused step and the op-by-op step differ only by fp32 summation order.
//
// Contract: k a multiple of 8, every pointer 16-byte aligned, x and out not overlapping (except
// kAddInto's out, which is the residual it adds into, never an input). No allocation, no host
// synchronisation: capturable in a CUDA graph.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "kernels/attention_params.h"

namespace aimicius::kernels {

constexpr int kMaxGemvBatch = 8;
constexpr int kMaxGemvSegments = 3;

enum class GemvInput {
  kPlain,    // x as given
  kRmsNorm,  // gain * (x / sqrt(mean(x^2) + eps)), per batch row (Llama's RMSNorm, fused)
};

enum class GemvOutput {
  kStore,       // out = W x (+ bias)
  kAddInto,     // out = out + (W x (+ bias)): the residual add folded into the projection
  kSiluGate,    // out = silu(W_gate x) * (W_up x): segments[0] = gate, segments[1] = up, same rows
  kStoreFloat,  // out (float32) = W x, rounded to the storage type first (the logits)
};

// One weight matrix and where its rows go. Segments are stacked: a kernel over segments of
// n0, n1, n2 rows computes n0 + n1 + n2 rows (e.g. Q, K and V from one normed x in one launch).
struct GemvSegment {
  const void* weight = nullptr;  // [rows, k]
  const void* bias = nullptr;    // [rows] or null
  void* out = nullptr;           // [batch, rows] (float for kStoreFloat)
  int rows = 0;
};

struct GemvParams {
  DType dtype = DType::kBF16;  // of x, weights, bias and out (kBF16 or kFP16)
  int batch = 0;               // 1 .. kMaxGemvBatch
  int k = 0;
  const void* x = nullptr;  // [batch, k]
  GemvInput input = GemvInput::kPlain;
  const void* norm_gain = nullptr;  // [k], kRmsNorm
  float norm_eps = 0.0f;
  GemvOutput output = GemvOutput::kStore;
  GemvSegment segments[kMaxGemvSegments];
  int n_segments = 0;
  bool pdl = true;  // launched with programmatic dependent launch
  // > 0: the GPU's SM count: as many blocks as are resident at once (2 per SM), each warp walking
  // several rows; 0: one warp per row (for tests of the plain layout).
  int sm_count = 0;
};

// Empty when p satisfies the contract above (pointers only when need_pointers); else what is wrong.
std::string validate_gemv_params(const GemvParams& p, bool need_pointers = true);

// Launches the product on `stream`. Throws std::invalid_argument on invalid params,
// std::runtime_error when the launch fails.
void gemv(const GemvParams& p, cudaStream_t stream);

}  // namespace aimicius::kernels
