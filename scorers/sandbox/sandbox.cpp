#include "scorers/sandbox/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

namespace aimicius {
namespace fs = std::filesystem;

namespace {

constexpr const char* kBasePath = "/usr/local/bin:/usr/bin:/bin";

// Where each run's work dir is made: memory-backed (tmpfs) when the machine has /dev/shm, so a
// fresh work dir never touches disk.
fs::path run_dir_parent() {
  return access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm") : fs::temp_directory_path();
}

void write_host_file(const fs::path& file, const std::string& content, bool executable) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  fs::permissions(file, executable ? fs::perms(0755) : fs::perms(0644));
}

// Counts this uid's processes (for RLIMIT_NPROC, which counts per user, not per sandbox).
int64_t processes_of(uid_t uid) {
  int64_t n = 0;
  DIR* proc = opendir("/proc");
  if (!proc) return 0;
  while (dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    struct stat st {};
    if (stat(fmt::format("/proc/{}", e->d_name).c_str(), &st) == 0 && st.st_uid == uid) ++n;
  }
  closedir(proc);
  return n;
}

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("sandbox: pipe failed");
  }
  ~Pipe() { close_all(); }
  void close_read() { if (fds[0] >= 0) close(fds[0]), fds[0] = -1; }
  void close_write() { if (fds[1] >= 0) close(fds[1]), fds[1] = -1; }
  void close_all() { close_read(); close_write(); }
};

// The host file a command name runs, searched in the system's own directories only.
std::optional<fs::path> resolve_host_executable(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
    throw std::invalid_argument(fmt::format("sandbox: host executable \"{}\" must be a plain command name", name));
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/bin"}) {
    const fs::path candidate = fs::path(dir) / name;
    std::error_code ec;
    const fs::path real = fs::canonical(candidate, ec);
    if (!ec && fs::is_regular_file(real, ec) && access(real.c_str(), X_OK) == 0) return real;
  }
  return std::nullopt;
}

constexpr const char* kHostBinDir = "/usr/libexec/aimicius-host-bin";

// The host's programs and libraries as the request allows them (see SandboxRequest); `bin_dir`
// holds the copies of the allowed programs (restricted view only).
void add_host_view(const SandboxRequest& r, const fs::path* bin_dir, std::vector<std::string>& a) {
  if (!r.host_executables) {
    a.insert(a.end(), {"--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
                       "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64"});
    return;
  }
  a.insert(a.end(), {"--ro-bind", "/usr/lib", "/usr/lib", "--ro-bind-try", "/usr/lib64", "/usr/lib64", "--dir",
                     "/usr/bin", "--dir", "/usr/sbin", "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--symlink",
                     "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--ro-bind", bin_dir->string(), kHostBinDir});
  for (const auto& name : *r.host_executables)
    if (fs::exists(*bin_dir / name))
      a.insert(a.end(), {"--symlink", fmt::format("{}/{}", kHostBinDir, name), "/usr/bin/" + name});
}

std::vector<std::string> bwrap_args(const std::string& bwrap, const SandboxRequest& r, const fs::path& run_dir,
                                    const fs::path& etc_dir, const fs::path* bin_dir) {
  std::vector<std::string> a = {bwrap,
                                "--unshare-all",  // user, pid, net, ipc, uts, cgroup
                                "--die-with-parent",
                                "--new-session",
                                "--hostname", "sandbox"};
  add_host_view(r, bin_dir, a);
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--ro-bind", etc_dir.string(), "/etc",
                     "--bind", (run_dir / "work").string(), "/work"});
  for (const auto& b : r.binds) {
    a.insert(a.end(), {"--ro-bind", b.host_path.string(), b.sandbox_path});
  }
  for (const auto& d : r.dirs) a.insert(a.end(), {"--dir", d});
  for (const auto& [target, path] : r.symlinks) a.insert(a.end(), {"--symlink", target, path});
  std::string path_var;
  for (const auto& d : r.path_dirs) path_var += d + ":";
  path_var += kBasePath;
  a.insert(a.end(), {"--chdir", "/work", "--clearenv", "--setenv", "PATH", path_var, "--setenv", "HOME", "/work",
                     "--setenv", "LANG", "C.UTF-8", "--setenv", "TMPDIR", "/tmp"});
  for (const auto& [k, v] : r.env) a.insert(a.end(), {"--setenv", k, v});
  a.insert(a.end(), {"/bin/sh", "-c", r.command});
  return a;
}

