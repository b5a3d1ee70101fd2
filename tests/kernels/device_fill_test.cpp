// fill_random against its host reference fill_value. Skips without a CUDA device.
#include "kernels/device_fill.h"

#include <gtest/gtest.h>

#include <vector>

#include "kernels/reference/half_bits.h"
#include "tests/kernels/attention_problem.h"

namespace aimicius::kernels {
namespace {

TEST(DeviceFill, MatchesHostValuesAndIsNeverZero) {
  if (!testing::have_cuda_device()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  const size_t n = 100003;
  testing::DeviceBuffer buf(n * 2);
  for (DType t : {DType::kBF16, DType::kFP16}) {
    ASSERT_EQ(fill_random(buf.get(), n, t, 42, nullptr), cudaSuccess);
    const std::vector<uint16_t> bits = buf.download<uint16_t>(n);
    for (size_t i = 0; i < n; ++i) {
      const float got = t == DType::kBF16 ? reference::bf16_to_float(bits[i]) : reference::fp16_to_float(bits[i]);
      ASSERT_EQ(got, fill_value(42, i)) << dtype_name(t) << " element " << i;
      ASSERT_NE(got, 0.0f);
    }
  }
}

}  // namespace
}  // namespace aimicius::kernels
