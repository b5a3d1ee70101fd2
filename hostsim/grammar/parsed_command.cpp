// Reading argv with a tool grammar and writing its canonical forms (parsed_command.h).
// Invariant kept by parse_args: every input word ends up in exactly one place (an option's name
// or value, the subcommand, a positional, `rest`, or the nested command), so nothing is lost.
#include "hostsim/grammar/parsed_command.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <tuple>

namespace aimicius::grammar {
namespace {

constexpr std::size_t kUnknownRank = std::numeric_limits<std::size_t>::max();
constexpr std::size_t kGlobalRankBase = 10000;  // subcommand options come before global ones

bool is_number(const std::string& word) {
  if (word.empty()) return false;
  std::size_t digits = 0;
  for (std::size_t i = word[0] == '-' ? 1 : 0; i < word.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(word[i]))) ++digits;
    else if (word[i] != '.') return false;
  }
  return digits > 0;
}

bool looks_like_option(const std::string& word) { return word.size() > 1 && word[0] == '-' && !is_number(word); }

std::vector<std::string> split_list(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

// A byte size with an optional K/M/G/T suffix (powers of 1024), as nccl-tests read -b/-e.
std::optional<std::string> size_in_bytes(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 15 || i + 1 < text.size()) return std::nullopt;
  unsigned long long value = std::stoull(text.substr(0, i));
  if (i < text.size()) {
    const std::string units = "KMGT";
    const auto unit = units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i]))));
    if (unit == std::string::npos) return std::nullopt;
    for (std::size_t k = 0; k <= unit; ++k) value *= 1024ULL;
  }
  return std::to_string(value);
}

std::string canonical_scalar(const OptionSpec& spec, std::string value) {
  if (spec.upper)
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::toupper(c); });
  if (spec.lower)
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
  if (spec.size)
    if (auto bytes = size_in_bytes(value)) value = *bytes;
  if (spec.chars) {
    std::sort(value.begin(), value.end());
    value.erase(std::unique(value.begin(), value.end()), value.end());
  }
  return value;
}

struct Found {
  const OptionSpec* spec = nullptr;
  std::size_t rank = 0;
};

// Lookup through the tables in force: the subcommand's first, then the global ones.
Found find_option(const std::vector<const OptionTable*>& tables, const std::string& name) {
  for (std::size_t t = 0; t < tables.size(); ++t)
    if (const OptionSpec* spec = tables[t]->find(name)) {
      const std::size_t base = t + 1 == tables.size() ? kGlobalRankBase : 0;
      return {spec, base + static_cast<std::size_t>(spec - tables[t]->options.data())};
    }
  return {};
}

// Takes the values `spec` needs from args[at...]; returns how many words were used, or nothing.
std::optional<std::size_t> take_values(const OptionSpec& spec, const std::vector<std::string>& args, std::size_t at,
                                       std::vector<std::string>& values) {
  switch (spec.arity) {
    case Arity::kNone:
      return 0;
    case Arity::kRequired:
      if (at >= args.size()) return std::nullopt;
      values.push_back(args[at]);
      return 1;
    case Arity::kOptional:
      if (at < args.size() && is_number(args[at])) {
        values.push_back(args[at]);
        return 1;
      }
      return 0;
    case Arity::kMulti: {
      std::size_t used = 0;
      while (at + used < args.size() && !looks_like_option(args[at + used])) values.push_back(args[at + used++]);
      return used;
    }
    case Arity::kTwo:
      if (at + 1 >= args.size()) return std::nullopt;
      values.push_back(args[at]);
      values.push_back(args[at + 1]);
      return 2;
  }
  return std::nullopt;
}

