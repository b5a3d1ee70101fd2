// Test helper: a PlanRunner that runs python3 directly (no sandbox) in a fresh temporary
// directory, with a wall-clock limit via coreutils `timeout`. Only for unit tests of trusted
// programs; production callers pass a runner backed by the bubblewrap sandbox (scorers/sandbox/sandbox.h).
// Exit status 124 from `timeout` is reported as timed_out. The directory is removed afterwards.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "scorers/plan/plan_scorer.h"

namespace aimicius::topology::testing {

inline std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline PlanRunResult run_python_directly(const std::string& program, int timeout_seconds = 20) {
  std::string pattern = (std::filesystem::temp_directory_path() / "aimicius-topo-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  const std::filesystem::path dir = pattern;
  {
    std::ofstream out(dir / "plan.py", std::ios::binary);
    out << program;
  }
  const std::string command = "cd '" + dir.string() + "' && timeout -k 1 " +
                              std::to_string(timeout_seconds) +
                              " python3 plan.py > stdout.txt 2> stderr.txt < /dev/null";
  const int status = std::system(command.c_str());
  PlanRunResult result;
  if (status == -1 || !WIFEXITED(status)) {
    result.started = false;
    result.error = "std::system failed";
  } else {
    result.exit_code = WEXITSTATUS(status);
    result.timed_out = result.exit_code == 124;
  }
  result.stdout_text = read_whole_file(dir / "stdout.txt");
  result.stderr_text = read_whole_file(dir / "stderr.txt");
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return result;
}

inline PlanRunner python_runner() {
  return [](const std::string& program) { return run_python_directly(program); };
}

}  // namespace aimicius::topology::testing
