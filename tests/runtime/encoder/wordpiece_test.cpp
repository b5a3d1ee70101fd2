// WordPiece tokenizer tests: known answers from HF BertTokenizerFast (data/wordpiece_cases.json and
// the ids in data/embeddings.json, made by data/make_fixtures.py with the model's own vocab.txt and
// tokenizer_config.json, copied into data/), the Unicode tables, and the algorithm on a hand vocab.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/errors.h"
#include "runtime/encoder/unicode_tables.h"
#include "common/utf8.h"
#include "runtime/encoder/wordpiece.h"
#include "tests/runtime/encoder/encoder_test_support.h"

namespace aimicius::runtime {
namespace {

using testing::encoder_fixture;
using testing::read_json_fixture;

WordPieceTokenizer fixture_tokenizer() { return WordPieceTokenizer::load(encoder_fixture("")); }

TEST(WordPiece, MatchesHuggingFaceOnTokenizerCases) {
  const WordPieceTokenizer tokenizer = fixture_tokenizer();
  const nlohmann::json fixture = read_json_fixture("wordpiece_cases.json");
  const size_t max_length = fixture["max_seq_length"].get<size_t>();
  ASSERT_GE(fixture["cases"].size(), 30u);
  for (const auto& c : fixture["cases"]) {
    const std::string text = c["text"].get<std::string>();
    const std::vector<int64_t> expected = c["ids"].get<std::vector<int64_t>>();
    EXPECT_EQ(tokenizer.encode(text, max_length), expected) << "text: " << text;
  }
}

TEST(WordPiece, MatchesHuggingFaceOnEmbeddingTexts) {
  const WordPieceTokenizer tokenizer = fixture_tokenizer();
  const nlohmann::json fixture = read_json_fixture("embeddings.json");
  const auto& texts = fixture["texts"];
  const auto& ids = fixture["ids"];
  ASSERT_EQ(texts.size(), ids.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>();
    EXPECT_EQ(tokenizer.encode(text, 256), ids[i].get<std::vector<int64_t>>()) << "text: " << text;
  }
}

TEST(WordPiece, ReadsTokenizerConfig) {
  const WordPieceTokenizer tokenizer = fixture_tokenizer();
  EXPECT_TRUE(tokenizer.options().do_lower_case);
  EXPECT_FALSE(tokenizer.options().strip_accents.has_value());
  EXPECT_TRUE(tokenizer.options().tokenize_chinese_chars);
  EXPECT_EQ(tokenizer.vocab_size(), 30522u);
  EXPECT_EQ(tokenizer.pad_id(), 0);
}

TEST(UnicodeTables, ClassifiesCharacters) {
  EXPECT_EQ(bert_char_class(U'a'), BertCharClass::kOther);
  EXPECT_EQ(bert_char_class(U'!'), BertCharClass::kPunctuation);
  EXPECT_EQ(bert_char_class(U'$'), BertCharClass::kPunctuation);  // ASCII symbol counts
  EXPECT_EQ(bert_char_class(U'\u00BF'), BertCharClass::kPunctuation);  // ¿
  EXPECT_EQ(bert_char_class(U'\u2014'), BertCharClass::kPunctuation);  // em dash
  EXPECT_EQ(bert_char_class(U' '), BertCharClass::kWhitespace);
  EXPECT_EQ(bert_char_class(U'\t'), BertCharClass::kWhitespace);
  EXPECT_EQ(bert_char_class(U'\u00A0'), BertCharClass::kWhitespace);
  EXPECT_EQ(bert_char_class(U'\u3000'), BertCharClass::kWhitespace);
  EXPECT_EQ(bert_char_class(U'\u0000'), BertCharClass::kControl);
  EXPECT_EQ(bert_char_class(U'\u200B'), BertCharClass::kControl);
  EXPECT_EQ(bert_char_class(U'\uFFFD'), BertCharClass::kControl);
  EXPECT_EQ(bert_char_class(U'\u4E2D'), BertCharClass::kChinese);
  EXPECT_EQ(bert_char_class(U'\U00020000'), BertCharClass::kChinese);
  EXPECT_EQ(bert_char_class(U'\u3042'), BertCharClass::kOther);  // hiragana is not "Chinese"
}

std::u32string stripped(char32_t c) {
  std::u32string out;
  append_accent_stripped(c, out);
  return out;
}
std::u32string lowered(char32_t c) {
  std::u32string out;
  append_lowercased(c, out);
  return out;
}

TEST(UnicodeTables, StripsAccentsAndLowercases) {
  EXPECT_EQ(stripped(U'\u00E9'), U"e");
  EXPECT_EQ(stripped(U'\u00C5'), U"A");
  EXPECT_EQ(stripped(U'\u0301'), U"");            // a nonspacing mark on its own
  EXPECT_EQ(stripped(U'\u00F8'), U"\u00F8");      // ø has no decomposition
  EXPECT_EQ(stripped(U'\uAC00'), U"\u1100\u1161");  // 가: algorithmic Hangul NFD
  EXPECT_EQ(stripped(U'\uD55C'), U"\u1112\u1161\u11AB");  // 한
  EXPECT_EQ(lowered(U'A'), U"a");
  EXPECT_EQ(lowered(U'\u03A3'), U"\u03C3");  // Σ -> σ (no final-sigma rule)
  EXPECT_EQ(lowered(U'\u0130'), U"i\u0307");  // İ -> i + combining dot
  EXPECT_EQ(lowered(U'\u0416'), U"\u0436");  // Ж -> ж
}

TEST(Utf8, DecodesIllFormedInputToReplacementCharacters) {
  EXPECT_EQ(decode_utf8("a\xC3\xA9z"), U"a\u00E9z");
  EXPECT_EQ(decode_utf8("\xF0\x9F\x98\x80"), U"\U0001F600");
  EXPECT_EQ(decode_utf8("a\xFF" "b"), U"a\uFFFD" "b");
  EXPECT_EQ(decode_utf8("\xC3"), U"\uFFFD");             // truncated sequence
  EXPECT_EQ(decode_utf8("\xED\xA0\x80"), U"\uFFFD");     // surrogate
  EXPECT_EQ(decode_utf8("\xC0\xAF"), U"\uFFFD\uFFFD");   // overlong lead is invalid on its own
  EXPECT_EQ(encode_utf8(U"a\u00E9\U0001F600"), "a\xC3\xA9\xF0\x9F\x98\x80");
}

WordPieceTokenizer hand_tokenizer(WordPieceOptions options = {}) {
  return WordPieceTokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "runn", "##ing",
                             "!", "want", "##ed", "a", "##a", "Cafe", "cafe", "\u4E2D", "\u6587", "\u4E2D\u6587"},
                            std::move(options));
}

