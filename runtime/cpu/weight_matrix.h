// A projection's weights as the CPU kernels read them: a GGUF tensor's rows kept in their file
// format (Q8_0, Q4_1), or float32 for every other type (dequantised once at load), and the threaded
// product with float activations.
//
// Invariants: `data` holds rows * row_bytes bytes; cols is a multiple of 32 for the quantised
// formats; rows are in the runtime's order (llama's permuted q/k rows already undone at load).
// matmul() splits its work over the pool's threads (runtime/cpu/thread_pool.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/gguf/ggml_types.h"

namespace aimicius::runtime::cpu {

struct WeightMatrix {
  gguf::GgmlType type = gguf::GgmlType::kF32;  // kF32, kQ8_0 or kQ4_1
  int64_t rows = 0, cols = 0;
  int64_t row_bytes = 0;
  std::vector<uint8_t> data;

  bool quantized() const { return type != gguf::GgmlType::kF32; }
  const float* floats() const { return reinterpret_cast<const float*>(data.data()); }
  // Row r as float32 (dequantised when quantised).
  void row(int64_t r, float* out) const;
};

// Whether the kernels take this type as it is (else it is held as float32).
bool kernel_type(gguf::GgmlType type);
// From float32 values [rows, cols] (for types the kernels do not take).
WeightMatrix float_matrix(const std::vector<float>& values, int64_t rows, int64_t cols);
// Rows of the file's bytes (type a kernel_type, `bytes` holding rows * row size).
WeightMatrix quantized_matrix(gguf::GgmlType type, const uint8_t* bytes, int64_t rows, int64_t cols);
// The rows of `parts` one after the other (one product for q, k and v); quantised when all parts
// share a kernel format, else float32.
WeightMatrix stack_rows(const std::vector<const WeightMatrix*>& parts);

// y [tokens, w.rows] = x [tokens, w.cols] . w^T, on the pool's threads with the given kernels.
// `scratch` is reused between calls for the activations' int8 blocks.
// Invariant: a row's floats depend only on the row, never on `tokens`, the other rows or the row's
// place among them (every kernel gives kernels.h's block-order floats): a forward stacks a batch's
// prompts and decoding sequences, and each must get the floats it gets alone, however many others
// are active (tests: CpuKernels.ASequencesRowsGetTheSameFloatsAloneAsStackedWithOthers,
// EveryKernelGivesTheBlockOrderFloats).
void matmul(const WeightMatrix& w, const float* x, int64_t tokens, float* y, ThreadPool& pool, const KernelTable& k,
            std::vector<QBlock8>& scratch);

// The same product on the bfloat16 path (kernels.h: pack_bf16_rows, matmul_*_bf16) where `k` has it
// and w is Q4_1 or Q8_0, returning true; else false, nothing done. A row's floats depend only on the
// row here too, but they are not matmul()'s: cpu_transformer.h says which rows take which path.
// `scratch` is reused between calls for the bfloat16 activations.
bool matmul_bf16(const WeightMatrix& w, const float* x, int64_t tokens, float* y, ThreadPool& pool,
                 const KernelTable& k, std::vector<uint16_t>& scratch);

}  // namespace aimicius::runtime::cpu
