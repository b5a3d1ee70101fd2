// The training corpus's data model (see docs/CORPUS.md): documents, and the record of what each
// source read, so the manifest can prove no evaluation split went in.
//
// Invariants: a document's text is non-empty; (source, id) is unique in a corpus; `read` lists
// every file a source read from a suite folder, with its split ("fewshot" or "resource"; never
// "test" or "dev"); generated examples are recorded in `generated` with their seeds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aimicius::corpus {

struct CorpusDocument {
  std::string source;  // "fewshot/cmdgen", "train/optiflow", "tools/hostsim", "hosts", "telemetry/diagnostics"
  std::string id;
  std::string text;
};

struct FileRead {
  std::string suite;  // "" for files outside a suite (host profiles)
  std::string path;   // relative to the data dir
  std::string split;  // "fewshot", "resource", "host-profile"
};

struct GeneratedPool {
  std::string suite;
  std::string split = "train";  // never an evaluation split of the suite
  std::string generator;        // what made it
  std::string seeds;            // which seeds, in words ("random_topology 2000001..2000400")
  int64_t examples = 0;          // kept
  int64_t candidates = 0;        // generated
  int64_t dropped = 0;           // shared an identifying 13-gram with a regenerated dev/test example
  int64_t eval_regenerated = 0;  // dev/test examples the generator made in memory to filter against
};

struct CorpusOptions {
  std::filesystem::path data_dir;        // holds <suite>/suite.json and hosts/*.json
  std::filesystem::path generators_dir;  // corpus/generators (the python drivers)
  uint64_t seed = 1;                     // 0..999: selects the train pools' seeds
  int64_t max_bytes = 0;                 // 0 = no limit (documents past it are dropped, in order)
  std::string tool_version;
  // Train pool sizes (per suite); the defaults give a few MB.
  int optiflow_train = 3000;  // candidates: most share a 13-gram with a dev/test topology and are dropped
  int diagnostics_per_template = 150;
  int infrawise_train = 100000;  // all DCWs no split took
};

struct CorpusBuild {
  std::vector<CorpusDocument> documents;
  std::vector<FileRead> read;
  std::vector<GeneratedPool> generated;
  std::vector<std::string> notes;  // sources skipped and why
};

}  // namespace aimicius::corpus
