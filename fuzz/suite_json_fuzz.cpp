// Fuzz target: a suite folder's suite.json, read by read_suite_spec and built by make_data_suite
// (tasks/suite_spec.h, tasks/suite_definition.h): the format's checks, then the extractor and the
// scorers with their parameters. The folder is named "s" (a suite.json must name its folder: the
// seeds say "name": "s") and holds no data files, so a spec that passes the format checks fails
// on its first missing file; seeds without few-shot shots or included files reach the scorers'
// parameters. Fine: InputError naming the file and key.
#include "common/errors.h"
#include "fuzz/fuzz_support.h"
#include "tasks/suite_definition.h"
#include "tasks/suite_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  std::filesystem::create_directories(fuzz::scratch() / "s");
  fuzz::write_input("s/suite.json", data, size);
  try {
    const SuiteSpec spec = read_suite_spec(fuzz::scratch() / "s");
    (void)make_data_suite(spec);
  } catch (const InputError&) {
  }
  return 0;
}
