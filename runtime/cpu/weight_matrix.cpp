#include "runtime/cpu/weight_matrix.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "runtime/cpu/aligned.h"

namespace aimicius::runtime::cpu {

bool kernel_type(gguf::GgmlType type) {
  return type == gguf::GgmlType::kF32 || type == gguf::GgmlType::kQ8_0 || type == gguf::GgmlType::kQ4_1;
}

void WeightMatrix::row(int64_t r, float* out) const { gguf::dequantize_row(type, reinterpret_cast<const std::byte*>(data.data()) + r * row_bytes, cols, out); }

WeightMatrix float_matrix(const std::vector<float>& values, int64_t rows, int64_t cols) {
  if (static_cast<int64_t>(values.size()) != rows * cols)
    throw std::logic_error(fmt::format("float_matrix: {} values for [{}, {}]", values.size(), rows, cols));
  WeightMatrix m;
  m.rows = rows, m.cols = cols, m.row_bytes = cols * 4;
  m.data.resize(values.size() * 4);
  std::memcpy(m.data.data(), values.data(), m.data.size());
  return m;
}

WeightMatrix quantized_matrix(gguf::GgmlType type, const uint8_t* bytes, int64_t rows, int64_t cols) {
  const auto info = gguf::type_info(static_cast<uint32_t>(type));
  if (!kernel_type(type) || !info || cols % info->block_elements != 0)
    throw std::logic_error(fmt::format("quantized_matrix: type {} with {} columns", static_cast<int>(type), cols));
  WeightMatrix m;
  m.type = type, m.rows = rows, m.cols = cols, m.row_bytes = cols / info->block_elements * info->block_bytes;
  m.data.assign(bytes, bytes + rows * m.row_bytes);
  return m;
}

WeightMatrix stack_rows(const std::vector<const WeightMatrix*>& parts) {
  bool same = true;
  for (const WeightMatrix* p : parts) same = same && p->type == parts.front()->type && p->cols == parts.front()->cols;
  if (!same) {  // mixed formats: one float32 matrix
    std::vector<float> values;
    for (const WeightMatrix* p : parts) {
      std::vector<float> row(p->cols);
      for (int64_t r = 0; r < p->rows; ++r) {
        p->row(r, row.data());
        values.insert(values.end(), row.begin(), row.end());
      }
    }
    return float_matrix(values, static_cast<int64_t>(values.size()) / parts.front()->cols, parts.front()->cols);
  }
  WeightMatrix m = *parts.front();
  for (size_t i = 1; i < parts.size(); ++i) {
    m.rows += parts[i]->rows;
    m.data.insert(m.data.end(), parts[i]->data.begin(), parts[i]->data.end());
  }
  return m;
}

namespace {

// Q4_1 or Q8_0 by AMX tiles (16 x 16 exact int sums, kernels.h): the activations copied into tiles
// of 16 rows (contiguous, aligned, so a tile load reads whole lines, not 40-byte QBlock8 strides:
// half the speed, measured), then items of 32 weight rows x 512 activation rows, so each 16-row
// weight tile is unpacked once for 32 tiles of activations. `product` is the table's tile kernel
// for w's type.
using TileProduct = decltype(KernelTable::matmul_q4_1_tiles);
void matmul_tiles(const WeightMatrix& w, const QBlock8* acts, int64_t tokens, float* y, ThreadPool& pool,
                  TileProduct product) {
  const int64_t blocks = w.cols / kBlock, tiles16 = (tokens + 15) / 16;
  std::vector<int8_t> aq_bytes(tiles16 * blocks * 512 + 64);
  int8_t* aq = aligned64(aq_bytes);
  std::vector<float> ds(tiles16 * blocks * 32);
  pool.parallel_for(tiles16, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g)
      for (int64_t b = 0; b < blocks; ++b) {
        float* d = ds.data() + (g * blocks + b) * 32;
        for (int64_t row = 0; row < 16; ++row) {
          const int64_t t = g * 16 + row;
          int8_t* dst = aq + ((g * blocks + b) * 16 + row) * kBlock;
          if (t < tokens) {
            std::memcpy(dst, acts[t * blocks + b].q, kBlock);
            d[row] = acts[t * blocks + b].d, d[16 + row] = acts[t * blocks + b].s;
          } else {  // the last tile's padding rows: zero values, zero scales
            std::memset(dst, 0, kBlock);
            d[row] = 0, d[16 + row] = 0;
          }
        }
      }
  }, 1);
  const int64_t span = 512, rows_per_item = 32;
  const int64_t spans = (tokens + span - 1) / span, chunks = (w.rows + rows_per_item - 1) / rows_per_item;
  pool.parallel_for(spans * chunks, [&](int64_t i0, int64_t i1) {
    std::vector<uint8_t> bytes(kTileScratchPerBlock * blocks + 64);
    uint8_t* scratch = aligned64(bytes);
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t t0 = item / chunks * span, nt = std::min(span, tokens - t0);
      const int64_t r0 = item % chunks * rows_per_item, r1 = std::min(w.rows, r0 + rows_per_item);
      product(w.data.data(), w.row_bytes, r0, r1, blocks, aq + t0 / 16 * blocks * 512, ds.data() + t0 / 16 * blocks * 32,
              nt, y + t0 * w.rows, w.rows, scratch);
    }
  });
}

}  // namespace

