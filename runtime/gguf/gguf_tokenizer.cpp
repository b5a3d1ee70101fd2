#include "runtime/gguf/gguf_tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "common/errors.h"
#include "runtime/tokenizer/bpe_tokenizer.h"
#include "runtime/tokenizer/known_split_patterns.h"
#include "runtime/tokenizer/sentencepiece_tokenizer.h"

namespace aimicius::runtime::gguf {
namespace {

using nlohmann::json;

constexpr int64_t kTokenControl = 3, kTokenUserDefined = 4;

// tokenizer.ggml.token_type when present (one int32 per token), else nullptr.
const Value* token_types(const GgufFile& f, size_t tokens) {
  const Value* types = f.find("tokenizer.ggml.token_type");
  if (types && (types->type != ValueType::kArray || types->element_type != ValueType::kI32 ||
                types->array.size() != tokens))
    throw InputError(fmt::format("{}: tokenizer.ggml.token_type must be an int32 array, one per token", f.name()));
  return types;
}

const std::vector<Value>& require_array(const GgufFile& f, const std::string& key, ValueType element) {
  const Value* v = f.find(key);
  if (!v) throw InputError(fmt::format("{}: metadata \"{}\" is missing", f.name(), key));
  if (v->type != ValueType::kArray || v->element_type != element)
    throw InputError(fmt::format("{}: metadata \"{}\" must be an array of {}", f.name(), key, value_type_name(element)));
  return v->array;
}

json split_step(KnownSplitPattern pattern) {
  return {{"type", "Split"},
          {"pattern", {{"Regex", std::string(known_pattern_source(pattern))}}},
          {"behavior", "Isolated"},
          {"invert", false}};
}

json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

json pre_tokenizer_for(const GgufFile& f, const std::string& pre) {
  if (pre == "default" || pre == "gpt2" || pre == "gpt-2") return byte_level(true);
  if (pre == "smollm")
    return {{"type", "Sequence"},
            {"pretokenizers", json::array({{{"type", "Digits"}, {"individual_digits", true}}, byte_level(true)})}};
  if (pre == "llama-bpe" || pre == "llama3")
    return {{"type", "Sequence"}, {"pretokenizers", json::array({split_step(KnownSplitPattern::kLlama3), byte_level(false)})}};
  if (pre == "qwen2")
    return {{"type", "Sequence"}, {"pretokenizers", json::array({split_step(KnownSplitPattern::kQwen2), byte_level(false)})}};
  throw InputError(fmt::format("{}: tokenizer.ggml.pre \"{}\" is not supported (default, gpt2, smollm, llama-bpe, "
                               "qwen2)", f.name(), pre));
}

}  // namespace

json gguf_tokenizer_json(const GgufFile& f) {
  const std::string model = f.require_string("tokenizer.ggml.model");
  if (model != "gpt2")
    throw InputError(fmt::format("{}: tokenizer.ggml.model \"{}\" is not byte-level BPE (gpt2): it has no "
                                 "tokenizer.json form", f.name(), model));
  const std::string pre = f.optional_string("tokenizer.ggml.pre").value_or("default");
  const auto& tokens = require_array(f, "tokenizer.ggml.tokens", ValueType::kString);
  const auto& merges = require_array(f, "tokenizer.ggml.merges", ValueType::kString);
  const Value* types = token_types(f, tokens.size());
  json vocab = json::object();
  json added = json::array();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i].s;
    if (vocab.contains(t)) throw InputError(fmt::format("{}: token \"{}\" appears twice in tokenizer.ggml.tokens", f.name(), t));
    vocab[t] = i;
    const int64_t type = types ? types->array[i].i : 1;
    if ((type == kTokenControl || type == kTokenUserDefined) && !t.empty())
      added.push_back({{"id", i}, {"content", t}, {"special", type == kTokenControl}, {"normalized", false}});
  }
  json merge_list = json::array();
  for (const auto& m : merges) merge_list.push_back(m.s);
  json root = {{"model", {{"type", "BPE"}, {"vocab", std::move(vocab)}, {"merges", std::move(merge_list)},
                          {"ignore_merges", pre == "llama-bpe" || pre == "llama3"}}},
               {"added_tokens", std::move(added)},
               {"pre_tokenizer", pre_tokenizer_for(f, pre)},
               {"decoder", {{"type", "ByteLevel"}}}};
  return root;
}

