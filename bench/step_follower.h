// What surrounds attention in a decode step, for aimicius-bench-attention's "step" rows: per layer one
// matrix-vector product (kernels/gemv.h, launched with programmatic dependent launch as the fused
// step launches it) that reads the attention's output and its own `bytes_per_layer` of weights
// (about one 1.5B-model layer: o_proj, the MLP and the next layer's QKV), then the step's RoPE and
// cache-append kernel (kernels/rope_append.h) on the follower's own one-token cache, which is what
// the next attention launch follows in the step.
//
// Why: a launch per layer in a graph of attention alone (the bench's graph rows) has each attention
// follow another attention. In the real step it follows, and is followed by, streams of weight
// reads, which overlap its prologue (the first K/V copies before the PDL wait) and its tail (the
// combine). Two changes (session 49's early trigger of the combine, session 50's units of two K
// heads) won in the step and lost in the attention-only graph. The graph of attention + follower
// per layer, less the graph of the follower alone, is what attention adds to a step.
//
// Why the RoPE/append kernel: it decides when the attention may be scheduled. By default it lets
// the next grid launch only after its wait for the product (the step's default, rope_append.h),
// so attention's blocks never sit beside the product's. Without it (session 47-53's rows) the
// product's early trigger scheduled attention beside it, as `--early-attention-launch` does, and
// the rows then favoured plans that the default step ran slower (docs/PERFORMANCE.md, session 54).
//
// Invariant: every layer has its own weights (so no layer is read from L2); the follower only
// reads its x (the attention output) and writes its own buffers (its product's output and its
// one-token cache), so the attention launches are the ones the bench's graph rows checked against
// the reference.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/cuda_bench_util.h"
#include "kernels/attention_params.h"
#include "kernels/device_fill.h"
#include "kernels/gemv.h"
#include "kernels/rope_append.h"

