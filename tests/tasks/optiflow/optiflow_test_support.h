// Test helpers for the optiflow suite: loading the committed examples as Examples and building
// the topology_plan scorer.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tasks/dataset.h"
#include "scorers/plan/topology_plan_scorer.h"
#include "scorers/scorer.h"

namespace aimicius::optiflow::testing {

inline std::filesystem::path suite_dir() { return std::filesystem::path(AIMICIUS_BUNDLED_DATA_DIR) / "optiflow"; }

inline std::vector<Example> load_split(const std::string& split) {
  const std::filesystem::path file = suite_dir() / (split + ".jsonl");
  std::vector<Example> out;
  for (JsonlLine& line : read_jsonl_objects(file)) {
    Example ex;
    ex.id = line.value.at("id").get<std::string>();
    ex.split = split;
    ex.origin = file.string() + ":" + std::to_string(line.line_number);
    ex.fields = std::move(line.value);
    out.push_back(std::move(ex));
  }
  return out;
}

inline Example find_example(const std::vector<Example>& examples, const std::string& id) {
  for (const Example& ex : examples)
    if (ex.id == id) return ex;
  throw std::runtime_error("no example " + id);
}

inline std::unique_ptr<Scorer> make_scorer_for_tests() {
  ScorerSpec spec;
  spec.type = "topology_plan";
  spec.params = nlohmann::json::object();
  spec.suite_dir = suite_dir();
  spec.where = "optiflow tests";
  return make_topology_plan_scorer(spec);
}

}  // namespace aimicius::optiflow::testing
