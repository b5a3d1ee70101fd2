// SqlScriptDatabase (see sql_script_database.h): the script runs in one transaction on a fresh
// file in a TempDir, through the project's SQLite wrapper; the folder goes with the object, and
// with it on a failed build.
#include "scorers/sql_engine/sql_script_database.h"

#include <sqlite3.h>

#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/sqlite_db.h"

namespace aimicius {
namespace fs = std::filesystem;

SqlScriptDatabase::SqlScriptDatabase(const fs::path& script) : dir_("aimicius-db-") {
  std::ifstream in(script, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read database script {}", script.string()));
  std::stringstream text;
  text << in.rdbuf();

  file_ = dir_.path() / (script.stem().string() + ".sqlite");
  SqliteDb db(file_.string(), SqliteDb::Mode::kReadWriteCreate);
  // One transaction: fast, and a failing script leaves nothing half-built behind. sqlite3_exec
  // rather than SqliteDb::exec: the error names the script, with SQLite's message alone.
  char* message = nullptr;
  const std::string wrapped = "BEGIN;\n" + text.str() + "\n;COMMIT;";
  const int rc = sqlite3_exec(db.handle(), wrapped.c_str(), nullptr, nullptr, &message);
  const std::string error = rc == SQLITE_OK ? "" : message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  if (rc != SQLITE_OK)
    throw InputError(fmt::format("{}: the database script does not execute: {}", script.string(), error));
}

}  // namespace aimicius
