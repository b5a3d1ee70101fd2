// SentencePiece tokenizer.model through libsentencepiece, loaded as a plugin
// (see sentencepiece_tokenizer.h and sentencepiece_shim.cpp).
#include "runtime/tokenizer/sentencepiece_tokenizer.h"

#include <fmt/format.h>

#include <stdexcept>

#include "common/errors.h"

namespace aimicius::runtime {

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_file)
    : model_file_(model_file), processor_(std::make_unique<SentencePieceModel>(model_file)) {
  SpecialTokenIds ids;
  ids.bos = model_bos_id();
  if (const auto eos = model_eos_id()) ids.eos.push_back(*eos);
  set_special_tokens(std::move(ids));
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::optional<int32_t> SentencePieceTokenizer::model_bos_id() const {
  const int id = processor_->bos_id();
  return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
}

std::optional<int32_t> SentencePieceTokenizer::model_eos_id() const {
  const int id = processor_->eos_id();
  return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text, bool add_bos) const {
  const std::vector<int> pieces = processor_->encode(text);
  std::vector<int32_t> ids;
  ids.reserve(pieces.size() + 1);
  if (add_bos && special_ids().add_bos_token.value_or(true) && bos_id()) ids.push_back(*bos_id());
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  return ids;
}

std::string SentencePieceTokenizer::decode_run(const std::vector<int>& ids) const {
  if (ids.empty()) return {};
  return processor_->decode(ids);
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  // Runs of ordinary pieces are decoded together (so that "▁" word boundaries and byte pieces come
  // out right); control pieces between them are written as their text unless skipped.
  std::string text;
  std::vector<int> run;
  const int piece_count = processor_->piece_size();
  for (const int32_t id : ids) {
    if (id < 0 || id >= piece_count) continue;
    if (processor_->is_control(id)) {
      text += decode_run(run);
      run.clear();
      if (!skip_special) text += processor_->id_to_piece(id);
      continue;
    }
    run.push_back(id);
  }
  text += decode_run(run);
  return text;
}

int64_t SentencePieceTokenizer::vocab_size() const { return processor_->piece_size(); }

std::optional<int32_t> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  const int id = processor_->piece_to_id(token);
  if (id < 0 || id >= processor_->piece_size() || processor_->id_to_piece(id) != token) return std::nullopt;
  return id;
}

bool SentencePieceTokenizer::is_special(int32_t id) const {
  return id >= 0 && id < processor_->piece_size() && processor_->is_control(id);
}

}  // namespace aimicius::runtime
