// BERT WordPiece tokenizer: see wordpiece.h for the pipeline. Text is worked on as UTF-32 (one
// element per code point) so that word lengths and piece boundaries count characters, as the
// `tokenizers` library does; vocabulary look-ups use the UTF-8 bytes of a piece.
#include "runtime/encoder/wordpiece.h"

#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/json_file.h"
#include "common/utf8.h"
#include "runtime/encoder/unicode_tables.h"

namespace aimicius::runtime {
namespace {

// BasicTokenizer: normalises text (clean_text, CJK spacing, accent stripping, lowercasing) and
// splits it into words on whitespace and around punctuation.
std::vector<std::u32string> basic_tokenize(std::string_view text, const WordPieceOptions& options) {
  const bool strip_accents = options.strip_accents.value_or(options.do_lower_case);
  std::u32string normalized;
  std::u32string stripped;
  for (const char32_t c : decode_utf8(text)) {
    const BertCharClass char_class = bert_char_class(c);
    if (char_class == BertCharClass::kControl) continue;
    if (char_class == BertCharClass::kWhitespace) {
      normalized.push_back(U' ');
      continue;
    }
    const bool pad = options.tokenize_chinese_chars && char_class == BertCharClass::kChinese;
    if (pad) normalized.push_back(U' ');
    stripped.clear();
    if (strip_accents) {
      append_accent_stripped(c, stripped);
    } else {
      stripped.push_back(c);
    }
    for (const char32_t s : stripped) {
      if (options.do_lower_case) {
        append_lowercased(s, normalized);
      } else {
        normalized.push_back(s);
      }
    }
    if (pad) normalized.push_back(U' ');
  }

  std::vector<std::u32string> words;
  std::u32string word;
  auto finish_word = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (const char32_t c : normalized) {
    const BertCharClass char_class = c == U' ' ? BertCharClass::kWhitespace : bert_char_class(c);
    if (char_class == BertCharClass::kWhitespace) {
      finish_word();
    } else if (char_class == BertCharClass::kPunctuation) {
      finish_word();
      words.emplace_back(1, c);
    } else {
      word.push_back(c);
    }
  }
  finish_word();
  return words;
}

// A special token in tokenizer_config.json is either "[UNK]" or {"content": "[UNK]", ...}.
void read_token_option(const nlohmann::json& config, const char* key, std::string& token,
                       const std::filesystem::path& file) {
  if (!config.contains(key) || config[key].is_null()) return;
  const nlohmann::json& value = config[key];
  if (value.is_string()) {
    token = value.get<std::string>();
  } else if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    token = value["content"].get<std::string>();
  } else {
    throw InputError(fmt::format("{}: {} is neither a string nor {{\"content\": string}}", file.string(), key));
  }
}

void read_bool_option(const nlohmann::json& config, const char* key, bool& value,
                      const std::filesystem::path& file) {
  if (!config.contains(key) || config[key].is_null()) return;
  if (!config[key].is_boolean()) throw InputError(fmt::format("{}: {} is not a boolean", file.string(), key));
  value = config[key].get<bool>();
}

WordPieceOptions read_options(const std::filesystem::path& file) {
  WordPieceOptions options;
  const nlohmann::json config = read_json_file(file);
  if (!config.is_object()) throw InputError(fmt::format("{}: not a JSON object", file.string()));
  read_bool_option(config, "do_lower_case", options.do_lower_case, file);
  read_bool_option(config, "tokenize_chinese_chars", options.tokenize_chinese_chars, file);
  if (config.contains("strip_accents") && !config["strip_accents"].is_null()) {
    bool strip = false;
    read_bool_option(config, "strip_accents", strip, file);
    options.strip_accents = strip;
  }
  read_token_option(config, "unk_token", options.unk_token, file);
  read_token_option(config, "cls_token", options.cls_token, file);
  read_token_option(config, "sep_token", options.sep_token, file);
  read_token_option(config, "pad_token", options.pad_token, file);
  read_token_option(config, "mask_token", options.mask_token, file);
  return options;
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocab, WordPieceOptions options)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  ids_.reserve(vocab_.size());
  for (size_t i = 0; i < vocab_.size(); ++i) ids_.insert_or_assign(vocab_[i], static_cast<int64_t>(i));
  unk_id_ = require_id(options_.unk_token);
  cls_id_ = require_id(options_.cls_token);
  sep_id_ = require_id(options_.sep_token);
  pad_id_ = require_id(options_.pad_token);
  for (const std::string* token : {&options_.unk_token, &options_.cls_token, &options_.sep_token,
                                   &options_.pad_token, &options_.mask_token}) {
    if (const auto it = ids_.find(*token); !token->empty() && it != ids_.end()) {
      special_tokens_.emplace_back(*token, it->second);
    }
  }
}