TEST(WordPiece, GreedyLongestMatchFirst) {
  const WordPieceTokenizer tokenizer = hand_tokenizer();
  EXPECT_EQ(tokenizer.tokenize("unaffable running!"),
            (std::vector<std::string>{"un", "##aff", "##able", "runn", "##ing", "!"}));
  EXPECT_EQ(tokenizer.tokenize("UNWANTED"), (std::vector<std::string>{"[UNK]"}));  // no "##want"
  EXPECT_EQ(tokenizer.tokenize("wanted"), (std::vector<std::string>{"want", "##ed"}));
  EXPECT_EQ(tokenizer.tokenize("Café"), (std::vector<std::string>{"cafe"}));
  EXPECT_EQ(tokenizer.tokenize(""), std::vector<std::string>{});
}

TEST(WordPiece, LongWordsAreUnknown) {
  const WordPieceTokenizer tokenizer = hand_tokenizer();
  EXPECT_EQ(tokenizer.tokenize(std::string(100, 'a')).size(), 100u);  // a ##a ##a ...
  EXPECT_EQ(tokenizer.tokenize(std::string(101, 'a')), (std::vector<std::string>{"[UNK]"}));
}

TEST(WordPiece, ChineseCharactersAreWordsOfTheirOwn) {
  EXPECT_EQ(hand_tokenizer().tokenize("\u4E2D\u6587"), (std::vector<std::string>{"\u4E2D", "\u6587"}));
  WordPieceOptions options;
  options.tokenize_chinese_chars = false;
  EXPECT_EQ(hand_tokenizer(options).tokenize("\u4E2D\u6587"), (std::vector<std::string>{"\u4E2D\u6587"}));
}

TEST(WordPiece, CasedOptionsKeepCaseAndAccents) {
  WordPieceOptions options;
  options.do_lower_case = false;
  EXPECT_EQ(hand_tokenizer(options).tokenize("Cafe"), (std::vector<std::string>{"Cafe"}));
  EXPECT_EQ(hand_tokenizer(options).tokenize("café"), (std::vector<std::string>{"[UNK]"}));
  options.strip_accents = true;
  EXPECT_EQ(hand_tokenizer(options).tokenize("café"), (std::vector<std::string>{"cafe"}));
}

TEST(WordPiece, EncodeAddsSpecialTokensAndTruncates) {
  const WordPieceTokenizer tokenizer = hand_tokenizer();
  EXPECT_EQ(tokenizer.encode("unaffable", 512), (std::vector<int64_t>{2, 5, 6, 7, 3}));
  EXPECT_EQ(tokenizer.encode("unaffable", 4), (std::vector<int64_t>{2, 5, 6, 3}));
  EXPECT_EQ(tokenizer.encode("unaffable", 2), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(tokenizer.encode("", 8), (std::vector<int64_t>{2, 3}));
  EXPECT_THROW(tokenizer.encode("a", 1), std::invalid_argument);
}

TEST(WordPiece, LiteralSpecialTokensAndControls) {
  const WordPieceTokenizer tokenizer = hand_tokenizer();
  EXPECT_EQ(tokenizer.tokenize("a[MASK]want [SEP]"), (std::vector<std::string>{"a", "[MASK]", "want", "[SEP]"}));
  // \x01 is a control character and \xFF ill-formed UTF-8 (U+FFFD): both are dropped.
  EXPECT_EQ(tokenizer.tokenize("want\x01\xFFing"), (std::vector<std::string>{"want", "##ing"}));
  EXPECT_EQ(tokenizer.tokenize("a\u00A0a\ta"), (std::vector<std::string>{"a", "a", "a"}));
}

TEST(WordPiece, RefusesVocabularyWithoutSpecialTokens) {
  EXPECT_THROW(WordPieceTokenizer({"[PAD]", "a"}, WordPieceOptions{}), InputError);
}

TEST(WordPiece, LoadNamesTheBadFile) {
  testing::EncoderScratchDir scratch;
  try {
    WordPieceTokenizer::load(scratch.path());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("vocab.txt"), std::string::npos) << e.what();
  }
  testing::write_file(scratch.path() / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n");
  testing::write_file(scratch.path() / "tokenizer_config.json", "{\"do_lower_case\": ");
  try {
    WordPieceTokenizer::load(scratch.path());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aimicius::runtime
