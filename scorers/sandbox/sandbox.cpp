#include "scorers/sandbox/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string_view>

#include <fmt/format.h>

// AddressSanitizer (GCC's macro, clang's feature test): spawn_child clears its child's stack poison.
#if defined(__SANITIZE_ADDRESS__)
#define AIMICIUS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AIMICIUS_ASAN 1
#endif
#endif
#ifdef AIMICIUS_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "common/errors.h"
#include "scorers/sandbox/work_dir_reader.h"

namespace aimicius {
namespace fs = std::filesystem;

namespace {

constexpr const char* kBasePath = "/usr/local/bin:/usr/bin:/bin";

// Where earlier versions made each run's work dir on the host (now a tmpfs inside the sandbox):
// what their killed runs left there is still removed at start.
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
    if (pipe2(fds, O_CLOEXEC) != 0) throw InfraError("sandbox: pipe failed");
  }
  ~Pipe() { close_all(); }
  void close_read() { if (fds[0] >= 0) close(fds[0]), fds[0] = -1; }
  void close_write() { if (fds[1] >= 0) close(fds[1]), fds[1] = -1; }
  void close_all() { close_read(); close_write(); }
};

// A descriptor owned by one scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void reset() { if (fd >= 0) close(fd), fd = -1; }
};

// A request file as an anonymous memory file at offset 0, for bwrap's --file (which copies it
// into the sandbox's /work).
int memory_file(const SandboxFile& f) {
  const int fd = memfd_create("aimicius-sandbox-file", MFD_CLOEXEC);
  if (fd < 0) throw InfraError(fmt::format("sandbox: memfd_create failed: {}", std::strerror(errno)));
  for (size_t done = 0; done < f.content.size();) {
    const ssize_t n = write(fd, f.content.data() + done, f.content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      throw InfraError(fmt::format("sandbox: writing {} to memory failed: {}", f.path, std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

// The descriptors bwrap gets besides stdin/stdout/stderr, at these numbers (exec_child moves
// them there; the wrapper's redirections need single digits).
constexpr int kDoneFd = 3;       // the wrapper writes the command's exit status here when it is over
constexpr int kReleaseFd = 4;    // the wrapper waits for end-of-file here before the sandbox ends
constexpr int kInfoFd = 5;       // bwrap's --info-fd: the sandbox init's pid as the host sees it
constexpr int kFirstFileFd = 6;  // then one memory file per request file

// Runs the command in a subshell as `/bin/sh -c COMMAND` would (no positional parameters, $0
// /bin/sh, $$ and $PPID the same, no variable of the wrapper left, without the wrapper's
// descriptors; a subshell, not another sh: one exec less per run); when it is over, kills every
// other process of the sandbox (kill -1 in a PID namespace: its processes alone), so nothing
// changes /work while the harness reads it, reports the status and waits to be released. Its exit
// status is the command's.
constexpr const char* kWrapper =
    "(c=$1; set --; eval \"unset c\n$c\") 3>&- 4>&-; s=$?; kill -9 -1 2>/dev/null; echo $s >&3; read x <&4; exit $s";

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

std::vector<std::string> bwrap_args(const std::string& bwrap, const SandboxRequest& r, const fs::path& etc_dir,
                                    const fs::path* bin_dir) {
  std::vector<std::string> a = {bwrap,
                                "--unshare-all",  // user, pid, net, ipc, uts, cgroup
                                "--die-with-parent",
                                "--new-session",
                                "--info-fd", std::to_string(kInfoFd),
                                "--hostname", "sandbox"};
  add_host_view(r, bin_dir, a);
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--size", std::to_string(r.limits.tmp_bytes), "--tmpfs", "/tmp",
                     "--ro-bind", etc_dir.string(), "/etc", "--size", std::to_string(r.limits.work_dir_bytes), "--tmpfs",
                     "/work"});
  for (size_t i = 0; i < r.files.size(); ++i)
    a.insert(a.end(), {"--perms", r.files[i].executable ? "0755" : "0644", "--file",
                       std::to_string(kFirstFileFd + static_cast<int>(i)),
                       "/work/" + fs::path(r.files[i].path).lexically_normal().string()});
  for (const auto& b : r.binds) {
    a.insert(a.end(), {"--ro-bind", b.host_path.string(), b.sandbox_path});
  }
  for (const auto& d : r.dirs) a.insert(a.end(), {"--dir", d});
  for (const auto& [target, path] : r.symlinks) a.insert(a.end(), {"--symlink", target, path});
  // bwrap's own root and /dev are tmpfs mounts without a size: read-only once built, so /work and
  // /tmp are the only places to write.
  a.insert(a.end(), {"--remount-ro", "/", "--remount-ro", "/dev"});
  std::string path_var;
  for (const auto& d : r.path_dirs) path_var += d + ":";
  path_var += kBasePath;
  a.insert(a.end(), {"--chdir", "/work", "--clearenv", "--setenv", "PATH", path_var, "--setenv", "HOME", "/work",
                     "--setenv", "LANG", "C.UTF-8", "--setenv", "TMPDIR", "/tmp"});
  for (const auto& [k, v] : r.env) a.insert(a.end(), {"--setenv", k, v});
  a.insert(a.end(), {"/bin/sh", "-c", kWrapper, "/bin/sh", r.command});
  return a;
}

// Everything between the child's start (spawn_child) and exec: only async-signal-safe calls.
// No allocation here either: the child shares the harness's memory, malloc's state included.
// `pass` (n descriptors) go to 3, 4, ...; `scratch` has room for n; every other descriptor is closed.
[[noreturn]] void exec_child(char* const* argv, const SandboxLimits& lim, uid_t drop_to, int64_t nproc_limit,
                             int in_fd, int out_fd, int err_fd, const int* pass, int* scratch, int n) {
  setsid();
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  // Out of the way of 3..3+n first (a source may sit on another's target), then into place; then
  // nothing else of the harness (a database, another run's pipe) reaches bwrap.
  for (int i = 0; i < n; ++i) scratch[i] = fcntl(pass[i], F_DUPFD_CLOEXEC, 3 + n);
  for (int i = 0; i < n; ++i) dup2(scratch[i], 3 + i);
  syscall(SYS_close_range, 3 + n, ~0U, 0);
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
  // thread glibc knows of, and in the child (spawn_child) glibc still lists the parent's threads,
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

// What the child of spawn_child needs: exec_child's arguments, and the signal mask to restore.
struct ChildStart {
  char* const* argv;
  const SandboxLimits* limits;
  uid_t drop_to;
  int64_t nproc_limit;
  int in_fd, out_fd, err_fd;
  const int* pass;
  int* scratch;
  int n;
  sigset_t mask;
};

// The child of spawn_child, on its own stack in the parent's memory: every handler the harness
// installed back to the default first (they would run on memory the parent owns; ignored signals
// stay ignored, as across exec), then the caller's signal mask, then exec_child.
int child_main(void* arg) {
  const ChildStart& c = *static_cast<const ChildStart*>(arg);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN) continue;
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, nullptr);
  }
  sigprocmask(SIG_SETMASK, &c.mask, nullptr);
  exec_child(c.argv, *c.limits, c.drop_to, c.nproc_limit, c.in_fd, c.out_fd, c.err_fd, c.pass, c.scratch, c.n);
}

// Starts bwrap through exec_child in a process that shares this one's memory until it execs
// (clone with CLONE_VM | CLONE_VFORK, as glibc's posix_spawn does): the harness's page tables,
// large with LibTorch and a model mapped, are not copied. A fork of this process took ~8 ms on the
// 2-core VM, about as long as bwrap's own start. The calling thread is suspended until the child
// has exec'd or exited and its signals are blocked until then; the child has its own descriptor
// table, limits and credentials (no CLONE_FILES, CLONE_THREAD or CLONE_SIGHAND), so exec_child's
// changes stay its own, and it writes no memory of the parent's but `start.scratch` and its stack.
// Not fork either way: fork runs the pthread_atfork handlers, and the threaded OpenBLAS that
// LibTorch uses registers one that shuts its thread pool down, so a fork from this worker while
// another thread is inside a GEMM (the sentence encoder scoring) would leave that GEMM waiting for
// workers that are gone, forever. Returns the child's pid, or -1 with errno set.
pid_t spawn_child(ChildStart& start) {
  constexpr size_t kStackBytes = 256 * 1024;
  void* stack = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &start.mask);
  const pid_t pid = clone(child_main, static_cast<char*>(stack) + kStackBytes, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
  const int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &start.mask, nullptr);
#ifdef AIMICIUS_ASAN
  // The child's frames never returned: clear their poison before the pages can be mapped again.
  ASAN_UNPOISON_MEMORY_REGION(stack, kStackBytes);
#endif
  munmap(stack, kStackBytes);
  errno = clone_errno;
  return pid;
}

