// A sentence-embedding model seen from the scorers: texts in, unit vectors out. The scorers that
// need embeddings (cmdgen's CMD Score and Output Score, as the Sigma paper defines them with
// all-MiniLM-L6-v2) take this interface so that they never depend on LibTorch; the harness hands
// them the runtime's SentenceEncoder behind it.
//
// Invariants: embed() is const and may be called from several threads at once; it returns one
// vector per text, in order, all of the same size.
#pragma once

#include <string>
#include <vector>

namespace aimicius {

class TextEmbedder {
 public:
  virtual ~TextEmbedder() = default;
  virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const = 0;
  // Names the model in score details (e.g. "all-MiniLM-L6-v2").
  virtual std::string name() const = 0;
};

}  // namespace aimicius
