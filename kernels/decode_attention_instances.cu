// The decode-attention kernels of one storage type and head-dim pair (AIMICIUS_DECODE_T,
// AIMICIUS_DECODE_DK, AIMICIUS_DECODE_DV): kernels/CMakeLists.txt compiles this file once per
// (bf16, fp16) x (64, 128)^2, so that nvcc builds the split kernels in eight parallel jobs (a
// change to the kernels' headers rebuilt in ~110 s on 16 cores as two jobs).
// decode_attention_kernels.cuh declares these instantiations extern everywhere else.
#include "kernels/decode_attention_kernels.cuh"

#if !defined(AIMICIUS_DECODE_T) || !defined(AIMICIUS_DECODE_DK) || !defined(AIMICIUS_DECODE_DV)
#error "compiled by kernels/CMakeLists.txt with AIMICIUS_DECODE_T, AIMICIUS_DECODE_DK and AIMICIUS_DECODE_DV"
#endif

namespace aimicius::kernels::detail {

template DecodeKernels pick_qb<AIMICIUS_DECODE_T, AIMICIUS_DECODE_DK, AIMICIUS_DECODE_DV>(int, int, int, SplitKind);

}  // namespace aimicius::kernels::detail
