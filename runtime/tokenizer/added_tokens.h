// The added tokens of a tokenizer.json (`added_tokens`): special tokens such as <|eot_id|> and
// normal added tokens, matched in the raw text before pre-tokenization.
//
// Matching follows Hugging Face `tokenizers`: tokens with normalized=false are found first, then
// those with normalized=true in the text between (this runtime applies no normalizer, so both see
// the raw text); at each step the leftmost match wins, and of those starting there the longest;
// lstrip / rstrip widen a match over the whitespace beside it; single_word rejects a match touching
// a word character. Invariant: segments tile the input in order, and a segment either carries an
// added token's id or is plain text to pre-tokenize.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/tokenizer/unicode_classifier.h"

namespace aimicius::runtime {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
};

struct TextSegment {
  std::size_t begin;
  std::size_t end;
  std::optional<int32_t> added_token_id;  // nothing: plain text
};

class AddedTokenMatcher {
 public:
  // `classifier` must outlive the matcher.
  AddedTokenMatcher(std::vector<AddedToken> tokens, const UnicodeClassifier& classifier);

  std::vector<TextSegment> split(std::string_view text) const;

  const AddedToken* find_by_id(int32_t id) const;
  const AddedToken* find_by_content(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Match {
    std::size_t begin;
    std::size_t end;
    int32_t id;
  };
  // Candidates by first byte, longest first; indices into tokens_.
  using FirstByteIndex = std::vector<std::vector<std::size_t>>;

  FirstByteIndex index_tokens(bool normalized) const;
  std::optional<Match> find_first(std::string_view text, std::size_t from, std::size_t to,
                                  const FirstByteIndex& index) const;
  void split_range(std::string_view text, TextSegment range, const FirstByteIndex& index,
                   std::vector<TextSegment>& out) const;
  bool touches_word(std::string_view text, std::size_t begin, std::size_t end) const;

  std::vector<AddedToken> tokens_;
  const UnicodeClassifier* classifier_;
  std::unordered_map<int32_t, std::size_t> by_id_;
  std::unordered_map<std::string, std::size_t> by_content_;
  FirstByteIndex raw_index_;
  FirstByteIndex normalized_index_;
};

}  // namespace aimicius::runtime
