// The text of a growing token sequence, decoded a few tokens at a time: what a generate loop needs
// to look for stop strings and stream pieces after every step without decoding everything the
// sequence has generated each time (which made a step's host work grow with the answer: O(n^2)
// over a long generation, seconds of host time a sequence at a few thousand tokens).
//
// Invariant: after update(tokens), text() == tokenizer.decode(tokens, skip_special). It is kept by
// decoding a short window (vLLM's "prefix offset / read offset" scheme): the window begins one
// settled step back, so effects that depend on where a decode starts (SentencePiece drops the
// leading space of the first piece) apply equally to the window's old and new text and cancel in
// their difference. Text is settled only when the new part is non-empty and ends in a whole
// character (no unfinished UTF-8 sequence, no U+FFFD that a later byte piece could still replace).
// When the window's new text does not begin with its old text (a tokenizer whose decode is not
// local in this sense), the sequence falls back to decoding everything at every step: slower,
// never different.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace aimicius::runtime {

class Tokenizer;

class IncrementalDecoder {
 public:
  explicit IncrementalDecoder(bool skip_special = true) : skip_special_(skip_special) {}

  // The text of `tokens`, which must begin with the tokens of the previous call (a sequence only
  // grows; std::logic_error when it shrank). Returns text().
  const std::string& update(const Tokenizer& tokenizer, const std::vector<int32_t>& tokens);

  const std::string& text() const { return text_; }
  // Bytes at the start of text() that no later token changes (under the locality above): a search
  // for stop strings done on the previous text need not look before settled() - (longest - 1).
  size_t settled() const { return settled_bytes_; }
  // True once the sequence fell back to whole decodes (a tokenizer that needs it is slow): the
  // update that falls back may change text before the previous settled(), so a caller searching
  // only new text searches all of it then.
  bool whole_decodes() const { return whole_; }

 private:
  bool skip_special_;
  std::string text_;
  size_t settled_bytes_ = 0;  // text_[0, settled_bytes_) is the text of tokens [0, read_)
  size_t window_ = 0;         // first token of the decode window (<= read_)
  size_t read_ = 0;           // tokens whose text is settled
  std::string window_text_;   // decode(tokens [window_, read_))
  size_t seen_ = 0;           // tokens in the previous call
  bool whole_ = false;
};

}  // namespace aimicius::runtime
