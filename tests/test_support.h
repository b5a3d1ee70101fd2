// Fixture paths of the main test binaries (they define AIMICIUS_TEST_DATA_DIR and
// AIMICIUS_BUNDLED_DATA_DIR), plus the shared helpers of scratch_dir.h.
#pragma once

#include <filesystem>
#include <string>

#include "scratch_dir.h"

namespace aimicius::testing {

inline std::filesystem::path fixture_data_dir() { return std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / "suites"; }
inline std::filesystem::path fixture_file(const std::string& name) {
  return std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / name;
}
inline std::filesystem::path bundled_data_dir() { return AIMICIUS_BUNDLED_DATA_DIR; }

// Copies the fixture suites into `dir` (so a test may corrupt them) and returns the copy.
inline std::filesystem::path copy_fixture_suites(const ScratchDir& dir) {
  const auto dst = dir / "suites";
  std::filesystem::copy(fixture_data_dir(), dst, std::filesystem::copy_options::recursive);
  return dst;
}

}  // namespace aimicius::testing
