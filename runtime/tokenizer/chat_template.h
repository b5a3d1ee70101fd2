// Chat prompts as the checkpoint's own template says: apply_chat_template renders the Jinja
// template of tokenizer_config.json ("chat_template": a string, or a list of {name, template} of
// which "default" or the first is read) with common/jinja/ exactly as transformers'
// apply_chat_template would (messages, add_generation_prompt, tools=None, and the special-token
// strings of tokenizer_config.json: bos_token, eos_token, unk_token, pad_token, ... each a string
// or an AddedToken object {"content": ...}, passed as strings, as transformers' special_tokens_map).
// Other sources of a template (a chat_template.jinja file next to the config, GGUF metadata) call
// jinja::render_chat_template (common/jinja/chat.h) with the text themselves, or put the text into
// the config's "chat_template" before calling here.
//
// Only when a checkpoint has no template at all, the old guess is the fallback:
//   kLlama3  <|begin_of_text|><|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>...
//            (content trimmed; generation prompt <|start_header_id|>assistant<|end_header_id|>\n\n)
//   kChatMl  <|im_start|>ROLE\nCONTENT<|im_end|>\n...   (generation prompt <|im_start|>assistant\n)
//   kPlain   ROLE: CONTENT\n...                         (generation prompt "assistant:")
// picked from the vocabulary: <|start_header_id|>, <|end_header_id|> and <|eot_id|> all present ->
// kLlama3; <|im_start|> and <|im_end|> -> kChatMl; else kPlain.
// The result already holds the beginning-of-text token when the template writes one: encode it
// with add_bos = false (as transformers tokenizes a rendered chat without special tokens).
// A template that fails (syntax, raise_exception, a limit) is an InputError naming the template.
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

// The checkpoint's template text from a parsed tokenizer_config.json; empty when it has none.
std::string chat_template_text(const nlohmann::json& tokenizer_config_or_null);

// The special-token strings a template sees, from a parsed tokenizer_config.json.
nlohmann::ordered_json chat_template_special_tokens(const nlohmann::json& tokenizer_config_or_null);

// The fallback's choice. `tokenizer_config_or_null` is the parsed tokenizer_config.json, or null.
ChatFormat detect_chat_format(const Tokenizer& tokenizer, const nlohmann::json& tokenizer_config_or_null);

std::string format_chat(ChatFormat format, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt);

// The template when the config has one, else the fallback format. `template_origin` is what an
// error calls the template (e.g. the checkpoint's tokenizer_config.json path).
std::string apply_chat_template(const Tokenizer& tokenizer, const nlohmann::json& tokenizer_config_or_null,
                                const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                const std::string& template_origin = "tokenizer_config.json chat_template");

}  // namespace aimicius::runtime
