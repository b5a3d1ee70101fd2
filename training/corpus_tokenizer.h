// `aimicius train-tokenizer`: a SentencePiece BPE vocabulary learnt from a training corpus' train
// documents (never its held-out ones, which the trainer measures on), so that the small models of
// issue 9 see ~4.5 bytes per token instead of 1 and the suites' long prompts fit their context.
// No LibTorch here.
//
// Invariants: deterministic for a given corpus and vocabulary size; writes DIR/tokenizer.model (and
// tokenizer.vocab, the pieces in text) and DIR/tokenizer_report.json; the model encodes every byte
// string and decodes it back exactly (byte fallback, identity normalisation).
#pragma once

#include <cstdint>
#include <filesystem>

namespace aimicius::runtime {

struct CorpusTokenizerReport {
  int vocab_size = 0;
  int64_t train_documents = 0;
  int64_t train_bytes = 0;
  int64_t heldout_bytes = 0;
  int64_t heldout_tokens = 0;  // the held-out documents encoded with the new model
  double seconds = 0.0;
};

CorpusTokenizerReport train_corpus_tokenizer(const std::filesystem::path& corpus, int vocab_size,
                                             const std::filesystem::path& out_dir);

}  // namespace aimicius::runtime
