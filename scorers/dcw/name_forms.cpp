// Atoms, tokens, spelling rules and filler words of DCW names: see name_forms.h.
#include "scorers/dcw/name_forms.h"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

namespace aimicius {
namespace {

bool is_letter(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool all_letters(const std::string& s) { return !s.empty() && is_letter(s[0]); }
bool all_digits(const std::string& s) { return !s.empty() && is_digit(s[0]); }

// Lower-cased ASCII letters and digits, every other character a space; the micro sign (U+00B5) and
// Greek mu (U+03BC) read as "u", so "µs" and "us" agree.
std::string lowered(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const unsigned char u = static_cast<unsigned char>(c);
    if (i + 1 < name.size() && ((u == 0xC2 && static_cast<unsigned char>(name[i + 1]) == 0xB5) ||
                                (u == 0xCE && static_cast<unsigned char>(name[i + 1]) == 0xBC))) {
      out += 'u';
      ++i;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (is_letter(c) || is_digit(c)) {
      out += c;
    } else {
      out += ' ';
    }
  }
  return out;
}

// Maximal runs of letters and of digits, in order; starts_word: a separator (or nothing) precedes it.
std::vector<NameAtom> runs_of(std::string_view name) {
  const std::string text = lowered(name);
  std::vector<NameAtom> runs;
  NameAtom current;
  bool after_separator = true;
  for (const char c : text) {
    const bool new_class = !current.text.empty() && is_letter(c) != is_letter(current.text.back());
    if ((c == ' ' || new_class) && !current.text.empty()) {
      runs.push_back(current);
      current.text.clear();
    }
    if (c == ' ') {
      after_separator = true;
      continue;
    }
    if (current.text.empty()) {
      current.starts_word = after_separator;
      after_separator = false;
    }
    current.text += c;
  }
  if (!current.text.empty()) runs.push_back(current);
  return runs;
}

// Abbreviations and inflections of the words in names of metrics, units and workloads. Why a
// table: these are spelling conventions of the field (nccl-tests' "busbw", "µs"), not names of our
// catalogue, so they hold for any catalogue. Keys are tokens as written or with the plural dropped.
const std::map<std::string, std::vector<std::string>>& synonyms() {
  static const std::map<std::string, std::vector<std::string>> table = {
      {"bw", {"bandwidth"}},
      {"busbw", {"bus", "bandwidth"}},
      {"algbw", {"algorithm", "bandwidth"}},
      {"lat", {"latency"}},
      {"tput", {"throughput"}},
      {"thruput", {"throughput"}},
      {"sec", {"s"}},
      {"second", {"s"}},
      {"usec", {"us"}},
      {"microsecond", {"us"}},
      {"msec", {"ms"}},
      {"millisecond", {"ms"}},
      {"min", {"minute"}},
      {"tok", {"token"}},
      {"tps", {"token", "s"}},
      {"flop", {"tflop"}},
      {"teraflop", {"tflop"}},
      {"gbps", {"gb", "s"}},
      {"mem", {"memory"}},
      {"vms", {"vm"}},
      {"infiniband", {"ib"}},
      {"img", {"image"}},
      {"seq", {"sequence"}},
      {"training", {"train"}},
      {"trained", {"train"}},
      {"pretraining", {"pre", "train"}},
      {"tuning", {"tune"}},
      {"tuned", {"tune"}},
      {"finetuning", {"fine", "tune"}},
      {"finetune", {"fine", "tune"}},
      {"serving", {"inference"}},
      {"serve", {"inference"}},
      {"matmul", {"gemm"}},
      {"float8", {"fp8"}},
  };
  return table;
}

// "tokens" -> "token", "nodes" -> "node"; "bus", "ttft", "class", "status" stay.
std::string singular(const std::string& token) {
  if (token.size() < 4 || token.back() != 's' || !all_letters(token)) return token;
  const std::string tail = token.substr(token.size() - 2);
  if (tail == "ss" || tail == "us" || tail == "is") return token;
  return token.substr(0, token.size() - 1);
}

std::vector<std::string> spelled(const std::string& token, const NameVocabulary& vocabulary) {
  const auto& table = synonyms();
  if (const auto it = table.find(token); it != table.end()) return it->second;
  // Why: a catalogue word that only looks plural ("NCads") keeps its "s", unless its singular is a
  // word of the catalogue too ("tokens": "token").
  const std::string one =
      vocabulary.is_canonical_word(token) && !vocabulary.knows(singular(token)) ? token : singular(token);
  if (const auto it = table.find(one); it != table.end()) return it->second;
  return {one};
}

}  // namespace

bool is_filler_token(const std::string& token) {
  static const std::set<std::string> filler = {
      "nvidia", "amd",  "microsoft", "azure", "vm",   "sku",  "node", "server", "system", "instance",
      "machine", "box", "host",     "gpu",   "cloud", "premise", "prem", "onprem", "instinct", "test", "benchmark",
      "bench",  "the",  "a",        "an",    "of",   "per",  "for",  "with",   "and",  "on",  "in", "at"};
  return filler.count(token) > 0;
}

void NameVocabulary::add(std::string_view text, bool canonical) {
  if (finished_) throw std::logic_error("NameVocabulary::add after finish()");
  for (const auto& [run, _] : runs_of(text)) {
    if (!all_letters(run)) continue;
    runs_.insert(run);
    longest_ = std::max(longest_, run.size());
    if (canonical) kept_.insert(run);
  }
}

std::vector<std::string> NameVocabulary::split_run(const std::string& run, std::size_t min_piece) const {
  // best[i]: fewest known pieces (each of min_piece+ letters, shorter than the run) covering run[i..].
  const std::size_t n = run.size();
  constexpr int kNone = std::numeric_limits<int>::max();
  const std::string_view text(run);
  std::vector<int> best(n + 1, kNone);
  best[n] = 0;
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t len = min_piece; i + len <= n && len < n && len <= longest_; ++len) {
      if (best[i + len] == kNone || !runs_.count(text.substr(i, len))) continue;
      best[i] = std::min(best[i], best[i + len] + 1);
    }
  }
  if (best[0] == kNone) return {};
  // Why longest first piece among the fewest: a deterministic choice ("ndma" -> ndm + a).
  std::vector<std::string> pieces;
  for (std::size_t i = 0; i < n;) {
    for (std::size_t len = std::min({n - 1, n - i, longest_}); len >= min_piece; --len) {
      if (best[i + len] != kNone && best[i + len] == best[i] - 1 && runs_.count(text.substr(i, len))) {
        pieces.push_back(run.substr(i, len));
        i += len;
        break;
      }
    }
  }
  return pieces;
}

