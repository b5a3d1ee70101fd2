#include "reports/leaderboard.h"

#include <algorithm>
#include <map>
#include <cctype>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace aimicius {
namespace {

// The paper's task names for subsets of a local suite ("cmdgen-nvidia" -> cmdgen / nvidia).
std::string subset_of_task(const std::string& task, const std::string& suite) {
  const std::string prefix = suite + "-";
  return task.rfind(prefix, 0) == 0 ? task.substr(prefix.size()) : "";
}

// Sigma and GPT-4 only: the models the project compares against (the paper's other baselines
// stay in `aimicius published`).
bool is_compared_model(const std::string& model) {
  std::string lower;
  for (char c : model) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "gpt-4" || lower.rfind("sigma", 0) == 0;
}

// "SIGMA-SYSTEM 10B" (Table 6) and "Sigma-System-10B" (Table 10) are one model.
std::string model_key(const std::string& model) {
  std::string key;
  for (char c : model)
    if (std::isalnum(static_cast<unsigned char>(c))) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

}  // namespace

std::string run_headline(const RunRecord& run, const std::string& suite) {
  if (!run.suites.is_object() || !run.suites.contains(suite)) return "";
  const auto& info = run.suites[suite];
  return info.is_object() ? info.value("headline", "") : "";
}

bool run_paper_metric(const RunRecord& run, const std::string& suite, const std::string& metric) {
  if (!run.suites.is_object() || !run.suites.contains(suite)) return false;
  const auto& info = run.suites[suite];
  if (!info.is_object() || !info.contains("paper_metrics") || !info["paper_metrics"].is_array()) return false;
  for (const auto& name : info["paper_metrics"])
    if (name.is_string() && name.get<std::string>() == metric) return true;
  return false;
}

Leaderboard build_leaderboard(Store& store, const std::vector<RunRecord>& runs, const LeaderboardOptions& options) {
  std::vector<LeaderboardRun> all;
  for (const auto& r : runs) all.push_back({r, {}});
  return build_leaderboard(store, all, options);
}

std::vector<LeaderboardRun> newest_complete_runs(const std::vector<RunRecord>& runs) {
  std::map<std::pair<std::string, std::string>, const RunRecord*> newest;  // (model, suite) -> run
  for (const auto& r : runs) {
    if (r.status != kRunComplete || r.is_answer_loss() || !r.suites.is_object()) continue;
    for (const auto& [suite, _] : r.suites.items()) {
      const RunRecord*& slot = newest[{r.model_spec, suite}];
      if (!slot || slot->id < r.id) slot = &r;
    }
  }
  std::map<int64_t, LeaderboardRun> chosen;
  for (const auto& [key, run] : newest) {
    auto& entry = chosen[run->id];
    entry.run = *run;
    entry.suites.insert(key.second);
  }
  std::vector<LeaderboardRun> out;
  for (auto& [_, entry] : chosen) out.push_back(std::move(entry));
  return out;
}

std::string run_engine(const RunRecord& run) {
  return run.config.is_object() && run.config.contains("engine") && run.config["engine"].is_string()
             ? run.config["engine"].get<std::string>()
             : std::string();
}

std::string run_generation_note(const RunRecord& run, const std::set<std::string>& shown) {
  if (!run.config.is_object() || !run.config.contains("prompt_style")) return "";
  const auto& style = run.config["prompt_style"];
  std::string note = fmt::format("run {}: prompts {}", run.id,
                                 style.value("chat", false)
                                     ? fmt::format("as chat, few-shot {}", style.value("fewshot", std::string("?")) == "turns"
                                                                                ? "as user/assistant turns"
                                                                                : "inline in the user turn")
                                     : std::string("as plain text, few-shot inline"));
  // The engine: runs of one checkpoint on two CPUs may differ for this alone.
  if (const std::string engine = run_engine(run); !engine.empty()) note += fmt::format(", on {}", engine);
  if (run.suites.is_object())
    for (const auto& [suite, info] : run.suites.items()) {
      if (!info.is_object() || !info.contains("generation") || (!shown.empty() && !shown.count(suite))) continue;
      const auto& g = info["generation"];
      std::vector<std::string> stops;
      for (const auto& stop : g.value("stop", nlohmann::json::array())) stops.push_back(nlohmann::json(stop).dump());
      note += fmt::format("; {}: max_new_tokens {}, stop [{}]", suite, g.value("max_new_tokens", int64_t{0}),
                          fmt::join(stops, ", "));
    }
  return note;
}

Leaderboard build_leaderboard(Store& store, const std::vector<LeaderboardRun>& runs, const LeaderboardOptions& options) {
  Leaderboard board;
  board.all_metrics = options.all_metrics;
  board.seed = options.seed;
  board.resamples = options.resamples;
  for (const auto& [run, only] : runs) {
    RunScores rs;
    rs.run = run;
    using Key = std::pair<std::string, std::string>;  // suite, subset
    std::vector<std::string> suites;
    std::map<std::string, std::vector<std::string>> metric_order;  // per suite, first-seen
    std::map<std::string, std::set<std::string>> subsets;
    std::map<std::pair<Key, std::string>, std::vector<double>> values;
    std::map<Key, std::pair<int64_t, int64_t>> counts;  // examples, errors
    std::map<std::string, int64_t> not_judged;          // suite -> infra_error examples
    for (const auto& ex : store.stored_examples(run.id)) {
      if (!only.empty() && !only.count(ex.suite)) continue;
      if (std::find(suites.begin(), suites.end(), ex.suite) == suites.end()) suites.push_back(ex.suite);
      std::vector<Key> keys = {{ex.suite, ""}};
      if (!ex.subset.empty()) {
        keys.push_back({ex.suite, ex.subset});
        subsets[ex.suite].insert(ex.subset);
      }
      for (const auto& key : keys) {
        ++counts[key].first;
        if (ex.error) ++counts[key].second;
      }
      ++rs.examples;
      if (ex.error) ++rs.errors;
      if (ex.infra_error) ++not_judged[ex.suite];
      auto& order = metric_order[ex.suite];
      for (const auto& s : ex.scores) {
        if (std::find(order.begin(), order.end(), s.metric) == order.end()) order.push_back(s.metric);
        for (const auto& key : keys) values[{key, s.metric}].push_back(s.value);
      }
    }
    for (const auto& suite : suites) {
      if (not_judged[suite]) rs.not_judged.emplace_back(suite, not_judged[suite], counts[{suite, ""}].first);
      const std::string headline = run_headline(run, suite);
      std::vector<std::string> groups = {""};
      groups.insert(groups.end(), subsets[suite].begin(), subsets[suite].end());
      for (const auto& subset : groups)
        for (const auto& metric : metric_order[suite]) {
          const bool is_headline = metric == headline;
          const bool is_paper = run_paper_metric(run, suite, metric);
          if (!options.all_metrics && !headline.empty() && !is_headline && !options.also_metrics.count({suite, metric}))
            continue;
          auto it = values.find({{suite, subset}, metric});
          if (it == values.end()) continue;
          ScoreCell cell;
          cell.suite = suite;
          cell.subset = subset;
          cell.metric = metric;
          cell.headline = is_headline;
          cell.paper = is_paper;
          std::mt19937_64 rng(seed_for(options.seed, suite + "/" + subset + "/" + metric));
          cell.stat = bootstrap_mean_ci(it->second, rng, options.resamples);
          cell.examples = counts[{suite, subset}].first;
          cell.errors = counts[{suite, subset}].second;
          rs.cells.push_back(std::move(cell));
        }
    }
    board.runs.push_back(std::move(rs));
  }
  return board;
}

std::set<std::pair<std::string, std::string>> published_metrics(const nlohmann::json& doc) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& f : doc.at("figures"))
    if (is_compared_model(f.at("model")))
      out.insert({f.at("suite").get<std::string>(), f.at("metric").get<std::string>()});
  return out;
}

