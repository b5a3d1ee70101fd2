// Fuzz target: a GGUF checkpoint (local:FILE.gguf), opened by GgufFile::open as the runtime does,
// then read as a model config and a tokenizer from its metadata.
// Fine: InputError (runtime/gguf/gguf_file.h: every count, offset and shape is checked against
// the file before use). Then every tensor of at most 64K elements is dequantised whole, so a header
// that passed the checks but points outside the mapping shows up as an ASan report (larger tensors
// cost milliseconds a run under ASan and take no other path).
// Seeds (fuzz/corpus/gguf/): small valid files from tests/runtime/gguf_test_writer.h (metadata of
// every type, F32 and quantised tensors, a tiny gpt2 tokenizer) and truncations of them.
#include "common/errors.h"
#include "fuzz/fuzz_support.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/gguf/gguf_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  fuzz::write_input("model.gguf", data, size);
  try {
    const auto file = runtime::gguf::GgufFile::open(fuzz::scratch() / "model.gguf");
    for (const auto& t : file->tensors())
      if (t.numel() <= (1 << 16)) (void)file->to_float(t);
    try {
      (void)runtime::gguf::gguf_model_config(*file);
    } catch (const InputError&) {
    }
    (void)runtime::gguf::gguf_tokenizer(*file);
  } catch (const InputError&) {
  }
  return 0;
}
