// Rendering a checkpoint's chat template as transformers' apply_chat_template does: the template
// gets messages, tools (None unless given), documents (None), add_generation_prompt, the
// tokenizer's special-token strings (bos_token, eos_token, unk_token, pad_token, ... as
// transformers' special_tokens_map passes them: plain strings, absent when the tokenizer has none)
// and any extra keyword variables, later ones overriding earlier ones. This is the ONE entry point
// for every source of a template (tokenizer_config.json, chat_template.jinja, GGUF metadata).
// Errors (syntax, raise_exception, a limit) are TemplateError (an InputError) naming the template.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/jinja/template.h"

namespace aimicius::jinja {

struct ChatTemplateCall {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();  // [{"role": ..., "content": ...}, ...]
  bool add_generation_prompt = true;
  nlohmann::ordered_json special_tokens = nlohmann::ordered_json::object();  // {"bos_token": "<s>", ...}
  nlohmann::ordered_json tools;                                           // null: None
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();        // more template variables
};

std::string render_chat_template(const std::string& template_text, const std::string& template_name,
                                 const ChatTemplateCall& call, const RenderOptions& options = {});

}  // namespace aimicius::jinja
