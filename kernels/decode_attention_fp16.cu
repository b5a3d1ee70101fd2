// The fp16 dispatch of the decode-attention kernels: by head-dim pair to the instantiations that
// decode_attention_instances.cu compiles once per pair (declared extern in the .cuh).
#include "kernels/decode_attention_kernels.cuh"

namespace aimicius::kernels::detail {

DecodeKernels decode_kernels_fp16(int dk, int dv, int qb, int qvb, int kb, SplitKind kind) {
  return pick_decode_kernels<__half>(dk, dv, qb, qvb, kb, kind);
}

}  // namespace aimicius::kernels::detail
