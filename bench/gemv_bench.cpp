// aimicius-bench-gemv: the batch-1 matrix-vector products of a decode step (kernels/gemv.h)
// against the device's read bandwidth, alone and as the whole step's chain in a CUDA graph.
//
// Why: at batch 1 a step of Sigma-1.5B reads ~4 GB of weights through 157 gemv launches, which were
// 80% of its kernel time at 62% of copy bandwidth (docs/PERFORMANCE.md, the step profile). This
// program says how far each product and the chain are from the read ceiling. (Launch grids of one
// block per SM, or only as many blocks as the rows need, were compared on 2026-12-05: 10-13%
// slower and equal; docs/PERFORMANCE.md.)
//
// Prints JSON lines on stdout (progress and errors on stderr):
//   {"kind":"device"|"copy"|"read"|"launch", ...}  as aimicius-bench-attention prints them
//   {"kind":"gemv", ...}  one product of the model's layer (first layer's weights): median time,
//                         weight bytes, fraction of read bandwidth, and read_same_bytes_us (one
//                         read-only kernel over as many bytes, timed alike)
//   {"kind":"step", ...}  every gemv of one decode step (26 layers' own weights, then the LM head)
//                         captured in one CUDA graph with programmatic dependent launch, replayed:
//                         median time, kernels, bytes, the read floor (bytes / read bandwidth) and
//                         the fraction of it reached. Attention and RoPE are not in it: the
//                         difference to `bench generate`'s step time is theirs.
// Shapes: Sigma-1.5B and STD-1.5B (runtime/model_config.cpp presets): hidden 2048, MLP 6144,
// vocab 128256, 26 layers; Sigma's augmented Q (3072) and 4 K / 16 V heads of 64, STD's 16 / 16.
// Inputs are pseudo-random nonzero values filled on the device; each timed launch follows an L2
// scrub (bench/cuda_bench_util.h); medians of --iters (default 25).
// Exit status: 0, or 1 when a CUDA call fails.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/cuda_bench_util.h"
#include "kernels/device_checksum.h"
#include "kernels/device_fill.h"
#include "kernels/gemv.h"

