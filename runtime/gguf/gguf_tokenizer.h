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
// Any other `pre` is an InputError naming the file and the value.
//
// tokenizer.ggml.model "llama" (SentencePiece): the vocabulary (tokens, scores, token types) is
// restated as the SentencePiece model it was converted from (runtime/tokenizer/sentencepiece_proto.h:
// BPE by score, byte fallback when there are byte tokens <0xXX>, no normalisation, the one unknown
// token: tokenizer.ggml.unknown_token_id, else the token typed unknown) and encoded by
// libsentencepiece itself, with the text rules transformers' LlamaTokenizer puts around a GGUF
// vocabulary (runtime/tokenizer/sentencepiece_tokenizer.h): control tokens cut out of the text as
// special tokens and user-defined ones as plain added tokens, "▁" before the text's first segment
// (unless tokenizer.ggml.add_space_prefix is false, which transformers ignores and llama.cpp
// honours), add_bos_token true unless the file says false, add_eos_token from the file.
// libsentencepiece rather than transformers' BPE over merges rebuilt from the scores: the scores
// are SentencePiece's, so SentencePiece's own merge loop is the tokenization they define (the
// fixture test checks it equals transformers' on a real vocabulary). The file's tokens must be
// non-empty and distinct, token types 1-6 (InputError naming the index otherwise).
// Other tokenizer.ggml.model values are InputErrors. bos / eos / add_bos_token come from
// tokenizer.ggml.*.
//
// gguf_tokenizer_config restates tokenizer.chat_template, add_bos_token and the special tokens'
// strings (bos_token, eos_token, unk_token, pad_token, from their ids) as the
// tokenizer_config.json object that runtime/tokenizer/chat_template.h reads, so a GGUF checkpoint's
// own template reaches the chat formatting as a folder's does.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "runtime/gguf/gguf_file.h"
#include "runtime/tokenizer/sentencepiece_proto.h"
#include "runtime/tokenizer/sentencepiece_tokenizer.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aimicius::runtime::gguf {

std::unique_ptr<Tokenizer> gguf_tokenizer(const GgufFile& file);

// {"chat_template": ..., "add_bos_token": ...} with the keys the file has (an empty object when none).
nlohmann::json gguf_tokenizer_config(const GgufFile& file);

// The tokenizer.json object gguf_tokenizer builds from for a "gpt2" vocabulary (for tests).
nlohmann::json gguf_tokenizer_json(const GgufFile& file);

// What gguf_tokenizer builds from for a "llama" (SentencePiece) vocabulary (for tests).
struct GgufSentencePiece {
  SentencePieceModelSpec model;
  SentencePieceTextRules rules;
};
GgufSentencePiece gguf_sentencepiece(const GgufFile& file);

}  // namespace aimicius::runtime::gguf
