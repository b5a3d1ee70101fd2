// command_audit.h: right and wrong rewrites of a reference, made on its parsed form and written
// back with grammar::written_words + shell_quote.
#include "scorers/command/command_audit.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>
#include <stdexcept>

#include "scorers/command/canonical_command.h"
#include "scorers/command/shell_words.h"

namespace aimicius {
namespace {

using grammar::Arity;
using grammar::OptionForm;
using grammar::OptionSpec;
using grammar::ParsedCommand;
using grammar::ParsedOption;

constexpr std::size_t kMaxPerSide = 10;

std::string render(const ParsedCommandLine& line) {
  std::string text;
  for (std::size_t i = 0; i < line.segments.size(); ++i) {
    if (i > 0) text += " " + line.operators[i - 1] + " ";
    const auto words = grammar::written_words(line.segments[i]);
    for (std::size_t w = 0; w < words.size(); ++w) text += (w ? " " : "") + shell_quote(words[w]);
  }
  return text;
}

bool is_integer(const std::string& text) {
  return !text.empty() && text.size() < 16 &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "128M" -> {128, "M"}; nothing when the text is not a number with an optional unit letter.
bool split_size(const std::string& text, long long& number, std::string& unit) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 15 || text.size() - i > 1) return false;
  unit = text.substr(i);
  if (!unit.empty() && std::string("KMGTkmgt").find(unit[0]) == std::string::npos) return false;
  number = std::stoll(text.substr(0, i));
  return true;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at; (at = text.find(',', start)) != std::string::npos; start = at + 1)
    parts.push_back(text.substr(start, at - start));
  parts.push_back(text.substr(start));
  return parts;
}

std::string join_commas(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
  return out;
}

// Another index than `value` that is not among `taken`: the one below, else the next free above.
std::string other_index(long long value, const std::set<std::string>& taken) {
  if (value > 0 && !taken.count(std::to_string(value - 1))) return std::to_string(value - 1);
  long long next = value + 1;
  while (taken.count(std::to_string(next))) ++next;
  return std::to_string(next);
}

// A clearly different number: 0 -> 1, 1 -> 2, n -> 2n; never the option's default.
std::string other_number(long long value, const std::string& default_value) {
  long long changed = value == 0 ? 1 : value == 1 ? 2 : value * 2;
  if (std::to_string(changed) == default_value) changed = value + 3;
  return std::to_string(changed);
}

// The value with one number changed (the last item of a list), or "" when none is numeric;
// `others` are the option's other values (an index never becomes one of them).
std::string changed_value(const OptionSpec& spec, const std::string& value, const std::vector<std::string>& others) {
  if (spec.size) {
    long long number = 0;
    std::string unit;
    if (split_size(value, number, unit)) return std::to_string(number * 2) + unit;
    return "";
  }
  std::vector<std::string> items = spec.list ? split_commas(value) : std::vector<std::string>{value};
  std::string& last = items.back();
  if (!is_integer(last)) return "";
  std::set<std::string> taken(items.begin(), items.end());
  taken.insert(others.begin(), others.end());
  last = spec.index ? other_index(std::stoll(last), taken) : other_number(std::stoll(last), spec.default_value);
  return join_commas(items);
}

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

const std::string* long_name(const OptionSpec& spec) {
  for (const auto& name : spec.names)
    if (name.rfind("--", 0) == 0) return &name;
  return nullptr;
}

const std::string* letter_name(const OptionSpec& spec) {
  for (const auto& name : spec.names)
    if (name.size() == 2 && name[0] == '-' && name[1] != '-') return &name;
  return nullptr;
}

bool is_help_like(const OptionSpec& spec) {
  for (const auto& name : spec.names)
    if (name == "--help" || name == "-h" || name == "--version" || name == "-V" || name == "-help") return true;
  return false;
}

class Generator {
 public:
  explicit Generator(const std::string& reference) : reference_(reference) {
    base_ = parse_command_line(reference);
    canonical_reference_ = canonical_command(reference);
    // Split combined flags once, so that every edit below works on one option per word.
    if (!base_.segments.empty()) {
      bool combined = false;
      for (ParsedCommand* c : focus(base_))
        for (auto& o : c->args.options)
          if (o.form == OptionForm::kJoinedToPrevious) {
            o.form = OptionForm::kSeparate;
            combined = true;
          }
      if (combined) add(base_, true, "split-flags");
    }
  }

