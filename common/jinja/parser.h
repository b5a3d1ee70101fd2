// The Jinja parser: tokens -> statements, with jinja2's grammar and operator precedence
// (lowest first: `x if c else y`, or, and, not, comparisons and in, + -, ~, * / // %, **, unary
// - +, then postfix . [] () and the filter/test chain | and is).
// Statements: if/elif/else, for (tuple targets, `if` filter, else), set (names, tuples,
// `ns.attr`, and the block form), macro, break/continue (loopcontrols), raw (in the lexer),
// generation (transformers' AssistantTracker: rendered as its body). Anything else (extends,
// include, import, call, filter blocks, with) is a TemplateError naming the template and line:
// never a silently skipped construct.
// Bounded: nesting of expressions and blocks deeper than kMaxParseDepth is a TemplateError, so a
// hostile template cannot overflow the stack.
#pragma once

#include <string>
#include <vector>

#include "common/jinja/ast.h"
#include "common/jinja/lexer.h"

namespace aimicius::jinja {

constexpr int kMaxParseDepth = 128;

Body parse(const std::vector<Token>& tokens, const std::string& template_name);

}  // namespace aimicius::jinja
