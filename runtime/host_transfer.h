// A small device tensor's copy to the host, started now and waited for later, on its own.
//
// On a CUDA device the copy goes into page-locked memory, queued on the current stream, and an
// event is recorded behind it: wait() blocks until that copy (and the work queued before it) is
// done, not until the device is idle, so work queued after the copy keeps the device busy while
// the host reads the values (LocalModel's decode ahead). On the CPU the "copy" is the tensor
// itself, ready at once. Not thread-safe; one wait() or many, the result is the same tensor.
#pragma once

#include <memory>

#include <torch/torch.h>

namespace aimicius::runtime {

class HostTransfer {
 public:
  explicit HostTransfer(const torch::Tensor& tensor);
  ~HostTransfer();
  HostTransfer(HostTransfer&&) noexcept;
  HostTransfer& operator=(HostTransfer&&) noexcept;

  // The tensor's values on the host (contiguous), once the copy has landed.
  const torch::Tensor& wait();

 private:
  struct Event;
  torch::Tensor host_;
  std::unique_ptr<Event> event_;  // null on the CPU, and after wait()
};

}  // namespace aimicius::runtime
