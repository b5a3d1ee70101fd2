// Runs written straight into a scratch store, with scores chosen by the test (no model, no suite
// data): the inputs of the leaderboard, comparison and gate tests. Also a small XML
// well-formedness check for the JUnit output.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/store/store.h"

namespace aimicius::testing {

struct ToyExample {
  std::string id;
  double accuracy = 0.0;    // 0/1 headline metric
  double similarity = 0.0;  // continuous metric
  std::string subset;       // "" or e.g. "nvidia"
  bool error = false;
  bool infra_error = false;  // stored as infra_error: not judged, no scores
  std::string answer = "answer";
};

inline nlohmann::json toy_suites(const std::string& data_sha = "data-1", const std::string& version = "1.0.0") {
  return {{"toy",
           {{"version", version},
            {"prompt_version", "toy-prompt-1"},
            {"data_sha256", data_sha},
            {"headline", "accuracy"},
            {"examples", 0}}}};
}

// A complete run of suite "toy" with the given examples; returns its id.
inline int64_t add_toy_run(Store& store, const std::string& model, const std::vector<ToyExample>& examples,
                           const nlohmann::json& suites = toy_suites(),
                           const nlohmann::json& config = nlohmann::json{{"split", "test"}}) {
  NewRun r;
  r.model_spec = model;
  r.model_hash = "hash-" + model;
  r.suites = suites;
  r.config = config;
  r.tool_version = "test";
  const int64_t id = store.create_run(r);
  for (const auto& e : examples) {
    PredictionRecord p;
    p.run_id = id;
    p.suite = "toy";
    p.example_id = e.id;
    p.prompt_sha256 = "sha";
    p.raw_output = e.answer;
    p.answer = e.answer;
    p.subset = e.subset;
    if (e.error) p.error = "backend error: timeout";
    if (e.infra_error) {
      p.infra_error = true;
      p.error = "sandbox: bwrap failed to start";
      store.record_example(p, {});
      continue;
    }
    store.record_example(p, {{"accuracy", e.accuracy, {{"executed", e.answer}}}, {"similarity", e.similarity, {}}});
  }
  store.finish_run(id, kRunComplete);
  return id;
}

// `n` examples e000..; the first `passing` have accuracy 1; similarity = 0.5 + 0.4 * accuracy.
inline std::vector<ToyExample> toy_examples(int n, int passing) {
  std::vector<ToyExample> v;
  for (int i = 0; i < n; ++i) {
    ToyExample e;
    e.id = fmt::format("e{:03d}", i);
    e.accuracy = i < passing ? 1.0 : 0.0;
    e.similarity = 0.5 + 0.4 * e.accuracy;
    e.subset = i % 2 ? "amd" : "nvidia";
    v.push_back(e);
  }
  return v;
}

// Flips accuracy of examples [from, to) to `value` (similarity follows).
inline std::vector<ToyExample> with_flips(std::vector<ToyExample> v, int from, int to, double value) {
  for (int i = from; i < to; ++i) {
    v[static_cast<size_t>(i)].accuracy = value;
    v[static_cast<size_t>(i)].similarity = 0.5 + 0.4 * value;
  }
  return v;
}

// A minimal XML well-formedness check: balanced, properly nested tags; quoted attributes; no raw
// '<' or stray '&' in text or attribute values. Returns "" when fine, else what is wrong.
inline std::string xml_problem(const std::string& x) {
  std::vector<std::string> stack;
  size_t i = 0;
  auto entity_ok = [&](size_t at) {
    const size_t semi = x.find(';', at);
    if (semi == std::string::npos || semi - at > 8) return false;
    const std::string name = x.substr(at + 1, semi - at - 1);
    return name == "lt" || name == "gt" || name == "amp" || name == "quot" || name == "apos" || (!name.empty() && name[0] == '#');
  };
  if (x.rfind("<?xml", 0) == 0) i = x.find("?>") + 2;
  while (i < x.size()) {
    if (x[i] == '&' && !entity_ok(i)) return fmt::format("stray & at {}", i);
    if (x[i] != '<') {
      ++i;
      continue;
    }
    const size_t end = x.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    std::string tag = x.substr(i + 1, end - i - 1);
    if (tag.find('<') != std::string::npos) return fmt::format("'<' inside tag at {}", i);
    // Attribute values: quotes balanced, no raw '<' or stray '&'.
    if (std::count(tag.begin(), tag.end(), '"') % 2) return fmt::format("unbalanced quotes in tag at {}", i);
    for (size_t k = 0; k < tag.size(); ++k)
      if (tag[k] == '&' && !entity_ok(i + 1 + k)) return fmt::format("stray & in tag at {}", i);
    const bool closing = !tag.empty() && tag[0] == '/';
    const bool self_closing = !tag.empty() && tag.back() == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" /\t\n"));
    if (closing) {
      if (stack.empty() || stack.back() != name) return fmt::format("</{}> does not close <{}>", name, stack.empty() ? "" : stack.back());
      stack.pop_back();
    } else if (!self_closing) {
      stack.push_back(name);
    }
    i = end + 1;
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

}  // namespace aimicius::testing
