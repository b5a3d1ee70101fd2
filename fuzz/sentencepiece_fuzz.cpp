// Fuzz target: a checkpoint folder holding only tokenizer.model (a SentencePiece model, a
// protobuf), read by load_tokenizer through the SentencePiece plugin, then a fixed text encoded
// and decoded and every id up to vocab_size() decoded. Fine: InputError naming the file.
// libsentencepiece itself is Debian's build (not instrumented): this target finds what reaches
// our side of it (crashes in the library, exceptions, bad ids), with no coverage inside it.
#include "common/errors.h"
#include "fuzz/fuzz_support.h"
#include "runtime/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  fuzz::write_input("tokenizer.model", data, size);
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
