// Builds the training corpus from a data dir (all sources of training/corpus/sources.h, in a fixed order)
// and writes DIR/corpus.jsonl (one {"source", "id", "text"} object per line) and
// DIR/manifest.json (per-source counts and bytes, the corpus's sha256, the tool version, the
// suites' versions and data_sha256, every file read with its split, the generated pools and
// their seeds, notes on skipped sources).
//
// Invariants: the output is a pure function of (data dir contents, generators, seed, max_bytes):
// no clock, no environment, no map-order dependence, so two builds have the same sha256. No source
// reads a "test" or "dev" split; build_corpus checks the record of files read and throws
// std::logic_error if one ever did. Documents past max_bytes (total text bytes) are dropped in
// order: the generated train pools come last, interleaved across suites, so they are what a limit
// trims, every suite alike.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "training/corpus/corpus_types.h"

namespace aimicius::corpus {

CorpusBuild build_corpus(const CorpusOptions& options);

// Writes both files into `dir` (created) and returns the manifest written.
nlohmann::ordered_json write_corpus(const std::filesystem::path& dir, const CorpusBuild& build,
                                    const CorpusOptions& options);

}  // namespace aimicius::corpus