namespace {

using aimicius::bench::Buffer;
using aimicius::bench::ok;
using aimicius::bench::Timer;
using aimicius::kernels::DType;
using aimicius::kernels::GemvInput;
using aimicius::kernels::GemvOutput;
using aimicius::kernels::GemvParams;

struct ModelShape {
  const char* name;
  int layers, hidden, mlp, vocab, n_q, n_k, n_v, d, aug_q;
};
const ModelShape kModels[] = {
    {"sigma-1.5b", 26, 2048, 6144, 128256, 32, 4, 16, 64, 3072},
    {"std-1.5b", 26, 2048, 6144, 128256, 32, 16, 16, 64, 0},
};

// One product of a layer: its weight matrices (stacked segments), width, input and output kind.
struct OpShape {
  const char* name;
  std::vector<int> rows;  // per segment
  int k;
  GemvInput input;
  GemvOutput output;
};

// The layer's products in the order runtime/model.cpp's fused step launches them.
std::vector<OpShape> layer_ops(const ModelShape& m) {
  std::vector<OpShape> ops;
  ops.push_back({"qkv", {m.n_q * m.d, m.n_k * m.d, m.n_v * m.d}, m.hidden, GemvInput::kRmsNorm, GemvOutput::kStore});
  if (m.aug_q > 0) {
    ops.push_back({"aug_q_gate_up", {m.aug_q, m.aug_q}, m.n_q * m.d, GemvInput::kPlain, GemvOutput::kSiluGate});
    ops.push_back({"aug_q_down", {m.n_q * m.d}, m.aug_q, GemvInput::kPlain, GemvOutput::kStore});
  }
  ops.push_back({"o_proj", {m.hidden}, m.n_q * m.d, GemvInput::kPlain, GemvOutput::kAddInto});
  ops.push_back({"gate_up", {m.mlp, m.mlp}, m.hidden, GemvInput::kRmsNorm, GemvOutput::kSiluGate});
  ops.push_back({"down", {m.hidden}, m.mlp, GemvInput::kPlain, GemvOutput::kAddInto});
  return ops;
}
OpShape lm_head_op(const ModelShape& m) {
  return {"lm_head", {m.vocab}, m.hidden, GemvInput::kRmsNorm, GemvOutput::kStoreFloat};
}

size_t weight_elems(const OpShape& op) {
  size_t n = 0;
  for (int r : op.rows) n += static_cast<size_t>(r) * op.k;
  return n;
}

int total_rows(const OpShape& op) {
  int n = 0;
  for (int r : op.rows) n += r;
  return n;
}

// Device memory of one op instance: weights (one buffer, segments back to back), an input, a norm
// gain and outputs per segment. Inputs are random; outputs are written by the product.
class OpBuffers {
 public:
  OpBuffers(const OpShape& op, DType dtype, uint64_t seed, cudaStream_t stream)
      : op_(op), weights_(weight_elems(op) * 2), x_(static_cast<size_t>(op.k) * 2), gain_(static_cast<size_t>(op.k) * 2) {
    ok(aimicius::kernels::fill_random(weights_.get(), weight_elems(op), dtype, seed, stream), "fill weights");
    ok(aimicius::kernels::fill_random(x_.get(), op.k, dtype, seed + 1, stream), "fill x");
    ok(aimicius::kernels::fill_random(gain_.get(), op.k, dtype, seed + 2, stream), "fill gain");
    for (int r : op.rows) {
      const size_t bytes = static_cast<size_t>(r) * (op.output == GemvOutput::kStoreFloat ? 4 : 2);
      outs_.push_back(std::make_unique<Buffer>(bytes));
      ok(cudaMemsetAsync(outs_.back()->get(), 0, bytes, stream), "clear out");
    }
  }
  // x: the input to read (null: this op's own random input).
  GemvParams params(DType dtype, const void* x, int sm_count) const {
    GemvParams p;
    p.dtype = dtype;
    p.batch = 1;
    p.k = op_.k;
    p.x = x ? x : x_.get();
    p.input = op_.input;
    p.norm_gain = op_.input == GemvInput::kRmsNorm ? gain_.get() : nullptr;
    p.norm_eps = 1e-6f;
    p.output = op_.output;
    p.sm_count = sm_count;
    const char* w = static_cast<const char*>(weights_.get());
    for (size_t s = 0; s < op_.rows.size(); ++s) {
      p.segments[s].weight = w;
      p.segments[s].out = outs_[s]->get();
      p.segments[s].rows = op_.rows[s];
      w += static_cast<size_t>(op_.rows[s]) * op_.k * 2;
    }
    p.n_segments = static_cast<int>(op_.rows.size());
    return p;
  }
  void* out(int s) const { return outs_[s]->get(); }
  size_t weight_bytes() const { return weights_.bytes(); }

 private:
  OpShape op_;
  Buffer weights_, x_, gain_;
  std::vector<std::unique_ptr<Buffer>> outs_;
};

}  // namespace

