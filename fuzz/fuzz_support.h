// What every libFuzzer target (fuzz/*_fuzz.cpp) shares: a scratch folder private to the fuzzing
// process, and writing the input there as the file a loader expects.
//
// Invariants: the scratch folder is made once per process (mkdtemp under $TMPDIR, else /tmp) and
// removed at exit; each call to write_input() replaces the file's whole content with the input, so
// one execution never sees the previous one's bytes. The loaders under test read real files
// (checkpoint folders, suite folders, JSONL files), so the targets go through the file system
// rather than through an in-memory shortcut that the program never takes.
//
// A target calls the project's real parsing function and catches only the exception type that
// function documents for bad input (InputError, std::invalid_argument, ApiException, ...); any
// other exception escapes to libFuzzer, which reports it as a crash, like a signal, a sanitizer
// report or a hang (-timeout).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace aimicius::fuzz {

class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/aimicius-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) std::abort();
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The process's scratch folder (libFuzzer runs one input at a time per process).
inline const std::filesystem::path& scratch() {
  static const ScratchDir dir;
  return dir.path();
}

// Writes the input as scratch()/name and returns that path.
inline std::filesystem::path write_input(const std::string& name, const uint8_t* data, size_t size) {
  const std::filesystem::path file = scratch() / name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();
  return file;
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace aimicius::fuzz
