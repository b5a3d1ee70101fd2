// A Jinja-subset interpreter for the chat templates that checkpoints ship (tokenizer_config.json's
// "chat_template", chat_template.jinja, GGUF's tokenizer.chat_template), rendering byte-equal to
// jinja2 3.x as transformers configures it (see lexer.h for the whitespace options; the globals and
// filters transformers adds: raise_exception(msg), strftime_now(fmt) on the local clock, and tojson
// as json.dumps(x, ensure_ascii=False, indent, separators, sort_keys), not jinja2's HTML-escaping
// one; the sandbox is immutable: list.append, dict.update and the like are errors).
//
// Supported: text, {{ }}, {% %}, {# #}, whitespace control, if/elif/else, for (loop.index0, index,
// first, last, length, revindex, revindex0, previtem, nextitem, cycle; else; `if` filters),
// break/continue, set (names, tuples, namespace attributes, blocks), macros, the expression
// grammar of jinja2, the tests, filters and string/dict methods in builtins.cpp, and the globals
// range, namespace, dict, raise_exception, strftime_now. Variables follow jinja2's scoping: a for
// loop's body is a new scope each iteration (hence namespace()); if blocks are not scopes.
// Undefined names behave as jinja2's default Undefined. Anything else is a TemplateError naming
// the template and line, never silent output.
//
// Bounded, since templates come from untrusted files: parse nesting (parser.h), loop iterations
// in total, macro call depth, the size of the output and of every string or list built, and the
// total work of building text and lists (RenderLimits).
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/jinja/ast.h"
#include "common/jinja/value.h"

namespace aimicius::jinja {

struct RenderLimits {
  std::size_t max_output_bytes = 16u << 20;  // also the largest string or list a template may build
  int64_t max_loop_iterations = 1'000'000;   // all loops of one render together
  int max_call_depth = 64;                   // macro calls in progress
  // Bytes of text written or built (output, captured blocks, macro results, ~ + * join replace)
  // and list elements copied (16 bytes each), all of one render together: without it a loop that
  // grows a string or list quadratically would be bounded in size but not in time.
  std::size_t max_work_bytes = 256u << 20;
};

struct RenderOptions {
  RenderLimits limits;
  // The clock strftime_now reads; empty: the local time now (as transformers' datetime.now()).
  std::function<std::tm()> now;
};

class Template {
 public:
  // Parses `source`; `name` is what errors call the template (a file path, a metadata key).
  Template(const std::string& source, std::string name);

  // Renders with `variables` as the template's globals (beside the builtin ones, which they
  // override). TemplateError on any failure, raise_exception included.
  std::string render(const ValueDict& variables, const RenderOptions& options = {}) const;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  Body body_;
};

// JSON -> template values (objects keep their key order when given an ordered_json).
Value from_json(const nlohmann::ordered_json& json);
Value from_json(const nlohmann::json& json);

}  // namespace aimicius::jinja
