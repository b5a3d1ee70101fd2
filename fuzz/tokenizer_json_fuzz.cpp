// Fuzz target: a checkpoint folder holding only tokenizer.json (byte-level BPE), loaded and used
// as fuzz/tokenizer_fuzz.h says. Fine: InputError naming the file.
#include "fuzz/tokenizer_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return aimicius::fuzz::load_and_use_tokenizer("tokenizer.json", data, size);
}
