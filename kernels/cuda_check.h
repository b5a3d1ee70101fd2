// Turns a failed CUDA runtime call into an exception that says which call failed and where it
// was made from (the kernels' host code has no other error channel worth the name).
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace aimicius::kernels::detail {

inline void cuda_check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

}  // namespace aimicius::kernels::detail