bool matmul_bf16(const WeightMatrix& w, const float* x, int64_t tokens, float* y, ThreadPool& pool,
                 const KernelTable& k, std::vector<uint16_t>& scratch) {
  const auto pack = w.type == gguf::GgmlType::kQ4_1   ? k.pack_bf16_q4_1
                    : w.type == gguf::GgmlType::kQ8_0 ? k.pack_bf16_q8_0
                                                      : nullptr;
  if (pack == nullptr || k.matmul_bf16_tiles == nullptr || tokens <= 0) return false;
  // scratch: the activations' A tiles (groups of 16 rows, an even count: the kernel takes 32 tokens
  // a step), then the whole matrix's B tiles, converted once a call (in L2/L3 for SmolLM2's widest,
  // 3.5 MB) rather than once per item.
  const int64_t blocks = w.cols / kBlock, groups = (tokens + 31) / 32 * 2, tiles = (w.rows + 15) / 16;
  const int64_t a_units = groups * blocks * 512, w_units = tiles * blocks * 512;  // uint16 each
  if (static_cast<int64_t>(scratch.size()) < a_units + w_units + 32) scratch.resize(a_units + w_units + 32);
  uint16_t* a = aligned64(scratch);
  int32_t* packed = reinterpret_cast<int32_t*>(a + a_units);
  pool.parallel_for(groups, [&](int64_t g0, int64_t g1) { k.pack_bf16_rows(x, w.cols, tokens, g0, g1, a); }, 1);
  pool.parallel_for(tiles, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      pack(w.data.data(), w.row_bytes, i * 16, std::min<int64_t>(16, w.rows - i * 16), blocks, packed + i * blocks * 256);
  }, 1);
  // Items of 512 activation rows (their A tiles, <= 1.5 MB for SmolLM2's widest, stay in L2) x 32
  // weight rows.
  const int64_t span = 512, rows_per_item = 32;
  const int64_t spans = (tokens + span - 1) / span, chunks = (w.rows + rows_per_item - 1) / rows_per_item;
  pool.parallel_for(spans * chunks, [&](int64_t i0, int64_t i1) {
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t t0 = item / chunks * span, nt = std::min(span, tokens - t0);
      const int64_t r0 = item % chunks * rows_per_item, r1 = std::min(w.rows, r0 + rows_per_item);
      k.matmul_bf16_tiles(packed + r0 / 16 * blocks * 256, r1 - r0, blocks, a + t0 / 16 * blocks * 512, nt,
                          y + t0 * w.rows + r0, w.rows);
    }
  });
  return true;
}

