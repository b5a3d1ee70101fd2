// Fuzz target: a checkpoint folder holding only tokenizer.model (a SentencePiece model, a
// protobuf), loaded through the SentencePiece plugin and used as fuzz/tokenizer_fuzz.h says.
// Fine: InputError naming the file. libsentencepiece itself is Debian's build (not instrumented):
// this target finds what reaches our side of it (crashes in the library, exceptions, bad ids),
// with no coverage inside it.
#include "fuzz/tokenizer_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return aimicius::fuzz::load_and_use_tokenizer("tokenizer.model", data, size);
}
