// The two checks every model family with a transformers parity fixture (tests/data/<family>/
// parity.json: logits at every position and a greedy continuation, computed by transformers itself)
// must pass, in one place: the LibTorch model's logits, and its greedy tokens through the KV cache one
// token a step, and the float64 reference's logits, all against transformers'. What sets a family
// apart (its config keys, which feature moves which logits, its GGUF form, CUDA) is checked in its
// own <family>_parity_test.cpp. Every folder of tests/data with a parity.json is a family here.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/model.h"
#include "runtime/reference_model.h"
#include "tests/runtime/parity_fixture.h"

namespace aimicius::runtime {
namespace {

// The folders of tests/data holding a parity.json, sorted.
std::vector<std::string> parity_fixtures() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(AIMICIUS_TEST_DATA_DIR))
    if (std::filesystem::exists(entry.path() / "parity.json")) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The families written by scripts/fixtures/*_parity_fixtures.py are all found (a lost fixture must
// not shrink the checks below unnoticed).
TEST(FamilyParityFixtures, EveryWrittenFamilyIsChecked) {
  const std::vector<std::string> found = parity_fixtures();
  for (const char* family : {"gemma", "gemma2", "gemma3", "qwen3", "mistral-window"})
    EXPECT_NE(std::find(found.begin(), found.end(), family), found.end()) << family;
}

class FamilyParity : public ::testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path checkpoint() const { return std::filesystem::path(AIMICIUS_TEST_DATA_DIR) / GetParam(); }
};

// Measured worst differences are float32 summation order (1.4e-5 for Gemma, logits' std ~1.8); the
// greedy tokens decode past each fixture's window where it has one (Gemma 2 and 3, Mistral: 4).
TEST_P(FamilyParity, LibTorchModelGivesTransformersLogitsAndGreedyTokens) {
  torch::NoGradGuard no_grad;
  const auto m = Model::load(checkpoint(), {});
  const std::vector<test::ParityCase> cases = test::read_parity_cases(checkpoint());
  ASSERT_FALSE(cases.empty()) << checkpoint();
  test::expect_cases_match(*m, cases, 2e-4, "libtorch " + GetParam());
}

TEST_P(FamilyParity, Float64ReferenceGivesTransformersLogits) {
  const ReferenceModel ref(checkpoint());
  for (const test::ParityCase& p : test::read_parity_cases(checkpoint()))
    test::expect_logits_near(test::reference_logits(ref, p.ids), p.logits, 2e-4, "reference " + GetParam());
}

// gtest names may not hold '-': mistral-window's test is Families/FamilyParity.*/mistral_window.
INSTANTIATE_TEST_SUITE_P(Families, FamilyParity, ::testing::ValuesIn(parity_fixtures()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace aimicius::runtime