int main(int argc, char** argv) {
  int iters = 25;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iters" && i + 1 < argc) {
      iters = std::max(20, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--iters N (>= 20)]\n", argv[0]);
      return 2;
    }
  }
  const DType dtype = DType::kBF16;
  try {
    cudaDeviceProp prop{};
    ok(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    const int sms = prop.multiProcessorCount;
    cudaStream_t stream;
    ok(cudaStreamCreate(&stream), "cudaStreamCreate");
    Buffer flush(static_cast<size_t>(std::max(prop.l2CacheSize, 1 << 20)) * 4), sink(4);
    ok(cudaMemset(flush.get(), 1, flush.bytes()), "cudaMemset(flush)");
    const Timer timer{stream, &flush, &sink, iters};
    std::printf("{\"kind\":\"device\",\"name\":\"%s\",\"sms\":%d,\"l2_bytes\":%d,\"dtype\":\"bf16\",\"iters\":%d}\n",
                prop.name, sms, prop.l2CacheSize, iters);
    aimicius::bench::measure_copy_gbs(timer);
    const double read_gbs = aimicius::bench::measure_read_gbs(timer, dtype);

    const aimicius::bench::ReadStream read_stream(stream);
    read_stream.print_launch_row(timer);

    for (const ModelShape& m : kModels) {
      // Each product alone, on its own weights.
      std::vector<OpShape> ops = layer_ops(m);
      ops.push_back(lm_head_op(m));
      uint64_t seed = 1000;
      for (const OpShape& op : ops) {
        OpBuffers buf(op, dtype, seed += 10, stream);
        const double read_same_us = read_stream.median_us(timer, buf.weight_bytes());
        const GemvParams p = buf.params(dtype, nullptr, sms);
        const double us = timer.median_us([&] { aimicius::kernels::gemv(p, stream); });
        const double gbs = buf.weight_bytes() / us / 1e3;
        std::printf("{\"kind\":\"gemv\",\"model\":\"%s\",\"op\":\"%s\",\"rows\":%d,\"k\":%d,\"time_us\":%.2f,"
                    "\"weight_bytes\":%zu,\"bandwidth_gbs\":%.1f,\"fraction_of_read\":%.3f,\"read_same_bytes_us\":%.2f}\n",
                    m.name, op.name, total_rows(op), op.k, us, buf.weight_bytes(), gbs, gbs / read_gbs, read_same_us);
        std::fflush(stdout);
      }

      // The whole step's chain: every layer on its own weights (so nothing is served from L2), the
      // inputs as the step passes them (q into aug-Q, the residual x into the normed products).
      std::vector<std::unique_ptr<OpBuffers>> layers;
      size_t step_bytes = 0;
      const std::vector<OpShape> lops = layer_ops(m);
      for (int l = 0; l < m.layers; ++l)
        for (const OpShape& op : lops) {
          layers.push_back(std::make_unique<OpBuffers>(op, dtype, 5000 + 100 * l + layers.size(), stream));
          step_bytes += layers.back()->weight_bytes();
        }
      OpBuffers head(lm_head_op(m), dtype, 9000, stream);
      step_bytes += head.weight_bytes();
      Buffer x(static_cast<size_t>(m.hidden) * 2), attn(static_cast<size_t>(m.n_q) * m.d * 2);
      ok(aimicius::kernels::fill_random(x.get(), m.hidden, dtype, 77, stream), "fill x");
      ok(aimicius::kernels::fill_random(attn.get(), static_cast<size_t>(m.n_q) * m.d, dtype, 78, stream), "fill attn");
      ok(cudaStreamSynchronize(stream), "fill");
      cudaGraph_t graph;
      ok(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "begin capture");
      const size_t per_layer = lops.size();
      for (size_t i = 0; i < layers.size(); ++i) {
        const OpShape& op = lops[i % per_layer];
        const std::string name = op.name;
        // Where this product's input comes from in the step: x for the normed ones, q (qkv's
        // first output) for aug-Q, its activation for aug_q_down, attention's output for o_proj,
        // the MLP activation for down.
        const void* in = x.get();
        if (name == "aug_q_gate_up" || name == "aug_q_down" || name == "down") in = layers[i - 1]->out(0);
        if (name == "o_proj") in = attn.get();
        GemvParams p = layers[i]->params(dtype, in, sms);
        if (op.output == GemvOutput::kAddInto) p.segments[0].out = x.get();  // the residual
        aimicius::kernels::gemv(p, stream);
      }
      aimicius::kernels::gemv(head.params(dtype, x.get(), sms), stream);
      ok(cudaStreamEndCapture(stream, &graph), "end capture");
      cudaGraphExec_t exec;
      ok(cudaGraphInstantiate(&exec, graph, 0), "graph instantiate");
      const double us = timer.median_us([&] { ok(cudaGraphLaunch(exec, stream), "graph launch"); });
      const double floor_us = step_bytes / read_gbs / 1e3;
      std::printf("{\"kind\":\"step\",\"model\":\"%s\",\"kernels\":%zu,\"time_us\":%.1f,"
                  "\"weight_bytes\":%zu,\"read_floor_us\":%.1f,\"fraction_of_read\":%.3f}\n",
                  m.name, layers.size() + 1, us, step_bytes, floor_us, floor_us / us);
      std::fflush(stdout);
      cudaGraphExecDestroy(exec);
      cudaGraphDestroy(graph);
    }
    cudaStreamDestroy(stream);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aimicius-bench-gemv: %s\n", e.what());
    return 1;
  }
  return 0;
}
