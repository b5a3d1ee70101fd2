// Tests for scorers/command_match. Every structure-score expectation carries
// its hand computation: S_flags = (2|∩| - |∪|) / max (clamped to [-1, 1]),
// S_args = multiset F1 where each flag occurrence is one (flag, value) item
// (value "" if none) and each positional word one item,
// segment = ((1 + S_flags) / 2 + S_args) / 2, value = sum / T.
#include "scorers/command/command_match.h"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace aimicius {
namespace {

constexpr double kTolerance = 1e-9;
const char* const kMemoryQuery = "nvidia-smi -i 0 -q -d MEMORY";

double structure(const std::string& candidate, const std::string& reference) {
  return command_structure_score(candidate, reference).value;
}

TEST(ExactMatch, IdenticalAndNormalizedFormsMatch) {
  EXPECT_EQ(exact_match(kMemoryQuery, kMemoryQuery), 1.0);
  EXPECT_EQ(exact_match("sudo  nvidia-smi -i 0 -q -d \"MEMORY\";", kMemoryQuery), 1.0);
  EXPECT_EQ(exact_match("nvidia-smi --query-gpu=name", "nvidia-smi --query-gpu name"), 1.0);
}

TEST(ExactMatch, IsOrderSensitive) {
  EXPECT_EQ(exact_match("nvidia-smi -q -d MEMORY -i 0", kMemoryQuery), 0.0);
}

TEST(ExactMatch, EmptyCandidateScoresZero) {
  EXPECT_EQ(exact_match("", kMemoryQuery), 0.0);
  EXPECT_EQ(exact_match("  \n", "  "), 0.0);
  EXPECT_EQ(exact_match("# just a comment", ""), 0.0);
}

TEST(ExactMatch, DifferentValueDoesNotMatch) {
  EXPECT_EQ(exact_match("nvidia-smi -i 1 -q -d MEMORY", kMemoryQuery), 0.0);
}

TEST(StructureScore, IdenticalIsOne) {
  EXPECT_NEAR(structure(kMemoryQuery, kMemoryQuery), 1.0, kTolerance);
}

TEST(StructureScore, ReorderedFlagsScoreOne) {
  // Fc = Fr = {-i,-q,-d}: S_flags = (2*3-3)/3 = 1; items equal: S_args = 1.
  // segment = ((1+1)/2 + 1)/2 = 1.
  EXPECT_NEAR(structure("nvidia-smi -q -d MEMORY -i 0", kMemoryQuery), 1.0, kTolerance);
}

TEST(StructureScore, DroppedFlag) {
  // Fc = {-q,-d}, Fr = {-i,-q,-d}: S_flags = (2*2-3)/3 = 1/3.
  // Ac = {(-q,""),(-d,MEMORY)}, Ar = {(-i,0),(-q,""),(-d,MEMORY)}: common 2,
  // S_args = 2*2/(2+3) = 0.8. segment = ((1+1/3)/2 + 0.8)/2 = (2/3 + 4/5)/2 = 11/15.
  const CommandScore score = command_structure_score("nvidia-smi -q -d MEMORY", kMemoryQuery);
  EXPECT_NEAR(score.value, 11.0 / 15.0, kTolerance);
  const nlohmann::json& segment = score.detail.at("segments").at(0);
  EXPECT_TRUE(segment.at("utility_match").get<bool>());
  EXPECT_EQ(segment.at("flags_common"), nlohmann::json({"-d", "-q"}));
  EXPECT_EQ(segment.at("flags_missing"), nlohmann::json({"-i"}));
  EXPECT_TRUE(segment.at("flags_extra").empty());
  EXPECT_NEAR(segment.at("s_flags").get<double>(), 1.0 / 3.0, kTolerance);
  EXPECT_NEAR(segment.at("s_args").get<double>(), 0.8, kTolerance);
  EXPECT_NEAR(segment.at("score").get<double>(), 11.0 / 15.0, kTolerance);
  EXPECT_EQ(score.detail.at("segment_count"), 1);
}

TEST(StructureScore, ExtraFlag) {
  // Fc = {-i,-q,-d,-x}, Fr = {-i,-q,-d}: S_flags = (2*3-4)/4 = 1/2.
  // Ac adds (-x,"") to Ar: S_args = 2*3/(4+3) = 6/7.
  // segment = ((1+1/2)/2 + 6/7)/2 = (3/4 + 6/7)/2 = 45/56.
  const CommandScore score = command_structure_score("nvidia-smi -i 0 -q -d MEMORY -x", kMemoryQuery);
  EXPECT_NEAR(score.value, 45.0 / 56.0, kTolerance);
  EXPECT_EQ(score.detail.at("segments").at(0).at("flags_extra"), nlohmann::json({"-x"}));
}

TEST(StructureScore, WrongValue) {
  // Same flags: S_flags = 1. Ac = {(-i,1),(-q,""),(-d,MEMORY)}: common 2 of 3+3,
  // S_args = 2*2/6 = 2/3. segment = (1 + 2/3)/2 = 5/6.
  EXPECT_NEAR(structure("nvidia-smi -i 1 -q -d MEMORY", kMemoryQuery), 5.0 / 6.0, kTolerance);
}

TEST(StructureScore, WrongUtilityScoresZero) {
  const CommandScore score = command_structure_score("rocm-smi -i 0 -q -d MEMORY", kMemoryQuery);
  EXPECT_NEAR(score.value, 0.0, kTolerance);
  const nlohmann::json& segment = score.detail.at("segments").at(0);
  EXPECT_FALSE(segment.at("utility_match").get<bool>());
  EXPECT_TRUE(segment.at("s_flags").is_null());
  EXPECT_EQ(segment.at("utility_candidate"), "rocm-smi");
}

TEST(StructureScore, UtilityIsComparedByBasename) {
  // Utilities equal after basename; no other difference: 1.
  EXPECT_NEAR(structure("/usr/bin/nvidia-smi -L", "nvidia-smi -L"), 1.0, kTolerance);
}

TEST(StructureScore, ExtraPipelineSegment) {
  // T = 2; segment 1 identical (1), segment 2 missing in reference (0): (1+0)/2.
  const CommandScore score = command_structure_score("nvidia-smi -L | grep H100", "nvidia-smi -L");
  EXPECT_NEAR(score.value, 0.5, kTolerance);
  EXPECT_EQ(score.detail.at("segment_count"), 2);
  EXPECT_TRUE(score.detail.at("segments").at(1).at("utility_reference").is_null());
}

// An answer chaining thousands of commands is scored over every segment, but its stored detail
// keeps the first kMaxSegmentDetails (a 1 MiB chain made 20 MB of detail JSON per example).
TEST(StructureScore, ALongChainIsScoredWholeWithItsDetailBounded) {
  std::string chain = "nvidia-smi -L";
  for (int i = 0; i < 5000; ++i) chain += i % 2 ? " && nvidia-smi -L" : " | grep -c H100";
  const CommandScore score = command_structure_score(chain, "nvidia-smi -L");
  EXPECT_NEAR(score.value, 1.0 / 5001.0, kTolerance);  // one matching segment of 5,001
  EXPECT_EQ(score.detail.at("segment_count"), 5001);
  EXPECT_EQ(score.detail.at("segments").size(), kMaxSegmentDetails);
  EXPECT_EQ(score.detail.at("segments_not_shown"), 5001 - kMaxSegmentDetails);
  EXPECT_NEAR(score.detail.at("segments").at(0).at("score").get<double>(), 1.0, kTolerance);
  EXPECT_LT(score.detail.dump().size(), 64u * 1024);
  // A short command's detail is whole and says nothing is left out.
  EXPECT_FALSE(command_structure_score("nvidia-smi -L | wc -l", "nvidia-smi -L").detail.contains("segments_not_shown"));
}

TEST(StructureScore, MissingPipelineSegment) {
  // T = 2; "wc -l" missing in candidate: (1 + 0)/2.
  EXPECT_NEAR(structure("nvidia-smi -L", "nvidia-smi -L | wc -l"), 0.5, kTolerance);
}

TEST(StructureScore, PartiallyOverlappingFlags) {
  // Fc = {-a,-b}, Fr = {-a,-c}: S_flags = (2*1-3)/2 = -1/2, flag term (1-1/2)/2 = 1/4.
  // Ac = {(-a,""),(-b,"")}, Ar = {(-a,""),(-c,"")}: S_args = 2*1/4 = 1/2.
  // segment = (1/4 + 1/2)/2 = 3/8.
  EXPECT_NEAR(structure("cmd -a -b", "cmd -a -c"), 3.0 / 8.0, kTolerance);
}

TEST(StructureScore, DisjointFlagTermIsClampedToMinusOne) {
  // Fc = {-a}, Fr = {-b}: (2*0-2)/1 = -2, clamped to -1, flag term 0; S_args = 0.
  const CommandScore score = command_structure_score("ls -a", "ls -b");
  EXPECT_NEAR(score.value, 0.0, kTolerance);
  EXPECT_NEAR(score.detail.at("segments").at(0).at("s_flags").get<double>(), -1.0, kTolerance);
}

TEST(StructureScore, PositionalArgumentsAreAMultiset) {
  // No flags: S_flags = 1. Same positional multiset: S_args = 1.
  EXPECT_NEAR(structure("cat b a", "cat a b"), 1.0, kTolerance);
  // Ac = {a}, Ar = {a,b}: S_args = 2*1/(1+2) = 2/3; segment = (1 + 2/3)/2 = 5/6.
  EXPECT_NEAR(structure("cat a", "cat a b"), 5.0 / 6.0, kTolerance);
}

TEST(StructureScore, BareUtilityAgainstOneWithArguments) {
  // Fc = {}, Fr = {-L}: (0-1)/1 = -1, flag term 0; exactly one side has no items: S_args = 0.
  EXPECT_NEAR(structure("nvidia-smi", "nvidia-smi -L"), 0.0, kTolerance);
  // Both bare: S_flags = 1, S_args = 1.
  EXPECT_NEAR(structure("nvidia-smi", "nvidia-smi"), 1.0, kTolerance);
}

TEST(StructureScore, NegativeNumbersAreValuesNotFlags) {
  // F = {-n} on both sides: S_flags = 1. Items (-n,-1) vs (-n,-2): S_args = 0.
  // segment = (1 + 0)/2 = 1/2.
  // (Were -1 a flag: S_flags = (2*1-3)/2 = -1/2 and items {(-n,""),(-1,"")} vs
  // {(-n,""),(-2,"")} give S_args = 1/2, so (1/4 + 1/2)/2 = 3/8.)
  EXPECT_NEAR(structure("cmd -n -1", "cmd -n -2"), 0.5, kTolerance);
  // Ac = {(-n,-1), f}, Ar = {(-n,-2), f}: S_args = 2*1/4 = 1/2; segment = (1 + 1/2)/2 = 3/4.
  EXPECT_NEAR(structure("head -n -1 f", "head -n -2 f"), 0.75, kTolerance);
}

TEST(StructureScore, DoubleDashEndsOptions) {
  // F = {-e} on both. After "--", -v / -w are positional:
  // Ac = {(-e,x), -v}, Ar = {(-e,x), -w}: S_args = 2*1/4 = 1/2; segment = (1 + 1/2)/2 = 3/4.
  EXPECT_NEAR(structure("grep -e x -- -v", "grep -e x -- -w"), 0.75, kTolerance);
}

TEST(StructureScore, LongOptionWithEqualsEqualsSeparateValue) {
  EXPECT_NEAR(structure("all_reduce_perf --minbytes=8 -g 8", "all_reduce_perf --minbytes 8 -g 8"),
              1.0, kTolerance);
}

TEST(StructureScore, SudoIsIgnored) {
  EXPECT_NEAR(structure("sudo -E nvidia-smi -r -i 0", "nvidia-smi -r -i 0"), 1.0, kTolerance);
}

TEST(StructureScore, EnvironmentAssignmentsAreArgumentsNotTheUtility) {
  // Utility all_reduce_perf on both; S_flags = 1.
  // Ac = {(env,NCCL_DEBUG=INFO),(-b,8)}, Ar = {(-b,8)}: S_args = 2*1/3 = 2/3; segment = 5/6.
  EXPECT_NEAR(structure("NCCL_DEBUG=INFO ./build/all_reduce_perf -b 8", "all_reduce_perf -b 8"),
              5.0 / 6.0, kTolerance);
}

TEST(StructureScore, GreedyValueRuleAppliesToBothSides) {
  // Reference: (-l,/tmp). Candidate: positional /tmp, then -l with no value.
  // S_flags = 1, S_args = 0: segment = 1/2.
  EXPECT_NEAR(structure("ls /tmp -l", "ls -l /tmp"), 0.5, kTolerance);
}

TEST(StructureScore, UnlexableCandidateScoresZeroWithError) {
  const CommandScore score = command_structure_score("nvidia-smi -d 'MEMORY", kMemoryQuery);
  EXPECT_EQ(score.value, 0.0);
  ASSERT_TRUE(score.detail.contains("error"));
  EXPECT_NE(score.detail.at("error").get<std::string>().find("unterminated single quote"),
            std::string::npos);
}

TEST(StructureScore, EmptyCandidateScoresZero) {
  EXPECT_EQ(structure("", kMemoryQuery), 0.0);
  EXPECT_EQ(structure("   ", kMemoryQuery), 0.0);
}

TEST(StructureScore, BadReferenceThrows) {
  EXPECT_THROW(command_structure_score("ls", ""), std::invalid_argument);
  EXPECT_THROW(command_structure_score("ls", "ls 'x"), std::invalid_argument);
}

TEST(StructureScore, StaysWithinUnitInterval) {
  const char* const candidates[] = {"ls -a -b -c -d", "x", "ls", "ls a | b | c", "ls -la",
                                    "sudo rm -rf /", "a -q -q -q"};
  const char* const references[] = {"ls -e", "ls -a", "ls -a b | c", "a -q"};
  for (const char* candidate : candidates) {
    for (const char* reference : references) {
      const double value = structure(candidate, reference);
      EXPECT_GE(value, 0.0) << candidate << " vs " << reference;
      EXPECT_LE(value, 1.0) << candidate << " vs " << reference;
    }
  }
}

}  // namespace
}  // namespace aimicius
