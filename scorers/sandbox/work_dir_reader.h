// Reading a folder that untrusted code wrote (the sandbox's /work after the command), with every
// dimension bounded: entries, depth, bytes kept in memory (names and contents together), bytes per
// file, and a deadline.
//
// Invariants: read_work_dir never follows a symbolic link (each step is an openat with O_NOFOLLOW
// relative to its parent's descriptor, so a link or a rename under the reader cannot lead it out
// of the folder), never opens anything but a directory or a regular file (a FIFO or socket is
// "<special>" and never blocks it), never throws for what it finds, and stops at the first bound it
// reaches, saying which in `over_limit`. It holds at most max_depth + 1 descriptors at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace aimicius {

struct WorkDirBounds {
  int64_t max_entries = 0;     // files, directories, links and others together
  int64_t max_depth = 0;       // levels below the folder (a file in it is at depth 1)
  int64_t max_bytes = 0;       // relative paths and kept contents together
  int64_t file_cap_bytes = 0;  // per file; a longer file keeps this much, then "<truncated>"
};

struct WorkDirRead {
  // Relative path -> content for regular files, "<dir>", "<symlink -> TARGET>" or "<special>".
  std::map<std::string, std::string> entries;
  // Empty when `entries` is the whole folder; else the bound that stopped the read, in words.
  std::string over_limit;
  bool timed_out = false;  // the deadline passed before the read was complete (over_limit says so too)
};

// Reads the folder open at `dir_fd` (the caller keeps it open and closes it).
WorkDirRead read_work_dir(int dir_fd, const WorkDirBounds& bounds, std::chrono::steady_clock::time_point deadline);

}  // namespace aimicius
