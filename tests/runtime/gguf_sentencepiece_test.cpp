// A GGUF file's SentencePiece ("llama") vocabulary (runtime/gguf/gguf_tokenizer.h): the model
// rebuilt from tokens, scores and token types and encoded by libsentencepiece, with transformers'
// text rules around it (control tokens cut out as specials, user-defined ones whole, "▁" before the
// first segment only, byte fallback, add_bos / add_eos), on a tiny vocabulary this test writes; and
// the rebuilt vocabulary of a real SentencePiece model against transformers' own tokenization of
// the same GGUF file (tests/data/gguf/spm_vocab_hf.json, made by
// scripts/fixtures/gguf_spm_tokenizer_fixtures.py).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "runtime/gguf/gguf_tokenizer.h"
#include "tests/runtime/gguf_test_writer.h"

namespace aimicius::runtime::gguf {
namespace {

using test::GgufWriter;

std::unique_ptr<GgufFile> parse(const std::string& bytes) {
  static std::vector<std::unique_ptr<std::string>> keep;  // the bytes must outlive the file
  keep.push_back(std::make_unique<std::string>(bytes));
  return GgufFile::parse(reinterpret_cast<const std::byte*>(keep.back()->data()), keep.back()->size(), "spm.gguf");
}

const std::string kMark = "\xE2\x96\x81";  // "▁"

// <unk> <s> </s>, the 256 byte tokens (ids 3-258), then a few pieces whose scores merge "▁hello"
// and "▁w", a control token and a user-defined one.
struct TinyVocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  int32_t id(const std::string& t) const {
    return static_cast<int32_t>(std::find(tokens.begin(), tokens.end(), t) - tokens.begin());
  }
  void add(const std::string& t, float score, int32_t type) {
    tokens.push_back(t);
    scores.push_back(score);
    types.push_back(type);
  }
};

TinyVocab tiny_vocab() {
  TinyVocab v;
  v.add("<unk>", 0, 2);
  v.add("<s>", 0, 3);
  v.add("</s>", 0, 3);
  for (int b = 0; b < 256; ++b) v.add(fmt::format("<0x{:02X}>", b), 0, 6);
  for (const char* c : {"h", "e", "l", "o", "w", "r", "d", "a", "b"}) v.add(c, -10, 1);
  v.add(kMark, -9, 1);
  v.add("ll", -1, 1);
  v.add("he", -2, 1);
  v.add("hell", -3, 1);
  v.add("hello", -4, 1);
  v.add(kMark + "hello", -5, 1);
  v.add(kMark + "w", -6, 1);
  v.add("<|im_start|>", 0, 3);
  v.add("<think>", 0, 4);
  return v;
}

GgufWriter spm_file(const TinyVocab& v) {
  GgufWriter w;
  w.kv_string("tokenizer.ggml.model", "llama");
  w.kv_strings("tokenizer.ggml.tokens", v.tokens);
  w.kv_f32s("tokenizer.ggml.scores", v.scores);
  w.kv_i32s("tokenizer.ggml.token_type", v.types);
  w.kv_u32("tokenizer.ggml.bos_token_id", 1);
  w.kv_u32("tokenizer.ggml.eos_token_id", 2);
  w.kv_u32("tokenizer.ggml.unknown_token_id", 0);
  return w;
}

TEST(GgufSentencePiece, EncodesAsTransformersDoesAroundSentencePiece) {
  const TinyVocab v = tiny_vocab();
  const auto tok = gguf_tokenizer(*parse(spm_file(v).finish()));
  EXPECT_EQ(tok->vocab_size(), static_cast<int64_t>(v.tokens.size()));
  const int32_t hello = v.id(kMark + "hello"), w = v.id(kMark + "w");
  // "▁" before the text, then merges by score.
  EXPECT_EQ(tok->encode("hello world", false),
            (std::vector<int32_t>{hello, w, v.id("o"), v.id("r"), v.id("l"), v.id("d")}));
  // A text that starts with a space gets no second one (Metaspace "first", not SentencePiece's
  // own dummy prefix, which would give "▁▁hello").
  EXPECT_EQ(tok->encode(" hello", false), (std::vector<int32_t>{hello}));
  // Control and user-defined tokens are cut out whole; only the first segment gets the "▁".
  EXPECT_EQ(tok->encode("hello<|im_start|>hello", false),
            (std::vector<int32_t>{hello, v.id("<|im_start|>"), v.id("hello")}));
  EXPECT_EQ(tok->encode("<|im_start|>hello", false), (std::vector<int32_t>{v.id("<|im_start|>"), v.id("hello")}));
  EXPECT_EQ(tok->encode("a<think>b", false), (std::vector<int32_t>{v.id(kMark), v.id("a"), v.id("<think>"), v.id("b")}));
  // Characters outside the vocabulary fall back to their UTF-8 bytes: é is C3 A9, \n is 0A.
  EXPECT_EQ(tok->encode("\xC3\xA9\n", false), (std::vector<int32_t>{v.id(kMark), 3 + 0xC3, 3 + 0xA9, 3 + 0x0A}));
  // A file that does not say add_bos_token adds bos (transformers and llama.cpp alike).
  EXPECT_EQ(tok->encode("hello", true), (std::vector<int32_t>{1, hello}));
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_ids(), (std::vector<int32_t>{2}));
}

