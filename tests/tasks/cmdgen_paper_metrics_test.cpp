// The cmdgen suite's metrics as the Sigma paper defines them (CMD Score, Output Score, Calibration,
// Success Ratio, Accuracy) next to aimicius' own (exact match, structure score, execution match),
// on real bundled examples with answers perturbed in known ways. Needs the all-MiniLM-L6-v2 model
// (skips without it unless AIMICIUS_REQUIRE_MODELS=1) and bubblewrap (skips without it).
//
// Hand counts, per answer (EM exact match, EX execution match, OS output score, SR success, ACC
// accuracy; thresholds: calibration 0.9, success 0.99):
//   nv-smi-001 "nvidia-smi -L"                    the reference      EM 1 EX 1 OS 1 SR 1 ACC 1
//   nv-smi-001 "nvidia-smi --list-gpus"            same output        EM 0 EX 1 OS 1 SR 1 ACC 1
//   nv-smi-001 "nvidia-smi --no-such-flag"         fails              EM 0 EX 0 OS 0 SR 0 ACC 0
//   nv-nccl-001 "... -g 4"                          other GPU count    EM 0 EX 0            SR 0 ACC 0
//   nv-smi-007 "nvidia-smi -pm 0" (execute:false)  no execution rows  EM 0                 ACC 0
//   amd-rocmsmi-001 ""                              empty              everything 0
#include <gtest/gtest.h>

#include "harness/runner/text_embedder_loader.h"
#include "model_requirements.h"
#include "scorers/command/command_execution.h"
#include "scorers/sandbox/sandbox.h"
#include "tasks/suite.h"
#include "test_support.h"

namespace aimicius {
namespace {

class CmdgenPaperMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    AIMICIUS_NEED_ENCODER_MODEL();
    try {
      sandbox_ = std::make_unique<Sandbox>();
    } catch (const SandboxUnavailable& e) {
      GTEST_SKIP() << "bubblewrap cannot run here: " << e.what();
    }
    embedder_ = load_text_embedder(testing::encoder_model_dir());
    loaded_ = load_suite("cmdgen", testing::bundled_data_dir(), "test");
    context_.sandbox = sandbox_.get();
    context_.hostsim_binary = AIMICIUS_HOSTSIM_BIN;
    context_.hosts_dir = testing::bundled_data_dir() / "hosts";
    context_.embedder = embedder_.get();
  }

  std::map<std::string, double> score(const std::string& id, const std::string& answer) {
    for (const auto& ex : loaded_.examples)
      if (ex.id == id) {
        std::map<std::string, double> out;
        for (const auto& row : loaded_.suite->score(ex, answer, context_)) out[row.metric] = row.value;
        return out;
      }
    ADD_FAILURE() << "no example " << id;
    return {};
  }

  std::unique_ptr<Sandbox> sandbox_;
  std::shared_ptr<const TextEmbedder> embedder_;
  LoadedSuite loaded_;
  ScoringContext context_;
};

TEST_F(CmdgenPaperMetrics, PerturbedAnswersScoreTheHandCounts) {
  auto s = score("nv-smi-001", "nvidia-smi -L");
  for (const char* m : {"exact_match", "execution_match", "cmd_score", "output_score", "calibration", "success_ratio",
                        "accuracy", "command_score", "output_similarity"})
    EXPECT_EQ(s.at(m), 1.0) << m;

  s = score("nv-smi-001", "nvidia-smi --list-gpus");
  EXPECT_EQ(s.at("exact_match"), 0.0);
  EXPECT_EQ(s.at("execution_match"), 1.0);
  EXPECT_EQ(s.at("output_score"), 1.0);
  EXPECT_EQ(s.at("success_ratio"), 1.0);
  EXPECT_EQ(s.at("calibration"), 1.0);
  EXPECT_EQ(s.at("accuracy"), 1.0);  // the paper's accuracy counts a same-output command as right
  EXPECT_EQ(s.at("strict_accuracy"), 1.0);  // and so does the strict headline: the same command
  EXPECT_EQ(s.at("canonical_match"), 1.0);
  EXPECT_LT(s.at("cmd_score"), 1.0);
  EXPECT_GT(s.at("cmd_score"), 0.5);  // two spellings of one nvidia-smi command embed close together

  // Issue 19, item 4: the shell would run only the text before a NUL byte, so this answer scored
  // 100 although it is not the reference. It is judged as stored: not run, and wrong.
  s = score("nv-smi-001", std::string("nvidia-smi -L\0 && this is not a command", 39));
  for (const char* m : {"exact_match", "execution_match", "success_ratio", "accuracy", "strict_accuracy", "canonical_match"})
    EXPECT_EQ(s.at(m), 0.0) << m;
  s = score("nv-smi-007", std::string("nvidia-smi -pm 0\0", 17));  // not executed: compared as stored
  EXPECT_EQ(s.at("exact_match"), 0.0);
  EXPECT_EQ(s.at("strict_accuracy"), 0.0);

  s = score("nv-smi-001", "nvidia-smi --no-such-flag");
  EXPECT_EQ(s.at("exact_match"), 0.0);
  EXPECT_EQ(s.at("execution_match"), 0.0);
  EXPECT_EQ(s.at("output_score"), 0.0);  // a failing command has no output to compare
  EXPECT_EQ(s.at("success_ratio"), 0.0);
  EXPECT_EQ(s.at("accuracy"), 0.0);

  s = score("nv-nccl-001", "all_reduce_perf -b 8 -e 128M -f 2 -g 4");
  EXPECT_EQ(s.at("exact_match"), 0.0);
  EXPECT_EQ(s.at("execution_match"), 0.0);
  EXPECT_EQ(s.at("success_ratio"), 0.0);
  EXPECT_EQ(s.at("accuracy"), 0.0);
  EXPECT_GT(s.at("cmd_score"), 0.9);  // one character apart: the paper's CMD Score barely moves
  EXPECT_EQ(s.at("strict_accuracy"), 0.0);  // the strict headline does not
  EXPECT_EQ(s.at("calibration"), 1.0);

  s = score("nv-smi-007", "nvidia-smi -pm 0");
  EXPECT_EQ(s.count("execution_match"), 0u);  // needs root: not executed, so no execution rows
  EXPECT_EQ(s.count("output_score"), 0u);
  EXPECT_EQ(s.count("success_ratio"), 0u);
  EXPECT_EQ(s.at("exact_match"), 0.0);
  EXPECT_EQ(s.at("accuracy"), 0.0);  // exact match alone decides where nothing runs

  s = score("amd-rocmsmi-001", "");
  for (const auto& [metric, value] : s) EXPECT_EQ(value, 0.0) << metric;
  EXPECT_EQ(s.size(), 11u);  // every metric of the scorer, the empty answer scoring 0 on each
}

}  // namespace
}  // namespace aimicius
