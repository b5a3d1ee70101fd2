// IncrementalDecoder: after every update its text equals the whole sequence's decode, for each kind
// of tokenizer the runtime loads (byte-level BPE, SentencePiece with byte pieces and specials, the
// bundled checkpoint's), over random sequences that cut multi-byte characters between tokens; a
// tokenizer whose decode is not local falls back to whole decodes and stays exact.
#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/tokenizer/incremental_decode.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/runtime/tokenizer/tokenizer_test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::tokenizer_fixture;
using aimicius::testing::TokenizerScratchDir;
using aimicius::testing::write_file;

const char* const kTexts[] = {
    "Run nvidia-smi -L to list the GPUs.\n",
    "  two spaces, a\ttab and a newline\n\n",
    "带宽 8 个 GPU 的 all-reduce 延迟",
    "emoji 🚀🔥 and NBSP\xC2\xA0here, é à ü",
    "SELECT cluster, avg(latency_ms) FROM runs GROUP BY 1;",
};

// Feeds `ids` to an IncrementalDecoder one to three tokens at a time and checks the invariant at
// every step: the text equals the whole decode, its settled bytes never change afterwards.
void expect_equal_to_whole_decodes(const Tokenizer& tokenizer, const std::vector<int32_t>& ids, bool skip_special,
                                   uint32_t seed, bool expect_local = true) {
  std::mt19937 rng(seed);
  IncrementalDecoder decoder(skip_special);
  std::vector<int32_t> prefix;
  std::string settled_before;
  size_t i = 0;
  while (i < ids.size()) {
    const size_t take = std::min<size_t>(ids.size() - i, 1 + rng() % 3);
    prefix.insert(prefix.end(), ids.begin() + static_cast<std::ptrdiff_t>(i),
                  ids.begin() + static_cast<std::ptrdiff_t>(i + take));
    i += take;
    const std::string& text = decoder.update(tokenizer, prefix);
    ASSERT_EQ(text, tokenizer.decode(prefix, skip_special)) << "after " << prefix.size() << " tokens, seed " << seed;
    ASSERT_LE(decoder.settled(), text.size());
    if (!expect_local) continue;  // there the text before the new tokens changes
    ASSERT_EQ(text.compare(0, settled_before.size(), settled_before), 0) << "settled text changed";
    settled_before = text.substr(0, decoder.settled());
  }
  EXPECT_EQ(decoder.whole_decodes(), !expect_local);
  if (expect_local && ids.size() > 8) {
    EXPECT_GT(decoder.settled(), 0u);  // the window moved on
  }
}

// Sequences a model could generate: real encodings of the texts, joined, with random ids (bytes,
// specials, unknown pieces) spliced in.
std::vector<std::vector<int32_t>> sequences_for(const Tokenizer& tokenizer, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<int32_t>> out;
  std::vector<int32_t> joined;
  for (const char* text : kTexts) {
    const auto ids = tokenizer.encode(text, false);
    out.push_back(ids);
    joined.insert(joined.end(), ids.begin(), ids.end());
  }
  out.push_back(joined);
  for (int round = 0; round < 6; ++round) {
    std::vector<int32_t> mixed;
    for (size_t i = 0; i < joined.size(); ++i) {
      mixed.push_back(joined[i]);
      if (rng() % 5 == 0) mixed.push_back(static_cast<int32_t>(rng() % static_cast<uint32_t>(tokenizer.vocab_size())));
    }
    out.push_back(mixed);
  }
  return out;
}

void check_tokenizer(const Tokenizer& tokenizer) {
  uint32_t seed = 1;
  for (const auto& ids : sequences_for(tokenizer, 7)) {
    for (const bool skip_special : {true, false}) {
      SCOPED_TRACE(::testing::Message() << ids.size() << " tokens, skip_special " << skip_special);
      ASSERT_NO_FATAL_FAILURE(expect_equal_to_whole_decodes(tokenizer, ids, skip_special, seed++));
    }
  }
}

TEST(IncrementalDecode, ByteLevelBpeEqualsWholeDecodes) {
  check_tokenizer(*load_tokenizer(tokenizer_fixture("llama3_bpe")));
  check_tokenizer(*load_tokenizer(tokenizer_fixture("gpt2_bpe")));
}

TEST(IncrementalDecode, SentencePieceWithBytePiecesEqualsWholeDecodes) {
  TokenizerScratchDir dir;
  std::string corpus;
  // An ASCII corpus with byte_fallback: every other character comes out as <0xNN> pieces, one byte
  // each, so the sequences cut CJK, accented and emoji characters between tokens.
  for (int repeat = 0; repeat < 20; ++repeat)
    for (const char* text : {kTexts[0], kTexts[1], kTexts[4]}) corpus += std::string(text) + "\n";
  write_file(dir / "corpus.txt", corpus);
  const std::string args = "--input=" + (dir / "corpus.txt").string() + " --model_prefix=" +
                           (dir / "tokenizer").string() +
                           " --vocab_size=400 --model_type=bpe --character_coverage=1.0 --byte_fallback=true"
                           " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --minloglevel=2";
  const auto status = sentencepiece::SentencePieceTrainer::Train(args);
  ASSERT_TRUE(status.ok()) << status.ToString();
  const auto tokenizer = load_tokenizer(dir.path());
  const auto cjk = tokenizer->encode("带宽延迟", false);
  ASSERT_GT(cjk.size(), 4u) << "the test needs characters split into byte pieces";
  check_tokenizer(*tokenizer);
}

TEST(IncrementalDecode, BundledCheckpointTokenizerEqualsWholeDecodes) {
  check_tokenizer(*load_tokenizer(std::filesystem::path(AIMICIUS_SOURCE_DIR) / "checkpoints" / "sigma-mini"));
}

// A decode that is not local (each token's text goes in front): the window's new text does not
// begin with its old one, so the decoder decodes whole sequences from then on, still exact.
class ReversingTokenizer final : public Tokenizer {
 public:
  std::vector<int32_t> encode(std::string_view, bool) const override { return {}; }
  std::string decode(const std::vector<int32_t>& ids, bool) const override {
    std::string text;
    for (const int32_t id : ids) text.insert(0, 1, static_cast<char>('a' + id % 26));
    return text;
  }
  int64_t vocab_size() const override { return 26; }
  std::optional<int32_t> token_to_id(std::string_view) const override { return std::nullopt; }
  bool is_special(int32_t) const override { return false; }
};

TEST(IncrementalDecode, NonLocalDecodeFallsBackToWholeDecodes) {
  const ReversingTokenizer tokenizer;
  std::vector<int32_t> ids;
  for (int32_t i = 0; i < 40; ++i) ids.push_back(i);
  expect_equal_to_whole_decodes(tokenizer, ids, true, 3, /*expect_local=*/false);
}

TEST(IncrementalDecode, ASequenceThatShrinksIsRefused) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("gpt2_bpe"));
  IncrementalDecoder decoder;
  decoder.update(*tokenizer, tokenizer->encode("hello world", false));
  EXPECT_THROW(decoder.update(*tokenizer, {}), std::logic_error);
}

}  // namespace
}  // namespace aimicius::runtime
