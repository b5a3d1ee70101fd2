// fp16 instantiations of the decode-attention kernels (one file per type: nvcc compiles them in
// parallel).
#include "kernels/decode_attention_kernels.cuh"

namespace aimicius::kernels::detail {

DecodeKernels decode_kernels_fp16(int dk, int dv, int qb, int qvb, SplitKind kind) {
  return pick_decode_kernels<__half>(dk, dv, qb, qvb, kind);
}

}  // namespace aimicius::kernels::detail
