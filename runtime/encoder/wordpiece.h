// BERT WordPiece tokenizer (uncased or cased), as Hugging Face's BertTokenizerFast does it:
//   1. special tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) written literally in the text are kept
//      as those tokens;
//   2. BasicTokenizer: clean_text (drop control characters, U+0000, U+FFFD; whitespace -> space),
//      spaces around CJK ideographs (tokenize_chinese_chars), strip accents (NFD, drop
//      nonspacing marks; on when strip_accents is true, or null and do_lower_case), lowercase
//      (do_lower_case), then split on whitespace and isolate every punctuation character;
//   3. WordPiece: greedy longest-match-first over each word, continuation pieces prefixed "##";
//      a word longer than 100 characters, or one that cannot be covered by pieces, is [UNK];
//   4. encode() adds [CLS] ... [SEP] and truncates the pieces so the whole fits max_length.
// Character data comes from unicode_tables.h (all of Unicode, measured on `tokenizers`).
//
// Invariants: a WordPieceTokenizer is immutable after construction, so one may be shared between
// threads; every id it returns is < vocab_size().
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace aimicius::runtime {

struct WordPieceOptions {
  bool do_lower_case = true;
  std::optional<bool> strip_accents;  // nullopt: follow do_lower_case (the BERT default)
  bool tokenize_chinese_chars = true;
  size_t max_input_chars_per_word = 100;
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";
};

class WordPieceTokenizer {
 public:
  // vocab: one token per line, the id is the line number. Throws InputError when a special token
  // is missing from the vocabulary.
  WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options);

  // Reads model_dir/vocab.txt and, when present, model_dir/tokenizer_config.json (do_lower_case,
  // strip_accents, tokenize_chinese_chars and the special tokens). Throws InputError naming the
  // file when one is missing or malformed.
  static WordPieceTokenizer load(const std::filesystem::path& model_dir);

  // The word pieces of text, without [CLS]/[SEP] and without truncation.
  std::vector<std::string> tokenize(std::string_view text) const;

  // [CLS] pieces [SEP] as ids, the pieces cut so the result has at most max_length ids
  // (max_length >= 2).
  std::vector<int64_t> encode(std::string_view text, size_t max_length) const;

  int64_t pad_id() const { return pad_id_; }
  size_t vocab_size() const { return vocab_.size(); }
  const std::string& token(int64_t id) const { return vocab_.at(static_cast<size_t>(id)); }
  const WordPieceOptions& options() const { return options_; }

 private:
  std::vector<int64_t> piece_ids(std::string_view text) const;
  void append_word_ids(std::string_view text, std::vector<int64_t>& ids) const;
  int64_t require_id(const std::string& token) const;

  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int64_t> ids_;
  WordPieceOptions options_;
  int64_t unk_id_ = 0, cls_id_ = 0, sep_id_ = 0, pad_id_ = 0;
  std::vector<std::pair<std::string, int64_t>> special_tokens_;  // matched literally in raw text
};

}  // namespace aimicius::runtime
