// The quantised CPU path's prefill products (google-benchmark): runtime/cpu/weight_matrix.h's
// matmul of a Q4_1 or Q8_0 matrix by a 2,048-row activation matrix, on every kernel build this CPU
// runs (avx2-x8 = the AVX2 build without its 16-row kernel; avx2; avx512 = the x16 VNNI kernels;
// avx512-amx = the AMX int8 tile kernels; amx-bf16 = the prompt path's bfloat16 tiles,
// weight_matrix.h's matmul_bf16), so each build's
// figure has the one before as its reference in the same run. The shapes are SmolLM2-135M's four products
// a layer (q, k and v stacked; o; gate and up stacked; down), with random weights and activations:
// the time of a product depends on its shape, not its values. Counters: GOP/s (2 x rows x cols x
// tokens a product).
// Also the causal attention of one query head of a 2,048-token prefill (SmolLM2's head dim 64), on
// one thread: the float kernel (KernelTable::attend, 8 tokens a call as cpu_transformer.cpp calls
// it) against the AMX-BF16 tile kernels (pack once, then attend_tiles 16 tokens a call; on bfloat16
// pairs, as next to float32 products, and plain, as next to the bfloat16 ones). Counter:
// GFLOP/s (4 x dk x the causal pairs, scores and weighted values).
//
// Usage: aimicius-bench-cpu-matmul [google-benchmark flags]; THREADS (default 2) sets the pool.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "runtime/cpu/aligned.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/weight_matrix.h"

