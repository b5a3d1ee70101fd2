// The `pre_tokenizer` of a byte-level BPE tokenizer.json: cuts text into pre-tokens, each of which
// BPE then encodes on its own.
//
// Supported steps: ByteLevel (add_prefix_space; use_regex runs the GPT-2 pattern), Split (Regex or
// String pattern, behavior Removed / Isolated / MergedWithPrevious / MergedWithNext / Contiguous,
// invert), Digits (individual_digits), and Sequence of these. A Sequence must contain a ByteLevel
// step: this runtime only knows byte-level BPE. Anything else is an InputError naming the type and
// the JSON path. The ByteLevel step also maps bytes to the byte-level alphabet (byte_level.h), as in
// `tokenizers`, so steps after it see mapped text. Invariant: pre-tokens are non-empty, written in
// the byte-level alphabet, and, concatenated and mapped back, give the input (plus a prefix space
// per piece when add_prefix_space is on, less what a Removed split drops).
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_file.h"
#include "runtime/tokenizer/byte_level.h"
#include "runtime/tokenizer/split_pattern.h"
#include "runtime/tokenizer/unicode_classifier.h"

namespace aimicius::runtime {

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Cuts `text` around `matches` as the Hugging Face Split pre-tokenizer does (ranges in, ranges out;
// empty pieces dropped).
std::vector<ByteRange> split_by_matches(std::size_t text_size, const std::vector<ByteRange>& matches,
                                        SplitBehavior behavior, bool invert);

class PreTokenizer {
 public:
  // `node` is the tokenizer.json "pre_tokenizer" value at `location`; `classifier` and `alphabet`
  // must outlive the pre-tokenizer.
  PreTokenizer(const nlohmann::json& node, const JsonLocation& location,
               const UnicodeClassifier& classifier, const ByteLevelAlphabet& alphabet);
  PreTokenizer(PreTokenizer&&) noexcept;
  ~PreTokenizer();

  std::vector<std::string> pre_tokenize(std::string_view text) const;

  // The split pattern steps, for tests: which scanner each uses.
  std::vector<const SplitPattern*> split_patterns() const;

 private:
  struct Step;
  void add_step(const nlohmann::json& node, const JsonLocation& location, bool inside_sequence);

  const UnicodeClassifier* classifier_;
  const ByteLevelAlphabet* alphabet_;
  std::vector<std::unique_ptr<Step>> steps_;
};

}  // namespace aimicius::runtime