namespace aimicius::bench {

class StepFollower {
 public:
  // shape: the attention's dtype, batch (at most kernels::kMaxGemvBatch) and heads (n_q x d_v a
  // multiple of 8); its pointers are not used. attention_early: the RoPE/append kernel lets the
  // next launch be scheduled before its wait (RopeAppendParams::launch_next_early, the step's
  // `--early-attention-launch`).
  StepFollower(const kernels::DecodeAttentionParams& shape, int layers, size_t bytes_per_layer, int sm_count,
               bool attention_early, cudaStream_t stream)
      : k_(shape.n_q * shape.d_v),
        rows_(static_cast<int>(std::max<size_t>(1, bytes_per_layer / (static_cast<size_t>(k_) * 2)))),
        x_(static_cast<size_t>(shape.batch) * k_ * 2),
        out_(static_cast<size_t>(shape.batch) * rows_ * 2),
        q_(static_cast<size_t>(shape.batch) * shape.n_q * shape.d_k * 2),
        k_in_(static_cast<size_t>(shape.batch) * shape.n_k * shape.d_k * 2),
        v_in_(static_cast<size_t>(shape.batch) * shape.n_v * shape.d_v * 2),
        q_out_(q_.bytes()),
        k_cache_(k_in_.bytes()),
        v_cache_(v_in_.bytes()),
        slots_(static_cast<size_t>(shape.batch) * sizeof(int32_t)),
        lens_(slots_.bytes()),
        inv_freq_(static_cast<size_t>(shape.d_k / 2) * sizeof(double)),
        stream_(stream) {
    const int batch = shape.batch;
    if (layers < 1 || batch < 1 || batch > kernels::kMaxGemvBatch || k_ % 8 != 0)
      throw std::invalid_argument("StepFollower: " + std::to_string(layers) + " layers, batch " +
                                  std::to_string(batch) + ", k " + std::to_string(k_) + " not supported");
    params_.dtype = shape.dtype;
    params_.batch = batch;
    params_.k = k_;
    params_.sm_count = sm_count;
    params_.n_segments = 1;
    params_.segments[0].rows = rows_;
    params_.segments[0].out = out_.get();
    const size_t elems = static_cast<size_t>(rows_) * k_;
    for (int l = 0; l < layers; ++l) {
      weights_.push_back(std::make_unique<Buffer>(elems * 2));
      ok(kernels::fill_random(weights_.back()->get(), elems, shape.dtype, 700 + l, stream), "fill follower weights");
    }
    ok(kernels::fill_random(x_.get(), static_cast<size_t>(batch) * k_, shape.dtype, 699, stream), "fill follower x");
    for (Buffer* b : {&q_, &k_in_, &v_in_})
      ok(kernels::fill_random(b->get(), b->bytes() / 2, shape.dtype, 698, stream), "fill follower q, k, v");
    // Sequence b appends its token at position 0 of its own one-token slot b.
    std::vector<int32_t> slots(batch), lens(batch, 1);
    for (int b = 0; b < batch; ++b) slots[b] = b;
    std::vector<double> inv_freq(shape.d_k / 2);
    for (size_t j = 0; j < inv_freq.size(); ++j) inv_freq[j] = std::pow(10000.0, -2.0 * j / shape.d_k);
    ok(cudaMemcpyAsync(slots_.get(), slots.data(), slots_.bytes(), cudaMemcpyHostToDevice, stream), "copy slots");
    ok(cudaMemcpyAsync(lens_.get(), lens.data(), lens_.bytes(), cudaMemcpyHostToDevice, stream), "copy lengths");
    ok(cudaMemcpyAsync(inv_freq_.get(), inv_freq.data(), inv_freq_.bytes(), cudaMemcpyHostToDevice, stream),
       "copy inv_freq");
    rope_.dtype = shape.dtype;
    rope_.batch = batch;
    rope_.n_q = shape.n_q, rope_.n_k = shape.n_k, rope_.n_v = shape.n_v;
    rope_.d_k = shape.d_k, rope_.d_v = shape.d_v;
    rope_.capacity = 1;
    rope_.q = q_.get(), rope_.k = k_in_.get(), rope_.v = v_in_.get();
    rope_.q_out = q_out_.get(), rope_.k_cache = k_cache_.get(), rope_.v_cache = v_cache_.get();
    rope_.slots = static_cast<const int32_t*>(slots_.get());
    rope_.context_lens = static_cast<const int32_t*>(lens_.get());
    rope_.inv_freq = static_cast<const double*>(inv_freq_.get());
    rope_.launch_next_early = attention_early;
    const std::string bad = kernels::validate_rope_append_params(rope_);
    if (!bad.empty()) throw std::invalid_argument("StepFollower: " + bad);
    ok(cudaStreamSynchronize(stream), "fill follower");
  }

  int layers() const { return static_cast<int>(weights_.size()); }
  size_t bytes_per_layer() const { return static_cast<size_t>(rows_) * params_.k * 2; }

  // Layer `layer`'s product of x (device, [batch, k]; null: the follower's own input), then the
  // RoPE/append kernel that the next attention launch follows.
  void launch(int layer, const void* x) const {
    kernels::GemvParams p = params_;
    p.x = x ? x : x_.get();
    p.segments[0].weight = weights_.at(layer)->get();
    kernels::gemv(p, stream_);
    kernels::rope_append(rope_, stream_);
  }

  // Median time a layer of a graph of the follower alone, back to back, timed as graph_median_us.
  double graph_alone_us(const Timer& timer) const {
    return graph_median_us(timer, [&] {
             for (int l = 0; l < layers(); ++l) launch(l, nullptr);
           }) / layers();
  }

 private:
  int k_, rows_;
  Buffer x_, out_;
  Buffer q_, k_in_, v_in_, q_out_, k_cache_, v_cache_, slots_, lens_, inv_freq_;  // the RoPE/append kernel's
  std::vector<std::unique_ptr<Buffer>> weights_;
  kernels::GemvParams params_;
  kernels::RopeAppendParams rope_;
  cudaStream_t stream_;
};

}  // namespace aimicius::bench