// Everything between fork and exec: only async-signal-safe calls.
// No allocation here either: after _Fork the malloc locks are as another thread may have left them.
[[noreturn]] void exec_child(char* const* argv, const SandboxLimits& lim, uid_t drop_to, int64_t nproc_limit,
                             int in_fd, int out_fd, int err_fd) {
  setsid();
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  auto limit = [](int resource, int64_t value) {
    rlimit rl{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
    setrlimit(resource, &rl);
  };
  limit(RLIMIT_CPU, lim.cpu_seconds);
  limit(RLIMIT_AS, lim.address_space_bytes);
  limit(RLIMIT_FSIZE, lim.max_file_bytes);
  limit(RLIMIT_NOFILE, lim.max_open_files);
  limit(RLIMIT_CORE, 0);
  limit(RLIMIT_NPROC, nproc_limit);
  // Raw system calls, not glibc's setgroups/setgid/setuid: those broadcast the change to every
  // thread glibc knows of, and after _Fork (see run()) glibc still lists the parent's threads,
  // which never answer. This child is single-threaded, so the per-thread system call is the
  // whole process.
  if (drop_to != 0 && (syscall(SYS_setgroups, 0, nullptr) != 0 || syscall(SYS_setresgid, drop_to, drop_to, drop_to) != 0 ||
                       syscall(SYS_setresuid, drop_to, drop_to, drop_to) != 0))
    _exit(126);
  // bwrap itself starts with an empty environment: --clearenv cleans only the command's, and with
  // a PID namespace bwrap's init process (PID 1 inside, readable at /proc/1/environ) would keep
  // the harness's, API keys included. The command's environment is set by --setenv alone.
  char* const empty_environment[] = {nullptr};
  execve(argv[0], argv, empty_environment);
  _exit(127);
}

void snapshot(const fs::path& work, int64_t cap, std::map<std::string, std::string>& out) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(work, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string rel = fs::relative(it->path(), work, ec).string();
    const auto status = it->symlink_status(ec);
    if (fs::is_symlink(status)) {
      out[rel] = "<symlink -> " + fs::read_symlink(it->path(), ec).string() + ">";
    } else if (fs::is_directory(status)) {
      out[rel] = "<dir>";
    } else if (fs::is_regular_file(status)) {
      std::ifstream in(it->path(), std::ios::binary);
      std::string content(static_cast<size_t>(cap), '\0');
      in.read(content.data(), cap);
      content.resize(static_cast<size_t>(in.gcount()));
      if (in.peek() != EOF) content += "<truncated>";
      out[rel] = std::move(content);
    } else {
      out[rel] = "<special>";
    }
  }
}

}  // namespace

