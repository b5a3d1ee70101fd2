// tokenizer.json byte-level BPE: parsing and the encode / decode pipelines (see bpe_tokenizer.h).
#include "runtime/tokenizer/bpe_tokenizer.h"

#include <fmt/format.h>

#include <algorithm>

namespace aimicius::runtime {

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_file(const std::filesystem::path& tokenizer_json) {
  return std::make_unique<BpeTokenizer>(read_json_file(tokenizer_json), tokenizer_json.string());
}

BpeTokenizer::BpeTokenizer(const nlohmann::json& root, const std::string& source_name)
    : classifier_(std::make_unique<UnicodeClassifier>()) {
  const JsonLocation top(source_name, "");
  if (!root.is_object()) top.fail("expected a JSON object");
  model_ = std::make_unique<BpeModel>(top.require(root, "model", nlohmann::json::value_t::object),
                                      top.child("model"));
  parse_normalizer(root, top);
  parse_decoder(root, top);
  const auto pre_tokenizer = root.find("pre_tokenizer");
  pre_tokenizer_ = std::make_unique<PreTokenizer>(
      pre_tokenizer == root.end() ? nlohmann::json() : *pre_tokenizer, top.child("pre_tokenizer"),
      *classifier_, alphabet_);
  added_tokens_ = std::make_unique<AddedTokenMatcher>(parse_added_tokens(root, top), *classifier_);
  const auto post_processor = root.find("post_processor");
  if (post_processor != root.end() && !post_processor->is_null()) {
    parse_post_processor(*post_processor, top.child("post_processor"));
  }
  // The ids the post-processor adds around every text must be tokens of this vocabulary.
  for (const auto* ids : {&template_prefix_, &template_suffix_})
    for (int32_t id : *ids)
      if (id < 0 || id >= vocab_size())
        top.child("post_processor").fail(fmt::format("special token id {} is not in the vocabulary (ids 0..{})", id,
                                                     vocab_size() - 1));
}

void BpeTokenizer::parse_normalizer(const nlohmann::json& root, const JsonLocation& top) const {
  const auto normalizer = root.find("normalizer");
  if (normalizer == root.end() || normalizer->is_null()) return;
  const JsonLocation location = top.child("normalizer");
  const std::string type = location.require_string(*normalizer, "type");
  if (type == "NFC") return;  // accepted, not applied (see the header)
  if (type == "Sequence") {
    const auto& children = location.require(*normalizer, "normalizers", nlohmann::json::value_t::array);
    for (std::size_t i = 0; i < children.size(); ++i) {
      const JsonLocation child = location.child("normalizers").index(i);
      if (child.require_string(children[i], "type") != "NFC") {
        child.child("type").fail(fmt::format("unsupported normalizer type '{}' (supported: NFC)",
                                             children[i]["type"].get<std::string>()));
      }
    }
    return;
  }
  location.child("type").fail(fmt::format("unsupported normalizer type '{}' (supported: none, NFC)", type));
}

void BpeTokenizer::parse_decoder(const nlohmann::json& root, const JsonLocation& top) const {
  const auto decoder = root.find("decoder");
  if (decoder == root.end() || decoder->is_null()) return;  // the byte-level decoder is implied
  const JsonLocation location = top.child("decoder");
  const std::string type = location.require_string(*decoder, "type");
  if (type != "ByteLevel") {
    location.child("type").fail(fmt::format("unsupported decoder type '{}' (supported: ByteLevel)", type));
  }
}

std::vector<AddedToken> BpeTokenizer::parse_added_tokens(const nlohmann::json& root,
                                                         const JsonLocation& top) const {
  std::vector<AddedToken> tokens;
  const auto list = root.find("added_tokens");
  if (list == root.end() || list->is_null()) return tokens;
  const JsonLocation location = top.child("added_tokens");
  if (!list->is_array()) location.fail("expected an array");
  for (std::size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& entry = (*list)[i];
    const JsonLocation entry_location = location.index(i);
    AddedToken token;
    const auto& id = entry_location.require(entry, "id", nlohmann::json::value_t::number_integer);
    if (id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      entry_location.child("id").fail("expected a non-negative 32-bit id");
    }
    token.id = static_cast<int32_t>(id.get<int64_t>());
    token.content = entry_location.require_string(entry, "content");
    token.special = entry_location.optional_bool(entry, "special", false);
    token.single_word = entry_location.optional_bool(entry, "single_word", false);
    token.lstrip = entry_location.optional_bool(entry, "lstrip", false);
    token.rstrip = entry_location.optional_bool(entry, "rstrip", false);
    token.normalized = entry_location.optional_bool(entry, "normalized", !token.special);
    if (token.content.empty()) entry_location.child("content").fail("an added token cannot be empty");
    tokens.push_back(std::move(token));
  }
  return tokens;
}

void BpeTokenizer::parse_post_processor(const nlohmann::json& node, const JsonLocation& location) {
  const std::string type = location.require_string(node, "type");
  if (type == "ByteLevel") return;  // only adjusts offsets
  if (type == "Sequence") {
    const auto& children = location.require(node, "processors", nlohmann::json::value_t::array);
    for (std::size_t i = 0; i < children.size(); ++i) {
      parse_post_processor(children[i], location.child("processors").index(i));
    }
    return;
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    for (const char* key : {"cls", "sep"}) {
      const auto& pair = location.require(node, key, nlohmann::json::value_t::array);
      if (pair.size() != 2 || !pair[1].is_number_integer() || pair[1].get<int64_t>() < 0 ||
          pair[1].get<int64_t>() > INT32_MAX)
        location.child(key).fail("expected [token, id] with a non-negative 32-bit id");
      (std::string(key) == "cls" ? template_prefix_ : template_suffix_).push_back(pair[1].get<int32_t>());
    }
    return;
  }
  if (type != "TemplateProcessing") {
    location.child("type").fail(fmt::format(
        "unsupported post_processor type '{}' (supported: TemplateProcessing, ByteLevel, "
        "RobertaProcessing, BertProcessing, Sequence)", type));
  }
  const auto& single = location.require(node, "single", nlohmann::json::value_t::array);
  const auto& special_tokens = location.require(node, "special_tokens", nlohmann::json::value_t::object);
  bool after_sequence = false;
  for (std::size_t i = 0; i < single.size(); ++i) {
    const JsonLocation item_location = location.child("single").index(i);
    const nlohmann::json& item = single[i];
    if (item.contains("Sequence")) {
      after_sequence = true;
      continue;
    }
    const auto& special = item_location.require(item, "SpecialToken", nlohmann::json::value_t::object);
    const std::string name = item_location.child("SpecialToken").require_string(special, "id");
    const auto found = special_tokens.find(name);
    if (found == special_tokens.end()) {
      location.child("special_tokens").fail(fmt::format("no entry for the template's token '{}'", name));
    }
    const auto& ids = location.child("special_tokens").child(name).require(*found, "ids",
                                                                           nlohmann::json::value_t::array);
    for (const auto& id : ids) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
        location.child("special_tokens").child(name).fail("ids must be non-negative 32-bit integers");
      (after_sequence ? template_suffix_ : template_prefix_).push_back(static_cast<int32_t>(id.get<int64_t>()));
    }
  }
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, bool add_bos) const {
  std::vector<int32_t> ids;
  const bool use_template = add_bos && has_special_token_template();
  if (use_template) {
    ids = template_prefix_;
  } else if (add_bos && special_ids().add_bos_token.value_or(false) && bos_id()) {
    ids.push_back(*bos_id());
  }
  for (const TextSegment& segment : added_tokens_->split(text)) {
    if (segment.added_token_id) {
      ids.push_back(*segment.added_token_id);
      continue;
    }
    for (const std::string& piece :
         pre_tokenizer_->pre_tokenize(text.substr(segment.begin, segment.end - segment.begin))) {
      model_->encode_word(piece, ids);
    }
  }
  if (use_template) ids.insert(ids.end(), template_suffix_.begin(), template_suffix_.end());
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string text;
  for (const int32_t id : ids) {
    const std::string* token = nullptr;
    if (const AddedToken* added = added_tokens_->find_by_id(id)) {
      if (skip_special && added->special) continue;
      token = &added->content;
    } else {
      token = model_->id_to_token(id);
    }
    if (token == nullptr) continue;
    if (const auto bytes = alphabet_.decode(*token)) {
      text += *bytes;
    } else {
      text += *token;
    }
  }
  return text;
}

int64_t BpeTokenizer::vocab_size() const {
  int64_t limit = model_->id_limit();
  for (const AddedToken& token : added_tokens_->tokens()) limit = std::max<int64_t>(limit, token.id + int64_t{1});
  return limit;
}

std::optional<int32_t> BpeTokenizer::token_to_id(std::string_view token) const {
  if (const AddedToken* added = added_tokens_->find_by_content(token)) return added->id;
  return model_->token_to_id(token);
}

bool BpeTokenizer::is_special(int32_t id) const {
  const AddedToken* added = added_tokens_->find_by_id(id);
  return added != nullptr && added->special;
}

}  // namespace aimicius::runtime
