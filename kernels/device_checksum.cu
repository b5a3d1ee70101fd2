#include "kernels/device_checksum.h"

namespace aimicius::kernels {
namespace {

constexpr int kThreads = 256;

// Grid-stride XOR over 16-byte words, then the 4-byte tail words; one atomicXor per warp.
__global__ void xor_words(const uint4* __restrict__ src, size_t words16, const uint32_t* __restrict__ tail,
                          size_t tail_words, uint32_t* out) {
  uint32_t acc = 0;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  const size_t first = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  for (size_t i = first; i < words16; i += stride) {
    const uint4 v = __ldcs(src + i);  // streaming: the lines are not kept for reuse
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  for (size_t i = first; i < tail_words; i += stride) acc ^= tail[i];
#pragma unroll
  for (int o = 16; o >= 1; o /= 2) acc ^= __shfl_xor_sync(0xffffffffu, acc, o);
  if (threadIdx.x % 32 == 0) atomicXor(out, acc);
}

}  // namespace

cudaError_t device_xor_checksum(const void* src, size_t bytes, uint32_t* out, cudaStream_t stream) {
  if ((reinterpret_cast<uintptr_t>(src) & 15) != 0 || bytes % 4 != 0) return cudaErrorInvalidValue;
  cudaError_t err = cudaMemsetAsync(out, 0, sizeof(uint32_t), stream);
  if (err != cudaSuccess || bytes == 0) return err;
  int device = 0, sms = 0;
  if ((err = cudaGetDevice(&device)) != cudaSuccess) return err;
  if ((err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device)) != cudaSuccess) return err;
  const size_t words16 = bytes / 16;
  const auto* tail = reinterpret_cast<const uint32_t*>(static_cast<const char*>(src) + words16 * 16);
  const size_t tail_words = (bytes - words16 * 16) / 4;
  const size_t wanted = (words16 + kThreads - 1) / kThreads;
  const size_t cap = static_cast<size_t>(sms > 0 ? sms : 1) * 8;
  const int grid = static_cast<int>(wanted < 1 ? 1 : (wanted < cap ? wanted : cap));
  xor_words<<<grid, kThreads, 0, stream>>>(static_cast<const uint4*>(src), words16, tail, tail_words, out);
  return cudaGetLastError();
}

}  // namespace aimicius::kernels