// Reads the option at args[i]; on success appends to `out` and returns the words used.
std::optional<std::size_t> parse_option(const ToolGrammar& g, const std::vector<const OptionTable*>& tables,
                                        const std::vector<std::string>& args, std::size_t i,
                                        std::vector<ParsedOption>& out) {
  const std::string& word = args[i];
  if (Found f = find_option(tables, word); f.spec) {
    ParsedOption option{f.spec, word, {}, OptionForm::kSeparate, f.rank};
    const auto used = take_values(*f.spec, args, i + 1, option.values);
    if (!used) return std::nullopt;
    out.push_back(std::move(option));
    return 1 + *used;
  }
  const auto equals = word.find('=');
  if (g.equals && equals != std::string::npos && equals > 1) {
    Found f = find_option(tables, word.substr(0, equals));
    if (!f.spec || !f.spec->takes_value()) return std::nullopt;
    ParsedOption option{f.spec, word.substr(0, equals), {word.substr(equals + 1)}, OptionForm::kEquals, f.rank};
    std::size_t used = 1;
    if (f.spec->arity == Arity::kTwo) {
      if (i + 1 >= args.size()) return std::nullopt;
      option.values.push_back(args[i + 1]);
      ++used;
    }
    out.push_back(std::move(option));
    return used;
  }
  if (word.size() <= 2 || word[1] == '-') return std::nullopt;
  if (g.style == Style::kGetopt && g.combine) {  // -tv, -g8, -cp
    std::vector<ParsedOption> combined;
    for (std::size_t k = 1; k < word.size(); ++k) {
      Found f = find_option(tables, std::string("-") + word[k]);
      if (!f.spec) return std::nullopt;
      ParsedOption option{f.spec, std::string("-") + word[k], {}, k == 1 ? OptionForm::kSeparate
                                                                           : OptionForm::kJoinedToPrevious, f.rank};
      if (!f.spec->takes_value()) {
        combined.push_back(std::move(option));
        continue;
      }
      std::size_t used = 1;
      if (k + 1 < word.size()) {
        option.values.push_back(word.substr(k + 1));
        if (k == 1) option.form = OptionForm::kAttached;
      } else {
        const auto taken = take_values(*f.spec, args, i + 1, option.values);
        if (!taken) return std::nullopt;
        used += *taken;
      }
      combined.push_back(std::move(option));
      out.insert(out.end(), combined.begin(), combined.end());
      return used;
    }
    out.insert(out.end(), combined.begin(), combined.end());
    return 1;
  }
  if (g.style == Style::kSingleDash) {  // -O3, -lcublas, -i0
    Found f = find_option(tables, word.substr(0, 2));
    if (!f.spec || !f.spec->takes_value()) return std::nullopt;
    out.push_back({f.spec, word.substr(0, 2), {word.substr(2)}, OptionForm::kAttached, f.rank});
    return 1;
  }
  return std::nullopt;
}

// The number of words of the longest subcommand starting at args[i], its key in `key`.
std::size_t match_subcommand(const ToolGrammar& g, const std::vector<std::string>& args, std::size_t i,
                             std::string& key) {
  std::size_t best = 0;
  for (const auto& [words, table] : g.subcommands) {
    const auto parts = split_list(words, ' ');
    if (parts.size() <= best || i + parts.size() > args.size()) continue;
    if (std::equal(parts.begin(), parts.end(), args.begin() + static_cast<std::ptrdiff_t>(i))) {
      best = parts.size();
      key = words;
    }
  }
  return best;
}

std::string quoted(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string("_./=:,+@%^~-").find(static_cast<char>(c)) != std::string::npos;
  });
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

