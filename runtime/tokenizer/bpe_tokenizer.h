// A Hugging Face tokenizer.json byte-level BPE tokenizer (GPT-2, Llama 3, Qwen2 style).
//
// Encoding: added tokens are cut out of the raw text first (added_tokens.h), the rest is
// pre-tokenized (pre_tokenizer.h: split pattern, then the byte-level alphabet) and each pre-token is
// merged by the BPE model (bpe_model.h); with add_bos the post_processor's template adds its special
// tokens (TemplateProcessing, RobertaProcessing/BertProcessing, Sequence; ByteLevel adds nothing),
// or, with no template, the bos token when tokenizer_config.json says add_bos_token.
// Decoding is the ByteLevel decoder: each token's code points mapped back to bytes, a token with a
// code point outside the alphabet (e.g. an added token with a space) taken as its UTF-8 text.
//
// Not supported (InputError naming the JSON path): models other than BPE, non-byte-level
// pre-tokenizers, normalizers other than none and NFC, decoders other than ByteLevel. The NFC
// normalizer is accepted but not applied: text that is not already NFC may encode differently
// from `tokenizers`. BPE dropout is ignored (it is for training).
// Invariants: immutable after construction (but for the BPE word cache, which has its own mutex);
// not movable, because its parts hold pointers to the classifier and alphabet it owns.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>

#include "runtime/tokenizer/added_tokens.h"
#include "runtime/tokenizer/bpe_model.h"
#include "runtime/tokenizer/byte_level.h"
#include "runtime/tokenizer/pre_tokenizer.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/unicode_classifier.h"

namespace aimicius::runtime {

class BpeTokenizer final : public Tokenizer {
 public:
  // Reads and parses a tokenizer.json file.
  static std::unique_ptr<BpeTokenizer> from_file(const std::filesystem::path& tokenizer_json);

  // `source_name` names the file in error messages.
  BpeTokenizer(const nlohmann::json& tokenizer_json, const std::string& source_name);
  BpeTokenizer(const BpeTokenizer&) = delete;
  BpeTokenizer& operator=(const BpeTokenizer&) = delete;

  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  int64_t vocab_size() const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  bool is_special(int32_t id) const override;

  // The split patterns of the pre-tokenizer (for tests: which scanner runs each).
  std::vector<const SplitPattern*> split_patterns() const { return pre_tokenizer_->split_patterns(); }
  // Whether encode(text, true) adds anything through the post_processor's template.
  bool has_special_token_template() const { return !template_prefix_.empty() || !template_suffix_.empty(); }

 private:
  void parse_normalizer(const nlohmann::json& root, const JsonLocation& location) const;
  void parse_decoder(const nlohmann::json& root, const JsonLocation& location) const;
  void parse_post_processor(const nlohmann::json& node, const JsonLocation& location);
  std::vector<AddedToken> parse_added_tokens(const nlohmann::json& root, const JsonLocation& location) const;

  std::unique_ptr<UnicodeClassifier> classifier_;
  ByteLevelAlphabet alphabet_;
  std::unique_ptr<BpeModel> model_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<AddedTokenMatcher> added_tokens_;
  std::vector<int32_t> template_prefix_;  // special tokens before the text, from the post_processor
  std::vector<int32_t> template_suffix_;  // and after it
};

}  // namespace aimicius::runtime
