// Known-answer tests of the byte-level BPE tokenizer against Hugging Face `tokenizers`: the fixtures
// and expected ids in data/ come from data/make_fixtures.py. Every corpus string must encode to
// exactly the recorded ids and decode back to itself, for the Llama 3 pattern (scanner), the Qwen2
// pattern (scanner), a custom pattern (RE2) and GPT-2's ByteLevel regex (scanner, with and without
// add_prefix_space; the latter does not round-trip by design).
#include <gtest/gtest.h>

#include "runtime/tokenizer/bpe_tokenizer.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/runtime/tokenizer/tokenizer_test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::read_fixture_json;
using aimicius::testing::tokenizer_fixture;

const nlohmann::json& expected() {
  static const nlohmann::json kExpected = read_fixture_json("expected_ids.json");
  return kExpected;
}

std::vector<std::string> corpus() { return expected()["strings"].get<std::vector<std::string>>(); }

std::vector<int32_t> expected_ids(const std::string& variant, std::size_t index) {
  return expected()["ids"][variant][index].get<std::vector<int32_t>>();
}

// The llama3 fixture with its Split pattern replaced.
std::unique_ptr<BpeTokenizer> llama3_with_pattern(const std::string& variant) {
  nlohmann::json json = read_fixture_json("llama3_bpe/tokenizer.json");
  json["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = expected()["patterns"][variant];
  return std::make_unique<BpeTokenizer>(json, "llama3_bpe/tokenizer.json (" + variant + " pattern)");
}

void expect_known_answers(const Tokenizer& tokenizer, const std::string& variant) {
  const auto strings = corpus();
  ASSERT_EQ(strings.size(), expected()["ids"][variant].size());
  for (std::size_t i = 0; i < strings.size(); ++i) {
    SCOPED_TRACE("string " + std::to_string(i) + ": " + nlohmann::json(strings[i]).dump());
    const std::vector<int32_t> ids = tokenizer.encode(strings[i], false);
    EXPECT_EQ(ids, expected_ids(variant, i));
    EXPECT_EQ(tokenizer.decode(ids, false), strings[i]);
  }
}

TEST(BpeKnownAnswer, Llama3PatternMatchesHuggingFace) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  expect_known_answers(*tokenizer, "llama3");
}

TEST(BpeKnownAnswer, Llama3PatternRunsOnTheScanner) {
  const auto tokenizer = BpeTokenizer::from_file(tokenizer_fixture("llama3_bpe/tokenizer.json"));
  ASSERT_EQ(tokenizer->split_patterns().size(), 1u);
  EXPECT_EQ(tokenizer->split_patterns()[0]->known_pattern(), KnownSplitPattern::kLlama3);
}

TEST(BpeKnownAnswer, Llama3AddBosFollowsTheTemplate) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const auto strings = corpus();
  for (std::size_t i = 0; i < strings.size(); ++i) {
    SCOPED_TRACE("string " + std::to_string(i));
    EXPECT_EQ(tokenizer->encode(strings[i], true), expected_ids("llama3_with_bos", i));
  }
}

TEST(BpeKnownAnswer, Llama3DecodeSkippingSpecialTokensMatchesHuggingFace) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const auto strings = corpus();
  for (std::size_t i = 0; i < strings.size(); ++i) {
    SCOPED_TRACE("string " + std::to_string(i));
    EXPECT_EQ(tokenizer->decode(expected_ids("llama3_with_bos", i), true),
              expected()["decoded_skip_special"]["llama3"][i].get<std::string>());
  }
}

TEST(BpeKnownAnswer, Qwen2PatternMatchesHuggingFace) {
  const auto tokenizer = llama3_with_pattern("qwen2");
  ASSERT_EQ(tokenizer->split_patterns().size(), 1u);
  EXPECT_EQ(tokenizer->split_patterns()[0]->known_pattern(), KnownSplitPattern::kQwen2);
  expect_known_answers(*tokenizer, "qwen2");
}

TEST(BpeKnownAnswer, CustomPatternRunsOnRe2AndMatchesHuggingFace) {
  const auto tokenizer = llama3_with_pattern("re2_custom");
  ASSERT_EQ(tokenizer->split_patterns().size(), 1u);
  EXPECT_TRUE(tokenizer->split_patterns()[0]->uses_re2());
  expect_known_answers(*tokenizer, "re2_custom");
}

TEST(BpeKnownAnswer, Gpt2ByteLevelMatchesHuggingFace) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("gpt2_bpe"));
  expect_known_answers(*tokenizer, "gpt2");
  // GPT-2's post_processor adds nothing.
  EXPECT_EQ(tokenizer->encode("Hello world", true), tokenizer->encode("Hello world", false));
}

TEST(BpeKnownAnswer, Gpt2AddPrefixSpaceMatchesHuggingFace) {
  nlohmann::json json = read_fixture_json("gpt2_bpe/tokenizer.json");
  json["pre_tokenizer"]["add_prefix_space"] = true;
  const BpeTokenizer tokenizer(json, "gpt2_bpe/tokenizer.json (add_prefix_space)");
  const auto strings = corpus();
  for (std::size_t i = 0; i < strings.size(); ++i) {
    SCOPED_TRACE("string " + std::to_string(i) + ": " + nlohmann::json(strings[i]).dump());
    EXPECT_EQ(tokenizer.encode(strings[i], false), expected_ids("gpt2_add_prefix_space", i));
  }
}

TEST(BpeKnownAnswer, PreTokensMatchHuggingFace) {
  const UnicodeClassifier classifier;
  const ByteLevelAlphabet alphabet;
  const auto strings = corpus();
  for (const auto& [variant, fixture] : std::vector<std::pair<std::string, std::string>>{
           {"llama3", "llama3_bpe"}, {"qwen2", "llama3_bpe"}, {"re2_custom", "llama3_bpe"}, {"gpt2", "gpt2_bpe"}}) {
    nlohmann::json json = read_fixture_json(fixture + "/tokenizer.json");
    if (variant != "gpt2") {
      json["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = expected()["patterns"][variant];
    }
    const PreTokenizer pre_tokenizer(json["pre_tokenizer"], JsonLocation(fixture, "pre_tokenizer"), classifier,
                                     alphabet);
    for (std::size_t i = 0; i < strings.size(); ++i) {
      SCOPED_TRACE(variant + " string " + std::to_string(i) + ": " + nlohmann::json(strings[i]).dump());
      EXPECT_EQ(pre_tokenizer.pre_tokenize(strings[i]),
                expected()["pre_tokens"][variant][i].get<std::vector<std::string>>());
    }
  }
}

TEST(BpeKnownAnswer, IgnoreMergesKeepsAWholeVocabularyWord) {
  // "Ġsupercalifragilistic" is in both vocabularies without a merge path: Llama 3 style
  // (ignore_merges) takes it whole, GPT-2 style splits it.
  const auto llama = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const auto gpt2 = load_tokenizer(tokenizer_fixture("gpt2_bpe"));
  const auto whole = llama->token_to_id("\xC4\xA0supercalifragilistic");
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(llama->encode(" supercalifragilistic", false), std::vector<int32_t>{*whole});
  EXPECT_GT(gpt2->encode(" supercalifragilistic", false).size(), 1u);
}

}  // namespace
}  // namespace aimicius::runtime