TEST(GgufSentencePiece, DecodesAsTransformersDoes) {
  const TinyVocab v = tiny_vocab();
  const auto tok = gguf_tokenizer(*parse(spm_file(v).finish()));
  const int32_t hello = v.id(kMark + "hello"), w = v.id(kMark + "w");
  EXPECT_EQ(tok->decode({1, hello, w}, false), "<s> hello w");  // the Strip decoder sees "<s>" first
  EXPECT_EQ(tok->decode({1, hello, w}, true), "hello w");
  EXPECT_EQ(tok->decode({hello, 3 + 0xC3, 3 + 0xA9, 3 + 0x0A}, true), "hello\xC3\xA9\n");
  EXPECT_EQ(tok->decode({0, hello}, true), "hello");  // the unknown token is special
  EXPECT_TRUE(tok->is_special(0));
  EXPECT_TRUE(tok->is_special(v.id("<|im_start|>")));
  EXPECT_FALSE(tok->is_special(v.id("<think>")));
  EXPECT_EQ(tok->token_to_id(kMark + "hello"), hello);
}

TEST(GgufSentencePiece, FileFlagsForBosEosAndThePrefix) {
  const TinyVocab v = tiny_vocab();
  GgufWriter w = spm_file(v);
  w.kv_bool("tokenizer.ggml.add_bos_token", false);
  w.kv_bool("tokenizer.ggml.add_eos_token", true);
  w.kv_bool("tokenizer.ggml.add_space_prefix", false);
  const auto tok = gguf_tokenizer(*parse(w.finish()));
  EXPECT_EQ(tok->encode("hello", true), (std::vector<int32_t>{v.id("hello"), 2}));
  EXPECT_EQ(tok->encode("hello", false), (std::vector<int32_t>{v.id("hello")}));
  EXPECT_EQ(tok->decode({v.id(kMark + "hello")}, true), " hello");  // no prefix: nothing to strip
}

// Each bad vocabulary is refused naming the file and what is wrong with it.
TEST(GgufSentencePiece, BadVocabulariesAreRefusedWithTheirReason) {
  const auto expect_refused = [](const GgufWriter& w, const std::string& needle) {
    try {
      gguf_tokenizer(*parse(w.finish()));
      ADD_FAILURE() << "no error for " << needle;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("spm.gguf"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  TinyVocab dup = tiny_vocab();
  dup.add("hello", -20, 1);
  expect_refused(spm_file(dup), "\"hello\" appears twice");
  TinyVocab bad_type = tiny_vocab();
  bad_type.types[270] = 9;
  expect_refused(spm_file(bad_type), "token_type[270] = 9");
  TinyVocab empty = tiny_vocab();
  empty.tokens[270] = "";
  expect_refused(spm_file(empty), "tokens[270] is empty");
  TinyVocab no_unk = tiny_vocab();
  no_unk.types[0] = 3;
  GgufWriter no_unk_file;  // no unknown_token_id either
  no_unk_file.kv_string("tokenizer.ggml.model", "llama");
  no_unk_file.kv_strings("tokenizer.ggml.tokens", no_unk.tokens);
  no_unk_file.kv_f32s("tokenizer.ggml.scores", no_unk.scores);
  no_unk_file.kv_i32s("tokenizer.ggml.token_type", no_unk.types);
  expect_refused(no_unk_file, "no unknown token");
  GgufWriter no_scores;
  no_scores.kv_string("tokenizer.ggml.model", "llama");
  no_scores.kv_strings("tokenizer.ggml.tokens", tiny_vocab().tokens);
  expect_refused(no_scores, "tokenizer.ggml.scores");
}

// A real SentencePiece model (trained by the fixture script with Llama's settings: BPE, byte
// fallback, dummy prefix) written as a GGUF vocabulary: ids equal transformers' for every text.
TEST(GgufSentencePiece, MatchesTransformersOnARealVocabulary) {
  const std::string dir = std::string(AIMICIUS_TEST_DATA_DIR) + "/gguf/";
  std::ifstream in(dir + "spm_vocab_hf.json");
  ASSERT_TRUE(in) << dir << "spm_vocab_hf.json";
  const auto fixture = nlohmann::json::parse(in);
  const auto g = GgufFile::open(dir + fixture["gguf"].get<std::string>());
  const auto tok = gguf_tokenizer(*g);
  size_t checked = 0;
  for (const auto& c : fixture["cases"]) {
    const std::string text = c["text"];
    EXPECT_EQ(tok->encode(text, false), c["ids"].get<std::vector<int32_t>>()) << "text: " << text;
    EXPECT_EQ(tok->encode(text, true), c["ids_with_special"].get<std::vector<int32_t>>()) << "text: " << text;
    EXPECT_EQ(tok->decode(c["ids"].get<std::vector<int32_t>>(), true), c["decoded"].get<std::string>())
        << "text: " << text;
    ++checked;
  }
  EXPECT_GE(checked, 10u);
}

}  // namespace
}  // namespace aimicius::runtime::gguf
