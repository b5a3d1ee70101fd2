// The compact option-table notation of option_grammar.h, parsed into OptionSpecs, and lookups.
// Invariant: a malformed entry is a programming error in the tables and throws at first use,
// naming the entry (tests/hostsim/tool_grammar_test.cpp builds every table).
#include <sstream>
#include <stdexcept>

#include "hostsim/grammar/option_grammar.h"

namespace aimicius::grammar {
namespace {

std::vector<std::string> split_on(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

void apply_attribute(OptionSpec& spec, const std::string& attribute, const std::string& entry) {
  if (attribute == "v") spec.arity = Arity::kRequired;
  else if (attribute == "o") spec.arity = Arity::kOptional;
  else if (attribute == "m") spec.arity = Arity::kMulti;
  else if (attribute == "2") spec.arity = Arity::kTwo;
  else if (attribute == "list") spec.list = true;
  else if (attribute == "set") spec.set = true;
  else if (attribute == "chars") spec.chars = true;
  else if (attribute == "size") spec.size = spec.numeric = true;
  else if (attribute == "upper") spec.upper = true;
  else if (attribute == "lower") spec.lower = true;
  else if (attribute == "joined") spec.joined = true;
  else if (attribute == "ordered") spec.ordered = true;
  else if (attribute == "index") spec.index = spec.numeric = true;
  else if (attribute == "harmless") spec.harmless = true;
  else if (attribute == "num") spec.numeric = true;
  else if (attribute.rfind("def=", 0) == 0) spec.default_value = attribute.substr(4);
  else if (attribute.rfind("enum=", 0) == 0) spec.choices = split_on(attribute.substr(5), '/');
  else throw std::invalid_argument("option table entry '" + entry + "': unknown attribute '" + attribute + "'");
}

}  // namespace

const OptionSpec* OptionTable::find(const std::string& name) const {
  for (const auto& option : options)
    for (const auto& known : option.names)
      if (known == name) return &option;
  return nullptr;
}

OptionTable parse_option_table(const std::string& spec, bool nested) {
  OptionTable table;
  table.nested = nested;
  std::istringstream in(spec);
  for (std::string entry; in >> entry;) {
    OptionSpec option;
    const auto colon = entry.find(':', 1);  // a name never holds ':' after its first character
    option.names = split_on(entry.substr(0, colon), '|');
    if (option.names.empty() || option.names.front().empty() || option.names.front()[0] != '-')
      throw std::invalid_argument("option table entry '" + entry + "': names must start with '-'");
    if (colon != std::string::npos)
      for (const auto& attribute : split_on(entry.substr(colon + 1), ',')) apply_attribute(option, attribute, entry);
    if ((option.list || option.set || option.size || option.chars || !option.choices.empty()) && !option.takes_value())
      throw std::invalid_argument("option table entry '" + entry + "': value attributes on a flag");
    table.options.push_back(std::move(option));
  }
  return table;
}

}  // namespace aimicius::grammar
