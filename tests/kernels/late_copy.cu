// launch_late_copies (late_copy.h).
#include "tests/kernels/late_copy.h"

#include <cstdint>

#include "kernels/pdl.cuh"

namespace aimicius::kernels::testing {
namespace {

struct LateCopies {
  CopyRange ranges[kMaxLateCopies];
  int n;
  uint64_t spin_ns;
};

__device__ __forceinline__ uint64_t global_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void late_copies_kernel(LateCopies c) {
  detail::let_next_grid_launch();  // the next kernel may start now, long before the copies below
  if (threadIdx.x == 0) {
    const uint64_t start = global_ns();
    while (global_ns() - start < c.spin_ns) {
    }
  }
  __syncthreads();
  for (int r = 0; r < c.n; ++r) {
    const uint16_t* src = static_cast<const uint16_t*>(c.ranges[r].src);
    uint16_t* dst = static_cast<uint16_t*>(c.ranges[r].dst);
    for (size_t i = threadIdx.x; i < c.ranges[r].bytes / 2; i += blockDim.x) dst[i] = src[i];
  }
}

}  // namespace

cudaError_t launch_late_copies(const std::vector<CopyRange>& ranges, int spin_us, cudaStream_t stream) {
  if (ranges.size() > static_cast<size_t>(kMaxLateCopies)) return cudaErrorInvalidValue;
  LateCopies c{};
  for (size_t i = 0; i < ranges.size(); ++i) c.ranges[i] = ranges[i];
  c.n = static_cast<int>(ranges.size());
  c.spin_ns = static_cast<uint64_t>(spin_us) * 1000;
  late_copies_kernel<<<1, 256, 0, stream>>>(c);
  return cudaGetLastError();
}

}  // namespace aimicius::kernels::testing