bool is_assignment(const std::string& word) {
  const auto equals = word.find('=');
  if (equals == std::string::npos || equals == 0 || std::isdigit(static_cast<unsigned char>(word[0]))) return false;
  return std::all_of(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(equals),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

std::string basename_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos || slash + 1 == path.size() ? path : path.substr(slash + 1);
}

ParsedArgs parse_args(const ToolGrammar* grammar, const std::vector<std::string>& args) {
  ParsedArgs out;
  out.grammar = grammar;
  if (!grammar || grammar->style == Style::kGeneric) {
    out.rest = args;
    return out;
  }
  std::vector<const OptionTable*> tables = {&grammar->global};
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size();) {
    const std::string& word = args[i];
    if (!options_ended && word == "--") {
      options_ended = true;
      ++i;
      continue;
    }
    if (options_ended || !looks_like_option(word)) {
      std::string key;
      if (out.subcommand.empty() && out.positionals.empty() && !grammar->subcommands.empty()) {
        if (const std::size_t n = match_subcommand(*grammar, args, i, key)) {
          out.subcommand = key;
          tables.insert(tables.begin(), &grammar->subcommands.at(key));
          i += n;
          continue;
        }
      }
      if (tables.front()->nested) {
        out.nested.push_back(parse_command_words(std::vector<std::string>(args.begin() + static_cast<std::ptrdiff_t>(i),
                                                                          args.end())));
        return out;
      }
      out.positionals.push_back(word);
      ++i;
      continue;
    }
    if (const auto used = parse_option(*grammar, tables, args, i, out.options)) {
      i += *used;
    } else if (grammar->lenient) {
      out.options.push_back({nullptr, word, {}, OptionForm::kSeparate, kUnknownRank});
      ++i;
    } else {
      out.rest.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      return out;
    }
  }
  return out;
}

ParsedCommand parse_command_words(const std::vector<std::string>& words) {
  ParsedCommand command;
  std::size_t i = 0;
  while (i + 1 < words.size()) {
    if (words[i] == "sudo") {
      command.prefix.push_back(words[i++]);
      if (i + 1 < words.size() && words[i] == "-E") command.prefix.push_back(words[i++]);
    } else if (words[i] == "env") {
      command.prefix.push_back(words[i++]);
    } else if (is_assignment(words[i])) {
      command.assignments.push_back(words[i++]);
    } else {
      break;
    }
  }
  if (i >= words.size()) return command;
  command.utility_word = words[i];
  command.utility = basename_of(words[i]);
  command.args = parse_args(find_grammar(command.utility),
                            std::vector<std::string>(words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end()));
  return command;
}

std::vector<std::string> canonical_values(const OptionSpec& spec, const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    if (!spec.list) {
      out.push_back(canonical_scalar(spec, value));
      continue;
    }
    std::vector<std::string> items;
    for (const auto& item : split_list(value, ',')) items.push_back(canonical_scalar(spec, item));
    if (spec.set) {
      std::sort(items.begin(), items.end());
      items.erase(std::unique(items.begin(), items.end()), items.end());
    }
    out.push_back(join(items, ","));
  }
  if (spec.arity == Arity::kMulti && spec.set) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

namespace {

// Each option's canonical values, and the options' canonical order: the grammar's table order,
// then by name (unknown flags of lenient tools), then by value unless the option is `ordered`.
struct CanonicalOrder {
  std::vector<std::vector<std::string>> values;  // per option, as written order
  std::vector<std::size_t> order;                // indices into args.options
};

CanonicalOrder canonical_order(const ParsedArgs& args) {
  CanonicalOrder c;
  std::vector<std::string> joined;
  for (const auto& o : args.options) {
    c.values.push_back(o.spec ? canonical_values(*o.spec, o.values) : o.values);
    joined.push_back(o.spec && o.spec->ordered ? std::string() : join(c.values.back(), " "));
  }
  for (std::size_t i = 0; i < args.options.size(); ++i) c.order.push_back(i);
  std::stable_sort(c.order.begin(), c.order.end(), [&](std::size_t a, std::size_t b) {
    const std::string name_a = args.options[a].name(), name_b = args.options[b].name();
    return std::tie(args.options[a].rank, name_a, joined[a]) < std::tie(args.options[b].rank, name_b, joined[b]);
  });
  return c;
}

}  // namespace

std::vector<CanonicalOption> canonical_options(const ParsedArgs& args) {
  const CanonicalOrder c = canonical_order(args);
  std::vector<CanonicalOption> out;
  for (const std::size_t i : c.order) out.push_back({args.options[i].name(), join(c.values[i], " ")});
  return out;
}

