// One CUDA graph of LibTorch work, behind a small interface so that only cuda_graph.cpp includes
// LibTorch's CUDA headers. Compiled only with AIMICIUS_RUNTIME_CUDA_KERNELS (LibTorch with CUDA).
//
// Invariants: capture() runs `body` once while recording it on a side stream (the recorded work is
// not executed by the capture) and may be called once; replay() then re-executes exactly that
// work on the current stream. Every tensor `body` reads or writes must keep its storage for the
// graph's lifetime (static input and output buffers); tensors `body` allocates live in the
// graph's private memory pool. capture() throws std::runtime_error when capture fails (an
// operation that cannot be captured, such as a host synchronisation), leaving nothing captured.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace aimicius::runtime {

class CudaGraph {
 public:
  CudaGraph();
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  void capture(const std::function<void()>& body);
  void replay();
  // Kernel launches recorded by capture() (the kernels one replay runs); 0 before capture.
  int kernel_count() const;
  // Device time of the replays so far (CUDA events around each; a replay still running is not
  // counted yet, and one still running when the next replay starts is never counted): with the wall
  // time of a step loop, the share the host's work adds. Timing never makes the host wait.
  struct ReplayTime {
    int64_t replays = 0;
    double seconds = 0.0;
  };
  ReplayTime replay_time() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aimicius::runtime
