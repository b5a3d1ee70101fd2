// aimicius_sdpa_decode_bench (a benchmark program of bench/, CUDA builds): the peer of the decode
// attention kernels. Times LibTorch's at::scaled_dot_product_attention on the GQA decode shapes
// that bench/attention_bench.cpp times through the project's kernel (one query token per
// sequence; K and V [batch, kv_heads, context, d]; enable_gqa), with CUDA events, the median of
// 25 iterations after 5 warm-up ones, each after the same L2 scrub as the kernel bench (and, where
// 4+ layers' K and V fit in 1 GiB, a graph of one call per layer, as the kernel bench's graph rows), and
// prints JSON lines in the kernel bench's style so the two can be put side by side. (SDPA needs K and V with the same head count, so DiffQKV's 4 K /
// 16 V heads have no SDPA peer without copying K; the kernel bench covers that shape.)
//
//   aimicius_sdpa_decode_bench [SHAPE:BATCH:CONTEXT ...]   (LibTorch 2.5+ with CUDA; prints nothing
//   useful otherwise; the configurations named, else all)
#include <algorithm>
#include <cmath>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <torch/version.h>

#include "bench/cuda_bench_util.h"
#include "kernels/device_checksum.h"

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5)
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#define AIMICIUS_HAVE_SDPA_GQA 1
#endif

