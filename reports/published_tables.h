// Figures published by papers, kept as data in datasets/published/*.json (for now the Sigma paper's
// AIMicius tables, arXiv 2501.13629), rendered as tables that say they are published, not
// reproduced. The file format is described in datasets/published/README.md: "figures" is a list
// of {task, suite, metric, paper_name, model, value (a fraction), table, version, source, ...}.
//
// Invariants: values are shown exactly as recorded (as percentages, one decimal); a figure the file
// does not have is "-", never estimated; every table names its source tables and says "published".
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "reports/table.h"

namespace aimicius {

// Reads a published-figures file; throws InputError naming the file when it is missing, malformed,
// or a figure lacks a field the table needs.
nlohmann::json read_published_figures(const std::filesystem::path& file);

// One row per (task, model, table), one column per metric in order of first appearance; only
// figures of `suite` (all when empty).
Table published_table(const nlohmann::json& figures, const std::string& suite);

}  // namespace aimicius