GgufSentencePiece gguf_sentencepiece(const GgufFile& f) {
  const std::string model = f.require_string("tokenizer.ggml.model");
  if (model != "llama")
    throw InputError(fmt::format("{}: tokenizer.ggml.model \"{}\" is not SentencePiece (llama)", f.name(), model));
  const auto& tokens = require_array(f, "tokenizer.ggml.tokens", ValueType::kString);
  const auto& scores = require_array(f, "tokenizer.ggml.scores", ValueType::kF32);
  if (scores.size() != tokens.size())
    throw InputError(fmt::format("{}: tokenizer.ggml.scores has {} values for {} tokens", f.name(), scores.size(),
                                 tokens.size()));
  const Value* types = token_types(f, tokens.size());
  GgufSentencePiece out;
  out.rules.prefix_space_first = f.optional_bool("tokenizer.ggml.add_space_prefix").value_or(true);
  std::optional<int32_t> first_unknown;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i].s;
    const int64_t type = types ? types->array[i].i : static_cast<int64_t>(PieceType::kNormal);
    if (type < static_cast<int64_t>(PieceType::kNormal) || type > static_cast<int64_t>(PieceType::kByte))
      throw InputError(fmt::format("{}: tokenizer.ggml.token_type[{}] = {} is not a token type (1-6)", f.name(), i, type));
    if (t.empty()) throw InputError(fmt::format("{}: tokenizer.ggml.tokens[{}] is empty", f.name(), i));
    if (!seen.insert(t).second)
      throw InputError(fmt::format("{}: token \"{}\" appears twice in tokenizer.ggml.tokens", f.name(), t));
    const auto piece_type = static_cast<PieceType>(type);
    out.model.pieces.push_back({t, static_cast<float>(scores[i].f), piece_type});
    if (piece_type == PieceType::kByte) out.model.byte_fallback = true;
    if (piece_type == PieceType::kUnknown && !first_unknown) first_unknown = static_cast<int32_t>(i);
    // As transformers adds them: control tokens as special added tokens, user-defined ones as plain.
    if (piece_type == PieceType::kControl || piece_type == PieceType::kUserDefined)
      out.rules.added_tokens.push_back({static_cast<int32_t>(i), t, piece_type == PieceType::kControl});
  }
  // SentencePiece needs exactly one unknown piece: the one the metadata names, else the one typed so.
  const auto unk = f.optional_int("tokenizer.ggml.unknown_token_id");
  if (unk && (*unk < 0 || static_cast<size_t>(*unk) >= tokens.size()))
    throw InputError(fmt::format("{}: metadata \"tokenizer.ggml.unknown_token_id\" = {} is not a token id", f.name(), *unk));
  out.model.unk_id = unk ? static_cast<int32_t>(*unk) : first_unknown.value_or(-1);
  if (out.model.unk_id < 0)
    throw InputError(fmt::format("{}: the SentencePiece vocabulary has no unknown token (tokenizer.ggml.unknown_token_id, "
                                 "or a token of type 2)", f.name()));
  for (auto& p : out.model.pieces)
    if (p.type == PieceType::kUnknown) p.type = PieceType::kControl;  // only the chosen one stays unknown
  auto& unk_piece = out.model.pieces[out.model.unk_id];
  if (unk_piece.type == PieceType::kControl || unk_piece.type == PieceType::kUserDefined)
    out.rules.added_tokens.erase(std::remove_if(out.rules.added_tokens.begin(), out.rules.added_tokens.end(),
                                                [&](const AddedToken& t) { return t.id == out.model.unk_id; }),
                                 out.rules.added_tokens.end());
  unk_piece.type = PieceType::kUnknown;
  out.rules.unknown_id = out.model.unk_id;
  out.model.bos_id = static_cast<int32_t>(f.optional_int("tokenizer.ggml.bos_token_id").value_or(-1));
  out.model.eos_id = static_cast<int32_t>(f.optional_int("tokenizer.ggml.eos_token_id").value_or(-1));
  out.model.pad_id = static_cast<int32_t>(f.optional_int("tokenizer.ggml.padding_token_id").value_or(-1));
  out.rules.add_eos = f.optional_bool("tokenizer.ggml.add_eos_token").value_or(false);
  return out;
}

