// The instantiation table of the decode-attention kernels: for a head-dim pair, a QB (Q heads per
// unit), QVB (Q heads per V slot) and KB (K heads per unit, 1 or 2), the split pass (tensor-core or
// two-pass) and the combine
// pass, with the block size and shared memory each needs. Included by one .cu per storage type
// (decode_attention_bf16.cu, decode_attention_fp16.cu: the dispatch) and by the instantiations'
// file, compiled once per storage type and head-dim pair (decode_attention_instances.cu).
#pragma once

#include <cstddef>

#include "kernels/decode_attention_impl.cuh"
#include "kernels/decode_attention_mma.cuh"

namespace aimicius::kernels::detail {

using DecodeKernel = void (*)(DecodeArgs);

struct DecodeKernels {
  DecodeKernel split = nullptr;
  DecodeKernel combine = nullptr;
  int split_threads = 0;
  size_t split_smem = 0;  // the tensor-core pass's; the two-pass kernel's depends on the chunk
  int min_chunk = 0, granule = 0;
};

enum class SplitKind { kTensorCore, kTwoPass, kTwoPassDeep };

template <typename T, int DK, int DV, int QB, int QVB>
DecodeKernels make_kernels(int kb, SplitKind kind) {
  DecodeKernels k;
  k.combine = &decode_combine_kernel<T, DV>;
  if (kind == SplitKind::kTensorCore) {
    // Units of two K heads (kb 2) are instantiated for QB 4 and 8 only: two K heads of 2 or 4 Q
    // heads each (decode_attention.cu's valid_unit), the GQA shapes.
    if (kb == 1) {
      k.split = &decode_split_mma_kernel<T, DK, DV, QB, QVB, 1>;
    } else if constexpr (QB >= 4) {
      if (kb != 2) return {};
      k.split = &decode_split_mma_kernel<T, DK, DV, QB, QVB, 2>;
    } else {
      return {};
    }
    k.split_threads = kMmaThreads;
    k.split_smem = mma_smem_bytes(DK, DV, QB, QVB, kb);
    k.min_chunk = kMmaMinChunk, k.granule = kMmaGranule;
  } else {
    if (kb != 1) return {};  // the two-pass kernel reads one K head a block
    k.split = kind == SplitKind::kTwoPassDeep
                  ? &decode_split_kernel<T, DK, DV, QB, QVB, deep_k_unroll<QB>(), deep_v_unroll<QVB>()>
                  : &decode_split_kernel<T, DK, DV, QB, QVB, kDecodeUnroll, kDecodeUnroll>;
    k.split_threads = kDecodeThreads;
    k.min_chunk = kMinChunk, k.granule = kChunkGranule;
  }
  return k;
}

template <typename T, int DK, int DV, int QB>
DecodeKernels pick_qvb(int qvb, int kb, SplitKind kind) {
  switch (qvb) {
    case 1: return make_kernels<T, DK, DV, QB, 1>(kb, kind);
    case 2: if constexpr (QB >= 2) return make_kernels<T, DK, DV, QB, 2>(kb, kind); break;
    case 4: if constexpr (QB >= 4) return make_kernels<T, DK, DV, QB, 4>(kb, kind); break;
    case 8: if constexpr (QB >= 8) return make_kernels<T, DK, DV, QB, 8>(kb, kind); break;
  }
  return {};
}

template <typename T, int DK, int DV>
DecodeKernels pick_qb(int qb, int qvb, int kb, SplitKind kind) {
  switch (qb) {
    case 1: return pick_qvb<T, DK, DV, 1>(qvb, kb, kind);
    case 2: return pick_qvb<T, DK, DV, 2>(qvb, kb, kind);
    case 4: return pick_qvb<T, DK, DV, 4>(qvb, kb, kind);
    case 8: return pick_qvb<T, DK, DV, 8>(qvb, kb, kind);
  }
  return {};
}

// Each (type, d_k, d_v) of pick_qb is instantiated in a file of its own (decode_attention_instances.cu,
// compiled once per triple by kernels/CMakeLists.txt), so that nvcc's slowest work, the split
// kernels, spreads over eight parallel jobs instead of two; every other file only refers to them.
#define AIMICIUS_DECODE_INSTANCES_OF(T)                                 \
  extern template DecodeKernels pick_qb<T, 64, 64>(int, int, int, SplitKind); \
  extern template DecodeKernels pick_qb<T, 64, 128>(int, int, int, SplitKind); \
  extern template DecodeKernels pick_qb<T, 128, 64>(int, int, int, SplitKind); \
  extern template DecodeKernels pick_qb<T, 128, 128>(int, int, int, SplitKind);
AIMICIUS_DECODE_INSTANCES_OF(__nv_bfloat16)
AIMICIUS_DECODE_INSTANCES_OF(__half)
#undef AIMICIUS_DECODE_INSTANCES_OF

// Null kernels when (dk, dv, qb, qvb, kb) has no instantiation. kb: K heads a unit reads (QB / qk
// when a unit's QB Q heads span several K heads, else 1).
template <typename T>
DecodeKernels pick_decode_kernels(int dk, int dv, int qb, int qvb, int kb, SplitKind kind) {
  if (dk == 64 && dv == 64) return pick_qb<T, 64, 64>(qb, qvb, kb, kind);
  if (dk == 64 && dv == 128) return pick_qb<T, 64, 128>(qb, qvb, kb, kind);
  if (dk == 128 && dv == 64) return pick_qb<T, 128, 64>(qb, qvb, kb, kind);
  if (dk == 128 && dv == 128) return pick_qb<T, 128, 128>(qb, qvb, kb, kind);
  return {};
}

// Defined in decode_attention_bf16.cu and decode_attention_fp16.cu.
DecodeKernels decode_kernels_bf16(int dk, int dv, int qb, int qvb, int kb, SplitKind kind);
DecodeKernels decode_kernels_fp16(int dk, int dv, int qb, int qvb, int kb, SplitKind kind);

}  // namespace aimicius::kernels::detail
