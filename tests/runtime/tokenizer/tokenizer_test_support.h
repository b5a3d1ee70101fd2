// Helpers for the tokenizer tests: the fixture folder, a scratch folder removed after each test,
// and small file writers. AIMICIUS_TOKENIZER_TEST_DATA_DIR is set by CMakeLists.txt.
#pragma once

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

inline void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

class TokenizerScratchDir {
 public:
  TokenizerScratchDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("aimicius-tokenizer-test-" + std::to_string(getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TokenizerScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TokenizerScratchDir(const TokenizerScratchDir&) = delete;
  TokenizerScratchDir& operator=(const TokenizerScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace aimicius::testing
