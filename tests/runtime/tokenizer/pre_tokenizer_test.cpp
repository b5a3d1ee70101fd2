// Unit tests of pre-tokenization pieces: Split behaviors (expected values from Hugging Face
// `tokenizers` on "the-final--countdown-"), the Oniguruma-to-RE2 class rewriting, the code point
// classifier and the byte-level alphabet.
#include <gtest/gtest.h>

#include "runtime/tokenizer/byte_level.h"
#include "runtime/tokenizer/pre_tokenizer.h"
#include "runtime/tokenizer/split_pattern.h"

namespace aimicius::runtime {
namespace {

std::vector<std::string> split_dashes(SplitBehavior behavior, bool invert) {
  const std::string text = "the-final--countdown-";
  const SplitPattern pattern = SplitPattern::from_literal("-");
  std::vector<std::string> pieces;
  for (const ByteRange& range : split_by_matches(text.size(), pattern.find_matches(text), behavior, invert)) {
    pieces.push_back(text.substr(range.begin, range.end - range.begin));
  }
  return pieces;
}

using Pieces = std::vector<std::string>;

TEST(SplitBehaviors, MatchHuggingFace) {
  EXPECT_EQ(split_dashes(SplitBehavior::kRemoved, false), (Pieces{"the", "final", "countdown"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kRemoved, true), (Pieces{"-", "-", "-", "-"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kIsolated, false),
            (Pieces{"the", "-", "final", "-", "-", "countdown", "-"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kMergedWithPrevious, false),
            (Pieces{"the-", "final-", "-", "countdown-"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kMergedWithPrevious, true),
            (Pieces{"the", "-final", "-", "-countdown", "-"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kMergedWithNext, false),
            (Pieces{"the", "-final", "-", "-countdown", "-"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kMergedWithNext, true), (Pieces{"the-", "final-", "-", "countdown-"}));
  EXPECT_EQ(split_dashes(SplitBehavior::kContiguous, false),
            (Pieces{"the", "-", "final", "--", "countdown", "-"}));
}

TEST(KnownSplitPatterns, RecognisesTheKnownSpellings) {
  EXPECT_EQ(recognise_split_pattern(known_pattern_source(KnownSplitPattern::kGpt2)), KnownSplitPattern::kGpt2);
  EXPECT_EQ(recognise_split_pattern(known_pattern_source(KnownSplitPattern::kQwen2)), KnownSplitPattern::kQwen2);
  const std::string tiktoken_cl100k =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  EXPECT_EQ(recognise_split_pattern(tiktoken_cl100k), KnownSplitPattern::kLlama3);
  EXPECT_FALSE(recognise_split_pattern(R"(\p{L}+|\s+(?!\S))").has_value());
}

TEST(KnownSplitPatterns, ScannerTilesArbitraryBytes) {
  const UnicodeClassifier classifier;
  const std::string text = "ab\xFF\xC3 12345\n\n \xE2\x82 z\t";
  for (const auto pattern : {KnownSplitPattern::kGpt2, KnownSplitPattern::kLlama3, KnownSplitPattern::kQwen2}) {
    const auto matches = scan_known_pattern(pattern, text, classifier);
    std::size_t expected_begin = 0;
    for (const ByteRange& match : matches) {
      EXPECT_EQ(match.begin, expected_begin);
      EXPECT_GT(match.end, match.begin);
      expected_begin = match.end;
    }
    EXPECT_EQ(expected_begin, text.size());
  }
}

TEST(RegexRewrite, PerlClassesBecomeUnicodeClasses) {
  const std::string rewritten = rewrite_regex_for_re2(R"([^\s\p{L}]+|\s+|\d|[\w-])");
  EXPECT_NE(rewritten.find(R"([^\t\n)"), std::string::npos) << rewritten;
  EXPECT_NE(rewritten.find(R"(\x{3000})"), std::string::npos) << rewritten;
  EXPECT_NE(rewritten.find(R"(\p{Nd})"), std::string::npos) << rewritten;
  EXPECT_NE(rewritten.find(R"([\p{L}\p{M}\p{Nd}\p{Pc}-])"), std::string::npos) << rewritten;
  EXPECT_THROW(rewrite_regex_for_re2(R"([\S])"), std::invalid_argument);
}

TEST(RegexRewrite, Re2PatternSeesUnicodeWhitespace) {
  const UnicodeClassifier classifier;
  const SplitPattern pattern = SplitPattern::from_regex(R"(\s+)", classifier, {"test", "pattern"});
  ASSERT_TRUE(pattern.uses_re2());
  const std::string text = "a\u3000\u00a0b";  // ideographic space, no-break space
  const auto matches = pattern.find_matches(text);
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0].begin, 1u);
  EXPECT_EQ(matches[0].end, text.size() - 1);
}

TEST(UnicodeClassifier, ClassifiesLettersNumbersAndWhitespace) {
  const UnicodeClassifier classifier;
  EXPECT_EQ(classifier.classify(U'a'), CodePointClass::kLetter);
  EXPECT_EQ(classifier.classify(0x4E2D), CodePointClass::kLetter);   // 中
  EXPECT_EQ(classifier.classify(0x01C5), CodePointClass::kLetter);   // ǅ (title case)
  EXPECT_EQ(classifier.classify(0x00B2), CodePointClass::kNumber);   // ²
  EXPECT_EQ(classifier.classify(0x2162), CodePointClass::kNumber);   // Ⅲ
  EXPECT_EQ(classifier.classify(0x1D7D8), CodePointClass::kNumber);  // 𝟘 (above the BMP)
  EXPECT_EQ(classifier.classify(0x20000), CodePointClass::kLetter);  // CJK extension B
  EXPECT_EQ(classifier.classify(0x3000), CodePointClass::kWhitespace);
  EXPECT_EQ(classifier.classify(0x0085), CodePointClass::kWhitespace);
  EXPECT_EQ(classifier.classify(0x200B), CodePointClass::kOther);  // zero width space is not \s
  EXPECT_EQ(classifier.classify(0x1F600), CodePointClass::kOther);  // 😀
  EXPECT_EQ(classifier.classify(0x001F), CodePointClass::kOther);
}

TEST(ByteLevelAlphabet, IsABijectionMatchingGpt2) {
  const ByteLevelAlphabet alphabet;
  EXPECT_EQ(alphabet.char_for_byte(' '), "\xC4\xA0");   // Ġ
  EXPECT_EQ(alphabet.char_for_byte('\n'), "\xC4\x8A");  // Ċ
  EXPECT_EQ(alphabet.char_for_byte('A'), "A");
  EXPECT_EQ(alphabet.char_for_byte(0xAD), "\xC5\x83");  // the last extra one: U+0143
  std::string all_bytes;
  for (int byte = 0; byte < 256; ++byte) all_bytes.push_back(static_cast<char>(byte));
  EXPECT_EQ(alphabet.decode(alphabet.encode(all_bytes)), all_bytes);
  EXPECT_FALSE(alphabet.decode("a b").has_value());  // a raw space is not in the alphabet
}

}  // namespace
}  // namespace aimicius::runtime
