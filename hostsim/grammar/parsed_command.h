// One simple command read with its tool's option grammar (option_grammar.h), and its canonical
// forms: canonical_argv() is what hostsim runs, canonical_text() what the matcher compares.
//
// Canonical form of a simple command: a leading `sudo` / `sudo -E` and `env` dropped, environment
// assignments as a sorted set, the utility's basename, the subcommand, the options in the order of
// the grammar's table (repeats of an option sorted by canonical value unless the option is
// `ordered`), each under its canonical name with its canonical value (case, size, list order where
// the tool treats a list as a set), then the positionals in order, then whatever the grammar did
// not understand, verbatim, then a nested command (mpirun PROG ...) in its own canonical form.
//
// Invariants:
// - canonical_argv is idempotent: canonical_argv(tool, canonical_argv(tool, a)) == canonical_argv(tool, a).
// - Two commands with equal canonical_text that run a simulated tool get equal canonical argv,
//   so hostsim runs them identically.
// - A word the grammar does not know is never reinterpreted: it and every later word are kept
//   verbatim, in order (so an unknown option still fails as the tool would make it fail).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hostsim/grammar/option_grammar.h"

namespace aimicius::grammar {

enum class OptionForm {
  kSeparate,          // -i 0, --id 0
  kEquals,            // --id=0
  kAttached,          // -i0
  kJoinedToPrevious,  // the flag is written inside the previous word (-t -v written as -tv)
};

struct ParsedOption {
  const OptionSpec* spec = nullptr;  // nullptr: an unknown option of a lenient tool, kept as a flag
  std::string written;               // the name as written
  std::vector<std::string> values;   // as written
  OptionForm form = OptionForm::kSeparate;
  std::size_t rank = 0;  // the spec's place in the grammar (canonical order)

  std::string name() const { return spec ? spec->canonical() : written; }
};

struct ParsedCommand;

struct ParsedArgs {
  const ToolGrammar* grammar = nullptr;
  std::string subcommand;  // "" or a key of grammar->subcommands
  std::vector<ParsedOption> options;      // as written, in order
  std::vector<std::string> positionals;   // in order
  std::vector<std::string> rest;          // from the first word the grammar does not know, verbatim
  std::vector<ParsedCommand> nested;      // at most one: the command a launcher runs
};

struct ParsedCommand {
  std::vector<std::string> prefix;       // `sudo`, `-E`, `env` as written (no meaning of their own here)
  std::vector<std::string> assignments;  // NAME=value words before the utility
  std::string utility_word;              // as written (/usr/bin/nvidia-smi)
  std::string utility;                   // its basename
  ParsedArgs args;
};

struct CanonicalOption {
  std::string name;
  std::string value;  // canonical values joined by ' ' ("" for a flag)
};

bool is_assignment(const std::string& word);
std::string basename_of(const std::string& path);

ParsedArgs parse_args(const ToolGrammar* grammar, const std::vector<std::string>& args);
// Words of one simple command (after shell lexing), prefixes and assignments included.
ParsedCommand parse_command_words(const std::vector<std::string>& words);

// The option's values in canonical form, one per written value (a list stays one value).
std::vector<std::string> canonical_values(const OptionSpec& spec, const std::vector<std::string>& values);
// The options in canonical order with canonical names and values.
std::vector<CanonicalOption> canonical_options(const ParsedArgs& args);

// What hostsim runs for `tool ARGS...`: ARGS unchanged when the tool has no grammar.
std::vector<std::string> canonical_argv(const std::string& tool, const std::vector<std::string>& args);
std::vector<std::string> canonical_argv(const ParsedArgs& args);
// What the matcher compares (one line of text; equal text == same command).
std::string canonical_text(const ParsedCommand& command);
// The command written back as words, options in their current order and forms (audit variants
// edit a ParsedCommand and write it back with this).
std::vector<std::string> written_words(const ParsedCommand& command);

}  // namespace aimicius::grammar
