// The tokenizer interface of the DiffQKV runtime, and load_tokenizer, which picks the
// implementation for a checkpoint directory.
//
// A Tokenizer is immutable once load_tokenizer has returned it (set_special_tokens is for loaders
// only) and safe to use from several threads. Ids are int32_t; vocab_size() is one more than the
// largest id the tokenizer knows (vocabulary and added tokens), which a model's embedding table
// must cover.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aimicius::runtime {

// What the checkpoint's configuration says about its special tokens.
struct SpecialTokenIds {
  std::optional<int32_t> bos;
  std::vector<int32_t> eos;          // every id that ends a generation, first the main one
  std::optional<bool> add_bos_token;  // tokenizer_config.json's add_bos_token, when it says
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of `text`. With add_bos, the special tokens the tokenizer's own configuration asks for
  // are added (the beginning-of-text token for Llama 3 and SentencePiece models; nothing for Qwen2).
  virtual std::vector<int32_t> encode(std::string_view text, bool add_bos) const = 0;

  // Text of `ids`. With skip_special, special tokens (bos, eos, chat markers) are left out. Ids the
  // tokenizer does not know are skipped. Bytes that do not form valid UTF-8 (a multi-byte character
  // cut at the end, as in streaming) are returned as they are.
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special) const = 0;

  virtual int64_t vocab_size() const = 0;

  // The id of a token written as the vocabulary writes it (e.g. "<|eot_id|>", "Ġthe", "▁the").
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;

  // Whether `id` is a special (control) token.
  virtual bool is_special(int32_t id) const = 0;

  std::optional<int32_t> bos_id() const { return special_ids_.bos; }
  std::vector<int32_t> eos_ids() const { return special_ids_.eos; }

  // For loaders: records what the checkpoint's configuration says.
  void set_special_tokens(SpecialTokenIds ids) { special_ids_ = std::move(ids); }

 protected:
  const SpecialTokenIds& special_ids() const { return special_ids_; }

 private:
  SpecialTokenIds special_ids_;
};

// The tokenizer of a checkpoint directory: tokenizer.json (byte-level BPE) when present, else
// tokenizer.model (SentencePiece); when tokenizer.json is not byte-level BPE (e.g. Llama 2's
// Metaspace BPE) and tokenizer.model exists, the latter. bos / eos come from tokenizer_config.json,
// config.json and generation_config.json when present, else from well-known special tokens
// (special_tokens.h). Throws aimicius::InputError naming the folder or the file at fault.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& checkpoint_dir);

}  // namespace aimicius::runtime
