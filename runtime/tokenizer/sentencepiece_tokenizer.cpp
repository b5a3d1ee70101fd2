// SentencePiece through libsentencepiece, loaded as a plugin (see sentencepiece_tokenizer.h and
// sentencepiece_shim.cpp).
#include "runtime/tokenizer/sentencepiece_tokenizer.h"

#include <fmt/format.h>

#include <stdexcept>

#include "common/errors.h"

namespace aimicius::runtime {

namespace {
constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁", SentencePiece's space
}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_file)
    : processor_(std::make_unique<SentencePieceModel>(model_file)) {
  use_model_special_tokens();
}

SentencePieceTokenizer::SentencePieceTokenizer(const SentencePieceModel::Serialized& model, SentencePieceTextRules rules)
    : processor_(std::make_unique<SentencePieceModel>(model)),
      text_rules_(true),
      prefix_space_first_(rules.prefix_space_first),
      classifier_(std::make_unique<UnicodeClassifier>()),
      unknown_id_(rules.unknown_id),
      add_eos_(rules.add_eos) {
  for (const auto& t : rules.added_tokens)
    if (t.id < 0 || t.id >= processor_->piece_size())
      throw InputError(fmt::format("{}: added token \"{}\" has id {}, outside the vocabulary", model.name, t.content, t.id));
  added_tokens_ = std::make_unique<AddedTokenMatcher>(std::move(rules.added_tokens), *classifier_);
  use_model_special_tokens();
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

void SentencePieceTokenizer::use_model_special_tokens() {
  SpecialTokenIds ids;
  ids.bos = model_bos_id();
  if (const auto eos = model_eos_id()) ids.eos.push_back(*eos);
  set_special_tokens(std::move(ids));
}

std::optional<int32_t> SentencePieceTokenizer::model_bos_id() const {
  const int id = processor_->bos_id();
  return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
}

std::optional<int32_t> SentencePieceTokenizer::model_eos_id() const {
  const int id = processor_->eos_id();
  return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
}

void SentencePieceTokenizer::encode_segment(std::string_view text, bool starts_text, std::vector<int32_t>& ids) const {
  std::vector<int> pieces;
  if (prefix_space_first_ && starts_text && !(text.substr(0, 1) == " " || text.substr(0, kSpaceMark.size()) == kSpaceMark)) {
    std::string prefixed = " ";  // the model escapes it to "▁"
    prefixed += text;
    pieces = processor_->encode(prefixed);
  } else {
    pieces = processor_->encode(text);
  }
  ids.insert(ids.end(), pieces.begin(), pieces.end());
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text, bool add_bos) const {
  std::vector<int32_t> ids;
  if (add_bos && special_ids().add_bos_token.value_or(true) && bos_id()) ids.push_back(*bos_id());
  if (!text_rules_) {
    encode_segment(text, true, ids);
    return ids;
  }
  for (const TextSegment& s : added_tokens_->split(text)) {
    if (s.added_token_id) ids.push_back(*s.added_token_id);
    else encode_segment(text.substr(s.begin, s.end - s.begin), s.begin == 0, ids);
  }
  if (add_bos && add_eos_ && !eos_ids().empty()) ids.push_back(eos_ids().front());
  return ids;
}

std::string SentencePieceTokenizer::decode_run(const std::vector<int>& ids) const {
  if (ids.empty()) return {};
  return processor_->decode(ids);
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  // Runs of ordinary pieces are decoded together (so that "▁" word boundaries and byte pieces come
  // out right); special pieces between them are written as their text unless skipped.
  std::string text;
  std::vector<int> run;
  const int piece_count = processor_->piece_size();
  for (const int32_t id : ids) {
    if (id < 0 || id >= piece_count) continue;
    if (is_special(id)) {
      text += decode_run(run);
      run.clear();
      if (!skip_special) text += processor_->id_to_piece(id);
      continue;
    }
    run.push_back(id);
  }
  text += decode_run(run);
  if (prefix_space_first_ && !text.empty() && text[0] == ' ') text.erase(0, 1);
  return text;
}

int64_t SentencePieceTokenizer::vocab_size() const { return processor_->piece_size(); }

std::optional<int32_t> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  const int id = processor_->piece_to_id(token);
  if (id < 0 || id >= processor_->piece_size() || processor_->id_to_piece(id) != token) return std::nullopt;
  return id;
}

bool SentencePieceTokenizer::is_special(int32_t id) const {
  return id >= 0 && id < processor_->piece_size() && (processor_->is_control(id) || (unknown_id_ && id == *unknown_id_));
}

}  // namespace aimicius::runtime
