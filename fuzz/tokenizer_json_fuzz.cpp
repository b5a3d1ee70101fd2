// Fuzz target: a checkpoint folder holding only tokenizer.json, read by load_tokenizer
// (runtime/tokenizer/tokenizer.h), then used: a fixed text is encoded and decoded, and every
// id up to vocab_size() is decoded, since a loaded tokenizer must answer any id.
// Fine: InputError naming the file.
#include "common/errors.h"
#include "fuzz/fuzz_support.h"
#include "runtime/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  fuzz::write_input("tokenizer.json", data, size);
  try {
    const auto tok = runtime::load_tokenizer(fuzz::scratch());
    const auto ids = tok->encode("nvidia-smi -q -d MEMORY | grep 'Used' # ünïcödé 12345\n", true);
    (void)tok->decode(ids, false);
    std::vector<int32_t> all;
    for (int32_t id = -1; id <= tok->vocab_size() && id < 4096; ++id) all.push_back(id);
    (void)tok->decode(all, true);
  } catch (const InputError&) {
  }
  return 0;
}
