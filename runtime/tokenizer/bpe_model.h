// The `model` of a byte-level BPE tokenizer.json: the vocabulary, the ranked merges, and the merge
// loop that turns one pre-token into token ids.
//
// Invariants: every merge names two vocabulary tokens and its result is in the vocabulary (else the
// constructor throws an InputError naming `model.merges[i]` and the token); a merge's rank is its
// position in model.merges; the object is immutable after construction except for the word cache,
// which a mutex guards, so encode_word may be called from several threads.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/json_file.h"

namespace aimicius::runtime {

class BpeModel {
 public:
  // `node` is the tokenizer.json "model" value at `location`.
  BpeModel(const nlohmann::json& node, const JsonLocation& location);

  // Appends the ids of one pre-token already written in the byte-level alphabet. With
  // ignore_merges, a pre-token that is itself in the vocabulary is that one id. A character missing
  // from the vocabulary becomes unk_token when the model has one and is dropped otherwise (as in
  // `tokenizers`).
  void encode_word(std::string_view word, std::vector<int32_t>& ids) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // Nothing when no vocabulary token has this id.
  const std::string* id_to_token(int32_t id) const;
  // One more than the largest vocabulary id.
  int64_t id_limit() const { return static_cast<int64_t>(tokens_by_id_.size()); }
  bool ignores_merges() const { return ignore_merges_; }

 private:
  struct MergeResult {
    int32_t rank;
    int32_t merged_id;
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  void parse_vocab(const nlohmann::json& node, const JsonLocation& location);
  void parse_merges(const nlohmann::json& node, const JsonLocation& location);
  std::vector<int32_t> merge_word(std::string_view word) const;

  std::unordered_map<std::string, int32_t> ids_by_token_;
  std::vector<std::optional<std::string>> tokens_by_id_;
  std::unordered_map<uint64_t, MergeResult> merges_;
  bool ignore_merges_ = false;
  std::optional<int32_t> unk_id_;

  static constexpr std::size_t kWordCacheCapacity = 1 << 16;
  static constexpr std::size_t kLongestCachedWord = 256;  // bytes
  mutable std::mutex word_cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> word_cache_;
};

}  // namespace aimicius::runtime
