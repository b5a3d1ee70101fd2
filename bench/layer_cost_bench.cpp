// aimicius_layer_cost_bench (a benchmark program of bench/, CUDA builds): the Sigma paper's own
// speed comparison (arXiv 2501.13629, section on efficiency), reproduced with aimicius' decode path.
//
// What is timed, per decode step and per attention layer, exactly as the runtime runs it
// (runtime/model.cpp): at batch <= 8 the fused decode step (runtime/cuda_decode_step.h), above it
// the op-by-op kernel path ("path" in the output):
//   store   this step's K and V rows into the cache: fused, RoPE of q and k and the append in one
//           kernel (cuda_rope_append); op by op, index_put_ per cache (RoPE not counted);
//   attend  K/V load + attention over the context: the project's decode kernel (cuda_decode_attention);
//   aug_q   the augmented-Q MLP W_down(SiLU(W_gate q) * W_up q) (Sigma only; 0 for STD): fused, two
//           matrix-vector kernels (gate and up with SiLU in one, then down); op by op, three linears.
// Projections, RoPE, the FFN and the LM head are the same in both models and are not part of the
// paper's comparison, so they are left out.
//
// Models (attention of one layer): Sigma-1.5B, 32 Q / 4 K / 16 V heads of 64, aug-Q 3072 on a
// 2048-wide query; STD, its GQA baseline, 32 Q / 16 K / 16 V heads of 64, no aug-Q. bf16.
//
// Method. For each batch size, L layers' caches are allocated (26 as in Sigma-1.5B when they fit
// in ~40 GB, fewer at large batch) with pseudo-random contents, so that one step streams as many
// distinct bytes as the real model (the L2 cache does not serve the next layer from the last).
// For each context length of a grid, the kernel's output for sequence 0 of layer 0 is first
// checked against a float32 LibTorch reference (fresh random inputs, relative error bound); then
// each component, and the whole step (store + aug_q + attend) over the L layers, is captured as
// a CUDA graph and replayed: 3 warm-up replays, 15 timed with CUDA events, median / L = the
// per-layer cost at that context. The paper's totals - the cost of generating G tokens after a
// prefix of P tokens - are sums over the G steps of the per-step cost at context P + i, read from
// the grid by linear interpolation (the cost is linear in the context between grid points).
// KV-cache size at 64k is counted (26 layers, batch 1) and measured as the device memory a
// 64k cache of each shape takes (cudaMemGetInfo before and after allocating it).
// The device copy bandwidth (kernels/device_copy.h, 2 GiB read + written) is measured in the same
// run so that the attention times can be read as fractions of it.
//
// Prints JSON lines (progress on stderr):
//   {"kind":"copy", ...}     {"kind":"step", model, batch, layers, context, store_us, attend_us,
//   aug_q_us, total_us (all per layer), kv_bytes (per layer), attend_fraction_of_copy, check_rel_err}
//   {"kind":"total", model, batch, prefix, generated, ms}   {"kind":"ratio", batch, prefix, generated,
//   sigma_ms, std_ms, sigma_over_std, saving}   {"kind":"kv_cache", ...}
// Exit status 0 when every check passed, 1 when one failed, 2 when the machine cannot run it.
//
//   aimicius_layer_cost_bench [--batches 1,16] [--max-context 131072]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime.h>
#include <torch/torch.h>

#include "kernels/device_copy.h"
#include "runtime/cuda_attention.h"
#include "runtime/cuda_decode_step.h"
#include "runtime/cuda_graph.h"