// The host pid of the sandbox's init from bwrap's --info-fd JSON, once the number is complete.
std::optional<pid_t> child_pid(const std::string& info) {
  const size_t key = info.find("\"child-pid\"");
  if (key == std::string::npos) return std::nullopt;
  size_t i = info.find_first_of("0123456789", key);
  const size_t end = info.find_first_not_of("0123456789", i);
  if (i == std::string::npos || end == std::string::npos || end - i > 9) return std::nullopt;
  return static_cast<pid_t>(std::stol(info.substr(i, end - i)));
}

// The sandbox's /work, opened through its init's root; checked to be that init (a child of our
// bwrap, whose pid cannot be reused while we have not reaped it). -1 when it is gone.
int open_sandbox_work_dir(pid_t init, pid_t bwrap) {
  const Fd proc(open(fmt::format("/proc/{}", init).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (proc.fd < 0) return -1;
  const Fd stat(openat(proc.fd, "stat", O_RDONLY | O_CLOEXEC));
  char buf[512];
  const ssize_t n = stat.fd < 0 ? -1 : read(stat.fd, buf, sizeof buf - 1);
  if (n <= 0) return -1;
  buf[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold anything, so from its last ')'.
  const char* close_paren = strrchr(buf, ')');
  char state = 0;
  int ppid = 0;
  if (!close_paren || sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2 || ppid != bwrap) return -1;
  return openat(proc.fd, "root/work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// The system's bwrap first; else the first on PATH (e.g. a Debian package unpacked elsewhere).
std::string find_bwrap() {
  std::vector<std::string> candidates = {"/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"};
  if (const char* path = std::getenv("PATH"))
    for (std::string_view rest = path; !rest.empty();) {
      const size_t colon = std::min(rest.find(':'), rest.size());
      if (colon > 0) candidates.push_back(std::string(rest.substr(0, colon)) + "/bwrap");
      rest.remove_prefix(std::min(colon + 1, rest.size()));
    }
  for (const auto& candidate : candidates)
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  throw SandboxUnavailable("bubblewrap (bwrap) is not installed: run scripts/install-deps.sh (Debian package "
                           "bubblewrap); generated commands are never run unsandboxed");
}

}  // namespace

Sandbox::Sandbox() : Sandbox(find_bwrap()) {}

Sandbox::Sandbox(std::string bwrap) : bwrap_(std::move(bwrap)) {
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
  SandboxResult r;
  try {
    r = run(probe);
  } catch (const InfraError& e) {
    throw SandboxUnavailable(fmt::format("{}; generated commands are never run unsandboxed", e.what()));
  }
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
  // Too long for exec (see kMaxCommandBytes): the answer's failure, not the sandbox's.
  size_t longest = request.command.size();
  for (const auto& [k, v] : request.env) longest = std::max({longest, k.size(), v.size()});
  if (longest > kMaxCommandBytes) {
    SandboxResult refused;
    refused.exit_code = kExitNotRun;
    refused.stderr_text = fmt::format(
        "aimicius sandbox: the command or a variable is {} bytes, more than the {} a command may have, and was not "
        "run\n",
        longest, kMaxCommandBytes);
    return refused;
  }
  // Files bwrap cannot copy into /work (past the one-file size limit it runs under, or the work
  // dir's size) would stop it before the sandbox starts: also the answer's failure (a plan program
  // of that size), so not run.
  int64_t file_bytes = 0, largest_file = 0;
  for (const auto& f : request.files) {
    file_bytes += static_cast<int64_t>(f.content.size());
    largest_file = std::max(largest_file, static_cast<int64_t>(f.content.size()));
  }
  if (largest_file > request.limits.max_file_bytes || file_bytes > request.limits.work_dir_bytes / 2) {
    SandboxResult refused;
    refused.exit_code = kExitNotRun;
    refused.stderr_text = fmt::format(
        "aimicius sandbox: the files to run with are {} bytes (largest {}), more than the work dir takes ({} a file, {} "
        "in all), and were not run\n",
        file_bytes, largest_file, request.limits.max_file_bytes, request.limits.work_dir_bytes / 2);
    return refused;
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Fd>> file_fds;
  for (const auto& f : request.files) {
    const fs::path rel = fs::path(f.path).lexically_normal();
    if (rel.is_absolute() || rel.empty() || *rel.begin() == ".." || rel == ".")
      throw std::invalid_argument(fmt::format("sandbox: file path \"{}\" must stay inside the work dir", f.path));
    file_fds.push_back(std::make_unique<Fd>(memory_file(f)));
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

  const fs::path* bin_dir = request.host_executables ? &host_bin_dir(*request.host_executables) : nullptr;
  const auto args = bwrap_args(bwrap_, request, etc_dir_->path(), bin_dir);
  const int64_t nproc = processes_of(lease.uid ? lease.uid : geteuid()) + request.limits.max_processes;
  std::vector<char*> argv;  // built before the fork: the child must not allocate
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Pipe in, out, err, done, release, info;
  std::vector<int> pass = {done.fds[1], release.fds[0], info.fds[1]};  // kDoneFd, kReleaseFd, kInfoFd
  for (const auto& f : file_fds) pass.push_back(f->fd);                // kFirstFileFd...
  std::vector<int> scratch(pass.size());
  ChildStart child{argv.data(), &request.limits, lease.uid, nproc, in.fds[0], out.fds[1], err.fds[1],
                   pass.data(), scratch.data(), static_cast<int>(pass.size()), {}};
  const pid_t pid = spawn_child(child);
  if (pid < 0) throw InfraError(fmt::format("sandbox: starting bwrap failed: {}", std::strerror(errno)));
  in.close_read();
  out.close_write();
  err.close_write();
  done.close_write();
  release.close_read();
  info.close_write();
  file_fds.clear();

  SandboxResult result;
  // Feed stdin (small by design: nothing in the suites sends more than a pipe buffer).
  if (!request.stdin_text.empty()) {
    const ssize_t n = write(in.fds[1], request.stdin_text.data(), request.stdin_text.size());
    (void)n;
  }
  in.close_write();

  const auto deadline =
      start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                  std::chrono::duration<double>(request.limits.wall_seconds));
  const size_t cap = static_cast<size_t>(request.limits.output_cap_bytes);
  // bwrap's info and the wrapper's status are a few bytes; more is not theirs and is not kept.
  constexpr size_t kControlCap = 4096;
  std::string info_text, done_text;
  bool info_truncated = false, done_truncated = false;
  struct Stream {
    int fd;
    std::string* text;
    bool* truncated;
    size_t cap;
  } streams[4] = {{out.fds[0], &result.stdout_text, &result.stdout_truncated, cap},
                  {err.fds[0], &result.stderr_text, &result.stderr_truncated, cap},
                  {info.fds[0], &info_text, &info_truncated, kControlCap},
                  {done.fds[0], &done_text, &done_truncated, kControlCap}};
  out.fds[0] = err.fds[0] = info.fds[0] = done.fds[0] = -1;  // owned by `streams` from here
  Stream& done_stream = streams[3];
  // Reads every open stream until `until()` holds or the deadline passes (timed_out then).
  char buf[1 << 14];
  auto pump = [&](const std::function<bool()>& until) {
    while (!until()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        result.timed_out = true;
        return;
      }
      pollfd pfds[4];
      Stream* of[4];
      int n = 0;
      for (auto& s : streams)
        if (s.fd >= 0) of[n] = &s, pfds[n++] = {s.fd, POLLIN, 0};
      if (n == 0) return;
      const int wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
      if (poll(pfds, n, wait_ms) < 0 && errno != EINTR) return;
      for (int i = 0; i < n; ++i) {
        if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        Stream& s = *of[i];
        const ssize_t got = read(s.fd, buf, sizeof buf);
        if (got > 0) {
          const size_t room = s.cap > s.text->size() ? s.cap - s.text->size() : 0;
          s.text->append(buf, std::min(room, static_cast<size_t>(got)));
          if (static_cast<size_t>(got) > room) {
            // Cap reached: stop listening, like `| head` (the writer gets SIGPIPE).
            *s.truncated = true;
            close(s.fd);
            s.fd = -1;
          }
        } else if (got == 0 || errno != EINTR) {
          close(s.fd);
          s.fd = -1;
        }
      }
    }
  };
  // 1. The command, until the wrapper reports it over (or the sandbox ends without it: the
  //    wrapper was killed, or bwrap failed to start).
  pump([&] { return done_text.find('\n') != std::string::npos || done_stream.fd < 0; });
  const bool command_over = done_text.find('\n') != std::string::npos && !result.timed_out;
  // 2. Its work dir, read while the wrapper waits, within what is left of the time limit. The
  //    open descriptor keeps the tmpfs alive even if the sandbox ends meanwhile.
  if (command_over) {
    pump([&] { return child_pid(info_text).has_value() || streams[2].fd < 0; });
    const std::optional<pid_t> init = child_pid(info_text);
    const Fd work(init ? open_sandbox_work_dir(*init, pid) : -1);
    if (work.fd < 0) {
      result.work_dir_error = result.timed_out ? "work dir not read: the time limit passed"
                                               : "work dir not read: the sandbox ended before it could be";
    } else {
      const WorkDirRead read =
          read_work_dir(work.fd,
                        {request.limits.work_dir_max_entries, request.limits.work_dir_max_depth,
                         request.limits.work_dir_read_bytes, request.limits.output_cap_bytes},
                        deadline);
      result.work_dir = std::move(read.entries);
      result.work_dir_error = read.over_limit;
      result.timed_out = result.timed_out || read.timed_out;
      struct statvfs fs_stat {};
      if (result.work_dir_error.empty() && fstatvfs(work.fd, &fs_stat) == 0 && fs_stat.f_bavail == 0)
        result.work_dir_error = fmt::format("work dir full: the command filled its {} bytes", request.limits.work_dir_bytes);
    }
  } else {
    // Whether bwrap set the sandbox up at all: it reports the sandbox's init on the info fd before
    // the command starts, so without that report nothing of the command ran (checked below).
    if (!result.timed_out) pump([&] { return child_pid(info_text).has_value() || streams[2].fd < 0; });
    result.work_dir_error = result.timed_out ? "work dir not read: the command ran past the time limit"
                                             : "work dir not read: the sandbox ended before the command's end was reported";
  }
  const bool sandbox_started = command_over || child_pid(info_text).has_value();
  // 3. Release the wrapper; the rest of stdout and stderr (every writer is dead by now) until the
  //    sandbox ends.
  release.close_write();
  if (!result.timed_out) pump([&] { return streams[0].fd < 0 && streams[1].fd < 0; });
  for (auto& s : streams)
    if (s.fd >= 0) close(s.fd);

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
  if (!sandbox_started) {
    // The harness's failure, not the answer's: bwrap ran nothing (its own message is on stderr).
    const std::string message = result.stderr_text.substr(0, result.stderr_text.find('\n'));
    throw InfraError(fmt::format("sandbox: bubblewrap did not start the sandbox ({}): {}",
                                 result.timed_out ? "no report within the time limit"
                                 : result.term_signal ? fmt::format("killed by signal {}", result.term_signal)
                                                      : fmt::format("exit {}", result.exit_code),
                                 message.empty() ? "no message" : message));
  }
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace aimicius
