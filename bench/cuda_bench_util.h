// What the CUDA kernel benchmarks (aimicius-bench-attention, aimicius-bench-gemv) share: checked
// CUDA calls, an owning device buffer, the timer (each launch timed alone with CUDA events after the
// L2 is scrubbed, median of `iters`), and the two references every kernel figure is quoted against,
// copy and read-only bandwidth of 2 GiB, printed as JSON lines.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/attention_params.h"
#include "kernels/device_checksum.h"
#include "kernels/device_copy.h"
#include "kernels/device_fill.h"

namespace aimicius::bench {

inline void ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

class Buffer {
 public:
  explicit Buffer(size_t bytes) : bytes_(bytes) {
    if (bytes) ok(cudaMalloc(&p_, bytes), ("cudaMalloc " + std::to_string(bytes)).c_str());
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() {
    if (p_) cudaFree(p_);
  }
  void* get() const { return p_; }
  size_t bytes() const { return bytes_; }

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

struct Timer {
  cudaStream_t stream;
  Buffer* flush;
  Buffer* sink;  // the scrub's 4-byte checksum
  int iters;

  // Median time in microseconds of `launch`, each run timed alone after the L2 is scrubbed.
  double median_us(const std::function<void()>& launch) const {
    for (int i = 0; i < 3; ++i) launch();
    std::vector<cudaEvent_t> ev(2 * iters);
    for (auto& e : ev) ok(cudaEventCreate(&e), "cudaEventCreate");
    for (int i = 0; i < iters; ++i) {
      // Read (not write) a buffer 4x the L2: the timed launch then finds clean lines to evict,
      // not dirty ones whose write-back it would pay for.
      if (flush)
        ok(kernels::device_xor_checksum(flush->get(), flush->bytes(), static_cast<uint32_t*>(sink->get()), stream),
           "L2 scrub");
      ok(cudaEventRecord(ev[2 * i], stream), "cudaEventRecord");
      launch();
      ok(cudaEventRecord(ev[2 * i + 1], stream), "cudaEventRecord");
    }
    ok(cudaStreamSynchronize(stream), "timing run");
    std::vector<double> t(iters);
    for (int i = 0; i < iters; ++i) {
      float ms = 0;
      ok(cudaEventElapsedTime(&ms, ev[2 * i], ev[2 * i + 1]), "cudaEventElapsedTime");
      t[i] = ms * 1000.0;
    }
    for (auto& e : ev) cudaEventDestroy(e);
    std::sort(t.begin(), t.end());
    return t[iters / 2];
  }
};

// Median time in microseconds of one replay of a CUDA graph captured from `body` on timer.stream
// (e.g. one decode-attention launch per layer of a model, back to back as a decode step's graph
// runs them: launch costs overlap the kernel before, which a launch timed alone cannot show), each
// replay timed alone after the L2 scrub.
inline double graph_median_us(const Timer& timer, const std::function<void()>& body) {
  cudaGraph_t graph = nullptr;
  ok(cudaStreamBeginCapture(timer.stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
  try {
    body();
  } catch (...) {
    cudaStreamEndCapture(timer.stream, &graph);
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  ok(cudaStreamEndCapture(timer.stream, &graph), "cudaStreamEndCapture");
  cudaGraphExec_t exec = nullptr;
  const cudaError_t made = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  ok(made, "cudaGraphInstantiate");
  double us = 0;
  try {
    us = timer.median_us([&] { ok(cudaGraphLaunch(exec, timer.stream), "cudaGraphLaunch"); });
  } catch (...) {
    cudaGraphExecDestroy(exec);
    throw;
  }
  cudaGraphExecDestroy(exec);
  return us;
}

// Layers of one configuration for graph_median_us: how many copies of `bytes` a graph walks, one
// after another, so that no layer is read from L2 and all fit in 1 GiB; 0 (no graph row) when fewer
// than 4 fit, where one launch's fixed cost is a small part of the time anyway.
inline int graph_layers(double bytes) {
  const double fit = static_cast<double>(size_t{1} << 30) / bytes;
  return fit < 4 ? 0 : static_cast<int>(std::min(fit, 32.0));
}

// Copy bandwidth of 2 GiB (bytes read + bytes written per second, GB/s), printed as a "copy" row.
inline double measure_copy_gbs(const Timer& timer) {
  const size_t bytes = size_t{2} << 30;
  Buffer src(bytes), dst(bytes);
  ok(cudaMemset(src.get(), 1, bytes), "memset");
  const double us =
      timer.median_us([&] { ok(kernels::device_copy(src.get(), dst.get(), bytes, timer.stream), "device_copy"); });
  const double gbs = 2.0 * bytes / us / 1e3;
  std::printf("{\"kind\":\"copy\",\"bytes\":%zu,\"time_us\":%.1f,\"bandwidth_gbs\":%.1f,"
              "\"note\":\"read+write bytes per second\"}\n",
              bytes, us, gbs);
  std::fflush(stdout);
  return gbs;
}

// Read bandwidth of 2 GiB (a read-only stream: the ceiling of a kernel that only reads, as decode
// attention and matrix-vector products do), printed as a "read" row.
inline double measure_read_gbs(const Timer& timer, kernels::DType dtype) {
  const size_t bytes = size_t{2} << 30;
  Buffer src(bytes), sum(4);
  ok(kernels::fill_random(src.get(), bytes / 2, dtype, 4, timer.stream), "fill");
  const double us = timer.median_us([&] {
    ok(kernels::device_xor_checksum(src.get(), bytes, static_cast<uint32_t*>(sum.get()), timer.stream),
       "device_xor_checksum");
  });
  const double gbs = bytes / us / 1e3;
  std::printf("{\"kind\":\"read\",\"bytes\":%zu,\"time_us\":%.1f,\"bandwidth_gbs\":%.1f,"
              "\"note\":\"read-only stream, bytes read per second\"}\n",
              bytes, us, gbs);
  std::fflush(stdout);
  return gbs;
}

// The read-only reference beside each kernel figure: one streaming kernel (device_read_stream,
// several 16-byte loads in flight per thread on every SM) over as many bytes as the kernel reads,
// up to 1 GiB, timed like it ("read same bytes"); at 64 bytes, the fixed cost of one launch.
class ReadStream {
 public:
  explicit ReadStream(cudaStream_t stream) : src_(size_t{1} << 30), sink_(4), stream_(stream) {
    ok(cudaMemset(src_.get(), 1, src_.bytes()), "memset");
  }
  size_t max_bytes() const { return src_.bytes(); }
  // Median time of one read of `bytes` (rounded down to 64; at most max_bytes()).
  double median_us(const Timer& timer, size_t bytes) const {
    return timer.median_us([&] {
      ok(kernels::device_read_stream(src_.get(), bytes / 64 * 64, static_cast<uint32_t*>(sink_.get()), stream_),
         "device_read_stream");
    });
  }
  // Median time of one graph of `layers` reads of `bytes` each, from consecutive regions (so no
  // read is served from L2; layers x bytes at most max_bytes()), divided by `layers`.
  double graph_median_us(const Timer& timer, size_t bytes, int layers) const {
    const size_t each = bytes / 256 * 256;
    if (layers < 1 || each * layers > src_.bytes()) throw std::invalid_argument("ReadStream: layers do not fit");
    return bench::graph_median_us(timer, [&] {
      for (int i = 0; i < layers; ++i)
        ok(kernels::device_read_stream(static_cast<const char*>(src_.get()) + i * each, each,
                                       static_cast<uint32_t*>(sink_.get()), stream_),
           "device_read_stream");
    }) / layers;
  }
  // Prints the "launch" row (a 64-byte read timed alone) and returns its time.
  double print_launch_row(const Timer& timer) const {
    const double us = median_us(timer, 64);
    std::printf("{\"kind\":\"launch\",\"time_us\":%.2f,\"note\":\"one kernel reading 64 bytes, timed alone\"}\n", us);
    std::fflush(stdout);
    return us;
  }

 private:
  Buffer src_, sink_;
  cudaStream_t stream_;
};

}  // namespace aimicius::bench
