// suite.json: a suite declared as data, and its one parser. One file per suite folder
// (datasets/<suite>/suite.json) says everything the harness needs to run it; the C++ provides only
// the named extractors and scorers. The format (all keys required unless marked optional):
//
//   {
//     "name": "cmdgen",                       // the folder's name
//     "version": "2.0.0",                     // bumped with any data or scoring change
//     "description": "request -> one shell command",
//     "provenance": "who wrote the data, from what",   // optional
//     "files": [                              // the data, sealed by `aimicius manifest DIR`
//       {"path": "test.jsonl", "split": "test", "count": 400, "sha256": "..."}, ...],
//     "prompt": {
//       "version": "cmdgen-prompt-2",         // stored with each run; bump when wording changes
//       "template": "...{{fewshot}}Request: {{request}}\nCommand:",
//       "labels": {"platform": {"nvidia": "NVIDIA GPU (CUDA)"}},   // optional, see below
//       "includes": {"schema": "schema.sql"}, // optional: placeholder -> a "resource" file's text
//       "fewshot": {                          // optional
//         "split": "fewshot",                 // a split kept apart from dev and test
//         "count": 3,                         // shots per prompt (fewer if the pool is smaller)
//         "match": ["platform"],              // optional: shots share these fields' values
//         "template": "Request: {{request}}\nCommand: {{reference}}\n\n"}
//     },
//     "oracle": "{{reference}}",              // the raw output of a perfect model (oracle backend)
//     "extractor": "command",                 // tasks/extractors/extractors.h
//     "stop": ["\n"],                         // optional: stop sequences for generating models
//     "chat_stop": [],                        // optional: the same for chat models (default: "stop")
//     "max_new_tokens": 64,                   // optional: generation budget (the longest reference fits)
//     "scorers": [{"type": "command", ...parameters}],   // scorers/scorer.h
//     "metrics": [                            // which of the scorers' metrics to report, in order
//       {"name": "accuracy", "headline": true}, "exact_match", ...],
//     "subset_field": "platform"              // optional: scores are also reported per value
//   }
//
// Templates: "{{field}}" is replaced by the example's field (strings as they are, other JSON
// values as compact JSON); "{{label:field}}" by prompt.labels[field][value of field];
// "{{fewshot}}" by the rendered shots; an included file's placeholder by its text. A field the
// example lacks is an InputError naming the example. Few-shot selection is deterministic: the
// first `count` pool examples (in file order) whose `match` fields equal the example's, never the
// example itself (tasks/suite_definition.cpp).
//
// Who reads it: every reader of suite.json goes through this file. The suite the harness runs
// (tasks/suite_definition.h builds it from a SuiteSpec), the corpus's prompts
// (training/corpus/suite_prompt.h), and the data checks and `aimicius manifest`
// (tasks/dataset.h), which read the pinning part alone (read_manifest).
//
// Invariants: read_suite_spec checks the whole file's structure and throws InputError naming the
// file and the key at fault: unknown keys, missing keys, wrong types, templates that do not parse,
// an include that is not a pinned resource file, a few-shot pool the template does not use, not
// exactly one headline metric, a metric listed twice, a name other than the folder's. It reads
// suite.json only: checksums (tasks/dataset.h), the few-shot pool, the extractor's and scorers'
// names and the metrics the scorers produce are checked when a suite is built from the spec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scorers/scorer.h"
#include "tasks/dataset.h"
#include "tasks/prompt_template.h"

namespace aimicius {

struct FewshotSpec {
  std::string split;               // the pool's split
  size_t count = 0;                // shots per prompt, >= 1
  std::vector<std::string> match;  // fields a shot shares with the example
  PromptTemplate shot;             // one shot's text
};

struct PromptSpec {
  std::string version;
  PromptTemplate text;                           // "template"
  PromptLabels labels;
  std::map<std::string, std::string> includes;  // placeholder -> resource file (relative path)
  std::optional<FewshotSpec> fewshot;
};

struct MetricChoice {
  std::string name;
  bool headline = false;
};

struct SuiteSpec {
  std::filesystem::path dir;  // the suite folder
  std::string file;           // dir/suite.json, as error messages name it
  Manifest manifest;          // name, version, provenance and the pinned files
  std::string description;
  PromptSpec prompt;
  PromptTemplate oracle;
  std::string extractor;                // a name of tasks/extractors/extractors.h
  std::vector<std::string> stop;
  std::optional<std::vector<std::string>> chat_stop;  // absent: chat models stop at `stop` too
  std::optional<int64_t> max_new_tokens;              // absent: the run's default
  std::vector<ScorerSpec> scorers;      // type and parameters; where names scorers[i]
  std::vector<MetricChoice> metrics;    // in report order, exactly one headline
  std::string subset_field;             // "" when none

  const std::string& name() const { return manifest.suite; }
  const std::string& version() const { return manifest.version; }
};

// Reads and checks `suite_dir/suite.json` (see the invariants above).
SuiteSpec read_suite_spec(const std::filesystem::path& suite_dir);

// The pinning part of suite.json alone (name, version, provenance, files), read by the same code
// as read_suite_spec: `aimicius manifest` seals data while the rest of the file may be mid-edit.
Manifest read_manifest(const std::filesystem::path& suite_dir);

// The text of each file the prompt includes (placeholder -> text). Reads the files as they are:
// check them first with verify_resources (tasks/dataset.h).
std::map<std::string, std::string> read_prompt_includes(const SuiteSpec& spec);

}  // namespace aimicius
