#include "common/input_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <system_error>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {
namespace fs = std::filesystem;

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

void check_input_file(const fs::path& file, int64_t max_bytes) {
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) {
    const int err = errno;
    std::error_code ignored;
    if (err == ENOENT && fs::is_symlink(file, ignored))
      throw InputError(fmt::format("{}: a symlink to a file that does not exist", file.string()));
    throw InputError(fmt::format("{}: cannot read the file ({})", file.string(),
                                 err == ENOENT ? "it does not exist" : std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode))
    throw InputError(fmt::format("{}: {}, where a file is expected", file.string(), kind_of(st.st_mode)));
  if (static_cast<int64_t>(st.st_size) > max_bytes)
    throw InputError(fmt::format("{}: {} bytes, more than the {} this file may have", file.string(),
                                 static_cast<int64_t>(st.st_size), max_bytes));
}

std::string read_input_file(const fs::path& file, int64_t max_bytes) {
  check_input_file(file, max_bytes);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the file ({})", file.string(), std::strerror(errno)));
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) throw InputError(fmt::format("{}: a read error after {} bytes", file.string(), text.size()));
  return text;
}

bool input_file_present(const fs::path& path) {
  std::error_code ignored;
  return fs::exists(path, ignored) || fs::is_symlink(path, ignored);
}

fs::path file_inside(const fs::path& dir, const std::string& relative, const std::string& where) {
  const fs::path rel = fs::path(relative).lexically_normal();
  if (relative.empty() || rel.is_absolute() || rel.empty() || *rel.begin() == "..")
    throw InputError(fmt::format("{}: \"{}\" must be a path inside the suite folder", where, relative));
  const fs::path file = dir / rel;
  check_input_file(file, std::numeric_limits<int64_t>::max());
  std::error_code ec_dir, ec_file;
  const fs::path real_dir = fs::canonical(dir, ec_dir), real_file = fs::canonical(file, ec_file);
  if (ec_dir || ec_file)
    throw InputError(fmt::format("{}: cannot resolve {}: {}", where, file.string(), (ec_dir ? ec_dir : ec_file).message()));
  const auto [dir_end, _] = std::mismatch(real_dir.begin(), real_dir.end(), real_file.begin(), real_file.end());
  if (dir_end != real_dir.end())
    throw InputError(fmt::format("{}: {} resolves to {}, outside the suite folder {}: suite data may only name "
                                 "files inside it",
                                 where, file.string(), real_file.string(), real_dir.string()));
  return file;
}

}  // namespace aimicius