  std::vector<AuditVariant> run() {
    if (base_.segments.empty() || base_.segments[0].utility.empty()) return {};
    for (std::size_t depth = 0; depth < focus(base_).size(); ++depth) {
      right_variants(depth);
      wrong_variants(depth);
    }
    top_level_variants();
    return variants_;
  }

 private:
  // The commands variants edit: the first segment, and the command it launches (if any).
  static std::vector<ParsedCommand*> focus(ParsedCommandLine& line) {
    std::vector<ParsedCommand*> out;
    if (line.segments.empty()) return out;
    ParsedCommand* c = &line.segments[0];
    out.push_back(c);
    while (!c->args.nested.empty()) {
      c = &c->args.nested[0];
      out.push_back(c);
    }
    return out;
  }

  // Applies `edit` to a copy of the base at `depth`; keeps the result when the edit says so.
  void variant(std::size_t depth, bool right, const std::string& kind,
               const std::function<bool(ParsedCommand&)>& edit) {
    ParsedCommandLine copy = base_;
    ParsedCommand& c = *focus(copy)[depth];
    if (!c.args.grammar || !edit(c)) return;
    add(copy, right, kind);
  }

  void add(const ParsedCommandLine& line, bool right, const std::string& kind) {
    const std::string text = render(line);
    if (text == reference_ || !seen_.insert(text).second) return;
    std::size_t& count = right ? rights_ : wrongs_;
    if (count >= kMaxPerSide) return;
    if (!right) {
      try {
        if (canonical_command(text) == canonical_reference_) return;  // the change does not matter
      } catch (const std::invalid_argument&) {
        return;
      }
    }
    ++count;
    variants_.push_back({text, right, kind});
  }