namespace {

using namespace aimicius::runtime::cpu;
using aimicius::runtime::gguf::GgmlType;

constexpr int64_t kTokens = 2048;

// Q4_1 or Q8_0 rows with random values and scales of a real model's size (~2^-7).
WeightMatrix random_quantized(GgmlType type, int64_t rows, int64_t cols, std::mt19937& rng) {
  const size_t block_bytes = type == GgmlType::kQ8_0 ? 34 : 20;
  std::vector<uint8_t> bytes(rows * cols / kBlock * block_bytes);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(rng());
  for (size_t b = 0; b < bytes.size() / block_bytes; ++b) {
    bytes[b * block_bytes + 1] = 0x20;                                 // d
    if (type == GgmlType::kQ4_1) bytes[b * block_bytes + 3] = 0xA0;  // m
  }
  return quantized_matrix(type, bytes.data(), rows, cols);
}

// `x8_only`: the ISA's table without its 16-row kernels (the AVX2 build before it had one), the
// reference in the same run.
void BM_PrefillMatmul(benchmark::State& state, GgmlType type, Isa isa, bool x8_only, bool bf16, int64_t rows,
                      int64_t cols) {
  if (!isa_supported(isa) || (bf16 && !kernels(isa).matmul_bf16_tiles)) {
    state.SkipWithError("this CPU (or build) lacks the ISA");
    return;
  }
  std::mt19937 rng(static_cast<unsigned>(rows * 31 + cols));
  const WeightMatrix w = random_quantized(type, rows, cols, rng);
  std::vector<float> x(kTokens * cols), y(kTokens * rows);
  std::normal_distribution<float> normal;
  for (float& v : x) v = normal(rng);
  const char* env = std::getenv("THREADS");
  ThreadPool pool(env ? std::atoi(env) : 2);
  std::vector<QBlock8> scratch;
  std::vector<uint16_t> bf16_scratch;
  KernelTable k = kernels(isa);
  if (x8_only) k.matmul_q4_1_x16 = nullptr, k.matmul_q8_0_x16 = nullptr;
  for (auto _ : state) {
    if (bf16) matmul_bf16(w, x.data(), kTokens, y.data(), pool, k, bf16_scratch);
    else matmul(w, x.data(), kTokens, y.data(), pool, k, scratch);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GOP/s"] = benchmark::Counter(2.0 * rows * cols * kTokens, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
  state.SetLabel(kernels(isa).name);
}

constexpr int64_t kHeadDim = 64;

void BM_PrefillAttention(benchmark::State& state, bool tiles, bool pairs) {
  const KernelTable& k = best_kernels();
  if (tiles && !k.attend_tiles) {
    state.SkipWithError("this CPU (or build) has no AMX-BF16 tiles");
    return;
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  const int64_t d = kHeadDim;
  std::vector<float> q(kTokens * d), kf(kTokens * d), vf(kTokens * d), out(kTokens * d);
  for (auto* v : {&q, &kf, &vf})
    for (float& x : *v) x = normal(rng);
  std::vector<uint16_t> kc(kTokens * d), vc(kTokens * d);  // the cache's float16
  k.to_half(kf.data(), kTokens * d, kc.data());
  k.to_half(vf.data(), kTokens * d, vc.data());
  const float scale = 0.125f;
  std::vector<uint16_t> packs(tile_keys(kTokens) * d * 4 + 32);
  std::vector<float> scratch(std::max(attend_tiles_scratch(kTokens, d, d), 8 * kTokens) + 16);
  for (auto _ : state) {
    if (tiles) {
      uint16_t* kp = aligned64(packs);
      uint16_t* vp = kp + tile_keys(kTokens) * d * (pairs ? 2 : 1);
      k.pack_k_tiles_f16(kc.data(), d, kTokens, d, 0, tile_keys(kTokens) / 32, pairs, kp);
      k.pack_v_tiles_f16(vc.data(), d, kTokens, d, 0, tile_keys(kTokens) / 32, pairs, vp);
      for (int64_t t = 0; t < kTokens; t += kTileQueries)
        k.attend_tiles(q.data() + t * d, d, kTileQueries, t + 1, kp, vp, d, d, scale, 0.0f, pairs, aligned64(scratch),
                       out.data() + t * d, d);
    } else {
      for (int64_t t = 0; t < kTokens; t += 8) {
        const float* qp[8];
        float* op[8];
        int64_t keys[8];
        for (int i = 0; i < 8; ++i) qp[i] = q.data() + (t + i) * d, op[i] = out.data() + (t + i) * d, keys[i] = t + i + 1;
        k.attend_f16(8, qp, keys, kc.data(), d, vc.data(), d, d, d, scale, 0.0f, scratch.data(), kTokens, op);
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * d * kTokens * (kTokens + 1) / 2,
                                                 benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.SetLabel(k.name);
}

void register_all() {
  struct Shape {
    const char* name;
    int64_t rows, cols;
  };
  const Shape shapes[] = {{"qkv", 960, 576}, {"o", 576, 576}, {"gate_up", 3072, 576}, {"down", 576, 1536}};
  struct Build {
    Isa isa;
    bool x8_only, bf16;
    const char* name;
  };
  const Build builds[] = {{Isa::kAvx2, true, false, "avx2-x8"},
                          {Isa::kAvx2, false, false, "avx2"},
                          {Isa::kAvx512, false, false, "avx512"},
                          {Isa::kAmx, false, false, "amx"},
                          {Isa::kAmx, false, true, "amx-bf16"}};
  for (const auto& [type, type_name] : {std::pair{GgmlType::kQ4_1, "q4_1"}, std::pair{GgmlType::kQ8_0, "q8_0"}})
    for (const Shape& s : shapes)
      for (const Build& b : builds)
        benchmark::RegisterBenchmark((std::string("prefill_") + type_name + "/" + s.name + "/" + b.name).c_str(),
                                     BM_PrefillMatmul, type, b.isa, b.x8_only, b.bf16, s.rows, s.cols)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->MinTime(0.5);
  struct Attention {
    bool tiles, pairs;
    const char* name;
  };
  for (const Attention& a : {Attention{false, false, "float"}, Attention{true, true, "tiles-pairs"}, Attention{true, false, "tiles"}})
    benchmark::RegisterBenchmark((std::string("prefill_attention/") + a.name).c_str(), BM_PrefillAttention, a.tiles, a.pairs)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(0.5);
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
