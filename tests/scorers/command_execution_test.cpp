// Command execution scoring: candidate and reference run on the same simulated host; equal
// behaviour matches whatever the spelling, different behaviour does not. The host here is a tiny
// shell-script stand-in for hostsim (it echoes its name, arguments and profile), so these tests
// check the plumbing and the comparison; hostsim's own tests check the tools.
#include <gtest/gtest.h>

#include "scorers/command/command_execution.h"
#include "tests/scratch_dir.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

class CommandExecution : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto tool = dir_ / "fake-hostsim";
    testing::write_file(tool, "#!/bin/sh\necho \"$(basename \"$0\") $*\"\nhead -c 40 \"$AIMICIUS_HOST_PROFILE\"\necho\n"
                              "[ \"$1\" = --fail ] && exit 2\nexit 0\n");
    std::filesystem::permissions(tool, std::filesystem::perms(0755));
    testing::write_file(dir_ / "host.json", "{\"hostname\": \"dgx-test\"}");
    host_ = {tool, dir_ / "host.json", {"nvidia-smi", "rocm-smi"}};
  }
  CommandExecutionScore score(const std::string& candidate, const std::string& reference,
                              const std::vector<SandboxFile>& fixture = {}) {
    return score_command_execution(sandbox_, host_, candidate, reference, fixture, SandboxLimits{});
  }
  ScratchDir dir_;
  SimulatedHost host_;
  Sandbox sandbox_;
};

TEST_F(CommandExecution, SimulatedToolsAreOnPathWithTheirProfile) {
  const auto r = sandbox_.run(simulated_host_request(host_, "nvidia-smi -L", {}, SandboxLimits{}));
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "nvidia-smi -L\n{\"hostname\": \"dgx-test\"}\n");
}

TEST_F(CommandExecution, SameBehaviourMatchesWhateverTheSpelling) {
  const auto s = score("nvidia-smi   -L | cat", "nvidia-smi -L");
  EXPECT_EQ(s.execution_match, 1.0);
  EXPECT_EQ(s.output_similarity, 1.0);
  const auto files = score("printf 'x\\n' > out.txt", "echo x > out.txt");
  EXPECT_EQ(files.execution_match, 1.0);
}

TEST_F(CommandExecution, DifferentOutputFailsWithAGradedSimilarity) {
  // Tokens: candidate {nvidia-smi, -q, {"hostname":, "dgx-test"}} vs reference {nvidia-smi, -L,
  // {"hostname":, "dgx-test"}}: 3 of 4 in common, F1 = 2*3/(4+4) = 3/4.
  const auto s = score("nvidia-smi -q", "nvidia-smi -L");
  EXPECT_EQ(s.execution_match, 0.0);
  EXPECT_NEAR(s.output_similarity, 0.75, 1e-12);
  EXPECT_EQ(s.detail["same_stdout"], false);
  EXPECT_NE(s.detail["candidate"]["stdout"].get<std::string>().find("-q"), std::string::npos);
}

TEST_F(CommandExecution, FailingCandidateAndWorkDirDifferencesDoNotMatch) {
  const auto failing = score("nvidia-smi --fail", "nvidia-smi -L");
  EXPECT_EQ(failing.execution_match, 0.0);
  EXPECT_EQ(failing.output_similarity, 0.0);
  EXPECT_EQ(failing.detail["same_status"], false);
  // Same stdout, different files left behind.
  const auto files = score("echo done; touch extra", "echo done");
  EXPECT_EQ(files.execution_match, 0.0);
  EXPECT_EQ(files.output_similarity, 1.0);
  EXPECT_EQ(files.detail["same_work_dir"], false);
  EXPECT_EQ(score("", "echo done").execution_match, 0.0);
}

TEST_F(CommandExecution, FixtureFilesAreThereForBoth) {
  const std::vector<SandboxFile> fixture = {{"data.txt", "a\nb\nc\n", false}};
  EXPECT_EQ(score("cat data.txt | wc -l", "wc -l < data.txt", fixture).execution_match, 1.0);
  // "3 data.txt" vs "3": F1 = 2*1/(2+1).
  EXPECT_NEAR(score("wc -l data.txt", "wc -l < data.txt", fixture).output_similarity, 2.0 / 3.0, 1e-12);
}

TEST_F(CommandExecution, AttacksScoreZeroAndTheRunGoesOn) {
  SandboxLimits quick;
  quick.wall_seconds = 1.5;
  for (const char* attack : {"rm -rf / ~ 2>/dev/null", "b() { b | b & }; b", "yes", "sleep 1000",
                             "cat /etc/shadow", "kill -9 -1"}) {
    const auto s = score_command_execution(sandbox_, host_, attack, "nvidia-smi -L", {}, quick);
    EXPECT_EQ(s.execution_match, 0.0) << attack;
  }
  EXPECT_EQ(score("nvidia-smi -L", "nvidia-smi -L").execution_match, 1.0);
}

// Issue 19, items 2 and 3: a work dir past the sandbox's bounds is the candidate's result (no
// match, the bound named in the detail), never the harness's error; the same in a reference is a
// data bug.
TEST_F(CommandExecution, AWorkDirPastItsBoundsIsTheCandidatesResult) {
  SandboxLimits few;
  few.work_dir_max_entries = 5;
  const auto s = score_command_execution(
      sandbox_, host_, "nvidia-smi -L; i=0; while [ $i -lt 50 ]; do : > f$i; i=$((i+1)); done", "nvidia-smi -L", {}, few);
  EXPECT_EQ(s.execution_match, 0.0);
  EXPECT_EQ(s.output_similarity, 1.0) << "its output is still the reference's";
  EXPECT_NE(s.detail["candidate"].value("work_dir_error", "").find("more than 5 entries"), std::string::npos)
      << s.detail.dump();
  EXPECT_FALSE(s.detail["reference"].contains("work_dir_error"));
  SandboxLimits shallow;
  shallow.work_dir_max_depth = 3;
  try {
    score_command_execution(sandbox_, host_, "true", "nvidia-smi -L; mkdir -p a/b/c/d/e/f/g", {}, shallow);
    ADD_FAILURE() << "a reference past the bounds was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("deeper than 3 levels"), std::string::npos) << e.what();
  }
}

