// A read-only SQLite database built from SQL text. Suites keep their databases (telemetry,
// benchmark results) as reviewable .sql scripts under datasets/, sealed by checksum like any data
// file; a scorer builds the database once, in a private temporary directory, and opens it through
// SqlDatabase (read-only, authorizer, limits). The directory is removed when the object dies.
// The scripts are untrusted too: while they run, ATTACH, DETACH, VACUUM INTO, PRAGMA and
// extensions are refused, so a script writes its own database file and nothing else.
//
// Invariants: after construction the file is complete and never written again, so any number of
// SqlDatabase connections (one per thread) may open it. Construction throws InputError naming the
// script (and SQLite's message) when the script cannot be read or does not execute.
// Several scripts run in order on the same database, each in its own transaction: a base script
// and a delta on top of it (a test-suite variant, datasets/diagnostics/telemetry_variants.py).
#pragma once

#include <filesystem>
#include <vector>

#include "common/temp_dir.h"
#include "scorers/sql_engine/sql_execution.h"

namespace aimicius {

class SqlScriptDatabase {
 public:
  explicit SqlScriptDatabase(const std::filesystem::path& script);
  // `scripts` non-empty; the file is named after the last one.
  explicit SqlScriptDatabase(const std::vector<std::filesystem::path>& scripts);
  SqlScriptDatabase(const SqlScriptDatabase&) = delete;
  SqlScriptDatabase& operator=(const SqlScriptDatabase&) = delete;

  // The built database file (pass to SqlDatabase::open; one connection per thread).
  const std::filesystem::path& file() const { return file_; }

 private:
  TempDir dir_;  // removed, with the file, when the object dies
  std::filesystem::path file_;
};

}  // namespace aimicius
