// The multi-call binary as a subprocess: dispatch on argv[0] (symlink) and on the first
// argument, profile errors, and determinism across runs.
#include <gtest/gtest.h>

#include "hostsim/exit_codes.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::contains;
using testing::profile_path;
using testing::run_shell;

// One scratch folder per test process, removed when it exits.
const std::filesystem::path& work_dir() {
  static const aimicius::testing::ScratchDir dir;
  return dir.path();
}

TEST(HostsimBinary, SymlinkAndExplicitToolGiveSameOutput) {
  const auto via_link = run_shell(profile_path("dgx-h100"), "nvidia-smi -L", work_dir());
  const auto explicit_tool =
      run_shell(profile_path("dgx-h100"), std::string("'") + AIMICIUS_HOSTSIM_BIN + "' nvidia-smi -L", work_dir());
  EXPECT_EQ(via_link.status, 0);
  EXPECT_EQ(via_link.out, explicit_tool.out);
  EXPECT_TRUE(contains(via_link.out, "GPU 7: NVIDIA H100 80GB HBM3"));
}

TEST(HostsimBinary, MissingOrInvalidProfile) {
  const auto missing = run_shell("/nonexistent/host.json", "nvidia-smi -L", work_dir());
  EXPECT_EQ(missing.status, kExitBadProfile);
  EXPECT_TRUE(contains(missing.err, "/nonexistent/host.json"));
  const auto bad_file = work_dir() / "bad.json";
  std::ofstream(bad_file) << "{\"name\": 1}";
  const auto invalid = run_shell(bad_file.string(), "rocm-smi", work_dir());
  EXPECT_EQ(invalid.status, kExitBadProfile);
  EXPECT_TRUE(contains(invalid.err, bad_file.string()));
  EXPECT_TRUE(invalid.out.empty());
}

TEST(HostsimBinary, UnknownToolAndExitCodesPropagate) {
  const auto unknown = run_shell(profile_path("dgx-h100"), std::string("'") + AIMICIUS_HOSTSIM_BIN + "' ls", work_dir());
  EXPECT_EQ(unknown.status, 2);
  EXPECT_EQ(run_shell(profile_path("dgx-h100"), "nvidia-smi --bogus", work_dir()).status, kNvsmiInvalidArgument);
  EXPECT_EQ(run_shell(profile_path("dgx-h100"), "rocm-smi", work_dir()).status, kExitCommandNotFound);
}

TEST(HostsimBinary, Deterministic) {
  for (const char* command : {"nvidia-smi", "nvidia-smi -q", "nvidia-smi dmon -c 2", "dcgmi diag -r 3"}) {
    const auto first = run_shell(profile_path("dgx-h100"), command, work_dir());
    const auto second = run_shell(profile_path("dgx-h100"), command, work_dir());
    EXPECT_EQ(first.out, second.out) << command;
    EXPECT_FALSE(first.out.empty()) << command;
  }
}

}  // namespace
}  // namespace aimicius::hostsim
