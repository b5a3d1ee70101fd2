// Byte-level BPE vocabulary, merges and merge loop (see bpe_model.h).
//
// The merge loop is the one of `tokenizers`: symbols in a linked list, candidate pairs in a
// min-heap ordered by (rank, position); a popped pair is applied only if both symbols are still
// there and still form it, then the pairs it creates with its neighbours are pushed.
#include "runtime/tokenizer/bpe_model.h"

#include <fmt/format.h>

#include <queue>

#include "common/utf8.h"

namespace aimicius::runtime {

namespace {

struct Symbol {
  int32_t id;
  int32_t previous;  // -1: none
  int32_t next;      // -1: none
  bool removed;
};

struct CandidateMerge {
  int32_t rank;
  int32_t position;  // index of the left symbol
  int32_t merged_id;
  bool operator>(const CandidateMerge& other) const {
    return rank != other.rank ? rank > other.rank : position > other.position;
  }
};

}  // namespace

BpeModel::BpeModel(const nlohmann::json& node, const JsonLocation& location) {
  if (!node.is_object()) location.fail("expected an object");
  const std::string type = location.optional_string(node, "type");
  if (type != "BPE") {
    location.child("type").fail(fmt::format(
        "unsupported model type '{}': only byte-level BPE tokenizer.json files are supported "
        "(use tokenizer.model for SentencePiece models)",
        type.empty() ? "(none)" : type));
  }
  if (!location.optional_string(node, "continuing_subword_prefix").empty()) {
    location.child("continuing_subword_prefix").fail("not supported by byte-level BPE");
  }
  if (!location.optional_string(node, "end_of_word_suffix").empty()) {
    location.child("end_of_word_suffix").fail("not supported by byte-level BPE");
  }
  if (location.optional_bool(node, "byte_fallback", false)) {
    location.child("byte_fallback").fail("byte_fallback BPE (SentencePiece style) is not supported");
  }
  ignore_merges_ = location.optional_bool(node, "ignore_merges", false);
  parse_vocab(node, location);
  parse_merges(node, location);
  const std::string unk_token = location.optional_string(node, "unk_token");
  if (!unk_token.empty()) {
    unk_id_ = token_to_id(unk_token);
    if (!unk_id_) location.child("unk_token").fail(fmt::format("'{}' is not in model.vocab", unk_token));
  }
}

void BpeModel::parse_vocab(const nlohmann::json& node, const JsonLocation& location) {
  const auto& vocab = location.require(node, "vocab", nlohmann::json::value_t::object);
  const JsonLocation vocab_location = location.child("vocab");
  if (vocab.empty()) vocab_location.fail("an empty vocabulary: every text would encode to nothing");
  // A real vocabulary's ids are dense (0..n-1, at most a few gaps); a far larger id would only make
  // the id -> token table enormous (one id of 2^31 - 1: 64 GB).
  const int64_t id_bound = 2 * static_cast<int64_t>(vocab.size()) + 1024;
  ids_by_token_.reserve(vocab.size());
  for (const auto& [token, id_value] : vocab.items()) {
    if (!id_value.is_number_integer() || id_value.get<int64_t>() < 0 ||
        id_value.get<int64_t>() > INT32_MAX) {
      vocab_location.fail(fmt::format("token '{}': the id must be a non-negative 32-bit integer", token));
    }
    if (id_value.get<int64_t>() >= id_bound)
      vocab_location.fail(fmt::format("token '{}': id {} is far past the vocabulary's {} tokens", token,
                                      id_value.get<int64_t>(), vocab.size()));
    const auto id = static_cast<int32_t>(id_value.get<int64_t>());
    ids_by_token_.emplace(token, id);
    if (static_cast<std::size_t>(id) >= tokens_by_id_.size()) tokens_by_id_.resize(id + 1);
    // Two tokens under one id: encoding gives the id for either, decoding it can give only one, so
    // text would not survive a round trip (and which one wins depends on the reader).
    if (tokens_by_id_[id])
      vocab_location.fail(fmt::format("tokens '{}' and '{}' have the same id {}", *tokens_by_id_[id], token, id));
    tokens_by_id_[id] = token;
  }
}

void BpeModel::parse_merges(const nlohmann::json& node, const JsonLocation& location) {
  const auto found = node.find("merges");
  if (found == node.end() || found->is_null()) return;
  if (!found->is_array()) location.child("merges").fail("expected an array");
  merges_.reserve(found->size());
  for (std::size_t rank = 0; rank < found->size(); ++rank) {
    const nlohmann::json& entry = (*found)[rank];
    const JsonLocation entry_location = location.child("merges").index(rank);
    std::string left;
    std::string right;
    if (entry.is_string()) {  // "a b"
      const std::string text = entry.get<std::string>();
      const std::size_t space = text.find(' ');
      if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
        entry_location.fail(fmt::format("merge '{}' is not two tokens separated by one space", text));
      }
      left = text.substr(0, space);
      right = text.substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
      left = entry[0].get<std::string>();
      right = entry[1].get<std::string>();
    } else {
      entry_location.fail("expected \"a b\" or [\"a\", \"b\"]");
    }
    const auto left_id = token_to_id(left);
    if (!left_id) entry_location.fail(fmt::format("token '{}' is not in model.vocab", left));
    const auto right_id = token_to_id(right);
    if (!right_id) entry_location.fail(fmt::format("token '{}' is not in model.vocab", right));
    const auto merged_id = token_to_id(left + right);
    if (!merged_id) {
      entry_location.fail(fmt::format("the merged token '{}' is not in model.vocab", left + right));
    }
    // A pair listed twice keeps its first (best) rank, as in `tokenizers`.
    merges_.emplace(pair_key(*left_id, *right_id),
                    MergeResult{static_cast<int32_t>(rank), *merged_id});
  }
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  const auto found = ids_by_token_.find(std::string(token));
  if (found == ids_by_token_.end()) return std::nullopt;
  return found->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tokens_by_id_.size() || !tokens_by_id_[id]) return nullptr;
  return &*tokens_by_id_[id];
}

