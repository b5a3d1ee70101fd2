#include "scorers/sql_engine/sql_script_database.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {
namespace fs = std::filesystem;

SqlScriptDatabase::SqlScriptDatabase(const fs::path& script) {
  std::ifstream in(script, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read database script {}", script.string()));
  std::stringstream text;
  text << in.rdbuf();

  std::string pattern = (fs::temp_directory_path() / "aimicius-db-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error(fmt::format("cannot create a temporary directory for {}", script.string()));
  dir_ = pattern;
  file_ = dir_ / (script.stem().string() + ".sqlite");

  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::string error;
  if (rc == SQLITE_OK) {
    // One transaction: fast, and a failing script leaves nothing half-built behind.
    char* message = nullptr;
    const std::string wrapped = "BEGIN;\n" + text.str() + "\n;COMMIT;";
    rc = sqlite3_exec(db, wrapped.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) error = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
  } else {
    error = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  }
  sqlite3_close(db);
  if (!error.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
    throw InputError(fmt::format("{}: the database script does not execute: {}", script.string(), error));
  }
}

SqlScriptDatabase::~SqlScriptDatabase() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

}  // namespace aimicius
