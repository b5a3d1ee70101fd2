// Sentence embeddings from a BERT-style encoder (all-MiniLM-L6-v2 and its kind), computed the way
// sentence-transformers does: WordPiece tokens ([CLS] ... [SEP], cut to max_seq_length), the BERT
// encoder (post-LayerNorm, erf GELU), mean pooling over the non-padding tokens, L2 normalisation.
// The suites' similarity scores (CMD Score, Output Score) are cosine_similarity (common/cosine.h)
// of two embeddings.
//
// This header does not include LibTorch (the weights and the forward pass live behind a pimpl in
// sentence_encoder.cpp), so scorers can use it without paying for LibTorch headers.
//
// Invariants: a loaded SentenceEncoder is immutable; embed() may be called from several threads at
// once. Every embedding has dim() floats and unit L2 norm (or is all zeros if the pooled vector
// was zero). load() validates everything it reads (config, vocabulary, every tensor's name and
// shape) and throws aimicius::InputError naming the file or tensor at fault.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace aimicius::runtime {

class SentenceEncoder {
 public:
  // model_dir holds config.json, model.safetensors (HF BertModel tensor names, with or without a
  // "bert." prefix), vocab.txt, and optionally tokenizer_config.json, sentence_bert_config.json
  // (max_seq_length; else 512 capped by the position table) and 1_Pooling/config.json (must ask
  // for mean pooling when present). As laid out by scripts/fetch-models.sh.
  static std::unique_ptr<SentenceEncoder> load(const std::filesystem::path& model_dir);

  // One embedding per text, in order. Texts are run in batches of up to kBatchSize, padded to the
  // longest text of their batch.
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const;

  // The embedding width (384 for all-MiniLM-L6-v2).
  int dim() const;
  // Texts are cut to this many tokens, [CLS] and [SEP] included.
  int max_seq_length() const;

  ~SentenceEncoder();
  SentenceEncoder(const SentenceEncoder&) = delete;
  SentenceEncoder& operator=(const SentenceEncoder&) = delete;

  static constexpr size_t kBatchSize = 32;

 private:
  struct Impl;
  explicit SentenceEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace aimicius::runtime