int64_t WordPieceTokenizer::require_id(const std::string& token) const {
  const auto it = ids_.find(token);
  if (it == ids_.end()) throw InputError(fmt::format("WordPiece vocabulary lacks the special token {}", token));
  return it->second;
}

WordPieceTokenizer WordPieceTokenizer::load(const std::filesystem::path& model_dir) {
  const std::filesystem::path vocab_file = model_dir / "vocab.txt";
  std::istringstream in(read_input_file(vocab_file));
  std::vector<std::string> vocab;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    vocab.push_back(std::move(line));
  }
  if (vocab.empty()) throw InputError(fmt::format("{}: empty vocabulary", vocab_file.string()));

  const std::filesystem::path config_file = model_dir / "tokenizer_config.json";
  WordPieceOptions options = input_file_present(config_file) ? read_options(config_file) : WordPieceOptions{};
  try {
    return WordPieceTokenizer(std::move(vocab), std::move(options));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", vocab_file.string(), e.what()));
  }
}

void WordPieceTokenizer::append_word_ids(std::string_view text, std::vector<int64_t>& ids) const {
  for (const std::u32string& word : basic_tokenize(text, options_)) {
    if (word.size() > options_.max_input_chars_per_word) {
      ids.push_back(unk_id_);
      continue;
    }
    // byte_offset[i]: where character i starts in the word's UTF-8 form.
    std::string utf8;
    std::vector<size_t> byte_offset;
    byte_offset.reserve(word.size() + 1);
    for (const char32_t c : word) {
      byte_offset.push_back(utf8.size());
      append_utf8(c, utf8);
    }
    byte_offset.push_back(utf8.size());

    const size_t first_piece = ids.size();
    std::string candidate;
    for (size_t start = 0; start < word.size();) {
      size_t end = word.size();
      int64_t piece_id = -1;
      for (; end > start; --end) {
        candidate.assign(start > 0 ? "##" : "");
        candidate.append(utf8, byte_offset[start], byte_offset[end] - byte_offset[start]);
        if (const auto it = ids_.find(candidate); it != ids_.end()) {
          piece_id = it->second;
          break;
        }
      }
      if (piece_id < 0) {  // no piece covers this position: the whole word is unknown
        ids.resize(first_piece);
        ids.push_back(unk_id_);
        break;
      }
      ids.push_back(piece_id);
      start = end;
    }
  }
}

std::vector<int64_t> WordPieceTokenizer::piece_ids(std::string_view text) const {
  // Special tokens written in the text are matched on the raw text, leftmost first, longest first.
  std::vector<int64_t> ids;
  size_t segment_begin = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const std::pair<std::string, int64_t>* match = nullptr;
    for (const auto& special : special_tokens_) {
      if (text.substr(pos, special.first.size()) == special.first &&
          (!match || special.first.size() > match->first.size())) {
        match = &special;
      }
    }
    if (!match) {
      ++pos;
      continue;
    }
    append_word_ids(text.substr(segment_begin, pos - segment_begin), ids);
    ids.push_back(match->second);
    pos += match->first.size();
    segment_begin = pos;
  }
  append_word_ids(text.substr(segment_begin), ids);
  return ids;
}

std::vector<std::string> WordPieceTokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> pieces;
  for (const int64_t id : piece_ids(text)) pieces.push_back(vocab_[static_cast<size_t>(id)]);
  return pieces;
}

std::vector<int64_t> WordPieceTokenizer::encode(std::string_view text, size_t max_length) const {
  if (max_length < 2) throw std::invalid_argument("WordPieceTokenizer::encode: max_length must be >= 2");
  std::vector<int64_t> pieces = piece_ids(text);
  if (pieces.size() > max_length - 2) pieces.resize(max_length - 2);
  std::vector<int64_t> ids;
  ids.reserve(pieces.size() + 2);
  ids.push_back(cls_id_);
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  ids.push_back(sep_id_);
  return ids;
}

}  // namespace aimicius::runtime
