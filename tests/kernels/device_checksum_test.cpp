// device_xor_checksum against the XOR of the buffer's 32-bit words computed on the host, for sizes
// with and without a tail of 4-byte words, and its argument checks. Skips without a CUDA device.
#include "kernels/device_checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/kernels/attention_problem.h"

namespace aimicius::kernels {
namespace {

TEST(DeviceChecksum, MatchesTheHostXorOfEveryWord) {
  if (!testing::have_cuda_device()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  std::mt19937 rng(7);
  for (size_t words : {size_t{1}, size_t{3}, size_t{4}, size_t{1001}, size_t{(1 << 22) + 3}}) {
    std::vector<uint32_t> host(words);
    uint32_t want = 0;
    for (auto& w : host) want ^= (w = rng());
    testing::DeviceBuffer buf(words * 4), out(4);
    buf.upload(host);
    ASSERT_EQ(device_xor_checksum(buf.get(), words * 4, static_cast<uint32_t*>(out.get()), nullptr), cudaSuccess);
    EXPECT_EQ(out.download<uint32_t>(1)[0], want) << words << " words";
    // Flipping one bit of the last word (the tail, or the last 16-byte vector) changes the sum.
    host.back() ^= 1u << 9;
    buf.upload(host);
    ASSERT_EQ(device_xor_checksum(buf.get(), words * 4, static_cast<uint32_t*>(out.get()), nullptr), cudaSuccess);
    EXPECT_EQ(out.download<uint32_t>(1)[0], want ^ (1u << 9)) << words << " words";
  }
}

TEST(DeviceChecksum, RejectsMisalignedOrPartialWords) {
  if (!testing::have_cuda_device()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  testing::DeviceBuffer buf(64), out(4);
  auto* o = static_cast<uint32_t*>(out.get());
  EXPECT_EQ(device_xor_checksum(static_cast<char*>(buf.get()) + 4, 16, o, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(device_xor_checksum(buf.get(), 6, o, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(device_read_stream(static_cast<char*>(buf.get()) + 16, 48, o, nullptr), cudaErrorInvalidValue);
  EXPECT_EQ(device_read_stream(buf.get(), 48, o, nullptr), cudaErrorInvalidValue) << "not a multiple of 64 bytes";
  // The buffer is written before the valid call reads it (compute-sanitizer's initcheck reports a
  // read of uninitialised memory otherwise).
  ASSERT_EQ(cudaMemset(buf.get(), 0x5a, 64), cudaSuccess);
  EXPECT_EQ(device_read_stream(buf.get(), 64, o, nullptr), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

}  // namespace
}  // namespace aimicius::kernels
