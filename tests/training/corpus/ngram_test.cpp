// Normalisation, n-gram hashing and overlap counting on hand-made texts (expected values counted
// by hand in the comments), and the template stop-set of a real suite.
#include <gtest/gtest.h>

#include "training/corpus/ngram_index.h"
#include "training/corpus/suite_prompt.h"
#include "training/corpus/text_normalize.h"

namespace aimicius::corpus {
namespace {

using Words = std::vector<std::string>;

TEST(NormaliseWords, LowercasesSplitsAtPunctuationAndDropsIt) {
  EXPECT_EQ(normalise_words("Show GPU-3's  memory,\tplease!\n"), (Words{"show", "gpu", "3", "s", "memory", "please"}));
  EXPECT_EQ(normalise_words("nvidia-smi --format=csv,noheader"), (Words{"nvidia", "smi", "format", "csv", "noheader"}));
  EXPECT_EQ(normalise_words("gpu_metrics.ts >= '2026'"), (Words{"gpu_metrics", "ts", "2026"}));
  EXPECT_EQ(normalise_words("  \n\t -- ; "), Words{});
  EXPECT_EQ(normalise_words("88\xC2\xB0" "C"), Words{"88\xC2\xB0" "c"});  // UTF-8 stays inside a word
  // The same text however it is spaced, cased or punctuated gives the same words.
  EXPECT_EQ(normalise_words("A  b,\n\nC."), normalise_words("a b c"));
}

TEST(NgramHashes, OnePerPositionAndOrderMatters) {
  const Words w{"a", "b", "c", "d", "e"};
  EXPECT_EQ(ngram_hashes(w, 3).size(), 3u);  // abc bcd cde
  EXPECT_EQ(ngram_hashes(w, 5).size(), 1u);
  EXPECT_TRUE(ngram_hashes(w, 6).empty());
  EXPECT_NE(ngram_hash(Words{"ab", "c"}, 0, 2), ngram_hash(Words{"a", "bc"}, 0, 2));
  EXPECT_NE(ngram_hash(Words{"a", "b"}, 0, 2), ngram_hash(Words{"b", "a"}, 0, 2));
}

TEST(Overlap, HandCountedRunsAndExclusions) {
  NgramIndex corpus(3);
  corpus.add(normalise_words("a b c d e f g h"));
  corpus.finish();
  EXPECT_EQ(corpus.size(), 6u);  // abc bcd cde def efg fgh
  // Test text: x a b c d y c d e. Trigrams: xab no, abc YES, bcd YES, cdy no, dyc no, ycd no, cde YES.
  const Words plain = normalise_words("x A b, c d y c d e");
  Overlap o = overlap(plain, corpus, {});
  EXPECT_EQ(o.shared, 3u);
  EXPECT_EQ(o.longest, 4u);  // abc + bcd: a run of 2 trigrams = 4 words "a b c d"
  EXPECT_EQ(o.begin, 1u);
  // A word in between breaks the run: a b z c d -> abz bzc zcd no; only "e f g" below is shared.
  o = overlap(normalise_words("a b z c d e f g"), corpus, {});
  EXPECT_EQ(o.shared, 3u);   // cde def efg
  EXPECT_EQ(o.longest, 5u);  // c d e f g
  EXPECT_EQ(o.begin, 3u);
  // Excluding "b c d" (a stop-set) leaves abc and cde: two runs of one trigram each.
  NgramIndex stop(3);
  stop.add(Words{"b", "c", "d"});
  stop.finish();
  o = overlap(plain, corpus, {&stop});
  EXPECT_EQ(o.shared, 2u);
  EXPECT_EQ(o.longest, 3u);
  EXPECT_EQ(o.begin, 1u);
  // Nothing shared: no overlap.
  o = overlap(normalise_words("p q r s"), corpus, {});
  EXPECT_EQ(o.shared, 0u);
  EXPECT_EQ(o.longest, 0u);
}

TEST(Overlap, NumberOnlyNgramsNeverCount) {
  NgramIndex corpus(3);
  corpus.add(normalise_words("(0, 1, 2), (3, 4) gpu"));
  corpus.finish();
  // 0 1 2 3 4 gpu: trigrams 012 123 234 are numbers only; "3 4 gpu" is the one that counts.
  const Overlap o = overlap(normalise_words("0 1 2 3 4 gpu"), corpus, {});
  EXPECT_EQ(o.shared, 1u);
  EXPECT_EQ(o.longest, 3u);
  EXPECT_EQ(o.begin, 3u);
}

TEST(SuitePrompt, PlainTextIsFieldsAndBoilerplateIsTemplateWording) {
  const SuitePrompt cmdgen(std::string(AIMICIUS_BUNDLED_DATA_DIR) + "/cmdgen");
  const nlohmann::json ex = {{"id", "x"}, {"platform", "nvidia"}, {"request", "List the GPUs."}, {"reference", "nvidia-smi -L"}};
  EXPECT_EQ(cmdgen.plain_text(ex), "List the GPUs.\nnvidia-smi -L");
  // The rendered prompt (few-shot block empty) ends with the request and the answer cue.
  const std::string prompt = cmdgen.render_prompt(ex, "test");
  EXPECT_NE(prompt.find("NVIDIA GPU (CUDA) system"), std::string::npos);
  const std::string tail = "\n\nRequest: List the GPUs.\nCommand:";
  ASSERT_GT(prompt.size(), tail.size());
  EXPECT_EQ(prompt.substr(prompt.size() - tail.size()), tail);
  EXPECT_EQ(cmdgen.render_answer(ex, "test"), "nvidia-smi -L");
  // Boilerplate: the template's sentences, split at every field, no field value in it.
  bool instructions = false;
  for (const auto& seg : cmdgen.boilerplate()) {
    instructions = instructions || seg.find("Write the single shell command") != std::string::npos;
    EXPECT_EQ(seg.find("List the GPUs"), std::string::npos);
    EXPECT_EQ(seg.find('\x01'), std::string::npos);
  }
  EXPECT_TRUE(instructions);
}

}  // namespace
}  // namespace aimicius::corpus
