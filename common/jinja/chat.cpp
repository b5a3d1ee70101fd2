// The variables transformers passes to a chat template (see chat.h).
#include "common/jinja/chat.h"

namespace aimicius::jinja {

std::string render_chat_template(const std::string& template_text, const std::string& template_name,
                                 const ChatTemplateCall& call, const RenderOptions& options) {
  const Template compiled(template_text, template_name);
  ValueDict variables;
  variables.emplace_back("messages", from_json(call.messages));
  variables.emplace_back("tools", call.tools.is_null() ? Value::none() : from_json(call.tools));
  variables.emplace_back("documents", Value::none());
  variables.emplace_back("add_generation_prompt", Value::boolean(call.add_generation_prompt));
  for (auto it = call.special_tokens.begin(); it != call.special_tokens.end(); ++it) {
    variables.emplace_back(it.key(), from_json(it.value()));
  }
  for (auto it = call.extra.begin(); it != call.extra.end(); ++it) variables.emplace_back(it.key(), from_json(it.value()));
  return compiled.render(variables, options);
}

}  // namespace aimicius::jinja
