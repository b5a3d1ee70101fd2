// The ggml tensor types a GGUF file may hold, their block layouts, and dequantisation to float.
//
// A row of a quantised tensor is a run of blocks; each block stores `block_elements` values in
// `block_bytes` bytes. Layouts (llama.cpp's ggml-common.h, restated here from its documentation;
// all scalars little-endian, f16 = IEEE half):
//   F32 / F16 / BF16  one value per element
//   Q8_0  32 values: f16 d, int8 q[32]                        x = d * q
//   Q4_0  32 values: f16 d, uint8 qs[16]                      x = d * (nibble - 8); low nibbles are
//                                                             elements 0..15, high nibbles 16..31
//   Q4_1  32 values: f16 d, f16 m, uint8 qs[16]               x = d * nibble + m (nibbles as Q4_0)
//   Q4_K  256 values: f16 d, f16 dmin, uint8 scales[12], uint8 qs[128]: 8 sub-blocks of 32, each
//         with a 6-bit scale and min packed in `scales`; x = d*sc * nibble - dmin*mn
//   Q5_K  256 values: as Q4_K plus uint8 qh[32] (the fifth bit) before qs
//   Q6_K  256 values: uint8 ql[128], uint8 qh[64], int8 scales[16], f16 d; x = d*sc * (q - 32)
// The arithmetic order follows llama.cpp's reference dequantisers (float32 products in the same
// order), so results are bit-equal to them.
//
// Invariant: type_info() knows every id listed in GgmlType and nothing else; dequantize_row is
// only called with n a multiple of the type's block_elements and `src` holding n / block_elements
// blocks (callers check this against the file; see gguf_file.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace aimicius::runtime::gguf {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kBF16 = 30,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;
  int64_t block_elements;
  int64_t block_bytes;
};

// Nothing for an id this reader does not dequantise (the caller names it in its error).
std::optional<GgmlTypeInfo> type_info(uint32_t id);
// "type 7" style name for ids type_info does not know.
std::string type_name(uint32_t id);

float f16_to_float(uint16_t h);
float bf16_to_float(uint16_t h);

// Writes n floats to dst from the blocks at src.
void dequantize_row(GgmlType type, const std::byte* src, int64_t n, float* dst);

}  // namespace aimicius::runtime::gguf
