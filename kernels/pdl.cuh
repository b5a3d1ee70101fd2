// Programmatic dependent launch (PDL, sm_90), shared by every kernel of the decode step.
//
// A kernel launched with the PDL attribute may start while the kernel before it on the stream is
// still running. Invariant that makes this safe: every PDL kernel calls wait_for_previous_grid()
// before it reads anything an earlier kernel wrote (and before it writes anything an earlier kernel
// may still read); it may do independent work (address math, loads of weights, which no kernel
// writes) before that. Because each kernel waits for the whole of the one before it, waits chain:
// kernel n + 2 never sees kernel n unfinished. What was complete before the chain's first kernel
// started (a decode step's inputs, copied in before its kernels: lengths, slots, block tables; the
// K/V cache rows that earlier steps appended) may be read before the wait too. Every block calls
// wait_for_previous_grid(), even one that returns early: a grid that ended without waiting would
// break the chain for the kernels after it. let_next_grid_launch() lets the next grid be
// scheduled early; it orders nothing by itself. Both are no-ops for a plain launch.
#pragma once

#include <cuda_runtime.h>

#include <utility>

#include "kernels/cuda_check.h"

namespace aimicius::kernels::detail {

__device__ __forceinline__ void wait_for_previous_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void let_next_grid_launch() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Launches kernel<<<grid, block, smem, stream>>>(args...), with the PDL attribute when `pdl`.
// Throws std::runtime_error naming `what` when the launch fails.
template <typename... Params, typename... Args>
void launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, bool pdl, cudaStream_t stream,
                   const char* what, Args&&... args) {
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  cudaLaunchAttribute attribute[1];
  attribute[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute[0].val.programmaticStreamSerializationAllowed = pdl ? 1 : 0;
  config.attrs = attribute;
  config.numAttrs = 1;
  cuda_check(cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...), what);
}

}  // namespace aimicius::kernels::detail
