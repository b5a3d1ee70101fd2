// The sandbox against what model output may do: every attack must stay contained, end within the
// limits, and leave the host and this test process untouched.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <chrono>
#include <thread>

#include "common/errors.h"
#include "scorers/sandbox/sandbox.h"
#include "tests/scratch_dir.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

const Sandbox& sandbox() {
  static const Sandbox kSandbox;  // probing bwrap once per test binary is enough
  return kSandbox;
}

SandboxResult run(const std::string& command, double wall_seconds = 5.0) {
  SandboxRequest r;
  r.command = command;
  r.limits.wall_seconds = wall_seconds;
  return sandbox().run(r);
}

TEST(Sandbox, RunsCommandsWithFilesEnvAndExitCodes) {
  SandboxRequest r;
  r.command = "cat in/data.txt; echo out > made.txt; mkdir d; echo \"$GREETING $HOME $PWD\"; exit 3";
  r.files = {{"in/data.txt", "payload\n", false}};
  r.env = {{"GREETING", "hello"}};
  const SandboxResult res = sandbox().run(r);
  EXPECT_EQ(res.exit_code, 3);
  EXPECT_EQ(res.stdout_text, "payload\nhello /work /work\n");
  EXPECT_FALSE(res.timed_out);
  EXPECT_EQ(res.work_dir.at("made.txt"), "out\n");
  EXPECT_EQ(res.work_dir.at("in/data.txt"), "payload\n");
  EXPECT_EQ(res.work_dir.at("d"), "<dir>");
}

// The command runs inside a wrapper (it reads the work dir after it): the command sees what
// `/bin/sh -c COMMAND` would, and its status is the run's.
TEST(Sandbox, TheWrapperIsInvisibleToTheCommand) {
  const SandboxResult res = run("echo \"$0 $# [${c-unset}] $$ $PPID\"; ls /proc/self/fd; exit 7");
  EXPECT_EQ(res.exit_code, 7);
  EXPECT_EQ(res.stdout_text, "/bin/sh 0 [unset] 2 1\n0\n1\n2\n3\n") << res.stderr_text;  // 3: ls's own
  EXPECT_EQ(run("if then").exit_code, 2) << "a syntax error exits 2, as sh -c does";
  EXPECT_EQ(run("exec false").exit_code, 1);
}

TEST(Sandbox, EnvironmentIsCleanAndHostIsInvisible) {
  setenv("AIMICIUS_SECRET_FOR_TEST", "leak", 1);
  const SandboxResult env = run("env");
  EXPECT_EQ(env.stdout_text.find("AIMICIUS_SECRET_FOR_TEST"), std::string::npos) << env.stdout_text;
  EXPECT_NE(env.stdout_text.find("PATH=/usr/local/bin:/usr/bin:/bin"), std::string::npos);
  ScratchDir dir;
  testing::write_file(dir / "secret.txt", "top secret");
  const SandboxResult read = run("cat /etc/shadow; cat '" + (dir / "secret.txt").string() + "'; ls /root; ls /home");
  EXPECT_EQ(read.stdout_text.find("top secret"), std::string::npos);
  EXPECT_EQ(read.stdout_text.find("root:"), std::string::npos);
  EXPECT_NE(read.exit_code, 0);
}

// Issue 19, item 1: a command read the harness's environment (an API key) through /proc/1/environ,
// the environment of bwrap's own init process. No process the command can see holds it.
TEST(Sandbox, NoProcessTheCommandSeesHoldsTheHarnessEnvironment) {
  setenv("AIMICIUS_SECRET_FOR_TEST", "sk-leak-0123456789", 1);
  const SandboxResult res =
      run("for f in /proc/[0-9]*/environ /proc/self/environ; do tr '\\0' '\\n' < \"$f\"; done; ls /proc");
  unsetenv("AIMICIUS_SECRET_FOR_TEST");
  EXPECT_EQ(res.stdout_text.find("sk-leak"), std::string::npos) << res.stdout_text;
  EXPECT_EQ(res.stdout_text.find("AIMICIUS_SECRET_FOR_TEST"), std::string::npos) << res.stdout_text;
  EXPECT_NE(res.stdout_text.find("PATH="), std::string::npos) << "the command's own environment is readable: "
                                                              << res.stdout_text << res.stderr_text;
}

