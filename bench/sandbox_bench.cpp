// `aimicius bench sandbox`: sandboxed executions per second of a trivial command, with `jobs`
// threads (each execution is a full bubblewrap sandbox: namespaces, work dir, limits, snapshot).
// The reference printed beside it is the same command run by a plain fork/exec of /bin/sh
// without any sandbox, so the sandbox's own cost is visible. The sandbox shows the machine's
// programs as command scoring does (command_utilities(): the shell and a fixed coreutils set).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "bench/bench_commands.h"
#include "bench/bench_stats.h"
#include "common/errors.h"
#include "scorers/command/command_execution.h"
#include "scorers/sandbox/sandbox.h"

namespace aimicius {
namespace {


// Runs `task` `runs` times over `jobs` threads; returns executions per second.
double rate(int runs, int jobs, const std::function<void()>& task) {
  std::atomic<int> next{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j)
    threads.emplace_back([&] {
      while (next++ < runs) task();
    });
  for (auto& t : threads) t.join();
  return runs / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int command_bench_sandbox(const BenchSandboxOptions& o) {
  if (o.runs < 1 || o.jobs < 1 || o.repeats < 1) throw InputError("bench sandbox: --runs, --jobs, --repeats must be >= 1");
  const Sandbox sandbox;
  SandboxRequest request;
  request.command = o.command;
  request.host_executables = command_utilities();  // the host view commands are scored in
  std::atomic<int> failures{0};
  auto sandboxed = [&] {
    if (sandbox.run(request).exit_code != 0) ++failures;
  };
  auto plain = [&] {
    const pid_t pid = fork();
    if (pid == 0) {
      const int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, 1);
      execl("/bin/sh", "sh", "-c", o.command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
  };
  rate(std::max(1, o.runs / 10), o.jobs, sandboxed);  // warm-up
  std::vector<double> boxed, bare;
  for (int r = 0; r < o.repeats; ++r) {
    boxed.push_back(rate(o.runs, o.jobs, sandboxed));
    bare.push_back(rate(o.runs, o.jobs, plain));
  }
  fmt::print("command {:?}, {} runs x {} repeats, {} jobs, {} cores: sandboxed {:.1f} exec/s, unsandboxed "
             "fork/exec {:.1f} exec/s (medians){}\n",
             o.command, o.runs, o.repeats, o.jobs, std::thread::hardware_concurrency(), median(boxed), median(bare),
             failures ? fmt::format(", {} sandboxed runs FAILED", failures.load()) : "");
  return failures ? 1 : 0;
}

}  // namespace aimicius
