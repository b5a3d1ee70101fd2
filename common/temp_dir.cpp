// TempDir (see temp_dir.h).
#include "common/temp_dir.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

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
  std::string name_template = (parent / fmt::format("{}{}-XXXXXX", prefix, getpid())).string();
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

size_t TempDir::remove_orphans(std::string_view prefix, const fs::path& parent) {
  size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    // "<pid>-XXXXXX" after the prefix, nothing else.
    const std::string rest = name.substr(prefix.size());
    const size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || rest.size() != dash + 7) continue;
    if (rest.find_first_not_of("0123456789") != dash) continue;
    const long pid = std::strtol(rest.c_str(), nullptr, 10);
    if (pid <= 0 || pid == getpid()) continue;
    if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code ignored;
    if (fs::is_directory(it->symlink_status(ignored)) && fs::remove_all(it->path(), ignored) > 0) ++removed;
  }
  return removed;
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
