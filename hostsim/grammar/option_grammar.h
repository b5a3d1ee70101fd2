// The option grammar of each command-line tool the cmdgen suite uses: its names, subcommands and
// options (short and long synonyms, whether and how an option takes a value, how a value is
// canonicalised). One table, read by the simulator (hostsim canonicalises argv before a tool
// parses it) and by the matcher (scorers/command canonicalises answer and reference alike), so
// that "same command" means the same thing to both.
//
// Invariants:
// - Std-only (the sandboxed aimicius-hostsim binary links it) and free of global mutable state:
//   the tables are built once, on first use, and never change.
// - An option's first name is its canonical name; for a tool that hostsim simulates it is a
//   spelling hostsim's own parser accepts, so canonical argv always runs.
// - Facts come from the tools' public documentation (their --help and manual pages); an option
//   this table does not know is never guessed at: parsing keeps the rest of the command verbatim.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace aimicius::grammar {

// How a tool spells options on its command line.
enum class Style {
  kGetopt,      // getopt_long / argparse: -abc (combined flags), -ovalue, --long=value, --long value
  kSingleDash,  // whole-word options (nvidia-smi -lgc, nvcc -arch, mpirun -np): no combining;
                // name=value accepted; a one-letter option with a value may be attached (-O3, -lfoo)
  kGeneric,     // unknown tool: words kept as written
};

enum class Arity {
  kNone,      // a flag
  kRequired,  // exactly one value: next word, =value, or attached
  kOptional,  // a value only when attached / =value, or when the next word is a number
  kMulti,     // argparse nargs='+' / '*': every following word that does not start with '-'
  kTwo,       // two values (mpirun --mca KEY VALUE)
};

struct OptionSpec {
  std::vector<std::string> names;  // names[0] is canonical
  Arity arity = Arity::kNone;
  bool list = false;       // the value is a comma-separated list
  bool set = false;        // list/multi values are order-insensitive (the tool treats them as a set)
  bool chars = false;      // the value is a set of letters (nvidia-smi dmon -s pucvmet)
  bool size = false;       // a byte size with K/M/G/T suffixes, powers of 1024 (nccl-tests)
  bool upper = false;      // case-insensitive value, canonical upper case
  bool lower = false;      // case-insensitive value, canonical lower case
  bool joined = false;     // canonical argv writes name=value (hostsim's parser wants it so)
  bool ordered = false;    // repeats of the option keep their relative order (-l libraries)
  bool index = false;      // the value is a device index or list of them
  bool harmless = false;   // dropping it does not change the command's meaning for a request
  bool numeric = false;    // the value is a number (audit: "one value changed" applies)
  std::string default_value;        // the tool's default, when dropping the option is a no-op
  std::vector<std::string> choices;  // the values the tool accepts, when it is an enumeration

  const std::string& canonical() const { return names.front(); }
  bool takes_value() const { return arity != Arity::kNone; }
};

struct OptionTable {
  std::vector<OptionSpec> options;
  bool nested = false;  // the first positional starts a command of its own (mpirun PROG ARGS...)
  // The option of that exact name, or nullptr.
  const OptionSpec* find(const std::string& name) const;
};

struct ToolGrammar {
  std::vector<std::string> names;  // the command names (all_reduce_perf, ...), names[0] canonical
  Style style = Style::kGetopt;
  bool lenient = false;  // unknown -options are flags without a value (compiler drivers)
  bool combine = true;   // kGetopt: combined flags (-tv) and attached values (-g8) are accepted
  bool equals = true;    // --name=value (kSingleDash: -name=value) is accepted
  std::string install_dir;  // where the tool is usually installed ("" when it has no usual place)
  OptionTable global;       // options before (or without) a subcommand
  // Subcommand words ("topo", "benchmark list") -> their options (global ones apply too).
  std::map<std::string, OptionTable> subcommands;
};

// The grammar of the tool called `name` (a basename), or nullptr for a tool without one.
const ToolGrammar* find_grammar(const std::string& name);
// Every grammar, in table order.
const std::vector<ToolGrammar>& all_grammars();

// Builds an option table from a compact spec: entries separated by spaces, each
// `NAME[|NAME...][:ATTR[,ATTR...]]`, ATTR one of v (required value), o (optional), m (multi),
// 2 (two values), list, set, chars, size, upper, lower, joined, ordered, index, harmless,
// num, def=VALUE, enum=A/B/C. Throws std::invalid_argument naming a malformed entry.
OptionTable parse_option_table(const std::string& spec, bool nested = false);

}  // namespace aimicius::grammar
