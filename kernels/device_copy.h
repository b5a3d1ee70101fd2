// Device-to-device copy with 16-byte vector loads: the bandwidth yardstick that decode-attention
// kernels are judged against (they are memory-bound, so "fraction of copy bandwidth" is their
// figure of merit). Plain C++ reference: std::memcpy.
//
// Contract: src and dst are device pointers that do not overlap; any byte count and alignment are
// accepted (the unaligned head and tail are copied byte-wise). Launches on `stream`, never syncs.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

namespace aimicius::kernels {

cudaError_t device_copy(const void* src, void* dst, size_t bytes, cudaStream_t stream);

}  // namespace aimicius::kernels
