#include "kernels/device_fill.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace aimicius::kernels {
namespace {

__global__ void fill_kernel(uint16_t* dst, size_t count, bool bf16, uint64_t seed) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < count; i += stride) {
    const float x = fill_value(seed, i);
    dst[i] = bf16 ? __bfloat16_as_ushort(__float2bfloat16_rn(x)) : __half_as_ushort(__float2half_rn(x));
  }
}

}  // namespace

cudaError_t fill_random(void* dst, size_t count, DType dtype, uint64_t seed, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  if (dtype != DType::kBF16 && dtype != DType::kFP16) return cudaErrorInvalidValue;
  int device = 0, sms = 0;
  cudaError_t e = cudaGetDevice(&device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (e != cudaSuccess) return e;
  fill_kernel<<<sms * 8, 256, 0, stream>>>(static_cast<uint16_t*>(dst), count, dtype == DType::kBF16, seed);
  return cudaGetLastError();
}

}  // namespace aimicius::kernels
