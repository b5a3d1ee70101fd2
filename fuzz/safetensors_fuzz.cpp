// Fuzz target: a checkpoint folder's model.safetensors (8-byte header length, JSON header, data),
// opened by SafetensorsCheckpoint::open as `local:` and the trainer do.
// Fine: InputError (runtime/safetensors.h: a file that lies is refused up front). Then every
// float tensor of at most 1M elements is read whole, so a header that passed the checks but
// points outside the mapping shows up as an ASan report.
#include "common/errors.h"
#include "fuzz/fuzz_support.h"
#include "runtime/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  fuzz::write_input("model.safetensors", data, size);
  try {
    const auto ckpt = runtime::SafetensorsCheckpoint::open(fuzz::scratch());
    for (const auto& name : ckpt.names()) {
      const runtime::TensorView* view = ckpt.find(name);
      if (view && view->numel() <= (1 << 20)) (void)runtime::to_float_vector(*view);
    }
  } catch (const InputError&) {
  }
  return 0;
}