TEST_F(CommandExecution, BrokenReferenceIsADataBug) {
  EXPECT_THROW(score("true", "nvidia-smi --fail"), std::invalid_argument);
}

TEST(OutputNormalisation, TrailingSpaceAndBlankLinesDoNotMatter) {
  EXPECT_EQ(normalize_output("a  \r\nb\n\n\n"), "a\nb\n");
  EXPECT_EQ(normalize_output("\n\n"), "");
  EXPECT_EQ(output_similarity("", ""), 1.0);
  EXPECT_EQ(output_similarity("a", ""), 0.0);
  EXPECT_NEAR(output_similarity("a a b", "a b b"), 2.0 * 2 / 6, 1e-12);
}

}  // namespace
}  // namespace aimicius

namespace aimicius {
namespace {

// With the project's real simulated tools on the DGX H100 profile: spellings of the same query
// match, a wrong GPU index or a dropped flag does not, and a wrong flag fails like the real tool.
class HostsimExecution : public ::testing::Test {
 protected:
  HostsimExecution()
      : host_{AIMICIUS_HOSTSIM_BIN, std::filesystem::path(AIMICIUS_BUNDLED_DATA_DIR) / "hosts" / "dgx-h100.json",
              default_simulated_tools()} {}
  CommandExecutionScore score(const std::string& candidate, const std::string& reference) {
    return score_command_execution(sandbox_, host_, candidate, reference, {}, SandboxLimits{});
  }
  Sandbox sandbox_;
  SimulatedHost host_;
};

TEST_F(HostsimExecution, EquivalentSpellingsMatchAndNearMissesDoNot) {
  EXPECT_EQ(score("nvidia-smi --list-gpus", "nvidia-smi -L").execution_match, 1.0);
  EXPECT_EQ(score("nvidia-smi -q -d MEMORY --id=0", "nvidia-smi -i 0 -q -d MEMORY").execution_match, 1.0);
  EXPECT_EQ(score("nvidia-smi --query-gpu=memory.used --format=csv,noheader -i 2",
                  "nvidia-smi -i 2 --query-gpu=memory.used --format=csv,noheader")
                .execution_match,
            1.0);
  const auto wrong_gpu = score("nvidia-smi -i 1 -q -d MEMORY", "nvidia-smi -i 0 -q -d MEMORY");
  EXPECT_EQ(wrong_gpu.execution_match, 0.0);
  EXPECT_GT(wrong_gpu.output_similarity, 0.5);  // same report shape, other GPU's values
  EXPECT_EQ(score("nvidia-smi -q -d MEMORY", "nvidia-smi -i 0 -q -d MEMORY").execution_match, 0.0);
  const auto bad_flag = score("nvidia-smi --no-such-flag", "nvidia-smi -L");
  EXPECT_EQ(bad_flag.execution_match, 0.0);
  EXPECT_EQ(bad_flag.detail["candidate"]["exit_code"], 2);
}

// The host a scored command sees: the simulated tools at the places real installs use, the fixed
// coreutils set for pipelines, and no other program of the machine.
TEST_F(HostsimExecution, OnlySimulatedToolsAndCoreutilsRun) {
  const auto run = [&](const std::string& command) {
    return sandbox_.run(simulated_host_request(host_, command, {}, SandboxLimits{}));
  };
  for (const char* host_program : {"/usr/local/cuda/bin/nvcc -c x.cu", "/usr/bin/python3 -c 1", "python3 -c 1",
                                   "gcc --version", "cc --version", "perl -e 1", "bash -c true", "curl --version"}) {
    const auto r = run(host_program);
    // nvcc by path is the simulated one, which does not compile (64); the others do not exist.
    EXPECT_EQ(r.exit_code, std::string(host_program).find("nvcc") != std::string::npos ? 64 : 127)
        << host_program << ": " << r.stderr_text;
  }
  const auto grep = run("nvidia-smi -L | grep -c H100");
  EXPECT_EQ(grep.exit_code, 0) << grep.stderr_text;
  EXPECT_EQ(grep.stdout_text, "8\n");
  const auto awk = run("nvidia-smi --query-gpu=index,memory.total --format=csv,noheader,nounits | head -n 2 | "
                       "awk -F', ' '{s += $2} END {print s}' | tee total.txt");
  EXPECT_EQ(awk.exit_code, 0) << awk.stderr_text;
  EXPECT_EQ(awk.stdout_text, "163118\n");
  EXPECT_EQ(awk.work_dir.at("total.txt"), "163118\n");
  EXPECT_EQ(score("/usr/bin/nvidia-smi -L", "nvidia-smi -L").execution_match, 1.0);
  EXPECT_EQ(score("/usr/local/cuda/bin/nvcc --version", "nvcc --version").execution_match, 1.0);
  EXPECT_EQ(score("/usr/sbin/lspci -d 10de:", "lspci -d 10de:").execution_match, 1.0);
  const auto which = run("which nvidia-smi nvcc");
  EXPECT_EQ(which.stdout_text, "/usr/bin/nvidia-smi\n/usr/local/cuda/bin/nvcc\n");
}

}  // namespace
}  // namespace aimicius
