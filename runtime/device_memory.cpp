#include "runtime/device_memory.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"

#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime.h>
#endif

namespace aimicius::runtime {
namespace {

int64_t mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    int64_t kib = 0;
    if (fields >> key >> kib && key == "MemAvailable:") return kib * 1024;
  }
  throw InputError("max_active=auto: /proc/meminfo has no MemAvailable line; give max_active=N");
}

}  // namespace

int64_t free_device_bytes(const std::string& device) {
  if (device == "cpu") return mem_available_bytes();
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  const c10::DeviceIndex index =
      device == "cuda" ? c10::DeviceIndex{0} : static_cast<c10::DeviceIndex>(std::stoi(device.substr(5)));
  const c10::cuda::CUDAGuard guard(index);
  // Unused blocks the allocator caches count as free for the next cache: hand them back first.
  c10::cuda::CUDACachingAllocator::emptyCache();
  size_t free = 0, total = 0;
  if (const cudaError_t err = cudaMemGetInfo(&free, &total); err != cudaSuccess)
    throw InputError(fmt::format("max_active=auto: cudaMemGetInfo on {} failed: {}", device, cudaGetErrorString(err)));
  return static_cast<int64_t>(free);
#else
  throw InputError(fmt::format("max_active=auto on {} needs a build with the CUDA runtime (AIMICIUS_WITH_CUDA); "
                               "give max_active=N",
                               device));
#endif
}

}  // namespace aimicius::runtime
