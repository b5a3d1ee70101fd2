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
  impl_->graph.replay();
}

}  // namespace aimicius::runtime
