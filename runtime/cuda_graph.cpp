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
  // Replay timing: events around the last replay (read at the next replay or gpu_seconds(), when
  // they have completed) and the sum of the replays read so far.
  cudaEvent_t start = nullptr, stop = nullptr;
  bool pending = false;
  int64_t timed_replays = 0;
  double seconds = 0.0;

  ~Impl() {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
  }
  // Adds the last replay's device time once its stop event has completed (wait: block until then).
  void collect(bool wait) {
    if (!pending) return;
    if (wait ? cudaEventSynchronize(stop) != cudaSuccess : cudaEventQuery(stop) != cudaSuccess) {
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
  // The previous replay's events: done by now in a step loop that reads each step's result, so
  // this does not wait in practice; it must not be re-recorded before it is read.
  g.collect(/*wait=*/true);
  if (!g.start) {
    if (cudaEventCreate(&g.start) != cudaSuccess || cudaEventCreate(&g.stop) != cudaSuccess)
      throw std::runtime_error("cuda graph: cudaEventCreate failed");
  }
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream().stream();
  if (cudaEventRecord(g.start, stream) != cudaSuccess) throw std::runtime_error("cuda graph: cudaEventRecord failed");
  g.graph.replay();
  if (cudaEventRecord(g.stop, stream) != cudaSuccess) throw std::runtime_error("cuda graph: cudaEventRecord failed");
  g.pending = true;
}

CudaGraph::ReplayTime CudaGraph::replay_time() const {
  impl_->collect(/*wait=*/false);
  return {impl_->timed_replays, impl_->seconds};
}

}  // namespace aimicius::runtime
