// Coverage of the cmdgen dataset (test, dev and fewshot splits): every reference command whose
// first word (after VAR=value prefixes and a path) is a simulated tool runs on its example's host
// ("host", else by platform: nvidia -> dgx-h100, amd -> mi250x-node; linux -> dgx-h100, else
// mi250x-node, since e.g. `lspci -d 1002:` rightly prints nothing on an NVIDIA host) with exit 0
// and some output (on stdout or in a file it was asked to write) -- except the commands listed
// below, which must fail with the stated status, and examples marked "execute": false, which must
// not succeed (e.g. multi-node mpirun launches, not simulated: exit 64).
#include <gtest/gtest.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "hostsim/exit_codes.h"
#include "dataset_commands.h"
#include "hostsim_test_support.h"
#include "hostsim/text_util.h"

namespace aimicius::hostsim {
namespace {

struct ExpectedFailure {
  const char* command;
  int status;
  const char* why;
};

// Commands the real tools refuse to a non-root user (the sandbox runs as one): they are
// simulated as that refusal, so a reference and a candidate both fail the same way.
const std::vector<ExpectedFailure> kNeedsRoot = {
    {"nvidia-smi -pm 1", kNvsmiNoPermission, "setting persistence mode needs root"},
    {"nvidia-smi -i 1 -pl 350", kNvsmiNoPermission, "changing the power limit needs root"},
    {"nvidia-smi -i 0 -lgc 1410,1410", kNvsmiNoPermission, "locking clocks needs root"},
    {"nvidia-smi -rgc", kNvsmiNoPermission, "resetting locked clocks needs root"},
    {"nvidia-smi -i 4 -c EXCLUSIVE_PROCESS", kNvsmiNoPermission, "changing the compute mode needs root"},
    {"nvidia-smi -i 0 -mig 1", kNvsmiNoPermission, "enabling MIG needs root"},
    {"nvidia-smi -i 2 -r", kNvsmiNoPermission, "a GPU reset needs root"},
    {"nvidia-smi -i 0 -ac 1215,1410", kNvsmiNoPermission, "setting application clocks needs root"},
    {"nvidia-smi -i 1 -p 0", kNvsmiNoPermission, "resetting ECC counters needs root"},
    {"rocm-smi -d 3 --setperflevel high", 4, "setting the performance level needs root"},
    {"rocm-smi --resetclocks", 4, "resetting clocks needs root"},
    {"rocm-smi -d 1 --setpoweroverdrive 500", 4, "power overdrive needs root"},
    {"rocm-smi -d 5 --gpureset", 4, "a GPU reset needs root"},
    {"rocm-smi -d 0 --setperfdeterminism 1900", 4, "performance determinism needs root"},
};

// Commands that fail on the simulated host, as the real tool would or because they are outside
// the simulation.
const std::vector<ExpectedFailure> kUnsupported = {
    {"nvidia-smi mig -lgi", kNvsmiNotFound, "MIG is disabled on dgx-h100: the real tool finds no MIG-enabled device"},
    {"nvidia-smi mig -i 0 -cgi 9,9 -C", kNvsmiNotFound, "same: no MIG-enabled device to create instances on"},
};
// Plus every nvcc invocation with a .cu input: compilation is not simulated (exit 64).
bool is_nvcc_compilation(const std::vector<std::string>& words) {
  if (words.empty() || words[0] != "nvcc") return false;
  for (const auto& word : words)
    if (ends_with(word, ".cu")) return true;
  return false;
}

const ExpectedFailure* find_expected(const std::string& command) {
  for (const auto* list : {&kNeedsRoot, &kUnsupported})
    for (const auto& entry : *list)
      if (command == entry.command) return &entry;
  return nullptr;
}

TEST(DatasetCoverage, SimulatedReferenceCommandsRun) {
  const auto commands = testing::simulated_commands();
  ASSERT_GT(commands.size(), 200u);
  int succeeded = 0;
  for (const auto& command : commands) {
    const std::vector<std::string> profiles = testing::candidate_profiles(command);
    testing::Result result;
    bool produced = false;
    for (const auto& profile : profiles) {
      const auto dir = std::filesystem::temp_directory_path() /
                       ("aimicius-hostsim-cov-" + std::to_string(::getpid()) + "-" + command.id);
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      result = testing::run_shell(testing::profile_path(profile), command.command, dir);
      produced = !trim(result.out).empty() || !std::filesystem::is_empty(dir);
      std::filesystem::remove_all(dir);
      if (result.status == 0 && produced) break;  // linux: the first profile that answers
    }
    if (const auto* expected = find_expected(command.command)) {
      EXPECT_EQ(result.status, expected->status) << command.command << " (" << expected->why << ")";
      continue;
    }
    if (is_nvcc_compilation(command.words)) {
      EXPECT_EQ(result.status, kExitNotSimulated) << command.command;
      continue;
    }
    if (!command.execute) {
      EXPECT_NE(result.status, 0) << command.id << " is marked \"execute\": false but runs: " << command.command;
      continue;
    }
    EXPECT_EQ(result.status, 0) << command.id << ": " << command.command << "\n" << result.err;
    EXPECT_TRUE(produced) << command.id << ": " << command.command;
    ++succeeded;
  }
  EXPECT_GE(succeeded, 200);
}

}  // namespace
}  // namespace aimicius::hostsim
