// A read-only SQLite database built from SQL text. Suites keep their databases (telemetry,
// benchmark results) as reviewable .sql scripts under datasets/, sealed by checksum like any data
// file; a scorer builds the database once, in a private temporary directory, and opens it through
// SqlDatabase (read-only, authorizer, limits). The directory is removed when the object dies.
// The scripts are untrusted too: while they run, ATTACH, DETACH, VACUUM INTO, PRAGMA and
// extensions are refused, so a script writes its own database file and nothing else; and each
// runs within SqlScriptLimits (time, size of the database and of one value), so a script that
// never ends or fills the disk is an error naming it.
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

// Far above what the suites' scripts need: telemetry.sql (0.8 MB) builds in ~0.3 s into ~1 MB.
struct SqlScriptLimits {
  double seconds = 60.0;                            // each script, checked where SQLite can
  int64_t max_database_bytes = int64_t{256} << 20;  // the built file, and its temp schema
  int max_value_bytes = 16 << 20;                   // one string or blob
};

class SqlScriptDatabase {
 public:
  explicit SqlScriptDatabase(const std::filesystem::path& script, const SqlScriptLimits& limits = {});
  // `scripts` non-empty; the file is named after the last one.
  explicit SqlScriptDatabase(const std::vector<std::filesystem::path>& scripts, const SqlScriptLimits& limits = {});
  SqlScriptDatabase(const SqlScriptDatabase&) = delete;
  SqlScriptDatabase& operator=(const SqlScriptDatabase&) = delete;

  // The built database file (pass to SqlDatabase::open; one connection per thread).
  const std::filesystem::path& file() const { return file_; }

 private:
  TempDir dir_;  // removed, with the file, when the object dies
  std::filesystem::path file_;
};

}  // namespace aimicius
