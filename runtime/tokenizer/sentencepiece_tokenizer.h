// A SentencePiece tokenizer through libsentencepiece: a tokenizer.model (Llama 1/2, Mistral, Gemma
// style), or a model rebuilt from a vocabulary that came without one (a GGUF file's
// tokenizer.ggml.* metadata: runtime/gguf/gguf_tokenizer.h), with the text rules transformers
// wraps around such a vocabulary.
//
// A tokenizer.model: encode(text) is libsentencepiece's encoding of the whole text (its own dummy
// prefix, user-defined pieces); control pieces written in the text are not recognised.
// With SentencePieceTextRules (a rebuilt vocabulary, as transformers' LlamaTokenizer reads it):
//   - the added tokens (control and user-defined pieces) are cut out of the raw text first
//     (added_tokens.h, the `tokenizers` matching), each its own id;
//   - each remaining segment goes to SentencePiece alone; with prefix_space_first, the segment
//     that starts the text gets a "▁" before it unless it already starts with a space or "▁"
//     (Metaspace prepend_scheme "first"; the model itself adds no dummy prefix);
//   - decode strips one leading space of the result under prefix_space_first (the Strip decoder).
// Both: with add_bos the bos id is prepended when there is one and add_bos_token is not false (and
// under text rules with add_eos, the first eos id appended);
// decode(skip_special=false) writes special pieces as their text, decode(skip_special=true) leaves
// them out; runs of other pieces are decoded together by libsentencepiece ("▁" to spaces, byte
// pieces to bytes). Special pieces: control pieces, and under text rules also the unknown piece
// (transformers makes it a special token). bos / eos default to the model's own ids.
// Invariants: immutable after construction; SentencePieceProcessor's const methods are thread-safe.
#pragma once

#include <filesystem>
#include <memory>

#include "runtime/tokenizer/added_tokens.h"
#include "runtime/tokenizer/sentencepiece_library.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/tokenizer/unicode_classifier.h"

namespace aimicius::runtime {

// How text meets a rebuilt vocabulary (see above).
struct SentencePieceTextRules {
  std::vector<AddedToken> added_tokens;
  bool prefix_space_first = true;
  std::optional<int32_t> unknown_id;  // the unknown piece, special as transformers makes it
  bool add_eos = false;               // encode(text, add_bos = true) also appends the eos id
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws InputError naming the file when it cannot be loaded.
  explicit SentencePieceTokenizer(const std::filesystem::path& model_file);
  // A rebuilt vocabulary (a serialized ModelProto) with transformers' text rules.
  SentencePieceTokenizer(const SentencePieceModel::Serialized& model, SentencePieceTextRules rules);
  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  int64_t vocab_size() const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  bool is_special(int32_t id) const override;

  // The model's own bos / eos (nothing when the model has none).
  std::optional<int32_t> model_bos_id() const;
  std::optional<int32_t> model_eos_id() const;

 private:
  void use_model_special_tokens();
  std::string decode_run(const std::vector<int>& ids) const;
  void encode_segment(std::string_view text, bool starts_text, std::vector<int32_t>& ids) const;

  std::unique_ptr<SentencePieceModel> processor_;
  bool text_rules_ = false;  // constructed with SentencePieceTextRules
  bool prefix_space_first_ = false;
  std::unique_ptr<UnicodeClassifier> classifier_;       // with text rules
  std::unique_ptr<AddedTokenMatcher> added_tokens_;     // with text rules
  std::optional<int32_t> unknown_id_;                   // with text rules: special
  bool add_eos_ = false;
};

}  // namespace aimicius::runtime