namespace {

using aimicius::runtime::CudaGraph;

struct Shape {
  const char* name;
  int64_t n_q, n_k, n_v, d, aug_q;  // aug_q 0: none
};
constexpr int64_t kHidden = 2048;  // n_q * d: the query width the aug-Q MLP maps
const Shape kSigma{"sigma", 32, 4, 16, 64, 3072};
const Shape kStd{"std", 32, 16, 16, 64, 0};
constexpr int64_t kModelLayers = 26;  // Sigma-1.5B
constexpr double kCacheBudgetBytes = 40e9;

std::vector<int64_t> parse_list(const std::string& s) {
  std::vector<int64_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
  return out;
}

// Median CUDA-event time in microseconds of `replay` (3 warm-up runs, 15 timed).
double median_us(const std::function<void()>& replay) {
  for (int i = 0; i < 3; ++i) replay();
  const auto stream = at::cuda::getCurrentCUDAStream();
  std::vector<float> times;
  for (int i = 0; i < 15; ++i) {
    at::cuda::CUDAEvent start(cudaEventDefault), stop(cudaEventDefault);
    start.record(stream);
    replay();
    stop.record(stream);
    stop.synchronize();
    times.push_back(start.elapsed_time(stop) * 1000.0f);
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

double graph_us(const std::function<void()>& body) {
  CudaGraph graph;
  graph.capture(body);
  return median_us([&] { graph.replay(); });
}

double copy_bandwidth_gbs() {
  const size_t bytes = size_t{1} << 31;
  auto opts = torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA);
  torch::Tensor src = torch::ones({static_cast<int64_t>(bytes)}, opts), dst = torch::empty_like(src);
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  const double us = median_us([&] {
    if (aimicius::kernels::device_copy(src.data_ptr(), dst.data_ptr(), bytes, stream) != cudaSuccess)
      throw std::runtime_error("device_copy failed");
  });
  return 2.0 * bytes / us / 1e3;
}

// One batch size's caches and weights for one model shape.
struct Layers {
  const Shape& s;
  int64_t batch, capacity;
  std::vector<torch::Tensor> k, v;  // [batch, capacity, n, d] per layer
  torch::Tensor q_in, w_gate, w_up, w_down, k_new, v_new, q_heads;
  torch::Tensor slots_long, slots_i32, lens_i32, pos_long;
  bool fused = false;  // the runtime's fused decode step runs at this batch size
  torch::Tensor q_flat, k_flat, v_flat, inv_freq, aug_act, q_aug, none;  // the fused step's buffers
  int sms = 0;

  Layers(const Shape& shape, int64_t b, int64_t cap, int64_t layers, int sm_count)
      : s(shape), batch(b), capacity(cap), sms(sm_count) {
    const auto bf = torch::TensorOptions().dtype(torch::kBFloat16).device(torch::kCUDA);
    for (int64_t l = 0; l < layers; ++l) {
      k.push_back(torch::randn({b, cap, s.n_k, s.d}, bf));
      v.push_back(torch::randn({b, cap, s.n_v, s.d}, bf));
    }
    q_in = torch::randn({b, kHidden}, bf);
    if (s.aug_q > 0) {
      w_gate = torch::randn({s.aug_q, kHidden}, bf) * 0.02;
      w_up = torch::randn({s.aug_q, kHidden}, bf) * 0.02;
      w_down = torch::randn({kHidden, s.aug_q}, bf) * 0.02;
    }
    k_new = torch::randn({b, s.n_k, s.d}, bf);
    v_new = torch::randn({b, s.n_v, s.d}, bf);
    q_heads = torch::randn({b, s.n_q, s.d}, bf);
    const auto i64 = torch::TensorOptions().dtype(torch::kLong).device(torch::kCUDA);
    slots_long = torch::arange(b, i64);
    slots_i32 = slots_long.to(torch::kInt);
    lens_i32 = torch::zeros({b}, slots_i32.options());
    pos_long = torch::zeros({b}, i64);
    fused = aimicius::runtime::cuda_fused_decode_supported({kHidden, s.aug_q > 0 ? s.aug_q : kHidden}, b, torch::kBFloat16);
    q_flat = torch::randn({b, s.n_q * s.d}, bf);
    k_flat = k_new.reshape({b, s.n_k * s.d});
    v_flat = v_new.reshape({b, s.n_v * s.d});
    inv_freq = torch::pow(10000.0, -torch::arange(0, s.d, 2, torch::TensorOptions().dtype(torch::kDouble)) / s.d).cuda();
    if (s.aug_q > 0) aug_act = torch::empty({b, s.aug_q}, bf), q_aug = torch::empty({b, kHidden}, bf);
  }

  // The step reads context_len tokens: the new token is stored at context_len - 1.
  void set_context(int64_t context_len) {
    lens_i32.fill_(context_len);
    pos_long.fill_(context_len - 1);
  }
  void store(int64_t l) {
    if (fused) {
      aimicius::runtime::cuda_rope_append(q_flat, k_flat, v_flat, q_heads, k[l], v[l], slots_i32, lens_i32,
                                          torch::Tensor(), inv_freq);
      return;
    }
    k[l].index_put_({slots_long, pos_long}, k_new);
    v[l].index_put_({slots_long, pos_long}, v_new);
  }
  void aug_q() {
    using aimicius::runtime::ProjectionInput;
    using aimicius::runtime::ProjectionOutput;
    if (!fused) {
      torch::linear(torch::silu(torch::linear(q_in, w_gate)) * torch::linear(q_in, w_up), w_down);
      return;
    }
    aimicius::runtime::cuda_project(q_in, ProjectionInput::kPlain, none, 0.0, ProjectionOutput::kSiluGate,
                                    {{w_gate, none, aug_act}, {w_up, none, none}}, sms);
    aimicius::runtime::cuda_project(aug_act, ProjectionInput::kPlain, none, 0.0, ProjectionOutput::kStore,
                                    {{w_down, none, q_aug}}, sms);
  }
  torch::Tensor attend(int64_t l, int sms) const {
    return aimicius::runtime::cuda_decode_attention(q_heads, k[l], v[l], lens_i32, slots_i32, torch::Tensor(),
                                                    k[l].size(1), 1.0 / std::sqrt(static_cast<double>(s.d)), 0, sms);
  }
};

// Relative error of sequence 0 of layer 0 against float32 attention written with LibTorch ops.
double check_attention(Layers& m, int64_t context, int sms) {
  const torch::Tensor got = m.attend(0, sms)[0].to(torch::kFloat32);  // [n_q, d]
  const torch::Tensor q = m.q_heads[0].to(torch::kFloat32);
  const torch::Tensor k = m.k[0][0].narrow(0, 0, context).to(torch::kFloat32).repeat_interleave(m.s.n_q / m.s.n_k, 1);
  const torch::Tensor v = m.v[0][0].narrow(0, 0, context).to(torch::kFloat32).repeat_interleave(m.s.n_q / m.s.n_v, 1);
  const torch::Tensor scores = torch::einsum("hd,thd->ht", {q, k}) / std::sqrt(static_cast<double>(m.s.d));
  const torch::Tensor want = torch::einsum("ht,thd->hd", {torch::softmax(scores, -1), v});
  return ((got - want).abs().max() / want.abs().max()).item<double>();
}

struct StepCost {
  double store_us, attend_us, aug_q_us, total_us;  // per layer
};

// Per-step cost at `context`, per layer, over the model's layers.
StepCost measure_step(Layers& m, int64_t context, int sms) {
  m.set_context(context);
  const int64_t layers = static_cast<int64_t>(m.k.size());
  StepCost c{};
  c.store_us = graph_us([&] { for (int64_t l = 0; l < layers; ++l) m.store(l); }) / layers;
  c.attend_us = graph_us([&] { for (int64_t l = 0; l < layers; ++l) m.attend(l, sms); }) / layers;
  c.aug_q_us = m.s.aug_q > 0 ? graph_us([&] { for (int64_t l = 0; l < layers; ++l) m.aug_q(); }) / layers : 0.0;
  c.total_us = graph_us([&] {
                 for (int64_t l = 0; l < layers; ++l) {
                   if (m.s.aug_q > 0) m.aug_q();
                   m.store(l);
                   m.attend(l, sms);
                 }
               }) /
               layers;
  return c;
}

// Piecewise-linear cost(context) through the grid points.
double interpolate(const std::map<int64_t, double>& grid, int64_t context) {
  auto hi = grid.lower_bound(context);
  if (hi == grid.end()) return std::prev(hi)->second;
  if (hi->first == context || hi == grid.begin()) return hi->second;
  auto lo = std::prev(hi);
  const double t = static_cast<double>(context - lo->first) / static_cast<double>(hi->first - lo->first);
  return lo->second + t * (hi->second - lo->second);
}

// Device bytes that a [layers] x (K, V) cache of `tokens` tokens takes, measured.
double measured_cache_bytes(const Shape& s, int64_t tokens, int64_t layers) {
  c10::cuda::CUDACachingAllocator::emptyCache();
  size_t free_before = 0, free_after = 0, total = 0;
  cudaMemGetInfo(&free_before, &total);
  std::vector<torch::Tensor> cache;
  const auto bf = torch::TensorOptions().dtype(torch::kBFloat16).device(torch::kCUDA);
  for (int64_t l = 0; l < layers; ++l) {
    cache.push_back(torch::empty({1, tokens, s.n_k, s.d}, bf));
    cache.push_back(torch::empty({1, tokens, s.n_v, s.d}, bf));
  }
  cudaMemGetInfo(&free_after, &total);
  cache.clear();
  c10::cuda::CUDACachingAllocator::emptyCache();
  return static_cast<double>(free_before) - static_cast<double>(free_after);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> batches = {1, 16};
  int64_t max_context = 131072;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batches")) batches = parse_list(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--max-context")) max_context = std::stoll(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s (--batches, --max-context)\n", argv[i]);
      return 2;
    }
  }
  if (!torch::cuda::is_available()) {
    std::fprintf(stderr, "no CUDA device\n");
    return 2;
  }
  torch::NoGradGuard no_grad;
  torch::manual_seed(20250123);
  const int sms = aimicius::runtime::cuda_sm_count();
  const double copy_gbs = copy_bandwidth_gbs();
  std::printf("{\"kind\":\"copy\",\"bandwidth_gbs\":%.1f}\n", copy_gbs);
  std::fflush(stdout);

  // KV cache at 64k tokens, batch 1, the whole model: counted and measured.
  for (const Shape* s : {&kSigma, &kStd}) {
    const int64_t tokens = 65536;
    const double counted = static_cast<double>(kModelLayers) * tokens * (s->n_k + s->n_v) * s->d * 2;
    const double measured = measured_cache_bytes(*s, tokens, kModelLayers);
    std::printf("{\"kind\":\"kv_cache\",\"model\":\"%s\",\"tokens\":%ld,\"layers\":%ld,\"counted_bytes\":%.0f,"
                "\"measured_bytes\":%.0f}\n",
                s->name, static_cast<long>(tokens), static_cast<long>(kModelLayers), counted, measured);
  }

  std::vector<int64_t> grid = {1, 1024, 2048, 4096, 8192, 16384, 32768, 49152, 65536, 98304, 131072};
  grid.erase(std::remove_if(grid.begin(), grid.end(), [&](int64_t c) { return c > max_context; }), grid.end());
  if (grid.back() != max_context) grid.push_back(max_context);
  bool all_ok = true;

  for (int64_t batch : batches) {
    const double per_layer_bytes = static_cast<double>(batch) * max_context * (kStd.n_k + kStd.n_v) * kStd.d * 2;
    const int64_t layers = std::clamp<int64_t>(static_cast<int64_t>(kCacheBudgetBytes / per_layer_bytes), 1, kModelLayers);
    std::map<std::string, std::map<int64_t, double>> cost;  // model -> context -> total us per layer
    for (const Shape* s : {&kSigma, &kStd}) {
      Layers m(*s, batch, max_context, layers, sms);
      for (int64_t context : grid) {
        m.set_context(context);
        const double err = check_attention(m, context, sms);
        const bool ok = std::isfinite(err) && err < 2e-2;
        all_ok = all_ok && ok;
        const StepCost c = measure_step(m, context, sms);
        cost[s->name][context] = c.total_us;
        const double kv_bytes = static_cast<double>(batch) * context * (s->n_k + s->n_v) * s->d * 2;
        std::printf("{\"kind\":\"step\",\"model\":\"%s\",\"path\":\"%s\",\"batch\":%ld,\"layers\":%ld,\"context\":%ld,"
                    "\"store_us\":%.2f,\"attend_us\":%.2f,\"aug_q_us\":%.2f,\"total_us\":%.2f,\"kv_bytes\":%.0f,"
                    "\"aug_q_weight_bytes\":%ld,\"attend_fraction_of_copy\":%.3f,\"check_rel_err\":%.2e,\"check\":\"%s\"}\n",
                    s->name, m.fused ? "fused" : "ops", static_cast<long>(batch), static_cast<long>(layers),
                    static_cast<long>(context), c.store_us, c.attend_us, c.aug_q_us, c.total_us, kv_bytes,
                    static_cast<long>(3 * s->aug_q * kHidden * 2), kv_bytes / c.attend_us / 1e3 / copy_gbs, err,
                    ok ? "pass" : "FAIL");
        std::fflush(stdout);
      }
    }
    // The paper's totals: generating G tokens after a prefix of P tokens.
    for (int64_t prefix : {0, 2048, 4096, 16384, 32768, 65536})
      for (int64_t generated : {1024, 4096, 16384, 32768, 65536}) {
        if (prefix + generated > max_context) continue;
        std::map<std::string, double> ms;
        for (const auto& [name, points] : cost) {
          double sum_us = 0.0;
          for (int64_t i = 1; i <= generated; ++i) sum_us += interpolate(points, prefix + i);
          ms[name] = sum_us / 1e3;
          std::printf("{\"kind\":\"total\",\"model\":\"%s\",\"batch\":%ld,\"prefix\":%ld,\"generated\":%ld,\"ms\":%.1f}\n",
                      name.c_str(), static_cast<long>(batch), static_cast<long>(prefix), static_cast<long>(generated),
                      ms[name]);
        }
        std::printf("{\"kind\":\"ratio\",\"batch\":%ld,\"prefix\":%ld,\"generated\":%ld,\"sigma_ms\":%.1f,\"std_ms\":%.1f,"
                    "\"sigma_over_std\":%.4f,\"saving\":%.4f}\n",
                    static_cast<long>(batch), static_cast<long>(prefix), static_cast<long>(generated), ms["sigma"],
                    ms["std"], ms["sigma"] / ms["std"], 1.0 - ms["sigma"] / ms["std"]);
      }
    std::fflush(stdout);
  }
  return all_ok ? 0 : 1;
}
