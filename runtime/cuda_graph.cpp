#include "runtime/cuda_graph.h"

#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace aimicius::runtime {

struct CudaGraph::Impl {
  at::cuda::CUDAGraph graph;
  bool captured = false;
  int kernels = 0;
  // Replay timing: events around the last replay (read at the next replay or replay_time(), if
  // they have completed) and the sum of the replays read so far.
  cudaEvent_t start = nullptr, stop = nullptr;
  bool pending = false;
  int64_t timed_replays = 0;
  double seconds = 0.0;

  ~Impl() {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
  }
  // Adds the last replay's device time if its stop event has completed.
  void collect() {
    if (!pending) return;
    if (cudaEventQuery(stop) != cudaSuccess) {
      (void)cudaGetLastError();  // not ready yet (cudaErrorNotReady is not a sticky error)
      return;
    }
    float ms = 0.0f;
    if (cudaEventElapsedTime(&ms, start, stop) == cudaSuccess) {
      seconds += ms / 1e3;
      ++timed_replays;
    }
    pending = false;
  }
};

namespace {

// Kernel nodes of the graph being captured on `stream` (LibTorch's CUDAGraph keeps no graph to
// ask after capture_end, so this asks CUDA just before it).
int captured_kernels(cudaStream_t stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  cudaGraph_t graph = nullptr;
  if (cudaStreamGetCaptureInfo(stream, &status, nullptr, &graph) != cudaSuccess || !graph) return 0;
  size_t n = 0;
  if (cudaGraphGetNodes(graph, nullptr, &n) != cudaSuccess) return 0;
  std::vector<cudaGraphNode_t> nodes(n);
  if (cudaGraphGetNodes(graph, nodes.data(), &n) != cudaSuccess) return 0;
  int kernels = 0;
  for (cudaGraphNode_t node : nodes) {
    cudaGraphNodeType type;
    if (cudaGraphNodeGetType(node, &type) == cudaSuccess && type == cudaGraphNodeTypeKernel) ++kernels;
  }
  return kernels;
}

}  // namespace

CudaGraph::CudaGraph() : impl_(std::make_unique<Impl>()) {}
CudaGraph::~CudaGraph() = default;

void CudaGraph::capture(const std::function<void()>& body) {
  if (impl_->captured) throw std::logic_error("CudaGraph::capture called twice");
  // Capture needs a stream other than the legacy default one; the work queued so far on the
  // current stream must be done first (it fills the buffers the graph reads).
  cudaError_t err = cudaDeviceSynchronize();
  if (err != cudaSuccess) throw std::runtime_error(fmt::format("cuda graph: {}", cudaGetErrorString(err)));
  const at::cuda::CUDAStream side = at::cuda::getStreamFromPool();
  try {
    c10::cuda::CUDAStreamGuard guard(side);
    // Thread-local capture: other threads of the process (scoring, the sandbox) are not affected.
    impl_->graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
    try {
      body();
      impl_->kernels = captured_kernels(side.stream());
    } catch (...) {
      try {
        impl_->graph.capture_end();
      } catch (...) {
      }
      throw;
    }
    impl_->graph.capture_end();
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("cuda graph capture failed: {}", e.what()));
  }
  err = cudaDeviceSynchronize();
  if (err != cudaSuccess) throw std::runtime_error(fmt::format("cuda graph: {}", cudaGetErrorString(err)));
  impl_->captured = true;
}

int CudaGraph::kernel_count() const { return impl_->kernels; }

void CudaGraph::replay() {
  if (!impl_->captured) throw std::logic_error("CudaGraph::replay before capture");
  Impl& g = *impl_;
  // The previous replay's events, read if it has ended (in a step loop that reads each step's
  // result it has); one still running is not waited for: its time is not counted, and the events
  // are recorded again for this replay.
  g.collect();
  g.pending = false;
  const auto check = [](cudaError_t err, const char* what) {
    if (err != cudaSuccess) throw std::runtime_error(fmt::format("cuda graph: {}: {}", what, cudaGetErrorString(err)));
  };
  if (!g.start) check(cudaEventCreate(&g.start), "cudaEventCreate");
  if (!g.stop) check(cudaEventCreate(&g.stop), "cudaEventCreate");
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream().stream();
  check(cudaEventRecord(g.start, stream), "cudaEventRecord");
  g.graph.replay();
  check(cudaEventRecord(g.stop, stream), "cudaEventRecord");
  g.pending = true;
}

CudaGraph::ReplayTime CudaGraph::replay_time() const {
  impl_->collect();
  return {impl_->timed_replays, impl_->seconds};
}

}  // namespace aimicius::runtime