std::unique_ptr<Tokenizer> gguf_tokenizer(const GgufFile& f) {
  std::unique_ptr<Tokenizer> tokenizer;
  if (f.require_string("tokenizer.ggml.model") == "llama") {
    GgufSentencePiece spm = gguf_sentencepiece(f);
    tokenizer = std::make_unique<SentencePieceTokenizer>(
        SentencePieceModel::Serialized{serialize_sentencepiece_model(spm.model), f.name() + " (tokenizer.ggml.*)"},
        std::move(spm.rules));
  } else {
    tokenizer = std::make_unique<BpeTokenizer>(gguf_tokenizer_json(f), f.name() + " (tokenizer.ggml.*)");
  }
  SpecialTokenIds ids;
  const auto check = [&](const std::string& key) -> std::optional<int32_t> {
    const auto id = f.optional_int(key);
    if (!id) return std::nullopt;
    if (*id < 0 || *id >= tokenizer->vocab_size())
      throw InputError(fmt::format("{}: metadata \"{}\" = {} is not a token id", f.name(), key, *id));
    return static_cast<int32_t>(*id);
  };
  ids.bos = check("tokenizer.ggml.bos_token_id");
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"})
    if (const auto id = check(key); id && std::find(ids.eos.begin(), ids.eos.end(), *id) == ids.eos.end())
      ids.eos.push_back(*id);
  // transformers: a SentencePiece vocabulary adds bos unless the file says otherwise (llama.cpp too).
  ids.add_bos_token = f.optional_bool("tokenizer.ggml.add_bos_token");
  if (!ids.add_bos_token && f.require_string("tokenizer.ggml.model") == "llama") ids.add_bos_token = true;
  tokenizer->set_special_tokens(std::move(ids));
  return tokenizer;
}

nlohmann::json gguf_tokenizer_config(const GgufFile& f) {
  json out = json::object();
  if (const auto t = f.optional_string("tokenizer.chat_template")) out["chat_template"] = *t;
  if (const auto b = f.optional_bool("tokenizer.ggml.add_bos_token")) out["add_bos_token"] = *b;
  // The special tokens' strings, which chat templates print ({{ bos_token }}), as transformers
  // restates them from the ids when it reads a GGUF file. An id outside the vocabulary is left
  // out here (gguf_tokenizer refuses it when the tokenizer is built).
  const Value* tokens = f.find("tokenizer.ggml.tokens");
  if (tokens && tokens->type == ValueType::kArray && tokens->element_type == ValueType::kString) {
    const std::pair<const char*, const char*> names[] = {{"tokenizer.ggml.bos_token_id", "bos_token"},
                                                         {"tokenizer.ggml.eos_token_id", "eos_token"},
                                                         {"tokenizer.ggml.unknown_token_id", "unk_token"},
                                                         {"tokenizer.ggml.padding_token_id", "pad_token"}};
    for (const auto& [key, name] : names) {
      const auto id = f.optional_int(key);
      if (id && *id >= 0 && static_cast<size_t>(*id) < tokens->array.size()) out[name] = tokens->array[*id].s;
    }
  }
  return out;
}

}  // namespace aimicius::runtime::gguf