void add_published_figures(Leaderboard& board, const nlohmann::json& doc, bool only_matching) {
  std::set<std::tuple<std::string, std::string, std::string>> local;  // suite, subset, metric
  for (const auto& r : board.runs)
    for (const auto& c : r.cells) local.insert({c.suite, c.subset, c.metric});
  const auto paper = doc.value("paper", nlohmann::json::object());
  const std::string arxiv = paper.value("arxiv", "?");
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;  // model, suite, subset, metric
  size_t added = 0;
  for (const auto& f : doc.at("figures")) {
    const std::string model = f.at("model");
    if (!is_compared_model(model)) continue;
    PublishedFigure p;
    p.model = model;
    p.suite = f.at("suite");
    p.subset = subset_of_task(f.at("task"), p.suite);
    p.metric = f.at("metric");
    p.value = f.at("value").get<double>();
    p.table = f.at("table");
    p.source = f.value("source", "");
    p.label = fmt::format("published, arXiv {} {}", arxiv, p.table);
    if (only_matching && !local.count({p.suite, p.subset, p.metric})) continue;
    if (!seen.insert({model_key(model), p.suite, p.subset, p.metric}).second) continue;
    board.published.push_back(std::move(p));
    ++added;
  }
  board.published_notes.push_back(fmt::format(
      "Published rows: figures reported by the authors of arXiv {} ({}), not reproduced by aimicius; no CI "
      "(the paper gives none). The paper's tasks are not aimicius' data: compare trends, not digits.",
      arxiv, paper.value("title", "?")));
  if (only_matching && added == 0)
    board.published_notes.push_back("No published figure matches a suite/metric of these runs.");
}

}  // namespace aimicius
