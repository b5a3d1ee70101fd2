#include "reports/published_tables.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_file.h"

namespace aimicius {

nlohmann::json read_published_figures(const std::filesystem::path& file) {
  nlohmann::json doc = read_json_file(file);
  if (!doc.contains("figures") || !doc["figures"].is_array())
    throw InputError(fmt::format("{}: \"figures\" must be an array", file.string()));
  for (size_t i = 0; i < doc["figures"].size(); ++i) {
    const auto& f = doc["figures"][i];
    for (const char* key : {"task", "suite", "metric", "model", "table"})
      if (!f.contains(key) || !f[key].is_string())
        throw InputError(fmt::format("{}: figures[{}] needs a string \"{}\"", file.string(), i, key));
    if (!f.contains("value") || !f["value"].is_number())
      throw InputError(fmt::format("{}: figures[{}] needs a number \"value\"", file.string(), i));
  }
  return doc;
}

Table published_table(const nlohmann::json& doc, const std::string& suite) {
  std::vector<std::string> metrics;
  using RowKey = std::tuple<std::string, std::string, std::string>;  // task, model, table
  std::vector<RowKey> order;
  std::map<RowKey, std::map<std::string, double>> cells;
  std::set<std::string> tables;
  for (const auto& f : doc.at("figures")) {
    if (!suite.empty() && f.at("suite") != suite) continue;
    const std::string metric = f.at("metric");
    if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end()) metrics.push_back(metric);
    const std::string table = f.at("table").get<std::string>() + (f.contains("version") ? " " + f["version"].get<std::string>() : "");
    const RowKey key{f.at("task"), f.at("model"), table};
    if (!cells.count(key)) order.push_back(key);
    cells[key][metric] = f.at("value").get<double>();
    tables.insert(table);
  }
  if (order.empty()) throw InputError(fmt::format("no published figures for suite \"{}\"", suite));
  Table t;
  t.headers = {"Task", "Model (published)", "Source"};
  t.headers.insert(t.headers.end(), metrics.begin(), metrics.end());
  for (const auto& key : order) {
    std::vector<std::string> row = {std::get<0>(key), std::get<1>(key), std::get<2>(key)};
    for (const auto& m : metrics) {
      auto it = cells[key].find(m);
      row.push_back(it == cells[key].end() ? "-" : fmt::format("{:.1f}", 100.0 * it->second));
    }
    t.rows.push_back(std::move(row));
  }
  const auto& paper = doc.value("paper", nlohmann::json::object());
  t.notes.push_back(fmt::format("published by the authors of arXiv {} ({}), not reproduced by aimicius",
                                paper.value("arxiv", "?"), paper.value("title", "?")));
  t.notes.push_back("the paper's tasks are not aimicius' data: compare trends, not digits");
  return t;
}

}  // namespace aimicius