Sandbox::Sandbox() {
  // The system's bwrap first; else the first on PATH (e.g. a Debian package unpacked elsewhere).
  std::vector<std::string> candidates = {"/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"};
  if (const char* path = std::getenv("PATH"))
    for (std::string_view rest = path; !rest.empty();) {
      const size_t colon = std::min(rest.find(':'), rest.size());
      if (colon > 0) candidates.push_back(std::string(rest.substr(0, colon)) + "/bwrap");
      rest.remove_prefix(std::min(colon + 1, rest.size()));
    }
  for (const auto& candidate : candidates)
    if (access(candidate.c_str(), X_OK) == 0) {
      bwrap_ = candidate;
      break;
    }
  if (bwrap_.empty())
    throw SandboxUnavailable("bubblewrap (bwrap) is not installed: run scripts/install-deps.sh (Debian package "
                             "bubblewrap); generated commands are never run unsandboxed");
  drop_privileges_ = geteuid() == 0;
  // A pool of uids per process (processes of one machine rarely share it; 64 slots each).
  uid_base_ = drop_privileges_ ? static_cast<uid_t>(100000 + (getpid() % 4096) * kUidSlots) : 0;
  uid_busy_.assign(kUidSlots, false);
  // What sandboxes of killed processes left (SIGKILL runs no destructor): their run folders in
  // memory, their /etc and program views on disk.
  TempDir::remove_orphans("aimicius-sandbox-", run_dir_parent());
  TempDir::remove_orphans("aimicius-sandbox-etc-");
  TempDir::remove_orphans("aimicius-sandbox-bin-");
  try {
    etc_dir_.emplace("aimicius-sandbox-etc-");
  } catch (const std::runtime_error& e) {
    throw SandboxUnavailable(fmt::format("sandbox: {}", e.what()));
  }
  const fs::path& etc = etc_dir_->path();
  fs::permissions(etc, fs::perms(0755));
  write_host_file(etc / "passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/work:/bin/sh\n",
                  false);
  write_host_file(etc / "group", "root:x:0:\nnogroup:x:65534:\n", false);
  write_host_file(etc / "hosts", "127.0.0.1 localhost sandbox\n", false);
  SandboxRequest probe;
  probe.command = "exit 0";
  probe.limits.wall_seconds = 20;
  const SandboxResult r = run(probe);
  if (r.exit_code != 0)
    throw SandboxUnavailable(fmt::format("bubblewrap cannot create its namespaces on this machine (exit {}, signal "
                                         "{}): {}; generated commands are never run unsandboxed",
                                         r.exit_code, r.term_signal, r.stderr_text));
}

uid_t Sandbox::acquire_uid() const {
  std::unique_lock<std::mutex> lock(uid_mu_);
  while (true) {
    for (uid_t i = 0; i < kUidSlots; ++i)
      if (!uid_busy_[i]) {
        uid_busy_[i] = true;
        return uid_base_ + i;
      }
    uid_free_.wait(lock);
  }
}

void Sandbox::release_uid(uid_t uid) const {
  std::lock_guard<std::mutex> lock(uid_mu_);
  uid_busy_[uid - uid_base_] = false;
  uid_free_.notify_one();
}

const fs::path& Sandbox::host_bin_dir(const std::vector<std::string>& names) const {
  std::lock_guard<std::mutex> lock(bin_mu_);
  if (auto it = bin_dirs_.find(names); it != bin_dirs_.end()) return it->second->path();
  auto dir = std::make_unique<TempDir>("aimicius-sandbox-bin-");
  fs::permissions(dir->path(), fs::perms(0755));
  for (const auto& name : names)
    if (const auto file = resolve_host_executable(name)) {
      fs::copy_file(*file, dir->path() / name, fs::copy_options::overwrite_existing);
      fs::permissions(dir->path() / name, fs::perms(0755));
    }
  return bin_dirs_.emplace(names, std::move(dir)).first->second->path();
}

Sandbox::~Sandbox() = default;

