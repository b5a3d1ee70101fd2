// The sources of the training corpus, one file each (corpus/source_*.cpp). Each appends its
// documents to `build` in a fixed order (deterministic for given data and seed) and records the
// files it read. None reads a "test" or "dev" split.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "training/corpus/corpus_types.h"
#include "training/corpus/suite_prompt.h"

namespace aimicius::corpus {

// Documents of suite examples: for every example its plain "request -> answer" form
// (SuitePrompt::plain_text), and for every `prompt_every`-th one also the rendered prompt (few-shot
// block empty) followed by the oracle answer.
void add_example_documents(const SuitePrompt& prompt, const std::string& source,
                           const std::vector<nlohmann::json>& examples, size_t prompt_every, CorpusBuild& build);

// What a suite's generator made (source_generated.cpp): train candidates, and the suite's dev/test
// examples regenerated in memory to filter against (empty for a suite without a generator).
struct GeneratedPools {
  std::vector<nlohmann::json> train, eval;
  GeneratedPool record;
  bool generated = false;
};

// Keeps the examples that share no identifying 13-gram (eval_ngrams.h) with `eval`; all of them
// when `eval` is empty.
std::vector<nlohmann::json> decontaminate(const SuitePrompt& prompt, const std::vector<nlohmann::json>& eval,
                                          const std::vector<nlohmann::json>& examples);

// source_examples.cpp: each suite's few-shot pool, in both forms, less the examples that share an
// identifying 13-gram with `eval` (the suite's own pools may share template wording with test).
void add_fewshot_documents(const std::filesystem::path& data_dir, const std::string& suite,
                           const std::vector<nlohmann::json>& eval, CorpusBuild& build);

// source_generated.cpp: runs the suite's generator (optiflow in C++, diagnostics and infrawise
// through their python drivers in corpus/generators); none for other suites.
GeneratedPools generate_pools(const CorpusOptions& options, const std::string& suite, CorpusBuild& build);
// The decontaminated train pool as documents, recorded in build.generated.
void add_train_documents(const CorpusOptions& options, const std::string& suite, GeneratedPools pools,
                         CorpusBuild& build);

// source_hostsim.cpp: usage texts and sample outputs of the simulated tools on every host profile.
void add_tool_documents(const std::filesystem::path& data_dir, CorpusBuild& build);

// source_hosts.cpp: a prose description of every host profile.
void add_host_documents(const std::filesystem::path& data_dir, CorpusBuild& build);

// DATA_DIR/hosts/*.json in name order (both sources above walk the same profiles).
std::vector<std::filesystem::path> host_profile_files(const std::filesystem::path& data_dir);

// source_telemetry.cpp: the diagnostics schema with its column comments, infrawise's benchmark
// tables and catalogue.
void add_telemetry_documents(const std::filesystem::path& data_dir, CorpusBuild& build);

}  // namespace aimicius::corpus
