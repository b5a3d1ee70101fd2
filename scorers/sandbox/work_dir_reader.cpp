// read_work_dir (see work_dir_reader.h).
#include "scorers/sandbox/work_dir_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace aimicius {
namespace {

struct Reader {
  const WorkDirBounds& bounds;
  std::chrono::steady_clock::time_point deadline;
  WorkDirRead out;
  int64_t entries = 0;
  int64_t bytes = 0;

  bool stopped() const { return !out.over_limit.empty(); }

  // Charges `n` bytes to the budget; false (and the reason set) when it does not fit.
  bool charge(int64_t n) {
    if (bytes + n > bounds.max_bytes) {
      out.over_limit = fmt::format("work dir not read in full: its names and contents exceed {} bytes", bounds.max_bytes);
      return false;
    }
    bytes += n;
    return true;
  }

  std::string file_content(int dir_fd, const char* name) {
    const int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return "<unreadable>";
    struct stat st {};
    std::string content;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      return "<special>";  // replaced by something else since it was listed
    }
    // One byte past the cap tells a longer file from one of exactly cap bytes.
    const int64_t want = bounds.file_cap_bytes + 1;
    content.resize(static_cast<size_t>(want));
    int64_t got = 0;
    while (got < want) {
      const ssize_t n = read(fd, content.data() + got, static_cast<size_t>(want - got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += n;
    }
    close(fd);
    content.resize(static_cast<size_t>(got));
    if (got > bounds.file_cap_bytes) {
      content.resize(static_cast<size_t>(bounds.file_cap_bytes));
      content += "<truncated>";
    }
    return content;
  }

  // Reads the directory open at `fd` (taken over and closed here), whose entries are at `depth`.
  void read_dir(int fd, const std::string& prefix, int64_t depth) {
    DIR* dir = fdopendir(fd);
    if (!dir) {
      close(fd);
      return;
    }
    while (!stopped()) {
      errno = 0;
      const dirent* e = readdir(dir);
      if (!e) break;
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      if (std::chrono::steady_clock::now() >= deadline) {
        out.timed_out = true;
        out.over_limit = "work dir not read in full: the time limit passed while reading it";
        break;
      }
      if (++entries > bounds.max_entries) {
        out.over_limit = fmt::format("work dir not read in full: it has more than {} entries", bounds.max_entries);
        break;
      }
      if (depth > bounds.max_depth) {
        out.over_limit = fmt::format("work dir not read in full: it is deeper than {} levels", bounds.max_depth);
        break;
      }
      const std::string rel = prefix + e->d_name;
      if (!charge(static_cast<int64_t>(rel.size()))) break;
      struct stat st {};
      if (fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone since listed
      std::string value;
      if (S_ISDIR(st.st_mode)) {
        if (!charge(5)) break;
        out.entries[rel] = "<dir>";
        const int sub = openat(dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) read_dir(sub, rel + "/", depth + 1);
        continue;
      }
      if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        const ssize_t n = readlinkat(dirfd(dir), e->d_name, target, sizeof target);
        value = "<symlink -> " + std::string(target, n > 0 ? static_cast<size_t>(n) : 0) + ">";
      } else if (S_ISREG(st.st_mode)) {
        value = file_content(dirfd(dir), e->d_name);
      } else {
        value = "<special>";
      }
      if (!charge(static_cast<int64_t>(value.size()))) break;
      out.entries[rel] = std::move(value);
    }
    closedir(dir);
  }
};

}  // namespace

WorkDirRead read_work_dir(int dir_fd, const WorkDirBounds& bounds, std::chrono::steady_clock::time_point deadline) {
  Reader reader{bounds, deadline, {}};
  const int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);  // read_dir closes its descriptor; the caller keeps its own
  if (fd < 0) {
    reader.out.over_limit = fmt::format("work dir not read: {}", std::strerror(errno));
    return std::move(reader.out);
  }
  // A duplicate shares the position of the caller's descriptor: start from the top.
  lseek(fd, 0, SEEK_SET);
  reader.read_dir(fd, "", 1);
  return std::move(reader.out);
}

}  // namespace aimicius
