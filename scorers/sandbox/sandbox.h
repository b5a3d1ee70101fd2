// Running untrusted commands (model output) under bubblewrap.
//
// Every run gets: new user, PID, network (loopback only), IPC, UTS and cgroup namespaces; a
// read-only view of the host's programs chosen by the request (host_executables: either all of
// /usr, with /bin, /lib, /lib64 through it, or only the named commands at /usr/bin/NAME plus the
// shared libraries in /usr/lib and /usr/lib64) and of nothing else of the host (no /home, no
// /root, no /usr/local, no /opt, no /etc/shadow: /etc holds only a minimal passwd/group/hosts); a
// clean environment (PATH, HOME=/work, LANG=C.UTF-8, plus the request's variables); a new
// session; and death with the parent. Resource limits: CPU seconds, address space, file size,
// open files and a process count; a wall-clock limit kills the whole sandbox (bwrap and, through
// its PID namespace, everything inside). stdout and stderr are captured up to a cap each,
// truncation recorded.
//
// Where the command can write, and what comes back of it (issue 19, items 2 and 3): the only
// writable places are /work (the current directory, filled from the request's files) and /tmp,
// each a tmpfs of fixed size inside the sandbox (SandboxLimits::work_dir_bytes, tmp_bytes); the
// sandbox's root and /dev are read-only. Nothing the command writes is on a host folder, so
// nothing is left on the host when the sandbox ends, however it ends. When the command exits,
// a wrapper shell around it kills every other process of the sandbox and waits; the harness then
// reads /work through the sandbox's /proc/PID/root with read_work_dir (work_dir_reader.h: entries,
// depth, bytes and the run's own deadline all bounded), and lets the sandbox end. A bound reached
// is in the result (work_dir_error, and timed_out for the deadline), never an exception.
//
// Process counts are per uid in Linux (RLIMIT_NPROC), so when aimicius runs as root each running
// sandbox gets an unprivileged uid of its own from a pool (no two concurrent runs share one): a
// fork bomb in one sandbox exhausts only its own budget, never a neighbour's. Without root the
// sandbox runs as the caller, whose limit is set to its current process count plus the budget.
//
// Invariants: run() never throws for anything the command does (it is all in the result);
// it throws SandboxUnavailable when bubblewrap is missing or cannot create namespaces on this
// machine, so callers stop with a clear error rather than running anything unsandboxed, and
// InfraError when a sandbox that worked before does not start (bwrap never reported the
// sandbox's init: nothing of the command ran, so the example is not judged on it).
// run() is safe to call from several threads at once. Every byte read from the sandbox (stdout,
// stderr, the work dir, bwrap's own messages) is read up to a cap.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/temp_dir.h"

