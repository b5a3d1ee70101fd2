// Chat prompt formatting without a Jinja interpreter: the two formats most checkpoints use, picked
// from the tokenizer's chat_template text and special tokens, and a plain fallback.
//
//   kLlama3  <|begin_of_text|><|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>...
//            (content trimmed of surrounding whitespace, as Llama 3's template does; the generation
//            prompt is <|start_header_id|>assistant<|end_header_id|>\n\n)
//   kChatMl  <|im_start|>ROLE\nCONTENT<|im_end|>\n...   (Qwen; generation prompt <|im_start|>assistant\n)
//   kPlain   ROLE: CONTENT\n...                         (generation prompt "assistant:")
//
// Choice: a chat_template string (tokenizer_config.json's "chat_template", a string or a list of
// {name, template} of which "default" or the first is read) that mentions <|start_header_id|> or
// <|im_start|> decides; otherwise the vocabulary: <|start_header_id|>, <|end_header_id|> and
// <|eot_id|> all present → kLlama3; <|im_start|> and <|im_end|> → kChatMl; else kPlain.
// Not reproduced: default system prompts some templates inject (Qwen's "You are a helpful
// assistant.", Llama 3.1's date header), tool calls, and any other Jinja logic.
// The result already holds the beginning-of-text token when the format has one: encode it with
// add_bos = false.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "runtime/tokenizer/tokenizer.h"

namespace aimicius::runtime {

struct ChatMessage {
  std::string role;
  std::string content;
};

enum class ChatFormat { kLlama3, kChatMl, kPlain };

// `tokenizer_config_or_null` is the parsed tokenizer_config.json, or null.
ChatFormat detect_chat_format(const Tokenizer& tokenizer, const nlohmann::json& tokenizer_config_or_null);

std::string format_chat(ChatFormat format, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt);

std::string apply_chat_template(const Tokenizer& tokenizer, const nlohmann::json& tokenizer_config_or_null,
                                const std::vector<ChatMessage>& messages, bool add_generation_prompt);

}  // namespace aimicius::runtime
