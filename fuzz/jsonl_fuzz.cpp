// Fuzz target: JSON Lines files, as read_jsonl_objects (common/jsonl.h) reads every one, and as
// the replay backend (harness/backends/backend_replay.h) reads its file: {"suite", "example_id",
// "output"} per line. Fine: InputError naming file and line (malformed, wrong types, duplicates).
#include "common/errors.h"
#include "common/jsonl.h"
#include "fuzz/fuzz_support.h"
#include "harness/backends/backend_replay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  const auto file = fuzz::write_input("replay.jsonl", data, size);
  try {
    (void)read_jsonl_objects(file);
  } catch (const InputError&) {
  }
  try {
    ReplayBackend replay(file);
    (void)replay.content_hash();
  } catch (const InputError&) {
  }
  return 0;
}
