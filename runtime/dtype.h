// Element types of checkpoint tensors and conversions between the 16-bit float formats and float.
// bf16 and f16 are stored as raw uint16 bit patterns; conversions round to nearest even, keep
// NaN a NaN and map overflow to infinity, as the hardware formats do.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace aimicius::runtime {

enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };

// Bytes per element.
size_t dtype_size(DType dtype);
// Safetensors spelling ("F32", "BF16", ...).
std::string_view dtype_name(DType dtype);
// Throws std::invalid_argument for an unknown spelling.
DType parse_dtype(std::string_view name);

inline float bf16_to_float(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
  const uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + rounding) >> 16);
}

float f16_to_float(uint16_t bits);
uint16_t float_to_f16(float f);

}  // namespace aimicius::runtime
