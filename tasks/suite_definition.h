// suite.json: a suite declared as data. One file per suite folder (datasets/<suite>/suite.json)
// says everything the harness needs to run it; the C++ provides only the named extractors and
// scorers. The format (all keys required unless marked optional):
//
//   {
//     "name": "cmdgen",                       // the folder's name
//     "version": "2.0.0",                     // bumped with any data or scoring change
//     "description": "request -> one shell command",
//     "provenance": "who wrote the data, from what",
//     "files": [                              // the data, sealed by `aimicius manifest DIR`
//       {"path": "test.jsonl", "split": "test", "count": 400, "sha256": "..."}, ...],
//     "prompt": {
//       "version": "cmdgen-prompt-2",         // stored with each run; bump when wording changes
//       "template": "...{{fewshot}}Request: {{request}}\nCommand:",
//       "labels": {"platform": {"nvidia": "NVIDIA GPU (CUDA)"}},   // optional, see below
//       "fewshot": {                          // optional
//         "split": "fewshot",                 // a split kept apart from dev and test
//         "count": 3,                         // shots per prompt (fewer if the pool is smaller)
//         "match": ["platform"],              // optional: shots share these fields' values
//         "template": "Request: {{request}}\nCommand: {{reference}}\n\n"}
//     },
//     "oracle": "{{reference}}",              // the raw output of a perfect model (oracle backend)
//     "extractor": "command",                 // tasks/extractors/extractors.h
//     "stop": ["\n"],                         // optional: stop sequences for generating models
//     "scorers": [{"type": "command", ...parameters}],   // scorers/scorer.h
//     "metrics": [                            // which of the scorers' metrics to report, in order
//       {"name": "accuracy", "headline": true}, "exact_match", ...],
//     "subset_field": "platform"              // optional: scores are also reported per value
//   }
//
// Templates: "{{field}}" is replaced by the example's field (strings as they are, other JSON
// values as compact JSON); "{{label:field}}" by prompt.labels[field][value of field];
// "{{fewshot}}" by the rendered shots. A field the example lacks is an InputError naming the
// example. Few-shot selection is deterministic: the first `count` pool examples (in file order)
// whose `match` fields equal the example's, never the example itself.
//
// Invariants: exactly one metric is the headline; every listed metric is produced by exactly one
// scorer; the fewshot split (when declared) is never an evaluation split of a run.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/suite.h"

namespace aimicius {

// Reads and checks `suite_dir/suite.json` and builds the suite it declares (scorers included).
// Throws InputError naming the file and key at fault.
std::shared_ptr<const Suite> load_suite_definition(const std::filesystem::path& suite_dir);

}  // namespace aimicius