std::vector<int32_t> BpeModel::merge_word(std::string_view word) const {
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  std::string character;
  for (std::size_t offset = 0; offset < word.size();) {
    const std::size_t length = decode_utf8_at(word, offset).length;
    character.assign(word.substr(offset, length));
    offset += length;
    std::optional<int32_t> id = token_to_id(character);
    if (!id) id = unk_id_;
    if (!id) continue;  // no unk token: the character is dropped, as in `tokenizers`
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({*id, index - 1, -1, false});
    if (index > 0) symbols[index - 1].next = index;
  }

  std::priority_queue<CandidateMerge, std::vector<CandidateMerge>, std::greater<>> queue;
  const auto push_pair = [&](int32_t left) {
    const int32_t right = symbols[left].next;
    if (right < 0) return;
    const auto found = merges_.find(pair_key(symbols[left].id, symbols[right].id));
    if (found != merges_.end()) queue.push({found->second.rank, left, found->second.merged_id});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) push_pair(i);

  while (!queue.empty()) {
    const CandidateMerge top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.position];
    if (left.removed || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    const auto current = merges_.find(pair_key(left.id, right.id));
    if (current == merges_.end() || current->second.merged_id != top.merged_id) continue;
    left.id = top.merged_id;
    right.removed = true;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].previous = top.position;
    if (left.previous >= 0) push_pair(left.previous);
    push_pair(top.position);
  }

  std::vector<int32_t> ids;
  for (const Symbol& symbol : symbols) {
    if (!symbol.removed) ids.push_back(symbol.id);
  }
  return ids;
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
  if (ignore_merges_) {
    if (const auto whole = token_to_id(word)) {
      ids.push_back(*whole);
      return;
    }
  }
  const bool cacheable = word.size() <= kLongestCachedWord;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(word_cache_mutex_);
    const auto found = word_cache_.find(std::string(word));
    if (found != word_cache_.end()) {
      ids.insert(ids.end(), found->second.begin(), found->second.end());
      return;
    }
  }
  std::vector<int32_t> word_ids = merge_word(word);
  ids.insert(ids.end(), word_ids.begin(), word_ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(word_cache_mutex_);
    if (word_cache_.size() >= kWordCacheCapacity) word_cache_.clear();
    word_cache_.emplace(std::string(word), std::move(word_ids));
  }
}

}  // namespace aimicius::runtime