void matmul(const WeightMatrix& w, const float* x, int64_t tokens, float* y, ThreadPool& pool, const KernelTable& k,
            std::vector<QBlock8>& scratch) {
  const int64_t blocks = w.cols / kBlock;
  // Prefill takes the group kernels: Q4_1 from 8 rows (x8, or x16 where the ISA has it), Q8_0 from 16
  // where the ISA has x16; fewer rows (decode) the 4-row kernels. Every kernel gives the same floats
  // (kernels.h), so the choice is speed only. The last group is padded with zero rows (its real rows
  // copied out) rather than left to the 4-row kernels, which would read the weights again.
  const bool x8 = w.type == gguf::GgmlType::kQ4_1 && tokens >= 8;
  const bool q8_x16 = w.type == gguf::GgmlType::kQ8_0 && k.matmul_q8_0_x16 != nullptr && tokens >= 16;
  const bool x16 = (x8 && k.matmul_q4_1_x16 != nullptr && tokens >= 16) || q8_x16;
  const int64_t group = x16 ? 16 : x8 ? 8 : 1;
  const int64_t padded = (tokens + group - 1) / group * group;
  QBlock8* acts = nullptr;
  if (w.quantized()) {
    if (static_cast<int64_t>(scratch.size()) < padded * blocks) scratch.resize(padded * blocks);
    acts = scratch.data();
    pool.parallel_for(tokens, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) k.quantize_row(x + t * w.cols, w.cols, acts + t * blocks);
    }, 4);
    std::memset(static_cast<void*>(acts + tokens * blocks), 0, (padded - tokens) * blocks * sizeof(QBlock8));
  }
  // Below 16 activation rows an AMX tile would be mostly padding: the vector kernels take them.
  const TileProduct tile_product = w.type == gguf::GgmlType::kQ4_1   ? k.matmul_q4_1_tiles
                                   : w.type == gguf::GgmlType::kQ8_0 ? k.matmul_q8_0_tiles
                                                                     : nullptr;
  if (tile_product != nullptr && tokens >= 16) return matmul_tiles(w, acts, tokens, y, pool, tile_product);
  // Work items: tiles of up to 64 activation rows x chunks of weight rows. One activation row
  // (decode): each thread takes one contiguous run of rows. Many rows (prefill): 32 weight rows a
  // chunk, whose bytes stay in cache while a tile's rows pass over them.
  const int64_t tile = 64;
  const int64_t tiles = (padded + tile - 1) / tile;
  constexpr int64_t kPrefillChunk = 32;
  const int64_t chunk = tokens <= 4 ? std::max<int64_t>(8, (w.rows + pool.size() - 1) / pool.size()) : kPrefillChunk;
  const int64_t chunks = (w.rows + chunk - 1) / chunk;
  // Q4_1's groups of 8 rows: each group's d and s per block side by side for the x8 kernel.
  std::vector<float> ds;
  if (x8 && !x16) {
    ds.resize(padded / 8 * blocks * 16);
    for (int64_t t = 0; t < padded; ++t)
      for (int64_t b = 0; b < blocks; ++b) {
        ds[(t / 8 * blocks + b) * 16 + t % 8] = acts[t * blocks + b].d;
        ds[(t / 8 * blocks + b) * 16 + 8 + t % 8] = acts[t * blocks + b].s;
      }
  }
  // Groups of 16 rows for the x16 kernels: their int8 quads transposed (per block, quad c of row k at
  // [c][k]; for Q8_0 each byte + 128, kernels.h) and their d and s per block side by side.
  const int64_t groups16 = x16 ? padded / 16 : 0;
  const uint32_t byte_bias = q8_x16 ? 0x80808080u : 0;
  std::vector<int32_t> aq(groups16 * blocks * 128);
  std::vector<float> ds16(groups16 * blocks * 32);
  pool.parallel_for(groups16, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g)
      for (int64_t b = 0; b < blocks; ++b)
        for (int64_t row = 0; row < 16; ++row) {
          const QBlock8& blk = acts[(g * 16 + row) * blocks + b];
          int32_t* quads = aq.data() + (g * blocks + b) * 128 + row;
          for (int64_t c = 0; c < 8; ++c) {
            uint32_t quad;
            std::memcpy(&quad, blk.q + 4 * c, 4);
            quads[c * 16] = static_cast<int32_t>(quad ^ byte_bias);
          }
          ds16[(g * blocks + b) * 32 + row] = blk.d;
          ds16[(g * blocks + b) * 32 + 16 + row] = blk.s;
        }
  }, 1);
  pool.parallel_for(tiles * chunks, [&](int64_t i0, int64_t i1) {
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t t0 = item / chunks * tile, nt = std::min(tile, padded - t0);
      const int64_t r0 = item % chunks * chunk, r1 = std::min(w.rows, r0 + chunk);
      float* yt = y + t0 * w.rows;
      // A group kernel `product(weights, first row, end row, out, ldy)` over the group of rows
      // starting at tile row t: straight into y, or, for the padded last group, into a buffer whose
      // real rows are copied out (the weights offset to r0, so the buffer is only the chunk wide).
      const auto run_group = [&](int64_t rows_in_group, int64_t t, const auto& product) {
        const int64_t real = std::min(rows_in_group, tokens - (t0 + t));
        if (real == rows_in_group) return product(w.data.data(), r0, r1, yt + t * w.rows, w.rows);
        float part[16 * kPrefillChunk];
        const int64_t n = r1 - r0;
        product(w.data.data() + r0 * w.row_bytes, 0, n, part, n);
        for (int64_t i = 0; i < real; ++i) std::memcpy(yt + (t + i) * w.rows + r0, part + i * n, n * sizeof(float));
      };
      int64_t t = 0;
      switch (w.type) {
        case gguf::GgmlType::kQ8_0:
          for (; q8_x16 && t < nt; t += 16)
            run_group(16, t, [&](const uint8_t* wr, int64_t a, int64_t e, float* out, int64_t ld) {
              k.matmul_q8_0_x16(wr, w.row_bytes, a, e, blocks, aq.data() + (t0 + t) / 16 * blocks * 128,
                                ds16.data() + (t0 + t) / 16 * blocks * 32, out, ld);
            });
          if (t < nt) k.matmul_q8_0(w.data.data(), w.row_bytes, r0, r1, blocks, acts + t0 * blocks, nt, yt, w.rows);
          break;
        case gguf::GgmlType::kQ4_1:
          for (; x16 && t < nt; t += 16)
            run_group(16, t, [&](const uint8_t* wr, int64_t a, int64_t e, float* out, int64_t ld) {
              k.matmul_q4_1_x16(wr, w.row_bytes, a, e, blocks, aq.data() + (t0 + t) / 16 * blocks * 128,
                                ds16.data() + (t0 + t) / 16 * blocks * 32, out, ld);
            });
          for (; x8 && t < nt; t += 8)
            run_group(8, t, [&](const uint8_t* wr, int64_t a, int64_t e, float* out, int64_t ld) {
              k.matmul_q4_1_x8(wr, w.row_bytes, a, e, blocks, acts + (t0 + t) * blocks,
                               ds.data() + (t0 + t) / 8 * blocks * 16, out, ld);
            });
          if (t < nt) k.matmul_q4_1(w.data.data(), w.row_bytes, r0, r1, blocks, acts + t0 * blocks, nt, yt, w.rows);
          break;
        default: k.matmul_f32(w.floats(), w.cols, r0, r1, x + t0 * w.cols, nt, yt, w.rows); break;
      }
    }
  });
}

}  // namespace aimicius::runtime::cpu
