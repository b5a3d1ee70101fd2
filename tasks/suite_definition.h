// A suite built from its declaration: the one implementation of Suite (tasks/suite.h), made from
// the parsed suite.json (tasks/suite_spec.h documents the format) with the extractor and scorers
// it names and, when it declares one, its few-shot pool.
//
// Invariants: exactly one metric is the headline; every listed metric is produced by exactly one
// scorer; the fewshot split (when declared) is never an evaluation split of a run; resource files
// match their checksums before anything reads them.
#pragma once

#include <filesystem>
#include <memory>

#include "tasks/suite.h"
#include "tasks/suite_spec.h"

namespace aimicius {

// Builds the suite `spec` declares: checks the resource files' checksums, reads the included
// files and the few-shot pool, builds the extractor and scorers. Throws InputError naming the
// file and key at fault.
std::shared_ptr<const Suite> make_data_suite(const SuiteSpec& spec);

// read_suite_spec(suite_dir), then make_data_suite.
std::shared_ptr<const Suite> load_suite_definition(const std::filesystem::path& suite_dir);

}  // namespace aimicius
