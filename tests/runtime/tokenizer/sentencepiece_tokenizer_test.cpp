// SentencePiece tokenizer.model through load_tokenizer: a tiny BPE model is trained at test time
// (libsentencepiece's trainer) on a corpus written into a scratch folder.
#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>

#include "runtime/tokenizer/tokenizer.h"
#include "tests/runtime/tokenizer/tokenizer_test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::TokenizerScratchDir;
using aimicius::testing::write_file;

const char* const kCorpus[] = {
    "The quick brown fox jumps over the lazy dog.",
    "NCCL all-reduce bandwidth on eight GPUs is measured with nccl-tests.",
    "Run nvidia-smi to list the GPUs, their memory and their temperature.",
    "rocm-smi shows the same information on AMD accelerators.",
    "The benchmark reports latency and bandwidth for every message size.",
    "A checkpoint directory holds config.json, the weights and the tokenizer.",
    "Tokenizers turn text into ids, and ids back into text.",
    "Numbers like 1024, 4096 and 65536 appear in system logs.",
    "Queries select clusters, databases, tables and columns.",
    "Plans minimise all-gather latency on a multi-GPU machine.",
};

// Trains a 200-piece BPE model with bos 1, eos 2, unk 0 and returns the folder holding it.
void train_model(const TokenizerScratchDir& dir) {
  std::string corpus;
  for (int repeat = 0; repeat < 20; ++repeat) {
    for (const char* line : kCorpus) corpus += std::string(line) + "\n";
  }
  write_file(dir / "corpus.txt", corpus);
  const std::string args = "--input=" + (dir / "corpus.txt").string() + " --model_prefix=" +
                           (dir / "tokenizer").string() +
                           " --vocab_size=200 --model_type=bpe --character_coverage=1.0"
                           " --normalization_rule_name=identity --remove_extra_whitespaces=false"
                           " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --minloglevel=2";
  const auto status = sentencepiece::SentencePieceTrainer::Train(args);
  ASSERT_TRUE(status.ok()) << status.ToString();
}

class SentencePieceTokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(train_model(dir_)); }
  TokenizerScratchDir dir_;
};

TEST_F(SentencePieceTokenizerTest, LoadsThroughLoadTokenizerAndRoundTrips) {
  const auto tokenizer = load_tokenizer(dir_.path());
  EXPECT_EQ(tokenizer->vocab_size(), 200);
  for (const char* text : kCorpus) {
    SCOPED_TRACE(text);
    const auto ids = tokenizer->encode(text, false);
    EXPECT_FALSE(ids.empty());
    EXPECT_LT(ids.size(), std::string(text).size());  // merges were learnt
    EXPECT_EQ(tokenizer->decode(ids, true), text);
  }
  EXPECT_EQ(tokenizer->decode(tokenizer->encode("the GPUs and the tokenizer", false), false),
            "the GPUs and the tokenizer");
}

TEST_F(SentencePieceTokenizerTest, BosAndEosComeFromTheModel) {
  const auto tokenizer = load_tokenizer(dir_.path());
  EXPECT_EQ(tokenizer->bos_id(), 1);
  EXPECT_EQ(tokenizer->eos_ids(), std::vector<int32_t>{2});
  EXPECT_EQ(tokenizer->token_to_id("<s>"), 1);
  EXPECT_EQ(tokenizer->token_to_id("</s>"), 2);
  EXPECT_FALSE(tokenizer->token_to_id("<|not a piece|>").has_value());
  EXPECT_TRUE(tokenizer->is_special(1));

  const auto ids = tokenizer->encode("The lazy dog.", true);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 1);
  std::vector<int32_t> with_eos = ids;
  with_eos.push_back(2);
  EXPECT_EQ(tokenizer->decode(with_eos, true), "The lazy dog.");
  EXPECT_EQ(tokenizer->decode(with_eos, false), "<s>The lazy dog.</s>");
}

TEST_F(SentencePieceTokenizerTest, TokenizerConfigCanTurnBosOff) {
  write_file(dir_ / "tokenizer_config.json", R"({"add_bos_token": false, "eos_token": "</s>"})");
  const auto tokenizer = load_tokenizer(dir_.path());
  EXPECT_EQ(tokenizer->encode("The lazy dog.", true), tokenizer->encode("The lazy dog.", false));
  EXPECT_EQ(tokenizer->bos_id(), 1);
}

}  // namespace
}  // namespace aimicius::runtime