SandboxResult Sandbox::run(const SandboxRequest& request) const {
  // A NUL byte ends a C string: the shell would run only the text before it, not the answer as
  // stored. Such a command is not run; it fails like a command the shell rejects.
  auto has_nul = [](const std::string& text) { return text.find('\0') != std::string::npos; };
  bool nul = has_nul(request.command);
  for (const auto& [k, v] : request.env) nul = nul || has_nul(k) || has_nul(v);
  if (nul) {
    SandboxResult refused;
    refused.exit_code = kExitNotRun;
    refused.stderr_text = "aimicius sandbox: the command contains a NUL byte and was not run\n";
    return refused;
  }
  const auto start = std::chrono::steady_clock::now();
  const TempDir dir("aimicius-sandbox-", run_dir_parent());
  fs::create_directories(dir.path() / "work");
  for (const auto& f : request.files) {
    const fs::path rel = fs::path(f.path).lexically_normal();
    if (rel.is_absolute() || rel.empty() || *rel.begin() == "..")
      throw std::invalid_argument(fmt::format("sandbox: file path \"{}\" must stay inside the work dir", f.path));
    write_host_file(dir.path() / "work" / rel, f.content, f.executable);
  }
  // As root: this run's own uid, returned to the pool when the run is over (all its processes
  // are gone by then: they die with the PID namespace when bwrap exits).
  struct UidLease {
    const Sandbox* sandbox;
    uid_t uid;
    ~UidLease() {
      if (uid) sandbox->release_uid(uid);
    }
  } lease{this, drop_privileges_ ? acquire_uid() : 0};
  if (lease.uid) {
    // The unprivileged user must own its work dir; the run dir itself stays root's.
    for (const auto& e : fs::recursive_directory_iterator(dir.path() / "work"))
      if (lchown(e.path().c_str(), lease.uid, lease.uid) != 0) throw std::runtime_error("sandbox: chown failed");
    if (chown((dir.path() / "work").c_str(), lease.uid, lease.uid) != 0) throw std::runtime_error("sandbox: chown failed");
    fs::permissions(dir.path(), fs::perms(0755));
  }

  const fs::path* bin_dir = request.host_executables ? &host_bin_dir(*request.host_executables) : nullptr;
  const auto args = bwrap_args(bwrap_, request, dir.path(), etc_dir_->path(), bin_dir);
  const int64_t nproc = processes_of(lease.uid ? lease.uid : geteuid()) + request.limits.max_processes;
  std::vector<char*> argv;  // built before the fork: the child must not allocate
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Pipe in, out, err;
  // _Fork, not fork: fork runs the pthread_atfork handlers, and the threaded OpenBLAS that
  // LibTorch uses registers one that shuts its thread pool down, so a fork from this worker while
  // another thread is inside a GEMM (the sentence encoder scoring) leaves that GEMM waiting for
  // workers that are gone, forever. The child only execs, so it needs no handler.
  const pid_t pid = _Fork();
  if (pid < 0) throw std::runtime_error(fmt::format("sandbox: fork failed: {}", std::strerror(errno)));
  if (pid == 0) exec_child(argv.data(), request.limits, lease.uid, nproc, in.fds[0], out.fds[1], err.fds[1]);
  in.close_read();
  out.close_write();
  err.close_write();

  SandboxResult result;
  // Feed stdin (small by design: nothing in the suites sends more than a pipe buffer).
  if (!request.stdin_text.empty()) {
    const ssize_t n = write(in.fds[1], request.stdin_text.data(), request.stdin_text.size());
    (void)n;
  }
  in.close_write();

  const auto deadline = start + std::chrono::duration<double>(request.limits.wall_seconds);
  const size_t cap = static_cast<size_t>(request.limits.output_cap_bytes);
  struct Stream {
    int fd;
    std::string* text;
    bool* truncated;
  } streams[2] = {{out.fds[0], &result.stdout_text, &result.stdout_truncated},
                  {err.fds[0], &result.stderr_text, &result.stderr_truncated}};
  char buf[1 << 14];
  int open_streams = 2;
  while (open_streams > 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    pollfd pfds[2];
    int n = 0;
    for (auto& s : streams)
      if (s.fd >= 0) pfds[n++] = {s.fd, POLLIN, 0};
    const int wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    if (poll(pfds, n, wait_ms) < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      for (auto& s : streams) {
        if (s.fd != pfds[i].fd) continue;
        const ssize_t got = read(s.fd, buf, sizeof buf);
        if (got > 0) {
          const size_t room = cap > s.text->size() ? cap - s.text->size() : 0;
          s.text->append(buf, std::min(room, static_cast<size_t>(got)));
          if (static_cast<size_t>(got) > room) {
            // Cap reached: stop listening, like `| head` (the writer gets SIGPIPE).
            *s.truncated = true;
            close(s.fd);
            s.fd = -1;
            --open_streams;
          }
        } else if (got == 0 || errno != EINTR) {
          close(s.fd);
          s.fd = -1;
          --open_streams;
        }
      }
    }
  }
  for (auto& s : streams)
    if (s.fd >= 0) close(s.fd);
  out.fds[0] = err.fds[0] = -1;

  // Kill bwrap's process group; the sandboxed tree dies with bwrap (its PID namespace's init
  // has bwrap as parent-death signal source), whatever it forked or detached inside.
  if (result.timed_out) kill(-pid, SIGKILL);
  int status = 0;
  while (true) {
    const pid_t w = waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (w == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        result.timed_out = true;
        kill(-pid, SIGKILL);
      } else {
        usleep(1000);
      }
    }
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  snapshot(dir.path() / "work", request.limits.output_cap_bytes, result.work_dir);
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace aimicius
