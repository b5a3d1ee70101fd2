// Helpers for the tokenizer tests: the fixture folder, a scratch folder removed after each test,
// and small file writers. AIMICIUS_TOKENIZER_TEST_DATA_DIR is set by CMakeLists.txt.
#pragma once

#include "tests/scratch_dir.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace aimicius::testing {

inline std::filesystem::path tokenizer_fixture(const std::string& name) {
  return std::filesystem::path(AIMICIUS_TOKENIZER_TEST_DATA_DIR) / name;
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

inline nlohmann::json read_fixture_json(const std::string& name) {
  return nlohmann::json::parse(read_text(tokenizer_fixture(name)));
}

using aimicius::testing::write_file;

using TokenizerScratchDir = aimicius::testing::ScratchDir;

}  // namespace aimicius::testing
