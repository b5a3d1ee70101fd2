// See contamination.h.
#include "training/corpus/contamination.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/errors.h"
#include "training/corpus/eval_ngrams.h"
#include "training/corpus/ngram_index.h"
#include "training/corpus/suite_prompt.h"
#include "training/corpus/text_normalize.h"
#include "tasks/dataset.h"
#include "tasks/suite.h"

namespace aimicius::corpus {
namespace fs = std::filesystem;

namespace {

constexpr size_t kLong = 13, kShort = 8;

std::string join_words(const std::vector<std::string>& words, size_t begin, size_t count) {
  std::string s;
  for (size_t i = begin; i < begin + count && i < words.size(); ++i) s += (s.empty() ? "" : " ") + words[i];
  return s;
}

}  // namespace

ContaminationReport check_contamination(const ContaminationOptions& options) {
  ContaminationReport report;
  report.max_overlap = options.max_overlap;
  report.corpus_file = options.corpus_dir / "corpus.jsonl";
  if (!fs::exists(report.corpus_file))
    throw InputError(fmt::format("{}: not found (build it with `aimicius corpus --out {}`)", report.corpus_file.string(),
                                 options.corpus_dir.string()));
  NgramIndex corpus13(kLong), corpus8(kShort);
  for (const auto& line : read_jsonl_objects(report.corpus_file)) {
    auto it = line.value.find("text");
    if (it == line.value.end() || !it->is_string())
      throw InputError(fmt::format("{}:{}: a corpus line needs a string \"text\"", report.corpus_file.string(),
                                   line.line_number));
    const std::vector<std::string> words = normalise_words(it->get_ref<const std::string&>());
    report.corpus_words += words.size();
    ++report.documents;
    corpus13.add(words);
    corpus8.add(words);
  }
  corpus13.finish();
  corpus8.finish();
  report.index13 = corpus13.size();
  report.index8 = corpus8.size();

  std::vector<std::string> suites = options.suites.empty() ? known_suite_names(options.data_dir) : options.suites;
  for (const auto& suite : suites) {
    const fs::path dir = options.data_dir / suite;
    if (!fs::exists(dir / "suite.json")) throw InputError(fmt::format("{}: no suite.json (unknown suite \"{}\")", dir.string(), suite));
    const SuitePrompt prompt(dir);
    std::vector<Example> examples;
    for (const char* split : {"dev", "test"})
      for (auto& ex : load_examples(dir, prompt.manifest(), split)) examples.push_back(std::move(ex));
    std::vector<FieldWords> texts;
    for (const auto& ex : examples) texts.push_back(field_words(prompt, ex.fields));
    const EvalNgrams eval13(prompt, texts, kLong), eval8(prompt, texts, kShort);
    const NgramIndex &template13 = eval13.boilerplate(), &template8 = eval8.boilerplate();
    const NgramIndex &common13 = eval13.common(), &common8 = eval8.common();

    for (const char* split : {"dev", "test"}) {
      SplitOverlap so;
      so.suite = suite;
      so.split = split;
      std::vector<ExampleOverlap> all;
      for (size_t i = 0; i < examples.size(); ++i) {
        if (examples[i].split != split) continue;
        ExampleOverlap eo;
        eo.suite = suite;
        eo.split = split;
        eo.id = examples[i].id;
        eo.origin = examples[i].origin;
        // Field by field: an n-gram never spans two fields (a request's end and the answer's start).
        for (const auto& words : texts[i]) {
          eo.words += words.size();
          const Overlap o13 = overlap(words, corpus13, {&template13, &common13});
          const Overlap o8 = overlap(words, corpus8, {&template8, &common8});
          const Overlap r13 = overlap(words, corpus13, {&template13});
          const Overlap r8 = overlap(words, corpus8, {&template8});
          eo.hit13 = eo.hit13 || o13.shared > 0;
          eo.hit8 = eo.hit8 || o8.shared > 0;
          eo.hit13_raw = eo.hit13_raw || r13.shared > 0;
          eo.hit8_raw = eo.hit8_raw || r8.shared > 0;
          if (o13.longest > eo.longest13) {
            eo.longest13 = o13.longest;
            eo.shared13 = join_words(words, o13.begin, o13.longest);
          }
          if (o8.longest > eo.longest) {
            eo.longest = o8.longest;
            eo.shared = join_words(words, o8.begin, o8.longest);
          }
          if (r8.longest > eo.longest_raw) {
            eo.longest_raw = r8.longest;
            eo.shared_raw = join_words(words, r8.begin, r8.longest);
          }
          eo.has_specific13 = eo.has_specific13 || overlap(words, eval13.specific(), {}).shared > 0;
        }
        ++so.examples;
        so.hit13 += eo.hit13;
        so.hit8 += eo.hit8;
        so.hit13_raw += eo.hit13_raw;
        so.hit8_raw += eo.hit8_raw;
        so.without_specific13 += !eo.has_specific13;
        all.push_back(std::move(eo));
      }
      if (so.examples == 0) continue;
      std::stable_sort(all.begin(), all.end(), [](const ExampleOverlap& a, const ExampleOverlap& b) {
        return std::make_tuple(a.longest13, a.longest, a.longest_raw) > std::make_tuple(b.longest13, b.longest, b.longest_raw);
      });
      for (size_t k = 0; k < all.size() && k < options.worst; ++k) so.worst.push_back(all[k]);
      if (report.failure.empty() && so.split == "test" && so.rate13() > options.max_overlap) {
        const ExampleOverlap& w = so.worst.front();
        report.failure = fmt::format(
            "{} {} split: {} of {} examples ({:.1f}%) share a 13-gram with the corpus {}, above --max-overlap {:.1f}%; "
            "worst: example \"{}\" ({}) shares \"{}\"",
            suite, so.split, so.hit13, so.examples, 100 * so.rate13(), report.corpus_file.string(), 100 * options.max_overlap,
            w.id, w.origin, w.shared13);
      }
      report.splits.push_back(std::move(so));
    }
  }
  return report;
}

std::string format_report(const ContaminationReport& r) {
  std::string s = fmt::format(
      "Contamination check: {} ({} documents, {} words; {} distinct 13-grams, {} distinct 8-grams)\n"
      "Compared: each dev/test example's own text (its fields and reference, no template wording), normalised\n"
      "(lower-case; punctuation and whitespace separate words and are dropped), field by field. Not counted: n-grams of the suite's prompt\n"
      "templates and included files (boilerplate of every prompt); 'specific' also leaves out n-grams that\n"
      "occur in 2+ evaluation examples of the suite (its format, shared by examples, naming none).\n"
      "N-grams made only of numbers never count. Verdict: the specific 13-gram rate of each test split.\n\n",
      r.corpus_file.string(), r.documents, r.corpus_words, r.index13, r.index8);
  s += fmt::format("{:<12} {:<5} {:>8} {:>11} {:>10} {:>11} {:>10} {:>14}\n", "suite", "split", "examples", "13-gram",
                   "8-gram", "13-gram raw", "8-gram raw", "no own 13-gram");
  for (const auto& so : r.splits)
    s += fmt::format("{:<12} {:<5} {:>8} {:>10.2f}% {:>9.2f}% {:>10.2f}% {:>9.2f}% {:>14}\n", so.suite, so.split, so.examples,
                     100 * so.rate13(), 100 * so.rate8(), 100 * so.rate13_raw(), 100 * so.rate8_raw(), so.without_specific13);
  s += "\nWorst examples (longest run of shared words: specific 13-grams / specific 8-grams / raw 8-grams):\n";
  for (const auto& so : r.splits)
    for (const auto& w : so.worst) {
      if (w.longest == 0 && w.longest_raw == 0) continue;
      s += fmt::format("  {} {} {} ({}): {} / {} / {} of {} words", so.suite, so.split, w.id, w.origin, w.longest13,
                       w.longest, w.longest_raw, w.words);
      if (w.longest13) s += fmt::format("\n      13-gram: \"{}\"", w.shared13);
      if (w.longest) s += fmt::format("\n      8-gram: \"{}\"", w.shared.substr(0, 300));
      if (w.longest_raw) s += fmt::format("\n      raw: \"{}\"", w.shared_raw.substr(0, 300));
      s += "\n";
    }
  s += r.failure.empty()
           ? fmt::format("\nVerdict: PASS: every test split's specific 13-gram overlap is at most {:.1f}%.\n", 100 * r.max_overlap)
           : fmt::format("\nVerdict: FAIL: {}\n", r.failure);
  return s;
}

}  // namespace aimicius::corpus
