// 64-byte aligned storage in a std::vector (which promises only its type's alignment): AMX tile
// loads and aligned vector loads want whole cache lines. Not included by kernels_impl.h (which
// holds no inline function of its own: see there).
#pragma once

#include <cstdint>
#include <vector>

namespace aimicius::runtime::cpu {

// The first 64-byte boundary in `v`, which holds 64 bytes more than the caller uses.
template <typename T>
T* aligned64(std::vector<T>& v) {
  static_assert(64 % sizeof(T) == 0, "an element size that divides 64");
  const uintptr_t at = reinterpret_cast<uintptr_t>(v.data());
  return v.data() + (64 - at % 64) % 64 / sizeof(T);
}

}  // namespace aimicius::runtime::cpu
