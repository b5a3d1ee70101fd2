// The `aimicius` binary run as a user runs it, for the CLI tests (cli_test.cpp, cli_bad_input_test.cpp):
// a scratch folder with the test's database, the command's exit code, stdout and stderr.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "harness/store/store.h"
#include "test_support.h"

namespace aimicius::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class Cli : public ::testing::Test {
 protected:
  // Runs aimicius with `args` (shell words) against the fixture data and this test's database;
  // `prefix` (shell text) goes before the binary (setpriv ..., a subshell's ulimit; see below).
  CommandResult aimicius(const std::string& args, const std::string& data_dir = "", const std::string& prefix = "") {
    std::filesystem::create_directories(dir_ / "io");  // not the db's folder, which a test may make read-only
    const auto out = dir_ / "io" / "stdout.txt";
    const auto err = dir_ / "io" / "stderr.txt";
    const std::string cmd = prefix + " '" + AIMICIUS_BIN + "' --db '" + db() + "' --data-dir '" +
                            (data_dir.empty() ? fixture_data_dir().string() : data_dir) + "' " +
                            args + " >'" + out.string() + "' 2>'" + err.string() + "' </dev/null";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
  }
  std::string db() const { return (dir_ / "cli.db").string(); }
  int64_t run_count() {
    if (!std::filesystem::exists(db())) return 0;
    return static_cast<int64_t>(Store::open_for_read(db()).list_runs().size());
  }
  // A random tiny-diffqkv checkpoint from `aimicius make-checkpoint` (builds with the runtime).
  std::filesystem::path tiny_checkpoint() {
    const auto ckpt = dir_ / "ckpt";
    const auto r = aimicius("make-checkpoint --preset tiny-diffqkv --out '" + ckpt.string() + "'");
    if (r.exit_code != 0) throw std::runtime_error("make-checkpoint failed: " + r.err);
    return ckpt;
  }
  ScratchDir dir_;
};

}  // namespace aimicius::testing
