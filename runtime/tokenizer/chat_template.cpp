// Chat prompts from the checkpoint's Jinja template, or the fallback formats (see chat_template.h).
#include "runtime/tokenizer/chat_template.h"

#include <optional>

#include "common/jinja/chat.h"

namespace aimicius::runtime {

std::string chat_template_text(const nlohmann::json& config) {
  if (!config.is_object()) return {};
  const auto found = config.find("chat_template");
  if (found == config.end()) return {};
  if (found->is_string()) return found->get<std::string>();
  if (found->is_array()) {  // [{"name": "default", "template": "..."}, ...]
    std::string first;
    for (const auto& entry : *found) {
      if (!entry.is_object() || !entry.contains("template") || !entry["template"].is_string()) continue;
      const std::string text = entry["template"].get<std::string>();
      if (entry.value("name", std::string()) == "default") return text;
      if (first.empty()) first = text;
    }
    return first;
  }
  return {};
}

nlohmann::ordered_json chat_template_special_tokens(const nlohmann::json& config) {
  nlohmann::ordered_json tokens = nlohmann::ordered_json::object();
  if (!config.is_object()) return tokens;
  auto token_string = [](const nlohmann::json& value) -> std::optional<std::string> {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_object() && value.contains("content") && value["content"].is_string()) {
      return value["content"].get<std::string>();
    }
    return std::nullopt;
  };
  for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
    const auto found = config.find(key);
    if (found == config.end()) continue;
    if (const auto text = token_string(*found)) tokens[key] = *text;
  }
  const auto extra = config.find("additional_special_tokens");
  if (extra != config.end() && extra->is_array()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& item : *extra) {
      if (const auto text = token_string(item)) list.push_back(*text);
    }
    tokens["additional_special_tokens"] = list;
  }
  return tokens;
}

namespace {

bool has_tokens(const Tokenizer& tokenizer, std::initializer_list<const char*> tokens) {
  for (const char* token : tokens) {
    if (!tokenizer.token_to_id(token)) return false;
  }
  return true;
}

std::string trim_whitespace(const std::string& text) {
  const char* kSpaces = " \t\n\r\f\v";
  const std::size_t begin = text.find_first_not_of(kSpaces);
  if (begin == std::string::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpaces) + 1 - begin);
}

}  // namespace

ChatFormat detect_chat_format(const Tokenizer& tokenizer, const nlohmann::json& config) {
  const std::string template_text = chat_template_text(config);
  if (template_text.find("<|start_header_id|>") != std::string::npos) return ChatFormat::kLlama3;
  if (template_text.find("<|im_start|>") != std::string::npos) return ChatFormat::kChatMl;
  if (has_tokens(tokenizer, {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"})) {
    return ChatFormat::kLlama3;
  }
  if (has_tokens(tokenizer, {"<|im_start|>", "<|im_end|>"})) return ChatFormat::kChatMl;
  return ChatFormat::kPlain;
}

std::string format_chat(ChatFormat format, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt) {
  std::string prompt;
  switch (format) {
    case ChatFormat::kLlama3:
      prompt = "<|begin_of_text|>";
      for (const ChatMessage& message : messages) {
        prompt += "<|start_header_id|>" + message.role + "<|end_header_id|>\n\n" +
                  trim_whitespace(message.content) + "<|eot_id|>";
      }
      if (add_generation_prompt) prompt += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    case ChatFormat::kChatMl:
      for (const ChatMessage& message : messages) {
        prompt += "<|im_start|>" + message.role + "\n" + message.content + "<|im_end|>\n";
      }
      if (add_generation_prompt) prompt += "<|im_start|>assistant\n";
      break;
    case ChatFormat::kPlain:
      for (const ChatMessage& message : messages) prompt += message.role + ": " + message.content + "\n";
      if (add_generation_prompt) prompt += "assistant:";
      break;
  }
  return prompt;
}

std::string apply_chat_template(const Tokenizer& tokenizer, const nlohmann::json& config,
                                const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                                const std::string& template_origin) {
  const std::string template_text = chat_template_text(config);
  if (template_text.empty()) return format_chat(detect_chat_format(tokenizer, config), messages, add_generation_prompt);
  jinja::ChatTemplateCall call;
  for (const ChatMessage& message : messages) call.messages.push_back({{"role", message.role}, {"content", message.content}});
  call.add_generation_prompt = add_generation_prompt;
  call.special_tokens = chat_template_special_tokens(config);
  return jinja::render_chat_template(template_text, template_origin, call);
}

}  // namespace aimicius::runtime
