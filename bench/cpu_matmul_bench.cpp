// The quantised CPU path's prefill products (google-benchmark): runtime/cpu/weight_matrix.h's
// matmul of a Q4_1 matrix by a 2,048-row activation matrix, on every kernel build this CPU runs
// (avx2, avx512 = the x16 VNNI kernel, avx512-amx = the AMX tile kernel), so each build's figure
// has the one before as its reference in the same run. The shapes are SmolLM2-135M's four products
// a layer (q, k and v stacked; o; gate and up stacked; down), with random weights and activations:
// the time of a product depends on its shape, not its values. Counters: GOP/s (2 x rows x cols x
// tokens a product).
//
// Usage: aimicius-bench-cpu-matmul [google-benchmark flags]; THREADS (default 2) sets the pool.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/weight_matrix.h"

namespace {

using namespace aimicius::runtime::cpu;
using aimicius::runtime::gguf::GgmlType;

constexpr int64_t kTokens = 2048;

// Q4_1 rows with random nibbles and scales of a real model's size (~2^-7).
WeightMatrix random_q4_1(int64_t rows, int64_t cols, std::mt19937& rng) {
  std::vector<uint8_t> bytes(rows * cols / kBlock * 20);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(rng());
  for (size_t b = 0; b < bytes.size() / 20; ++b) bytes[b * 20 + 1] = 0x20, bytes[b * 20 + 3] = 0xA0;
  return quantized_matrix(GgmlType::kQ4_1, bytes.data(), rows, cols);
}

void BM_PrefillMatmul(benchmark::State& state, Isa isa, int64_t rows, int64_t cols) {
  if (!isa_supported(isa)) {
    state.SkipWithError("this CPU (or build) lacks the ISA");
    return;
  }
  std::mt19937 rng(static_cast<unsigned>(rows * 31 + cols));
  const WeightMatrix w = random_q4_1(rows, cols, rng);
  std::vector<float> x(kTokens * cols), y(kTokens * rows);
  std::normal_distribution<float> normal;
  for (float& v : x) v = normal(rng);
  const char* env = std::getenv("THREADS");
  ThreadPool pool(env ? std::atoi(env) : 2);
  std::vector<QBlock8> scratch;
  for (auto _ : state) {
    matmul(w, x.data(), kTokens, y.data(), pool, kernels(isa), scratch);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GOP/s"] = benchmark::Counter(2.0 * rows * cols * kTokens, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
  state.SetLabel(kernels(isa).name);
}

void register_all() {
  struct Shape {
    const char* name;
    int64_t rows, cols;
  };
  const Shape shapes[] = {{"qkv", 960, 576}, {"o", 576, 576}, {"gate_up", 3072, 576}, {"down", 576, 1536}};
  const std::pair<Isa, const char*> isas[] = {{Isa::kAvx2, "avx2"}, {Isa::kAvx512, "avx512"}, {Isa::kAmx, "amx"}};
  for (const Shape& s : shapes)
    for (const auto& [isa, name] : isas)
      benchmark::RegisterBenchmark((std::string("prefill_q4_1/") + s.name + "/" + name).c_str(), BM_PrefillMatmul, isa,
                                   s.rows, s.cols)
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