TEST(Sandbox, ACommandWithANulByteIsNotRun) {
  const SandboxResult res = run(std::string("echo first\0echo second", 22));
  EXPECT_EQ(res.exit_code, kExitNotRun);
  EXPECT_EQ(res.stdout_text, "");
  EXPECT_NE(res.stderr_text.find("NUL byte"), std::string::npos) << res.stderr_text;
}

// A command past exec's 128 KiB per argument made bwrap fail to start, which read as a broken
// sandbox (an infrastructure error, left out of the score). Past kMaxCommandBytes it is not run,
// like a command the shell cannot execute; below it, it runs.
TEST(Sandbox, ACommandTooLongToExecIsNotRunAndSaysSo) {
  const SandboxResult huge = run("echo " + std::string(200000, 'a'));
  EXPECT_EQ(huge.exit_code, kExitNotRun);
  EXPECT_EQ(huge.stdout_text, "");
  EXPECT_NE(huge.stderr_text.find("200005 bytes, more than the 65536"), std::string::npos) << huge.stderr_text;
  const SandboxResult long_ok = run("echo " + std::string(60000, 'a') + " | wc -c");
  EXPECT_EQ(long_ok.exit_code, 0) << long_ok.stderr_text;
  EXPECT_EQ(long_ok.stdout_text, "60001\n");
  // A file past the one-file limit (a plan program of 20 MB) stopped bwrap the same way.
  SandboxRequest request;
  request.command = "wc -c < big.py";
  request.files = {{"big.py", std::string(20 << 20, '#'), false}};
  const SandboxResult big_file = sandbox().run(request);
  EXPECT_EQ(big_file.exit_code, kExitNotRun);
  EXPECT_NE(big_file.stderr_text.find("more than the work dir takes"), std::string::npos) << big_file.stderr_text;
  request.files = {{"big.py", std::string(1 << 20, '#'), false}};
  const SandboxResult ok_file = sandbox().run(request);
  EXPECT_EQ(ok_file.exit_code, 0) << ok_file.stderr_text;
  EXPECT_EQ(ok_file.stdout_text, "1048576\n");
}

TEST(Sandbox, DeletingAndWritingOutsideTheWorkDirFails) {
  ScratchDir dir;
  testing::write_file(dir / "canary", "alive");
  const SandboxResult rm = run("rm -rf / 2>/dev/null; rm -rf ~ 2>/dev/null; rm -rf '" + dir.path().string() +
                               "' 2>/dev/null; echo x > /usr/evil; echo x > /evil; echo x > /etc/evil; ls /usr/bin | wc -l");
  EXPECT_EQ(testing::read_file(dir / "canary"), "alive");
  EXPECT_FALSE(std::filesystem::exists("/usr/evil"));
  EXPECT_FALSE(std::filesystem::exists("/evil"));
  EXPECT_GT(std::stoi(rm.stdout_text), 10) << "the read-only /usr must survive rm -rf /";
  EXPECT_FALSE(rm.timed_out);
}

TEST(Sandbox, HostExecutablesShowOnlyTheNamedProgramsAndTheirLibraries) {
  SandboxRequest r;
  r.host_executables = std::vector<std::string>{"sh", "ls", "cat", "awk", "no-such-program-here"};
  r.command = "ls /usr/bin | cat; echo a b | awk '{print $2}'; ls /usr/local /opt /usr/share 2>/dev/null; "
              "for p in python3 gcc cc perl /usr/bin/python3 /usr/local/cuda/bin/nvcc; do $p --version >/dev/null "
              "2>&1; echo \"$p $?\"; done";
  r.limits.wall_seconds = 5;
  const SandboxResult res = sandbox().run(r);
  // Exactly the listed names that the machine has, at /usr/bin/NAME (awk through its alternative).
  EXPECT_EQ(res.stdout_text.substr(0, res.stdout_text.find("b\n")), "awk\ncat\nls\nsh\n") << res.stdout_text;
  for (const char* line : {"python3 127", "gcc 127", "cc 127", "perl 127", "/usr/bin/python3 127",
                           "/usr/local/cuda/bin/nvcc 127"})
    EXPECT_NE(res.stdout_text.find(line), std::string::npos) << line << "\n" << res.stdout_text << res.stderr_text;
  EXPECT_EQ(res.stdout_text.find("share"), std::string::npos);

  SandboxRequest python;
  python.host_executables = std::vector<std::string>{"sh", "python3"};
  python.command = "python3 -c 'import json, os, sys; print(json.dumps(sorted(os.listdir(\"/usr/bin\"))))'";
  const SandboxResult py = sandbox().run(python);
  EXPECT_EQ(py.exit_code, 0) << py.stderr_text;
  EXPECT_EQ(py.stdout_text, "[\"python3\", \"sh\"]\n");

  SandboxRequest bad;
  bad.host_executables = std::vector<std::string>{"sh", "../usr/bin/gcc"};
  bad.command = "true";
  EXPECT_THROW(sandbox().run(bad), std::invalid_argument);
}

