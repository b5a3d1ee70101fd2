// TempDir (see temp_dir.h).
#include "common/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

namespace aimicius {
namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix, const fs::path& parent) {
  std::string name_template = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (mkdtemp(name_template.data()) == nullptr) {
    throw std::runtime_error(
        fmt::format("cannot create a temporary folder in {}: {}", parent.string(), std::strerror(errno)));
  }
  path_ = name_template;
}

TempDir::~TempDir() { remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, fs::path())) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, fs::path());
  }
  return *this;
}

void TempDir::remove() noexcept {
  if (path_.empty()) return;
  try {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  } catch (...) {
    // Only an allocation failure gets here; the folder stays, as for any other failure.
  }
}

}  // namespace aimicius
