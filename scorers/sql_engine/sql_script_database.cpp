// SqlScriptDatabase (see sql_script_database.h): the script runs in one transaction on a fresh
// file in a TempDir, through the project's SQLite wrapper; the folder goes with the object, and
// with it on a failed build.
#include "scorers/sql_engine/sql_script_database.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/sqlite_db.h"

namespace aimicius {
namespace fs = std::filesystem;
namespace {

// Suite data is untrusted input: a script may build its own tables and rows, and nothing else.
// ATTACH (and VACUUM INTO, which attaches its target) would write files anywhere; PRAGMAs change
// how the file is written or read other state.
int authorize_script(void*, int action, const char*, const char*, const char*, const char*) {
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
    case SQLITE_PRAGMA:
      return SQLITE_DENY;
    default:
      return SQLITE_OK;
  }
}

void confine_to_own_file(sqlite3* db, const SqlScriptLimits& limits) {
  // Before the authorizer, which refuses PRAGMA: the page counts that bound the file's size.
  const int64_t pages = std::max<int64_t>(1, limits.max_database_bytes / 4096);
  const std::string size_limits = fmt::format("PRAGMA main.page_size = 4096; PRAGMA main.max_page_count = {0}; "
                                              "PRAGMA temp.page_size = 4096; PRAGMA temp.max_page_count = {0};",
                                              pages);
  if (sqlite3_exec(db, size_limits.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    throw std::runtime_error(fmt::format("cannot limit the size of a script database: {}", sqlite3_errmsg(db)));
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, limits.max_value_bytes);
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
#ifdef SQLITE_DBCONFIG_DEFENSIVE
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
#endif
  sqlite3_set_authorizer(db, authorize_script, nullptr);
}

// The deadline of one script; SQLite asks every kStepInterval VM steps.
struct ScriptClock {
  static constexpr int kStepInterval = 1000;
  std::chrono::steady_clock::time_point deadline;
  bool expired = false;

  static int stop_after_deadline(void* context) {
    auto* clock = static_cast<ScriptClock*>(context);
    clock->expired = std::chrono::steady_clock::now() >= clock->deadline;
    return clock->expired ? 1 : 0;
  }
};

// This build's folder, after removing what the builders of killed processes left.
TempDir fresh_database_dir() {
  TempDir::remove_orphans("aimicius-db-");
  return TempDir("aimicius-db-");
}

}  // namespace

SqlScriptDatabase::SqlScriptDatabase(const fs::path& script, const SqlScriptLimits& limits)
    : SqlScriptDatabase(std::vector<fs::path>{script}, limits) {}

SqlScriptDatabase::SqlScriptDatabase(const std::vector<fs::path>& scripts, const SqlScriptLimits& limits)
    : dir_(fresh_database_dir()) {
  if (scripts.empty()) throw std::invalid_argument("SqlScriptDatabase: no script");
  file_ = dir_.path() / (scripts.back().stem().string() + ".sqlite");
  SqliteDb db(file_.string(), SqliteDb::Mode::kReadWriteCreate);
  confine_to_own_file(db.handle(), limits);
  ScriptClock clock;
  sqlite3_progress_handler(db.handle(), ScriptClock::kStepInterval, ScriptClock::stop_after_deadline, &clock);
  for (const auto& script : scripts) {
    const std::string text = read_input_file(script);
    // One transaction per script: fast, and a failing script leaves nothing half-built behind.
    // sqlite3_exec rather than SqliteDb::exec: the error names the script, with SQLite's message.
    char* message = nullptr;
    const std::string wrapped = "BEGIN;\n" + text + "\n;COMMIT;";
    clock.deadline = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(limits.seconds));
    const int rc = sqlite3_exec(db.handle(), wrapped.c_str(), nullptr, nullptr, &message);
    std::string error = rc == SQLITE_OK ? "" : message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    if (clock.expired) error = fmt::format("it did not finish within {} s", limits.seconds);
    else if (rc == SQLITE_FULL)
      error += fmt::format(" (a script database may hold at most {} MiB)", limits.max_database_bytes >> 20);
    if (rc != SQLITE_OK)  // (`db` closes before `clock` ends, so the handler never dangles)
      throw InputError(fmt::format("{}: the database script does not execute: {}", script.string(), error));
  }
  sqlite3_progress_handler(db.handle(), 0, nullptr, nullptr);  // `clock` ends here
}

}  // namespace aimicius