TEST(Sandbox, ForkBombIsContainedAndTheHostCanStillFork) {
  const auto t0 = std::chrono::steady_clock::now();
  const SandboxResult bomb = run("b() { b | b & }; b; sleep 30", 2.0);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(bomb.timed_out || bomb.exit_code != 0);
  EXPECT_LT(took, 10.0);
  // Nothing of it survives (as root each sandbox runs under a uid of its own pool, so its
  // processes are countable).
  if (geteuid() == 0) {
    const auto [first, last] = sandbox().uid_range();
    int left = -1;
    for (int i = 0; i < 50 && left != 0; ++i) {
      left = 0;
      for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        struct stat st {};
        const std::string name = e.path().filename().string();
        if (isdigit(name[0]) && stat(e.path().c_str(), &st) == 0 && st.st_uid >= first && st.st_uid < last) ++left;
      }
      if (left) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(left, 0) << "fork-bomb processes outlived the sandbox";
  }
  // The host (and the next sandbox) still work.
  EXPECT_EQ(run("echo fine").stdout_text, "fine\n");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
}

TEST(Sandbox, InfiniteOutputIsCappedAndSleepForeverIsKilled) {
  SandboxRequest r;
  r.command = "yes";
  r.limits.wall_seconds = 5;
  r.limits.output_cap_bytes = 4096;
  const SandboxResult yes = sandbox().run(r);
  EXPECT_TRUE(yes.stdout_truncated);
  EXPECT_EQ(yes.stdout_text.size(), 4096u);
  EXPECT_LT(yes.wall_seconds, 5.0) << "a capped stream should end the writer (SIGPIPE), not wait for the limit";

  const SandboxResult sleep = run("sleep 1000", 1.0);
  EXPECT_TRUE(sleep.timed_out);
  EXPECT_LT(sleep.wall_seconds, 3.0);
  // Detached children die with the sandbox too.
  const SandboxResult detached = run("(sleep 1000 &) ; echo started", 5.0);
  EXPECT_EQ(detached.stdout_text, "started\n");
  EXPECT_LT(detached.wall_seconds, 4.0);
}

