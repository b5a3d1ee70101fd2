// See contamination.h.
#include "corpus/contamination.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/errors.h"
#include "corpus/ngram_index.h"
#include "corpus/suite_prompt.h"
#include "corpus/text_normalize.h"
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

// n-grams that occur in two or more distinct examples.
NgramIndex common_ngrams(const std::vector<std::vector<std::string>>& texts, size_t n) {
  std::unordered_map<uint64_t, int> seen_in;
  for (const auto& words : texts) {
    std::vector<uint64_t> hs = ngram_hashes(words, n);
    std::sort(hs.begin(), hs.end());
    hs.erase(std::unique(hs.begin(), hs.end()), hs.end());
    for (const uint64_t h : hs) ++seen_in[h];
  }
  NgramIndex common(n);
  for (const auto& [h, count] : seen_in)
    if (count >= 2) common.add_hash(h);
  common.finish();
  return common;
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
    NgramIndex template13(kLong), template8(kShort);
    for (const auto& segment : prompt.boilerplate()) {
      const auto words = normalise_words(segment);
      template13.add(words);
      template8.add(words);
    }
    template13.finish();
    template8.finish();
    std::vector<Example> examples;
    for (const char* split : {"dev", "test"})
      for (auto& ex : load_examples(dir, prompt.manifest(), split)) examples.push_back(std::move(ex));
    std::vector<std::vector<std::string>> texts;
    for (const auto& ex : examples) texts.push_back(normalise_words(prompt.plain_text(ex.fields)));
    const NgramIndex common13 = common_ngrams(texts, kLong), common8 = common_ngrams(texts, kShort);

    for (const char* split : {"dev", "test"}) {
      SplitOverlap so;
      so.suite = suite;
      so.split = split;
      std::vector<ExampleOverlap> all;
      for (size_t i = 0; i < examples.size(); ++i) {
        if (examples[i].split != split) continue;
        const auto& words = texts[i];
        ExampleOverlap eo;
        eo.suite = suite;
        eo.split = split;
        eo.id = examples[i].id;
        eo.origin = examples[i].origin;
        eo.words = words.size();
        const Overlap o13 = overlap(words, corpus13, {&template13, &common13});
        const Overlap o8 = overlap(words, corpus8, {&template8, &common8});
        const Overlap r13 = overlap(words, corpus13, {&template13});
        const Overlap r8 = overlap(words, corpus8, {&template8});
        eo.hit13 = o13.shared > 0;
        eo.hit8 = o8.shared > 0;
        eo.hit13_raw = r13.shared > 0;
        eo.hit8_raw = r8.shared > 0;
        eo.longest = o8.longest;
        eo.shared = join_words(words, o8.begin, o8.longest);
        eo.longest_raw = r8.longest;
        eo.shared_raw = join_words(words, r8.begin, r8.longest);
        for (const uint64_t h : ngram_hashes(words, kLong))
          eo.has_specific13 = eo.has_specific13 || (!template13.contains(h) && !common13.contains(h));
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
        return std::make_tuple(a.hit13, a.longest, a.longest_raw) > std::make_tuple(b.hit13, b.longest, b.longest_raw);
      });
      for (size_t k = 0; k < all.size() && k < options.worst; ++k) so.worst.push_back(all[k]);
      if (report.failure.empty() && so.split == "test" && so.rate13() > options.max_overlap) {
        const ExampleOverlap& w = so.worst.front();
        report.failure = fmt::format(
            "{} {} split: {} of {} examples ({:.1f}%) share a 13-gram with the corpus {}, above --max-overlap {:.1f}%; "
            "worst: example \"{}\" ({}) shares \"{}\"",
            suite, so.split, so.hit13, so.examples, 100 * so.rate13(), report.corpus_file.string(), 100 * options.max_overlap,
            w.id, w.origin, w.shared);
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
      "(lower-case, punctuation split, whitespace collapsed). Not counted: n-grams of the suite's prompt\n"
      "templates and included files (boilerplate of every prompt); 'specific' also leaves out n-grams that\n"
      "occur in 2+ evaluation examples of the suite (its format, shared by examples, naming none).\n\n",
      r.corpus_file.string(), r.documents, r.corpus_words, r.index13, r.index8);
  s += fmt::format("{:<12} {:<5} {:>8} {:>11} {:>10} {:>11} {:>10} {:>14}\n", "suite", "split", "examples", "13-gram",
                   "8-gram", "13-gram raw", "8-gram raw", "no own 13-gram");
  for (const auto& so : r.splits)
    s += fmt::format("{:<12} {:<5} {:>8} {:>10.2f}% {:>9.2f}% {:>10.2f}% {:>9.2f}% {:>14}\n", so.suite, so.split, so.examples,
                     100 * so.rate13(), 100 * so.rate8(), 100 * so.rate13_raw(), 100 * so.rate8_raw(), so.without_specific13);
  s += "\nWorst examples (longest run of shared words: specific / raw):\n";
  for (const auto& so : r.splits)
    for (const auto& w : so.worst) {
      if (w.longest == 0 && w.longest_raw == 0) continue;
      s += fmt::format("  {} {} {} ({}): {} / {} of {} words", so.suite, so.split, w.id, w.origin, w.longest, w.longest_raw,
                       w.words);
      if (w.longest) s += fmt::format("\n      specific: \"{}\"", w.shared);
      if (w.longest_raw) s += fmt::format("\n      raw: \"{}\"", w.shared_raw.substr(0, 300));
      s += "\n";
    }
  s += r.failure.empty()
           ? fmt::format("\nVerdict: PASS: every test split's specific 13-gram overlap is at most {:.1f}%.\n", 100 * r.max_overlap)
           : fmt::format("\nVerdict: FAIL: {}\n", r.failure);
  return s;
}

}  // namespace aimicius::corpus