int main(int argc, char** argv) {
  // Arguments SHAPE:BATCH:CONTEXT (the kernel bench's --only names): those configurations alone.
  const std::vector<std::string> only(argv + 1, argv + argc);
#ifndef AIMICIUS_HAVE_SDPA_GQA
  std::cerr << "aimicius_sdpa_decode_bench needs LibTorch 2.5+ (enable_gqa)\n";
  return 2;
#else
  if (!torch::cuda::is_available()) {
    std::cerr << "no CUDA device\n";
    return 2;
  }
  torch::NoGradGuard no_grad;
  struct Shape {
    const char* name;
    int64_t n_q, n_kv, d;
  };
  const std::vector<Shape> shapes = {{"gqa_std", 32, 16, 64}, {"gqa_d128", 32, 8, 128}};
  const auto opts = torch::TensorOptions().dtype(torch::kBFloat16).device(torch::kCUDA);
  // As the kernel bench does: before each timed launch, read a buffer 4x the L2 so that small
  // caches are not served from L2 and no dirty lines are left to write back.
  int device = 0, l2_bytes = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, device);
  const torch::Tensor flush = torch::ones({std::max<int64_t>(l2_bytes, 1 << 20) * 4}, opts.dtype(torch::kUInt8));
  const torch::Tensor sink = torch::zeros({1}, opts.dtype(torch::kInt));
  auto scrub_l2 = [&](cudaStream_t stream) {
    if (aimicius::kernels::device_xor_checksum(flush.data_ptr(), flush.numel(), static_cast<uint32_t*>(sink.data_ptr()),
                                               stream) != cudaSuccess)
      throw std::runtime_error("L2 scrub failed");
  };
  // As the kernel bench's graph rows: one call per layer, each on its own K and V, back to back in
  // one CUDA graph captured on a side stream (the same count of layers), the median of 25 replays
  // after 3 warm-up ones, each after the scrub, divided by the layers.
  auto graph_time_us = [&](const torch::Tensor& q, int layers, int64_t batch, int64_t n_kv, int64_t context,
                           int64_t d) {
    const torch::Tensor lk = torch::randn({layers, batch, n_kv, context, d}, opts);
    const torch::Tensor lv = torch::randn({layers, batch, n_kv, context, d}, opts);
    torch::cuda::synchronize();  // made on the default stream
    const c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool();
    c10::cuda::CUDAStreamGuard guard(side);
    auto layer_calls = [&] {
      for (int i = 0; i < layers; ++i)
        at::scaled_dot_product_attention(q, lk[i], lv[i], {}, 0.0, false, std::nullopt, /*enable_gqa=*/true);
    };
    layer_calls();  // warm-up outside the capture (kernel selection, workspaces)
    side.synchronize();
    at::cuda::CUDAGraph graph;
    graph.capture_begin();
    layer_calls();
    graph.capture_end();
    std::vector<float> times;
    for (int i = 0; i < 28; ++i) {
      scrub_l2(side);
      at::cuda::CUDAEvent start(cudaEventDefault), stop(cudaEventDefault);
      start.record(side);
      graph.replay();
      stop.record(side);
      stop.synchronize();
      if (i >= 3) times.push_back(start.elapsed_time(stop) * 1000.0f / layers);
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    return static_cast<double>(times[times.size() / 2]);
  };
  bool graphs = true;
  for (const Shape& s : shapes)
    for (int64_t batch : {1, 8, 64})
      for (int64_t context : {4096, 32768, 131072}) {
        const std::string name = std::string(s.name) + ":" + std::to_string(batch) + ":" + std::to_string(context);
        if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
        const torch::Tensor q = torch::randn({batch, s.n_q, 1, s.d}, opts);
        const torch::Tensor k = torch::randn({batch, s.n_kv, context, s.d}, opts);
        const torch::Tensor v = torch::randn({batch, s.n_kv, context, s.d}, opts);
        auto run = [&] {
          return at::scaled_dot_product_attention(q, k, v, {}, 0.0, false, std::nullopt, /*enable_gqa=*/true);
        };
        // Correctness first: sequence 0 against the same attention written as plain ops in float32
        // (all sequences would need the K/V expanded to every Q head in float32: 68 GB at 64 x 128k).
        const torch::Tensor got = run()[0].to(torch::kFloat32);
        const torch::Tensor kf = k[0].to(torch::kFloat32).repeat_interleave(s.n_q / s.n_kv, 0);
        const torch::Tensor vf = v[0].to(torch::kFloat32).repeat_interleave(s.n_q / s.n_kv, 0);
        const torch::Tensor p = torch::softmax(torch::matmul(q[0].to(torch::kFloat32), kf.transpose(-1, -2)) /
                                                   std::sqrt(static_cast<double>(s.d)),
                                               -1);
        const double err = (got - torch::matmul(p, vf)).abs().max().item<double>();
        for (int i = 0; i < 5; ++i) run();
        std::vector<float> times;
        const auto stream = at::cuda::getCurrentCUDAStream();
        for (int i = 0; i < 25; ++i) {
          scrub_l2(stream);
          at::cuda::CUDAEvent start(cudaEventDefault), stop(cudaEventDefault);
          start.record(stream);
          run();
          stop.record(stream);
          stop.synchronize();
          times.push_back(start.elapsed_time(stop) * 1000.0f);  // microseconds
        }
        std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
        const double us = times[times.size() / 2];
        const double bytes = 2.0 * batch * s.n_kv * context * s.d * 2;  // K + V, bf16
        const int layers = graphs ? aimicius::bench::graph_layers(bytes) : 0;
        double graph_us = NAN;
        if (layers > 0) {
          try {
            graph_us = graph_time_us(q, layers, batch, s.n_kv, context, s.d);
          } catch (const std::exception& e) {  // the plain rows still stand; no more graph rows
            std::cerr << "aimicius_sdpa_decode_bench: no graph rows from " << s.name << " " << batch << " / "
                      << context << " on: " << e.what() << "\n";
            graphs = false;
          }
        }
        std::cout << "{\"kind\":\"sdpa_decode\",\"shape\":\"" << s.name << "\",\"batch\":" << batch
                  << ",\"context\":" << context << ",\"max_abs_err\":" << err << ",\"time_us\":" << us
                  << ",\"kv_bytes\":" << static_cast<int64_t>(bytes) << ",\"bandwidth_gbs\":" << bytes / us / 1e3
                  << ",\"graph_layers\":" << layers << ",\"graph_time_us\":";
        if (std::isnan(graph_us)) std::cout << "null";
        else std::cout << graph_us;
        std::cout << "}" << std::endl;
      }
  return 0;
#endif
}
