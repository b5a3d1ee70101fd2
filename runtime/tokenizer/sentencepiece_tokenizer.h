// A SentencePiece tokenizer.model (Llama 1/2, Mistral, Gemma style) through libsentencepiece.
//
// encode(text, add_bos) prepends the model's bos id when the model has one (and
// tokenizer_config.json does not say add_bos_token false); decode(skip_special=false) writes control
// tokens such as <s> as their piece text, decode(skip_special=true) leaves them out (libsentencepiece
// itself always drops them). bos / eos default to the model's own ids.
// Invariants: immutable after construction; SentencePieceProcessor's const methods are thread-safe.
#pragma once

#include <filesystem>
#include <memory>

#include "runtime/tokenizer/sentencepiece_library.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aimicius::runtime {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Throws InputError naming the file when it cannot be loaded.
  explicit SentencePieceTokenizer(const std::filesystem::path& model_file);
  ~SentencePieceTokenizer() override;

  std::vector<int32_t> encode(std::string_view text, bool add_bos) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  int64_t vocab_size() const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  bool is_special(int32_t id) const override;

  // The model's own bos / eos (nothing when the model has none).
  std::optional<int32_t> model_bos_id() const;
  std::optional<int32_t> model_eos_id() const;

 private:
  std::string decode_run(const std::vector<int>& ids) const;

  std::filesystem::path model_file_;
  std::unique_ptr<SentencePieceModel> processor_;
};

}  // namespace aimicius::runtime