TEST(Sandbox, NoNetworkNeitherLoopbackOfTheHostNorOutside) {
  // A listener on the host's loopback: the sandbox has its own network namespace and cannot reach it.
  const int server = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(server, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(server, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  const std::string py =
      "import socket\n"
      "for host, port in (('127.0.0.1', " + std::to_string(port) + "), ('8.8.8.8', 53), ('1.1.1.1', 443)):\n"
      "    s = socket.socket(); s.settimeout(1)\n"
      "    try:\n"
      "        s.connect((host, port)); print('CONNECTED', host)\n"
      "    except OSError as e:\n"
      "        print('refused', host)\n";
  SandboxRequest r;
  r.command = "python3 probe.py";
  r.files = {{"probe.py", py, false}};
  const SandboxResult res = sandbox().run(r);
  close(server);
  EXPECT_EQ(res.stdout_text.find("CONNECTED"), std::string::npos) << res.stdout_text;
  EXPECT_NE(res.stdout_text.find("refused 127.0.0.1"), std::string::npos) << res.stdout_text << res.stderr_text;
}

TEST(Sandbox, KillingTheParentAndEveryoneDoesNotReachTheHost) {
  const pid_t parent = getppid();
  const SandboxResult res = run("kill -9 $PPID; kill -9 -1; echo after", 3.0);
  // Inside, $PPID and -1 name only the sandbox's own PID namespace: this process (it is still
  // here to check), its parent (ctest or a shell) and the next sandbox are untouched.
  EXPECT_FALSE(res.timed_out);
  EXPECT_EQ(kill(parent, 0), 0) << "the test runner was killed from inside the sandbox";
  EXPECT_EQ(run("echo still-here").stdout_text, "still-here\n");
}

// A sandbox that worked and then does not start (user namespaces exhausted, bwrap removed) is the
// harness's failure: an InfraError naming bwrap's message, never a result that an answer is judged
// on. The fake bwrap runs the real one until told to fail.
TEST(Sandbox, BubblewrapFailingToStartIsAnInfraErrorNotAResult) {
  if (access("/usr/bin/bwrap", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/bwrap to wrap";
  ScratchDir dir;
  const std::filesystem::path fake = dir.path() / "bwrap", fail = dir.path() / "fail";
  {
    std::ofstream out(fake);
    out << "#!/bin/sh\nif [ -e '" << fail.string()
        << "' ]; then echo 'bwrap: setting up uid map: Permission denied' >&2; exit 1; fi\nexec /usr/bin/bwrap \"$@\"\n";
  }
  std::filesystem::permissions(fake, std::filesystem::perms(0755));
  const Sandbox wrapped(fake.string());
  SandboxRequest r;
  r.command = "echo ran";
  r.limits.wall_seconds = 5.0;
  EXPECT_EQ(wrapped.run(r).stdout_text, "ran\n");
  std::ofstream(fail).put('x');
  try {
    wrapped.run(r);
    ADD_FAILURE() << "a sandbox that did not start gave a result";
  } catch (const InfraError& e) {
    EXPECT_NE(std::string(e.what()).find("setting up uid map: Permission denied"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("exit 1"), std::string::npos) << e.what();
  }
  std::filesystem::remove(fail);
  EXPECT_EQ(wrapped.run(r).stdout_text, "ran\n") << "the next run starts again";
}

TEST(Sandbox, HugeAllocationFailsInsideOnly) {
  const SandboxResult res = run("python3 -c 'x = bytearray(8 << 30); print(len(x))'");
  EXPECT_NE(res.exit_code, 0);
  EXPECT_NE(res.stderr_text.find("MemoryError"), std::string::npos) << res.stderr_text;
}

TEST(Sandbox, LargeFilesAreCutByTheFileSizeLimit) {
  SandboxRequest r;
  r.command = "head -c 100000000 /dev/zero > big; echo rc=$?";
  r.limits.max_file_bytes = 1 << 20;
  const SandboxResult res = sandbox().run(r);
  EXPECT_NE(res.stdout_text.find("rc="), std::string::npos);
  EXPECT_NE(res.stdout_text, "rc=0\n");
  EXPECT_LE(res.work_dir.at("big").size(), (1u << 20) + 16);
}

// Issue 19, item 2: the harness read the work dir itself after the command, with no bound on its
// depth or its time: a few thousand nested directories took minutes, and timed_out stayed false.
TEST(Sandbox, ADeepWorkDirIsReadWithinTheTimeLimit) {
  const auto t0 = std::chrono::steady_clock::now();
  const SandboxResult res = run(
      "p=$(printf 'd/%.0s' $(seq 1000)); for i in 1 2 3; do mkdir -p \"$p\" && cd \"$p\" || exit 1; done; echo made",
      5.0);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(took, 7.0) << "the work dir's read is part of the example's time limit";
  EXPECT_TRUE(res.timed_out || res.work_dir_error.find("deeper than 32 levels") != std::string::npos)
      << res.work_dir_error << res.stderr_text;
  EXPECT_LE(res.work_dir.size(), 32u);
}

// Issue 19, item 3: 8,000 small files grew the harness's memory by 430 MB: what it keeps of the
// work dir is bounded in all, not per file.
TEST(Sandbox, ManySmallFilesAreReadWithinABoundInAll) {
  const SandboxResult res =
      run("x=$(head -c 60000 /dev/zero | tr '\\0' x); i=0; while [ $i -lt 300 ]; do printf %s \"$x\" > f$i; "
          "i=$((i+1)); done; echo done");
  EXPECT_EQ(res.stdout_text, "done\n") << res.stderr_text;
  size_t held = 0;
  for (const auto& [name, content] : res.work_dir) held += name.size() + content.size();
  EXPECT_LE(held, size_t{4} << 20) << "the harness holds " << held << " bytes of one run's work dir";
  EXPECT_NE(res.work_dir_error.find("exceed 4194304 bytes"), std::string::npos) << res.work_dir_error;

  SandboxRequest many;
  many.command = "i=0; while [ $i -lt 300 ]; do : > f$i; i=$((i+1)); done";
  many.limits.work_dir_max_entries = 100;
  const SandboxResult counted = sandbox().run(many);
  EXPECT_EQ(counted.exit_code, 0);
  EXPECT_EQ(counted.work_dir.size(), 100u);
  EXPECT_NE(counted.work_dir_error.find("more than 100 entries"), std::string::npos) << counted.work_dir_error;
}

// Issue 19, item 3: one answer wrote 3.9 GB into the host's /dev/shm in 9 s. Every place the
// command can write is a tmpfs of fixed size (or read-only), so the kernel refuses more.
TEST(Sandbox, EveryWritablePlaceHasAFixedSize) {
  const SandboxResult res = run(
      "for d in /work /tmp; do i=0; while [ $i -lt 12 ]; do head -c 8000000 /dev/zero > $d/f$i 2>/dev/null || break; "
      "i=$((i+1)); done; echo \"$d $(cat $d/f* | wc -c)\"; done; "
      "for d in / /dev /dev/shm; do echo x > $d/f 2>/dev/null && echo \"$d writable\"; done; rm -f /work/f*");
  ASSERT_FALSE(res.timed_out);
  std::istringstream lines(res.stdout_text);
  std::string dir;
  int64_t bytes = 0;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(lines >> dir >> bytes) << res.stdout_text;
    EXPECT_GT(bytes, int64_t{1} << 20) << dir << " is writable";
    EXPECT_LE(bytes, int64_t{64} << 20) << dir << " took " << bytes << " bytes";
  }
  EXPECT_EQ(res.stdout_text.find("writable"), std::string::npos) << res.stdout_text;

  // A full work dir is the command's failure, and named in the result.
  SandboxRequest fill;
  fill.command = "head -c 3000000 /dev/zero > big";
  fill.limits.work_dir_bytes = 1 << 20;
  const SandboxResult full = sandbox().run(fill);
  EXPECT_NE(full.exit_code, 0);
  EXPECT_NE(full.stderr_text.find("No space left"), std::string::npos) << full.stderr_text;
  EXPECT_LE(full.work_dir.at("big").size(), size_t{1} << 20);
  EXPECT_NE(full.work_dir_error.find("work dir full"), std::string::npos) << full.work_dir_error;
}

// The work dir is read as the command left it: what it started in the background is gone by then,
// and links are reported, never followed out of the sandbox.
TEST(Sandbox, TheWorkDirIsReadAsTheCommandLeftIt) {
  const SandboxResult res =
      run("(sleep 0.5; echo late > late.txt) & echo now > now.txt; ln -s /etc/hostname host; mkfifo pipe; "
          "mkdir -p a/b; echo deep > a/b/c");
  EXPECT_EQ(res.exit_code, 0) << res.stderr_text;
  EXPECT_LT(res.wall_seconds, 3.0);
  EXPECT_TRUE(res.work_dir_error.empty()) << res.work_dir_error;
  const std::map<std::string, std::string> expected = {{"now.txt", "now\n"},
                                                       {"host", "<symlink -> /etc/hostname>"},
                                                       {"pipe", "<special>"},
                                                       {"a", "<dir>"},
                                                       {"a/b", "<dir>"},
                                                       {"a/b/c", "deep\n"}};
  EXPECT_EQ(res.work_dir, expected);
}

TEST(Sandbox, FilesMustStayInsideTheWorkDir) {
  SandboxRequest r;
  r.command = "true";
  r.files = {{"../escape", "x", false}};
  EXPECT_THROW(sandbox().run(r), std::invalid_argument);
}

TEST(Sandbox, AForkBombDoesNotStarveAConcurrentSandbox) {
  std::thread bomb([] { run("b() { b | b & }; b; sleep 30", 3.0); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let it fill its process budget
  const SandboxResult neighbour = run("for i in 1 2 3 4 5; do echo $i | cat; done | wc -l");
  bomb.join();
  EXPECT_EQ(neighbour.exit_code, 0) << neighbour.stderr_text;
  EXPECT_EQ(neighbour.stdout_text, "5\n");
}

TEST(Sandbox, ParallelRunsDoNotInterfere) {
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      SandboxRequest r;
      r.command = "cat n.txt; echo written > f";
      r.files = {{"n.txt", std::to_string(i), false}};
      outputs[i] = sandbox().run(r).stdout_text;
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(outputs[i], std::to_string(i));
}

}  // namespace
}  // namespace aimicius
