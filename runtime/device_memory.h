// Bytes a new allocation can use on a device, for `max_active=auto` (runtime/slot_budget.h).
// LibTorch-free header. CUDA: what the driver reports free (cudaMemGetInfo) plus what LibTorch's
// caching allocator holds unused (a previous call's KV cache, released to the allocator, not to
// the driver), measured after that cache is returned; CPU: MemAvailable of /proc/meminfo.
#pragma once

#include <cstdint>
#include <string>

namespace aimicius::runtime {

// `device` as LocalModelOptions::device spells it ("cpu", "cuda", "cuda:N"). Throws InputError
// when it cannot be measured (no /proc/meminfo; CUDA in a build without the CUDA runtime).
int64_t free_device_bytes(const std::string& device);

}  // namespace aimicius::runtime
