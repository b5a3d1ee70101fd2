// Helpers of the diagnostics tests: where the suite's data is, loading its examples by split or
// id, building the "sql" scorer on the bundled telemetry database once per test binary, and
// reading one metric out of a score.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tasks/dataset.h"
#include "scorers/sql/sql_scorer.h"
#include "scorers/scorer.h"

namespace aimicius::diagnostics_test {

inline std::filesystem::path suite_dir() {
  return std::filesystem::path(AIMICIUS_BUNDLED_DATA_DIR) / "diagnostics";
}

// The examples of one JSONL file of the suite, with split and origin filled in.
inline std::vector<Example> load_split(const std::string& split) {
  const auto file = suite_dir() / (split + ".jsonl");
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::vector<Example> examples;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Example ex;
    ex.fields = nlohmann::json::parse(line);
    ex.id = ex.fields.at("id").get<std::string>();
    ex.split = split;
    ex.origin = file.string() + ":" + std::to_string(number);
    examples.push_back(std::move(ex));
  }
  return examples;
}

inline Example find_example(const std::string& id) {
  for (const auto* split : {"test", "dev", "fewshot"})
    for (auto& ex : load_split(split))
      if (ex.id == id) return ex;
  throw std::runtime_error("no example " + id);
}

inline ScorerSpec bundled_spec() {
  ScorerSpec spec;
  spec.type = "sql";
  spec.params = {{"database", "telemetry.sql"},
                 {"variants", {"telemetry-v1.sql", "telemetry-v2.sql", "telemetry-v3.sql", "telemetry-v4.sql"}},
                 {"seconds", 5.0}};
  spec.suite_dir = suite_dir();
  spec.where = "diagnostics test: scorers[0]";
  return spec;
}

// One scorer for the whole binary: building the databases (telemetry.sql and its test-suite
// variants) takes a moment.
inline const Scorer& bundled_scorer() {
  static const std::unique_ptr<Scorer> scorer = make_sql_scorer(bundled_spec());
  return *scorer;
}

inline double metric(const std::vector<ScoreRow>& rows, const std::string& name) {
  for (const auto& row : rows)
    if (row.metric == name) return row.value;
  ADD_FAILURE() << "no metric " << name;
  return -1.0;
}

}  // namespace aimicius::diagnostics_test