void NameVocabulary::finish() {
  std::vector<std::string> compounds;
  for (const std::string& run : runs_)
    if (!kept_.count(run) && split_run(run, 2).size() >= 2) compounds.push_back(run);
  for (const std::string& run : compounds) runs_.erase(run);
  finished_ = true;
}

std::vector<NameAtom> NameVocabulary::atoms(std::string_view name) const {
  std::vector<NameAtom> atoms;
  for (const auto& [run, starts_word] : runs_of(name)) {
    // Why the word lists and plurals too: "nvidia", "seconds" or "bees" must not split into pieces.
    const std::string one = singular(run);
    if (all_digits(run) || knows(run) || knows(one) || is_filler_token(one) || synonyms().count(run) ||
        synonyms().count(one)) {
      atoms.push_back({run, starts_word});
      continue;
    }
    const std::vector<std::string> pieces = split_run(run, 1);
    if (pieces.size() < 2) {
      atoms.push_back({run, starts_word});
      continue;
    }
    for (std::size_t i = 0; i < pieces.size(); ++i) atoms.push_back({pieces[i], i == 0 && starts_word});
  }
  return atoms;
}

NameForms name_forms(std::string_view name, const NameVocabulary& vocabulary) {
  const std::vector<NameAtom> atoms = vocabulary.atoms(name);
  // Whether atom j continues the word of the atom before it (no separator between them).
  auto joined = [&](std::size_t j) { return j < atoms.size() && !atoms[j].starts_word; };
  std::vector<std::string> glued;
  for (std::size_t i = 0; i < atoms.size();) {
    std::string token = atoms[i].text;
    bool ends_in_digits = all_digits(token);
    if (all_letters(token) && joined(i + 1) && all_digits(atoms[i + 1].text)) {
      token += atoms[i + 1].text;
      ++i;
      ends_in_digits = true;
    }
    ++i;
    // A one-letter suffix of a model number ("MI300X", "70B"), unless it starts the next model ("v4").
    if (ends_in_digits && joined(i) && atoms[i].text.size() == 1 && all_letters(atoms[i].text) &&
        !(joined(i + 1) && all_digits(atoms[i + 1].text))) {
      token += atoms[i].text;
      ++i;
    }
    glued.push_back(token);
  }
  NameForms forms;
  for (const std::string& token : glued) {
    for (const std::string& word : spelled(token, vocabulary)) {
      forms.key += (forms.key.empty() ? "" : " ") + word;
      if (!is_filler_token(word)) forms.tokens.insert(word);
    }
  }
  return forms;
}

}  // namespace aimicius
