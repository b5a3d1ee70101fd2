// The Jinja lexer: template source -> text pieces and the tokens inside {{ }} and {% %} tags,
// with whitespace control applied as jinja2 applies it with the options transformers uses for chat
// templates (transformers' chat_template_utils: ImmutableSandboxedEnvironment(trim_blocks=True,
// lstrip_blocks=True, extensions=[loopcontrols]), keep_trailing_newline left False):
//   - newlines (\r\n, \r, \n) in the source are read as \n, and one newline at its very end dropped;
//   - `{%-`, `{{-`, `{#-` strip all whitespace before the tag, `-%}`, `-}}`, `-#}` all after it;
//   - trim_blocks: the first newline right after a `%}` or `#}` is removed;
//   - lstrip_blocks: spaces and tabs from the start of a line up to a `{%` or `{#` are removed
//     (not before `{{`; `{%+` turns it off for that tag);
//   - comments produce nothing; `{% raw %}...{% endraw %}` is text.
// Invariants: every token carries its 1-based source line; an unterminated tag, comment or string
// is a TemplateError naming the template and line.
#pragma once

#include <string>
#include <vector>

namespace aimicius::jinja {

struct Token {
  enum class Type { kText, kVariableBegin, kVariableEnd, kBlockBegin, kBlockEnd, kName, kString, kInteger, kFloat,
                    kOperator, kEnd };
  Type type;
  std::string text;  // text, name, operator, or the unescaped string / number literal
  int line;
};

std::vector<Token> tokenize(const std::string& source, const std::string& template_name);

}  // namespace aimicius::jinja
