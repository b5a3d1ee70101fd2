// device_copy against its reference (std::memcpy) for sizes and alignments that exercise the
// byte-wise head, the 16-byte body and the tail. Skips without a CUDA device.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernels/device_copy.h"

namespace {

bool have_cuda_device() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

TEST(DeviceCopy, MatchesMemcpyForOddSizesAndOffsets) {
  if (!have_cuda_device()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  const size_t capacity = (1 << 20) + 64;
  std::vector<unsigned char> host(capacity);
  for (size_t i = 0; i < capacity; ++i) host[i] = static_cast<unsigned char>((i * 131 + 7) & 0xff);
  unsigned char *src = nullptr, *dst = nullptr;
  ASSERT_EQ(cudaMalloc(&src, capacity), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dst, capacity), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(src, host.data(), capacity, cudaMemcpyHostToDevice), cudaSuccess);
  for (size_t src_off : {0, 3, 16}) {
    for (size_t dst_off : {0, 3, 5}) {
      for (size_t bytes : {size_t{0}, size_t{1}, size_t{15}, size_t{17}, size_t{4096 + 9}, size_t{1} << 20}) {
        ASSERT_EQ(cudaMemset(dst, 0, capacity), cudaSuccess);
        ASSERT_EQ(aimicius::kernels::device_copy(src + src_off, dst + dst_off, bytes, nullptr), cudaSuccess);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        std::vector<unsigned char> got(capacity), want(capacity, 0);
        std::memcpy(want.data() + dst_off, host.data() + src_off, bytes);
        ASSERT_EQ(cudaMemcpy(got.data(), dst, capacity, cudaMemcpyDeviceToHost), cudaSuccess);
        ASSERT_EQ(got, want) << "src+" << src_off << " dst+" << dst_off << " bytes " << bytes;
      }
    }
  }
  cudaFree(src);
  cudaFree(dst);
}

}  // namespace