std::vector<std::string> canonical_argv(const ParsedArgs& args) {
  std::vector<std::string> words;
  if (!args.subcommand.empty())
    for (const auto& part : split_list(args.subcommand, ' ')) words.push_back(part);
  const CanonicalOrder c = canonical_order(args);
  for (const std::size_t i : c.order) {
    const ParsedOption& o = args.options[i];
    if (o.spec && o.spec->joined && c.values[i].size() == 1) {
      words.push_back(o.name() + "=" + c.values[i][0]);
      continue;
    }
    words.push_back(o.name());
    words.insert(words.end(), c.values[i].begin(), c.values[i].end());
  }
  words.insert(words.end(), args.positionals.begin(), args.positionals.end());
  words.insert(words.end(), args.rest.begin(), args.rest.end());
  for (const auto& nested : args.nested) {
    words.insert(words.end(), nested.assignments.begin(), nested.assignments.end());
    words.push_back(nested.utility);
    const auto inner = canonical_argv(nested.args);
    words.insert(words.end(), inner.begin(), inner.end());
  }
  return words;
}

std::vector<std::string> canonical_argv(const std::string& tool, const std::vector<std::string>& args) {
  const ToolGrammar* grammar = find_grammar(tool);
  if (!grammar) return args;
  return canonical_argv(parse_args(grammar, args));
}

std::string canonical_text(const ParsedCommand& command) {
  std::vector<std::string> assignments = command.assignments;
  std::sort(assignments.begin(), assignments.end());
  std::vector<std::string> tokens;
  for (const auto& a : assignments) tokens.push_back(quoted(a));
  tokens.push_back(quoted(command.utility));
  if (!command.args.subcommand.empty()) tokens.push_back("{" + command.args.subcommand + "}");
  for (const auto& o : canonical_options(command.args))
    tokens.push_back(o.value.empty() ? quoted(o.name) : quoted(o.name) + "=" + quoted(o.value));
  if (!command.args.positionals.empty()) tokens.push_back("--");
  for (const auto& p : command.args.positionals) tokens.push_back(quoted(p));
  if (!command.args.rest.empty()) tokens.push_back("?");
  for (const auto& r : command.args.rest) tokens.push_back(quoted(r));
  for (const auto& nested : command.args.nested) tokens.push_back("(" + canonical_text(nested) + ")");
  return join(tokens, " ");
}

std::vector<std::string> written_words(const ParsedCommand& command) {
  std::vector<std::string> words = command.prefix;
  words.insert(words.end(), command.assignments.begin(), command.assignments.end());
  if (command.utility_word.empty()) return words;
  words.push_back(command.utility_word);
  const ParsedArgs& args = command.args;
  if (!args.subcommand.empty())
    for (const auto& part : split_list(args.subcommand, ' ')) words.push_back(part);
  for (const auto& o : args.options) {
    if (o.form == OptionForm::kJoinedToPrevious && !words.empty() && o.written.size() == 2) {
      words.back() += o.written.substr(1);
    } else if (o.form == OptionForm::kEquals && !o.values.empty()) {
      words.push_back(o.written + "=" + o.values[0]);
      words.insert(words.end(), o.values.begin() + 1, o.values.end());
      continue;
    } else if (o.form == OptionForm::kAttached && !o.values.empty()) {
      words.push_back(o.written + o.values[0]);
      words.insert(words.end(), o.values.begin() + 1, o.values.end());
      continue;
    } else {
      words.push_back(o.written);
    }
    words.insert(words.end(), o.values.begin(), o.values.end());
  }
  bool needs_separator = false;
  for (const auto& p : args.positionals) needs_separator = needs_separator || looks_like_option(p);
  if (needs_separator) words.push_back("--");
  words.insert(words.end(), args.positionals.begin(), args.positionals.end());
  words.insert(words.end(), args.rest.begin(), args.rest.end());
  for (const auto& nested : args.nested) {
    const auto inner = written_words(nested);
    words.insert(words.end(), inner.begin(), inner.end());
  }
  return words;
}

}  // namespace aimicius::grammar
