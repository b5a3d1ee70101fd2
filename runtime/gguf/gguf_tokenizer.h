// The tokenizer and chat template a GGUF file carries in its `tokenizer.*` metadata.
//
// tokenizer.ggml.model "gpt2" (byte-level BPE): the metadata is restated as the tokenizer.json the
// runtime's BpeTokenizer already reads (vocabulary = tokenizer.ggml.tokens by index, merges =
// tokenizer.ggml.merges in rank order, control tokens (token_type 3) as special added tokens,
// user-defined ones (4) as plain added tokens), so GGUF and HF folders share one BPE
// implementation. The pre-tokenizer comes from tokenizer.ggml.pre, mapped to the split patterns
// the runtime knows:
//   default, gpt2, gpt-2      ByteLevel with the GPT-2 regex
//   smollm                    Digits(individual) then ByteLevel with the GPT-2 regex
//   llama-bpe, llama3         Split(Llama 3 pattern, Isolated), ByteLevel; ignore_merges
//   qwen2                     Split(Qwen2 pattern, Isolated), ByteLevel
// Any other `pre`, and tokenizer.ggml.model "llama" (SentencePiece) or others, are InputErrors
// naming the file and the value. bos / eos / add_bos_token come from tokenizer.ggml.*.
//
// gguf_tokenizer_config restates tokenizer.chat_template, add_bos_token and the special tokens'
// strings (bos_token, eos_token, unk_token, pad_token, from their ids) as the
// tokenizer_config.json object that runtime/tokenizer/chat_template.h reads, so a GGUF checkpoint's
// own template reaches the chat formatting as a folder's does.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "runtime/gguf/gguf_file.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aimicius::runtime::gguf {

std::unique_ptr<Tokenizer> gguf_tokenizer(const GgufFile& file);

// {"chat_template": ..., "add_bos_token": ...} with the keys the file has (an empty object when none).
nlohmann::json gguf_tokenizer_config(const GgufFile& file);

// The tokenizer.json object gguf_tokenizer builds from (for tests).
nlohmann::json gguf_tokenizer_json(const GgufFile& file);

}  // namespace aimicius::runtime::gguf
