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

// Grid-stride over groups of four 16-byte words a thread, the four loads issued before any is used.
__global__ void read_words4(const uint4* __restrict__ src, size_t groups, uint32_t* sink) {
  uint32_t acc = 0;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < groups; i += stride) {
    uint4 v[4];
#pragma unroll
    for (int u = 0; u < 4; ++u) v[u] = __ldcs(src + i + u * groups);
#pragma unroll
    for (int u = 0; u < 4; ++u) acc ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
  }
  if (acc == 0x9e3779b9u) atomicXor(sink, acc);  // keeps the loads; almost never writes
}

}  // namespace

cudaError_t device_read_stream(const void* src, size_t bytes, uint32_t* sink, cudaStream_t stream) {
  if ((reinterpret_cast<uintptr_t>(src) & 15) != 0 || bytes % 64 != 0) return cudaErrorInvalidValue;
  if (bytes == 0) return cudaSuccess;
  int device = 0, sms = 0;
  cudaError_t err;
  if ((err = cudaGetDevice(&device)) != cudaSuccess) return err;
  if ((err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device)) != cudaSuccess) return err;
  const size_t groups = bytes / 64;  // four quarters of the buffer, one word of each per group
  const size_t wanted = (groups + kThreads - 1) / kThreads;
  const size_t cap = static_cast<size_t>(sms > 0 ? sms : 1) * 8;
  const int grid = static_cast<int>(wanted < cap ? wanted : cap);
  read_words4<<<grid, kThreads, 0, stream>>>(static_cast<const uint4*>(src), groups, sink);
  return cudaGetLastError();
}

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