  void right_variants(std::size_t depth) {
    variant(depth, true, "synonym", [](ParsedCommand& c) {
      bool changed = false;
      for (auto& o : c.args.options) {
        if (!o.spec || o.spec->names.size() < 2) continue;
        const bool written_long = o.written.rfind("--", 0) == 0;
        const std::string* other = written_long ? letter_name(*o.spec) : long_name(*o.spec);
        if (!other) {
          for (const auto& name : o.spec->names)
            if (name != o.written) other = &name;
        }
        if (!other || *other == o.written) continue;
        o.written = *other;
        if (o.form == OptionForm::kAttached) o.form = OptionForm::kSeparate;
        changed = true;
      }
      return changed;
    });
    variant(depth, true, "equals-form", [](ParsedCommand& c) {
      if (!c.args.grammar->equals) return false;
      for (auto& o : c.args.options) {
        if (!o.spec || o.spec->arity != Arity::kRequired || o.form == OptionForm::kEquals) continue;
        const std::string* name = long_name(*o.spec);
        if (!name) continue;
        o.written = *name;
        o.form = OptionForm::kEquals;
        return true;
      }
      return false;
    });
    variant(depth, true, "attached-value", [](ParsedCommand& c) {
      const auto& g = *c.args.grammar;
      if (g.style != grammar::Style::kGetopt || !g.combine) return false;
      for (auto& o : c.args.options) {
        if (!o.spec || o.spec->arity != Arity::kRequired || o.form == OptionForm::kAttached) continue;
        const std::string* name = letter_name(*o.spec);
        if (!name || o.values.empty() || o.values[0].empty() || o.values[0][0] == '-') continue;
        o.written = *name;
        o.form = OptionForm::kAttached;
        return true;
      }
      return false;
    });
    variant(depth, true, "combined-flags", [](ParsedCommand& c) {
      const auto& g = *c.args.grammar;
      if (g.style != grammar::Style::kGetopt || !g.combine) return false;
      std::vector<std::size_t> flags;
      for (std::size_t i = 0; i < c.args.options.size(); ++i) {
        const auto& o = c.args.options[i];
        if (o.spec && !o.spec->takes_value() && letter_name(*o.spec)) flags.push_back(i);
      }
      if (flags.size() < 2) return false;
      ParsedOption second = c.args.options[flags[1]];
      c.args.options.erase(c.args.options.begin() + static_cast<std::ptrdiff_t>(flags[1]));
      c.args.options[flags[0]].written = *letter_name(*c.args.options[flags[0]].spec);
      c.args.options[flags[0]].form = OptionForm::kSeparate;
      second.written = *letter_name(*second.spec);
      second.form = OptionForm::kJoinedToPrevious;
      c.args.options.insert(c.args.options.begin() + static_cast<std::ptrdiff_t>(flags[0]) + 1, second);
      return true;
    });
    variant(depth, true, "reordered", [](ParsedCommand& c) {
      auto& options = c.args.options;
      if (options.size() < 2) return false;
      const ParsedOption first = options.front();
      if (first.spec && first.spec->ordered)
        for (std::size_t i = 1; i < options.size(); ++i)
          if (options[i].spec == first.spec) return false;  // their relative order matters
      if (first.spec && first.spec->arity == Arity::kMulti && !c.args.positionals.empty()) return false;
      if (first.spec && first.spec->arity == Arity::kOptional && first.values.empty()) return false;
      std::rotate(options.begin(), options.begin() + 1, options.end());
      return true;
    });
    variant(depth, true, "value-order", [](ParsedCommand& c) {
      for (auto& o : c.args.options) {
        if (!o.spec || !o.spec->set) continue;
        if (o.spec->list && o.values.size() == 1 && o.values[0].find(',') != std::string::npos) {
          auto items = split_commas(o.values[0]);
          std::reverse(items.begin(), items.end());
          o.values[0] = join_commas(items);
          return true;
        }
        if (o.spec->arity == Arity::kMulti && o.values.size() > 1) {
          std::reverse(o.values.begin(), o.values.end());
          return true;
        }
      }
      return false;
    });
    variant(depth, true, "size-unit", [](ParsedCommand& c) {
      for (auto& o : c.args.options) {
        if (!o.spec || !o.spec->size || o.values.size() != 1) continue;
        long long number = 0;
        std::string unit;
        if (!split_size(o.values[0], number, unit)) continue;
        const std::string units = "KMGT";
        if (!unit.empty()) {
          const auto at = units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0]))));
          o.values[0] = std::to_string(number * 1024) + (at == 0 ? std::string() : std::string(1, units[at - 1]));
          return true;
        }
        if (number >= 1024 && number % 1024 == 0) {
          o.values[0] = std::to_string(number / 1024) + "K";
          return true;
        }
      }
      return false;
    });
  }

  void wrong_variants(std::size_t depth) {
    for (std::size_t nth = 0; nth < 2; ++nth)
      variant(depth, false, "one-value", [nth](ParsedCommand& c) {
        std::size_t seen = 0;
        for (auto& o : c.args.options) {
          if (!o.spec || !o.spec->numeric || o.values.empty()) continue;
          const std::string changed = changed_value(*o.spec, o.values.back(), o.values);
          if (changed.empty()) continue;
          if (seen++ < nth) continue;
          o.values.back() = changed;
          return true;
        }
        return false;
      });
    variant(depth, false, "one-enum", [](ParsedCommand& c) {
      for (auto& o : c.args.options) {
        if (!o.spec || o.spec->choices.empty() || o.values.size() != 1) continue;
        const auto& choices = o.spec->choices;
        const std::string current = lowered(o.values[0]);
        std::size_t at = 0;
        while (at < choices.size() && lowered(choices[at]) != current) ++at;
        if (at == choices.size()) continue;  // a value outside the list (gfx90a:xnack+): leave it
        o.values[0] = choices[(at + 1) % choices.size()];
        return true;
      }
      return false;
    });
    variant(depth, false, "drop-option", [](ParsedCommand& c) {
      auto& options = c.args.options;
      for (std::size_t i = options.size(); i-- > 0;) {
        const ParsedOption& o = options[i];
        if (!o.spec || o.spec->harmless) continue;
        if (!o.spec->default_value.empty() && o.values.size() == 1 &&
            grammar::canonical_values(*o.spec, o.values)[0] ==
                grammar::canonical_values(*o.spec, {o.spec->default_value})[0])
          continue;  // it only repeats the default
        if (i + 1 < options.size() && options[i + 1].form == OptionForm::kJoinedToPrevious)
          options[i + 1].form = OptionForm::kSeparate;
        options.erase(options.begin() + static_cast<std::ptrdiff_t>(i));
        return true;
      }
      return false;
    });
    variant(depth, false, "sibling-flag", [](ParsedCommand& c) {
      const auto& g = *c.args.grammar;
      const grammar::OptionTable& table = c.args.subcommand.empty() ? g.global : g.subcommands.at(c.args.subcommand);
      std::set<const OptionSpec*> present;
      for (const auto& o : c.args.options) present.insert(o.spec);
      for (auto& o : c.args.options) {
        if (!o.spec || o.spec->takes_value() || o.spec->harmless || is_help_like(*o.spec)) continue;
        const auto& all = table.options;
        std::size_t here = 0;
        while (here < all.size() && &all[here] != o.spec) ++here;
        if (here == all.size()) continue;  // a global option of a subcommand tool
        for (std::size_t step = 1; step < all.size(); ++step) {
          const OptionSpec& sibling = all[(here + step) % all.size()];
          if (sibling.takes_value() || sibling.harmless || is_help_like(sibling) || present.count(&sibling)) continue;
          o.spec = &sibling;
          o.written = sibling.canonical();
          o.form = OptionForm::kSeparate;
          return true;
        }
      }
      return false;
    });
    variant(depth, false, "drop-list-item", [](ParsedCommand& c) {
      for (auto& o : c.args.options) {
        if (!o.spec || !o.spec->list || o.values.size() != 1) continue;
        auto items = split_commas(o.values[0]);
        if (items.size() < 2) continue;
        items.pop_back();
        o.values[0] = join_commas(items);
        return true;
      }
      return false;
    });
    variant(depth, false, "one-value", [](ParsedCommand& c) {
      // A positional that ends in a number (a device mlx5_0, a port, a PID): the number changed.
      for (auto& word : c.args.positionals) {
        std::size_t end = word.size(), start = end;
        while (start > 0 && std::isdigit(static_cast<unsigned char>(word[start - 1]))) --start;
        if (start == end || end - start > 9 || word.find('/') != std::string::npos) continue;
        word = word.substr(0, start) + std::to_string(std::stol(word.substr(start)) + 1);
        return true;
      }
      return false;
    });
    variant(depth, false, "other-subcommand", [](ParsedCommand& c) {
      const auto& subs = c.args.grammar->subcommands;
      if (c.args.subcommand.empty() || subs.size() < 2) return false;
      auto it = subs.find(c.args.subcommand);
      ++it;
      if (it == subs.end()) it = subs.begin();
      c.args.subcommand = it->first;
      return true;
    });
    variant(depth, false, "other-tool", [](ParsedCommand& c) {
      const auto& names = c.args.grammar->names;
      if (names.size() < 2) return false;
      const auto at = std::find(names.begin(), names.end(), c.utility);
      if (at == names.end()) return false;
      const std::string other = names[static_cast<std::size_t>(at - names.begin() + 1) % names.size()];
      c.utility_word = c.utility_word.substr(0, c.utility_word.size() - c.utility.size()) + other;
      c.utility = other;
      return true;
    });
  }

  // Variants of the whole first segment: absolute path, sudo, a changed device list.
  void top_level_variants() {
    ParsedCommandLine copy = base_;
    ParsedCommand& c = copy.segments[0];
    if (c.args.grammar && !c.args.grammar->install_dir.empty() && c.utility_word == c.utility) {
      c.utility_word = c.args.grammar->install_dir + "/" + c.utility;
      add(copy, true, "absolute-path");
      c.utility_word = c.utility;
    }
    if (c.prefix.empty() && c.assignments.empty()) {  // sudo would not pass VAR=value on by default
      c.prefix = {"sudo"};
      add(copy, true, "sudo");
      c.prefix.clear();
    }
    if (copy.segments.size() > 1) {  // the pipeline without its last stage
      ParsedCommandLine shorter = base_;
      shorter.segments.pop_back();
      shorter.operators.pop_back();
      add(shorter, false, "drop-segment");
    }
    for (auto& assignment : c.assignments) {
      const auto equals = assignment.find('=');
      if (assignment.find("VISIBLE_DEVICES") == std::string::npos) continue;
      auto items = split_commas(assignment.substr(equals + 1));
      if (!is_integer(items.back())) continue;
      const std::set<std::string> taken(items.begin(), items.end());
      const std::string saved = assignment;
      items.back() = other_index(std::stoll(items.back()), taken);
      assignment = assignment.substr(0, equals + 1) + join_commas(items);
      add(copy, false, "one-value");
      assignment = saved;
    }
  }

  std::string reference_;
  std::string canonical_reference_;
  ParsedCommandLine base_;
  std::vector<AuditVariant> variants_;
  std::set<std::string> seen_;
  std::size_t rights_ = 0, wrongs_ = 0;
};

}  // namespace

std::vector<AuditVariant> command_audit_variants(const std::string& reference) {
  return Generator(reference).run();
}

}  // namespace aimicius
