// all_grammars() / find_grammar() over the per-family tables, and make_tool().
// Invariant: the table is built once (a function-local static) and is read-only afterwards.
#include <stdexcept>

#include "hostsim/grammar/tool_tables.h"

namespace aimicius::grammar {

ToolGrammar make_tool(std::vector<std::string> names, Style style, std::string install_dir, const std::string& global,
                      const std::vector<SubcommandSpec>& subcommands, bool nested) {
  ToolGrammar tool;
  tool.names = std::move(names);
  tool.style = style;
  tool.install_dir = std::move(install_dir);
  try {
    tool.global = parse_option_table(global, nested);
    for (const auto& sub : subcommands) tool.subcommands[sub.words] = parse_option_table(sub.options, sub.nested);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("grammar of " + tool.names.front() + ": " + e.what());
  }
  return tool;
}

const std::vector<ToolGrammar>& all_grammars() {
  static const std::vector<ToolGrammar> grammars = [] {
    std::vector<ToolGrammar> all;
    add_gpu_tool_grammars(all);
    add_system_tool_grammars(all);
    return all;
  }();
  return grammars;
}

const ToolGrammar* find_grammar(const std::string& name) {
  for (const auto& tool : all_grammars())
    for (const auto& known : tool.names)
      if (known == name) return &tool;
  return nullptr;
}

}  // namespace aimicius::grammar