namespace aimicius {

class SandboxUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every limit of one sandboxed run, in one place. The defaults are what scoring uses; each value is
// far above what any suite's reference needs (they print KBs and write at most a few small files)
// and small enough that 2 x --jobs concurrent runs cannot hurt the machine.
struct SandboxLimits {
  double wall_seconds = 10.0;  // the command, and the harness's read of its work dir, together
  int64_t cpu_seconds = 10;
  int64_t address_space_bytes = int64_t{2} << 30;
  int64_t max_processes = 64;
  int64_t max_file_bytes = int64_t{16} << 20;  // RLIMIT_FSIZE: one file
  int64_t max_open_files = 256;
  int64_t output_cap_bytes = 64 << 10;  // per stream, and per file read back from the work dir
  // The tmpfs sizes of /work and of /tmp: the memory the command can fill with files (one answer
  // wrote 3.9 GB into the host's /dev/shm before these). 64 MiB each: 4x the largest single file
  // (max_file_bytes), 128 MiB per run in all.
  int64_t work_dir_bytes = int64_t{64} << 20;
  int64_t tmp_bytes = int64_t{64} << 20;
  // What the harness reads back of /work (read_work_dir): at most this many entries, this deep,
  // and this many bytes of names and contents in all (8,000 files of 64 KiB grew the harness by
  // 430 MB before). A reference writes a handful of files a few levels deep.
  int64_t work_dir_max_entries = 10000;
  int64_t work_dir_max_depth = 32;
  int64_t work_dir_read_bytes = int64_t{4} << 20;
};

struct SandboxFile {
  std::string path;  // relative to /work
  std::string content;
  bool executable = false;
};

struct SandboxBind {
  std::filesystem::path host_path;  // bound read-only
  std::string sandbox_path;         // absolute path inside the sandbox
};

struct SandboxRequest {
  std::string command;  // run as /bin/sh -c COMMAND in /work (so host_executables needs "sh")
  // The host's programs visible inside. nullopt: the whole of the host's /usr (callers that need
  // a full system: the sandbox's own tests). A list: only these command names, each looked up on
  // the host in /usr/bin, /usr/sbin, /bin (not PATH: a caller's PATH may point into /root or
  // /usr/local), resolved through symlinks and bound read-only at /usr/bin/NAME; plus /usr/lib and
  // /usr/lib64 read-only for the shared libraries (and interpreters' standard libraries) they
  // load. /usr/bin, /usr/local and /opt of the host are never bound then. A name the host lacks is
  // left out (running it in the sandbox: "not found", exit 127); a name with '/' is invalid_argument.
  std::optional<std::vector<std::string>> host_executables;
  std::vector<SandboxFile> files;
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<SandboxBind> binds;     // e.g. the simulated host tools
  std::vector<std::string> dirs;      // created (empty) in the sandbox, before symlinks
  std::vector<std::pair<std::string, std::string>> symlinks;  // (target, sandbox path)
  std::vector<std::string> path_dirs;  // prepended to PATH (sandbox paths)
  std::string stdin_text;
  SandboxLimits limits;
};

// The exit status of a command that was not run (it holds a NUL byte, or is too long to pass to
// exec: see Sandbox::run), as a shell reports a command it cannot execute.
constexpr int kExitNotRun = 126;

// The longest command, and environment variable, a sandbox runs. Linux's exec refuses any one
// argument past 128 KiB (MAX_ARG_STRLEN) and bwrap then never starts, which looked like a broken
// sandbox (an infrastructure error, left out of the score) rather than the answer's own failure.
// The suites' commands are under 1 KiB.
constexpr size_t kMaxCommandBytes = 64 << 10;

struct SandboxResult {
  int exit_code = -1;     // when the shell exited normally; kExitNotRun when not run
  int term_signal = 0;    // when it was killed by a signal
  bool timed_out = false;
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  double wall_seconds = 0.0;
  // The work dir after the run: regular files (path relative to /work -> content, capped at
  // limits.output_cap_bytes with "<truncated>" appended), directories (path -> "<dir>"), links
  // ("<symlink -> TARGET>") and others ("<special>").
  std::map<std::string, std::string> work_dir;
  // Empty when work_dir is the whole work dir as the command left it. Else why not, in words: a
  // bound of read_work_dir reached, the work dir full (work_dir_bytes), the time limit, or the
  // sandbox ended (its wrapper killed) before the work dir could be read.
  std::string work_dir_error;
};

class Sandbox {
 public:
  // Finds bwrap and checks once that it can create the namespaces; throws SandboxUnavailable.
  Sandbox();
  // The same with this bwrap program (tests: a wrapper that fails on demand).
  explicit Sandbox(std::string bwrap);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  // Runs request.command with sh inside a fresh sandbox. A command or environment holding a NUL
  // byte, or longer than kMaxCommandBytes, is not run (exit kExitNotRun, the reason in stderr_text).
  SandboxResult run(const SandboxRequest& request) const;

  // The uids sandboxes run as (root only; empty range otherwise), for diagnostics and tests.
  std::pair<uid_t, uid_t> uid_range() const { return {uid_base_, uid_base_ + kUidSlots}; }

 private:
  static constexpr uid_t kUidSlots = 64;
  uid_t acquire_uid() const;
  void release_uid(uid_t uid) const;

  std::string bwrap_;
  bool drop_privileges_ = false;
  uid_t uid_base_ = 0;
  mutable std::mutex uid_mu_;
  mutable std::condition_variable uid_free_;
  mutable std::vector<bool> uid_busy_;
  std::optional<TempDir> etc_dir_;  // the sandbox's /etc (passwd, group, hosts), shared read-only
  // Copies of the host programs of each host_executables list seen (request order kept as key).
  const std::filesystem::path& host_bin_dir(const std::vector<std::string>& names) const;
  mutable std::mutex bin_mu_;
  mutable std::map<std::vector<std::string>, std::unique_ptr<TempDir>> bin_dirs_;
};

}  // namespace aimicius
