// A test stand-in for the kernel that runs just before decode attention in a decode step (RoPE and
// the KV-cache append, kernels/rope_append.h), made slow: it lets the next kernel on its stream be
// launched at once (programmatic dependent launch), spins for a while, and only then copies its
// ranges (this step's q and newest K/V rows). A kernel launched after it with PDL that read those
// bytes before its wait for the previous grid (kernels/pdl.cuh) would see the old ones.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <vector>

namespace aimicius::kernels::testing {

struct CopyRange {
  void* dst;
  const void* src;
  size_t bytes;  // a multiple of 2
};

constexpr int kMaxLateCopies = 16;

// Launches one block on `stream` (a plain launch) that calls griddepcontrol.launch_dependents
// first, spins for `spin_us` microseconds of the GPU's global timer, then copies `ranges` (at most
// kMaxLateCopies). Returns the launch error, if any.
cudaError_t launch_late_copies(const std::vector<CopyRange>& ranges, int spin_us, cudaStream_t stream);

}  // namespace aimicius::kernels::testing
