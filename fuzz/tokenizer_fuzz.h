// The body the two tokenizer targets share (tokenizer_json_fuzz.cpp, sentencepiece_fuzz.cpp): the
// input written as a checkpoint folder's tokenizer file `name` (the folder holds nothing else),
// loaded by load_tokenizer (runtime/tokenizer/tokenizer.h) and used: a fixed text encoded and
// decoded, and every id from -1 to vocab_size() (at most 4096) decoded, since a loaded tokenizer
// must answer any id. Fine: InputError naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/errors.h"
#include "fuzz/fuzz_support.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aimicius::fuzz {

inline int load_and_use_tokenizer(const char* name, const uint8_t* data, size_t size) {
  write_input(name, data, size);
  try {
    const auto tok = runtime::load_tokenizer(scratch());
    const auto ids = tok->encode("nvidia-smi -q -d MEMORY | grep 'Used' # ünïcödé 12345\n", true);
    (void)tok->decode(ids, false);
    std::vector<int32_t> all;
    for (int32_t id = -1; id <= tok->vocab_size() && id < 4096; ++id) all.push_back(id);
    (void)tok->decode(all, true);
  } catch (const InputError&) {
  }
  return 0;
}

}  // namespace aimicius::fuzz
