// Suite data on disk: a folder per suite holding JSONL files and the suite.json that declares
// the suite and pins its files (tasks/suite_spec.h parses it; read_manifest there reads the
// pinning part):
//
//   {"name": "cmdgen", "version": "1.0.0", "provenance": "...",
//    "files": [{"path": "test.jsonl", "split": "test", "count": 180, "sha256": "<hex>"}], ...}
//
// Invariants the loader enforces (each violation is an InputError naming the file, and the line
// where there is one): every listed file exists, its sha256 and line count match the manifest,
// every non-blank line is a JSON object with a non-empty string "id", and ids are unique within a
// suite. So a run that loaded a suite ran on exactly the bytes its manifest names.
#pragma once

#include "common/jsonl.h"  // read_jsonl_objects, for datasets and replay files
#include "scorers/example.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aimicius {

// A file a suite pins. Examples live in JSONL files of a split ("test", "dev", "fewshot", ...);
// files of the split "resource" are anything else the suite reads (a database script, a schema
// shown in the prompt, an alias table): pinned by checksum too, never read as examples.
struct DatasetFile {
  std::string path;   // relative to the suite folder
  std::string split;  // "test", "dev", "fewshot", ..., or kResourceSplit
  int64_t count = 0;  // number of examples (non-blank lines); 0 for a resource
  std::string sha256;
};
inline constexpr const char* kResourceSplit = "resource";

struct Manifest {
  std::string suite;
  std::string version;
  std::string provenance;
  std::vector<DatasetFile> files;

  // One digest over every file's checksum: changes whenever any data byte changes.
  std::string data_sha256() const;
};

// Loads the examples of `split` (all example splits when empty), in file order, after checking
// checksums.
std::vector<Example> load_examples(const std::filesystem::path& suite_dir, const Manifest& manifest,
                                   const std::string& split);

// Checks the checksum of every resource file; throws InputError naming the file on a mismatch.
void verify_resources(const std::filesystem::path& suite_dir, const Manifest& manifest);

// Recomputes counts and checksums of the files suite.json lists and writes them back into it
// (its other keys, in their order, are kept). Reads the pinning part only (read_manifest), so data
// can be sealed while the rest of the definition is being edited.
// This is how data changes are sealed: `aimicius manifest DIR`.
Manifest refresh_manifest(const std::filesystem::path& suite_dir);

}  // namespace aimicius
