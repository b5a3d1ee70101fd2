// Audit variants of cmdgen references (scorers/command/command_audit.h): the kinds promised,
// determinism, and agreement with canonical matching (a right variant is the reference's
// command, a wrong one is not).
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "scorers/command/canonical_command.h"
#include "scorers/command/command_audit.h"

namespace aimicius {
namespace {

std::set<std::string> kinds(const std::vector<AuditVariant>& variants, bool right) {
  std::set<std::string> out;
  for (const auto& v : variants)
    if (v.right == right) out.insert(v.kind);
  return out;
}

void expect_consistent(const std::string& reference, const std::vector<AuditVariant>& variants) {
  for (const auto& v : variants) {
    EXPECT_NE(v.answer, reference);
    EXPECT_EQ(canonical_match(v.answer, reference), v.right ? 1.0 : 0.0)
        << (v.right ? "right " : "wrong ") << v.kind << ": " << v.answer << "  for  " << reference;
  }
}

TEST(CommandAudit, CollectiveTestVariantsCoverTheKinds) {
  const std::string reference = "all_reduce_perf -b 8 -e 128M -f 2 -g 8 -o min";
  const auto variants = command_audit_variants(reference);
  const auto right = kinds(variants, true), wrong = kinds(variants, false);
  for (const char* kind : {"synonym", "equals-form", "attached-value", "reordered", "size-unit", "sudo"})
    EXPECT_TRUE(right.count(kind)) << kind;
  for (const char* kind : {"one-value", "one-enum", "drop-option", "other-tool"}) EXPECT_TRUE(wrong.count(kind)) << kind;
  expect_consistent(reference, variants);
  EXPECT_EQ(variants.size(), command_audit_variants(reference).size());
  for (std::size_t i = 0; i < variants.size(); ++i) EXPECT_EQ(variants[i].answer, command_audit_variants(reference)[i].answer);
}

TEST(CommandAudit, NvidiaSmiVariants) {
  const std::string reference = "nvidia-smi -q -d MEMORY -i 3";
  const auto variants = command_audit_variants(reference);
  bool absolute = false;
  for (const auto& v : variants) absolute = absolute || v.answer.rfind("/usr/bin/nvidia-smi ", 0) == 0;
  EXPECT_TRUE(absolute);
  EXPECT_TRUE(kinds(variants, false).count("one-enum"));
  EXPECT_TRUE(kinds(variants, false).count("one-value"));
  expect_consistent(reference, variants);
}

TEST(CommandAudit, DefaultValuedOptionsAreNotDroppedAsWrong) {
  // -g 1 repeats nccl-tests' default: dropping it changes nothing, so it is no wrong variant.
  for (const auto& v : command_audit_variants("all_reduce_perf -g 1"))
    EXPECT_FALSE(!v.right && v.kind == "drop-option") << v.answer;
}

TEST(CommandAudit, CombinedFlagsAndLaunchedCommands) {
  expect_consistent("lspci -tv", command_audit_variants("lspci -tv"));
  const std::string mpi = "mpirun -np 4 all_reduce_perf -b 1M -e 512M -f 2 -g 2";
  const auto variants = command_audit_variants(mpi);
  expect_consistent(mpi, variants);
  bool nested_changed = false;
  for (const auto& v : variants) nested_changed = nested_changed || (!v.right && v.answer.find("all_reduce_perf -b 2M") != std::string::npos);
  EXPECT_TRUE(nested_changed);
}

// Every reference of the bundled cmdgen data: variants agree with canonical matching, and each
// reference gets right and wrong ones.
TEST(CommandAuditData, EveryReferenceHasConsistentRightAndWrongVariants) {
  std::size_t references = 0, right = 0, wrong = 0, with_wrong = 0;
  for (const char* split : {"dev.jsonl", "test.jsonl", "fewshot.jsonl"}) {
    std::ifstream in(std::string(AIMICIUS_BUNDLED_DATA_DIR) + "/cmdgen/" + split);
    ASSERT_TRUE(in) << split;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      const std::string reference = nlohmann::json::parse(line).at("reference");
      const auto variants = command_audit_variants(reference);
      expect_consistent(reference, variants);
      EXPECT_FALSE(kinds(variants, true).empty()) << reference;
      with_wrong += !kinds(variants, false).empty();
      for (const auto& v : variants) (v.right ? right : wrong)++;
      ++references;
    }
  }
  EXPECT_EQ(references, 551u);
  EXPECT_GT(with_wrong, references * 95 / 100);  // bare commands (`rocminfo`, `nproc`) have none
  EXPECT_GT(right, 3 * references);
  EXPECT_GT(wrong, 2 * references);
}

}  // namespace
}  // namespace aimicius
