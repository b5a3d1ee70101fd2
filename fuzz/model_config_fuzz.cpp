// Fuzz target: a checkpoint folder's config.json, read by load_model_config (runtime/model_config.h).
// Fine: InputError naming the file (wrong types, out-of-range numbers, unknown architectures).
// Anything else (nlohmann's type_error escaping as exit 1, a crash) is a finding.
#include "common/errors.h"
#include "fuzz/fuzz_support.h"
#include "runtime/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  fuzz::write_input("config.json", data, size);
  try {
    (void)runtime::load_model_config(fuzz::scratch());
  } catch (const InputError&) {
  }
  return 0;
}
