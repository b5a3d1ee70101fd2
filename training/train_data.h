// Training text for `aimicius train`: the documents of a corpus file (JSON lines with a "text"
// field, as `aimicius corpus` writes them), tokenized with the checkpoint's own tokenizer, each
// as bos + text + eos, concatenated into one token stream per split. No LibTorch here.
//
// Invariants: deterministic (document order as in the file); every 50th document (by position)
// is held out for evaluation, so train and eval never share a document; malformed lines are an
// InputError naming the file and line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/tokenizer/tokenizer.h"

namespace aimicius::runtime {

// The corpus' document texts, split as the trainer splits them (every 50th held out).
struct CorpusTexts {
  std::vector<std::string> train;
  std::vector<std::string> eval;
};

// `corpus` is a .jsonl file or a folder holding corpus.jsonl.
CorpusTexts load_corpus_texts(const std::filesystem::path& corpus);

struct TokenStreams {
  std::vector<int32_t> train;
  std::vector<int32_t> eval;
  int64_t documents = 0;
  int64_t bytes = 0;
};

TokenStreams load_token_streams(const std::filesystem::path& corpus, const Tokenizer& tokenizer);

}  // namespace aimicius::runtime
