// One process at a time on a run: the run (or answer-loss) command holds its run's lock while it
// writes examples, so a second `--resume` of the same run stops at once with a clear message
// instead of racing the first on the unique (run, suite, example) rows.
//
// The lock is an open-file-description lock (fcntl F_OFD_SETLK) on one byte of the database
// file at kRunLockBase + run id: the kernel drops it when the holder's file is closed or the
// process dies (a SIGKILLed run never leaves a stale lock), it never touches SQLite's own lock
// bytes (below 2^31), and unlike a POSIX lock it is not released when SQLite closes its own
// descriptor of the same file. Nothing is written to the file.
//
// Invariants: a RunLock holds its lock exactly as long as it lives; move-only.
#pragma once

#include <cstdint>
#include <string>

namespace aimicius {

class RunLock {
 public:
  static constexpr int64_t kRunLockBase = int64_t{1} << 40;

  // Throws InputError naming the run and the database when another process holds the run, and
  // when the database file cannot be opened for the lock.
  RunLock(const std::string& db_path, int64_t run_id);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace aimicius
