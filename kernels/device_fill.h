// Fills device buffers of bf16/fp16 with pseudo-random nonzero values m / 256 (m in +-[1, 255]),
// a pure function of (seed, index): benchmarks fill tens of GB on the device in milliseconds, and
// the values are exact in both storage types. Reference: fill_value (same function, on the host).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/attention_params.h"

namespace aimicius::kernels {

// The value element `i` of a buffer filled with `seed` gets (before rounding, which is exact).
__host__ __device__ inline float fill_value(uint64_t seed, uint64_t i) {
  uint64_t x = seed ^ (i * 0x2545f4914f6cdd1dull);  // splitmix64 of the mixed index
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  const float m = static_cast<float>(x % 255 + 1) / 256.0f;
  return (x >> 32) & 1 ? -m : m;
}

// dtype kBF16 or kFP16. Launches on `stream`; returns the launch error, if any.
cudaError_t fill_random(void* dst, size_t count, DType dtype, uint64_t seed, cudaStream_t stream);

}  // namespace aimicius::kernels
