// What follows attention in a decode step, for aimicius-bench-attention's "step" rows: per layer one
// matrix-vector product (kernels/gemv.h, launched with programmatic dependent launch as the fused
// step launches it) that reads the attention's output and its own `bytes_per_layer` of weights
// (about one 1.5B-model layer: o_proj, the MLP and the next layer's QKV).
//
// Why: a launch per layer in a graph of attention alone (the bench's graph rows) has each attention
// follow another attention. In the real step it follows, and is followed by, streams of weight
// reads, which overlap its prologue (the first K/V copies before the PDL wait) and its tail (the
// combine). Two changes (session 49's early trigger of the combine, session 50's units of two K
// heads) won in the step and lost in the attention-only graph. The graph of attention + follower
// per layer, less the graph of the follower alone, is what attention adds to a step.
//
// Invariant: every layer has its own weights (so no layer is read from L2); the follower only
// reads its x (the attention output) and writes its own buffer, so the attention launches are the
// ones the bench's graph rows checked against the reference.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/cuda_bench_util.h"
#include "kernels/device_fill.h"
#include "kernels/gemv.h"

namespace aimicius::bench {

class StepFollower {
 public:
  // k: the attention output's width a sequence (n_q x d_v, a multiple of 8); batch at most
  // kernels::kMaxGemvBatch.
  StepFollower(int layers, int batch, int k, size_t bytes_per_layer, kernels::DType dtype, int sm_count,
               cudaStream_t stream)
      : rows_(static_cast<int>(std::max<size_t>(1, bytes_per_layer / (static_cast<size_t>(k) * 2)))),
        x_(static_cast<size_t>(batch) * k * 2),
        out_(static_cast<size_t>(batch) * rows_ * 2),
        stream_(stream) {
    if (layers < 1 || batch < 1 || batch > kernels::kMaxGemvBatch || k % 8 != 0)
      throw std::invalid_argument("StepFollower: " + std::to_string(layers) + " layers, batch " +
                                  std::to_string(batch) + ", k " + std::to_string(k) + " not supported");
    params_.dtype = dtype;
    params_.batch = batch;
    params_.k = k;
    params_.sm_count = sm_count;
    params_.n_segments = 1;
    params_.segments[0].rows = rows_;
    params_.segments[0].out = out_.get();
    const size_t elems = static_cast<size_t>(rows_) * k;
    for (int l = 0; l < layers; ++l) {
      weights_.push_back(std::make_unique<Buffer>(elems * 2));
      ok(kernels::fill_random(weights_.back()->get(), elems, dtype, 700 + l, stream), "fill follower weights");
    }
    ok(kernels::fill_random(x_.get(), static_cast<size_t>(batch) * k, dtype, 699, stream), "fill follower x");
    ok(cudaStreamSynchronize(stream), "fill follower");
  }

  int layers() const { return static_cast<int>(weights_.size()); }
  size_t bytes_per_layer() const { return static_cast<size_t>(rows_) * params_.k * 2; }

  // Layer `layer`'s product of x (device, [batch, k]; null: the follower's own input).
  void launch(int layer, const void* x) const {
    kernels::GemvParams p = params_;
    p.x = x ? x : x_.get();
    p.segments[0].weight = weights_.at(layer)->get();
    kernels::gemv(p, stream_);
  }

  // Median time a layer of a graph of the products alone, back to back, timed as graph_median_us.
  double graph_alone_us(const Timer& timer) const {
    return graph_median_us(timer, [&] {
             for (int l = 0; l < layers(); ++l) launch(l, nullptr);
           }) / layers();
  }

 private:
  int rows_;
  Buffer x_, out_;
  std::vector<std::unique_ptr<Buffer>> weights_;
  kernels::GemvParams params_;
  cudaStream_t stream_;
};

}  // namespace aimicius::bench
