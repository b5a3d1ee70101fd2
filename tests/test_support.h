// Helpers shared by the CPU tests: fixture paths and a scratch folder removed after each test.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace aimicius::testing {

inline std::filesystem::path fixture_data_dir() { return std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / "suites"; }
inline std::filesystem::path fixture_file(const std::string& name) {
  return std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / name;
}
inline std::filesystem::path bundled_data_dir() { return AIMICIUS_BUNDLED_DATA_DIR; }

class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("aimicius-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  // Copies the fixture suites into this folder (so a test may corrupt them) and returns the copy.
  std::filesystem::path copy_fixture_suites() const {
    const auto dst = path_ / "suites";
    std::filesystem::copy(fixture_data_dir(), dst, std::filesystem::copy_options::recursive);
    return dst;
  }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace aimicius::testing
