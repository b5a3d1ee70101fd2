// `aimicius train-tokenizer` (training/corpus_tokenizer.h): the learnt SentencePiece vocabulary keeps
// system text byte for byte (newlines, indentation, unseen bytes), compresses it, never learns from
// the corpus' held-out documents, is deterministic, and bad input is named.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "training/corpus_tokenizer.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/runtime/tokenizer/tokenizer_test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::read_text;
using aimicius::testing::TokenizerScratchDir;
using aimicius::testing::write_file;

// System-style documents; every 50th (the trainer's held-out rule) carries a word no train
// document has, repeated so that a trainer that saw it would surely make it a piece.
std::string make_corpus(int docs) {
  std::string out;
  const char* tools[] = {"nvidia-smi topo -m", "rocm-smi --showuse", "ibstat mlx5_0", "nvcc --version"};
  for (int i = 0; i < docs; ++i) {
    std::string text = std::string("request: show the topology of host gpu-h100-") + std::to_string(i % 7) +
                       "\ncommand: " + tools[i % 4] + "\n  GPU0  X   NV18  NV18\n  GPU1  NV18  X   NV18\n" +
                       "SELECT hostname, count(*) FROM gpu_metrics GROUP BY hostname;\n";
    if (i % 50 == 49)
      for (int r = 0; r < 40; ++r) text += " quokkazebra";
    out += nlohmann::json({{"source", "test"}, {"id", std::to_string(i)}, {"text", text}}).dump() + "\n";
  }
  return out;
}

TEST(CorpusTokenizer, KeepsSystemTextExactlyAndCompressesIt) {
  const TokenizerScratchDir dir;
  write_file(dir / "corpus.jsonl", make_corpus(200));
  const CorpusTokenizerReport report = train_corpus_tokenizer(dir / "corpus.jsonl", 420, dir / "tok");
  EXPECT_EQ(report.train_documents, 196);
  EXPECT_GT(report.heldout_tokens, 0);
  const auto tokenizer = load_tokenizer(dir / "tok");
  EXPECT_EQ(tokenizer->vocab_size(), 420);
  ASSERT_TRUE(tokenizer->bos_id().has_value());
  EXPECT_EQ(*tokenizer->bos_id(), 1);
  ASSERT_FALSE(tokenizer->eos_ids().empty());
  EXPECT_EQ(tokenizer->eos_ids().front(), 2);
  const std::string seen = "request: show the topology of host gpu-h100-3\ncommand: nvidia-smi topo -m\n  GPU0  X   NV18  NV18\n";
  const auto ids = tokenizer->encode(seen, false);
  EXPECT_EQ(tokenizer->decode(ids, true), seen);
  EXPECT_LT(ids.size() * 3, seen.size());  // merges learnt: over 3 bytes per token on seen text
  EXPECT_EQ(tokenizer->encode("\n", false).size(), 1u);  // a newline is one piece, not a byte
  // Text the corpus never had, bytes included, comes back exactly (byte fallback, no normalisation).
  const std::string unseen = "Ωmega\tµs  \r\n\n  \xe2\x86\x92 trailing   ";
  EXPECT_EQ(tokenizer->decode(tokenizer->encode(unseen, false), true), unseen);
}

TEST(CorpusTokenizer, LearnsNothingFromHeldOutDocumentsAndIsDeterministic) {
  const TokenizerScratchDir dir;
  write_file(dir / "corpus.jsonl", make_corpus(200));
  train_corpus_tokenizer(dir / "corpus.jsonl", 420, dir / "tok");
  const std::string vocab = read_text(dir / "tok" / "tokenizer.vocab");
  EXPECT_NE(vocab.find("NV18"), std::string::npos);  // a train word became a piece
  EXPECT_EQ(vocab.find("quokka"), std::string::npos);
  EXPECT_EQ(vocab.find("zebra"), std::string::npos);
  const std::string first = read_text(dir / "tok" / "tokenizer.model");
  train_corpus_tokenizer(dir / "corpus.jsonl", 420, dir / "tok");
  EXPECT_EQ(read_text(dir / "tok" / "tokenizer.model"), first);
}

TEST(CorpusTokenizer, BadInputIsNamed) {
  const TokenizerScratchDir dir;
  write_file(dir / "corpus.jsonl", make_corpus(10) + "{\"text\": 3}\n");
  try {
    train_corpus_tokenizer(dir / "corpus.jsonl", 420, dir / "tok");
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("corpus.jsonl:11"), std::string::npos) << e.what();
  }
  write_file(dir / "small.jsonl", make_corpus(10));
  EXPECT_THROW(train_corpus_tokenizer(dir / "small.jsonl", 100, dir / "tok"), InputError);  // < 260 pieces
}

}  // namespace
}  // namespace aimicius::runtime
