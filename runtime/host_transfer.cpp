#include "runtime/host_transfer.h"

#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#endif


namespace aimicius::runtime {

#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
struct HostTransfer::Event {
  at::cuda::CUDAEvent event;
};
#else
struct HostTransfer::Event {};
#endif

HostTransfer::HostTransfer(const torch::Tensor& tensor) {
  if (tensor.device().is_cpu()) {
    host_ = tensor.contiguous();
    return;
  }
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  if (tensor.device().is_cuda()) {
    // LibTorch's caching host allocator keeps the page-locked block until the copy is done.
    host_ = torch::empty(tensor.sizes(), tensor.options().device(torch::kCPU).pinned_memory(true));
    host_.copy_(tensor, /*non_blocking=*/true);
    event_ = std::make_unique<Event>();
    event_->event.record(at::cuda::getCurrentCUDAStream(tensor.device().index()));
    return;
  }
#endif
  host_ = tensor.to(torch::kCPU).contiguous();  // any other device: a plain, blocking copy
}

HostTransfer::~HostTransfer() = default;
HostTransfer::HostTransfer(HostTransfer&&) noexcept = default;
HostTransfer& HostTransfer::operator=(HostTransfer&&) noexcept = default;

const torch::Tensor& HostTransfer::wait() {
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  if (event_) {
    event_->event.synchronize();
    event_.reset();
  }
#endif
  return host_;
}

}  // namespace aimicius::runtime
