// SqliteDb, Statement and Transaction (see sqlite_db.h). The hardened open keeps its checks in
// the order that gives the most precise error: the file itself, then SQLite's open, then the
// schema read, and only then the authorizer (which would deny the schema read's own checks).
#include "common/sqlite_db.h"

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {
namespace fs = std::filesystem;

namespace {

// A path as the path part of an SQLite URI: bytes other than unreserved ones and '/' become %XX,
// so '?', '#', '%' and non-ASCII names reach the file system unchanged.
std::string percent_encode_path(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                       (byte >= '0' && byte <= '9') || byte == '/' || byte == '-' || byte == '.' ||
                       byte == '_' || byte == '~';
    if (plain) {
      encoded += c;
    } else {
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0xF];
    }
  }
  return encoded;
}

// The authorizer of hardened connections: the read-only policy, then the connection's rule.
int authorize_read_only(void* context, int action, const char* arg1, const char* arg2,
                        const char* /*database*/, const char* /*trigger_or_view*/) {
  if (action != SQLITE_SELECT && action != SQLITE_READ && action != SQLITE_RECURSIVE &&
      action != SQLITE_FUNCTION)
    return SQLITE_DENY;
  const auto& rule = *static_cast<const ReadOnlyRule*>(context);
  if (!rule) return SQLITE_OK;
  try {
    return rule(action, arg1 != nullptr ? arg1 : "", arg2 != nullptr ? arg2 : "") ? SQLITE_OK : SQLITE_DENY;
  } catch (...) {
    return SQLITE_DENY;  // no exception may cross SQLite's C frames
  }
}

void close_connection(sqlite3* db) { sqlite3_close_v2(db); }

// The URI that opens `file` read-only and immutable: no locks, no journal, -wal or -shm file.
std::string immutable_uri(const fs::path& file) {
  std::error_code error;
  const fs::path absolute_file = fs::absolute(file, error);
  if (error) throw InputError(fmt::format("database '{}': {}", file.string(), error.message()));
  // "file://" + "/abs/path": an empty authority, so a path starting with "//" stays a path.
  return "file://" + percent_encode_path(absolute_file.string()) + "?mode=ro&immutable=1";
}

// Whether the last error is a failed write to the disk: SQLITE_FULL (a short write, or
// max_page_count reached), SQLITE_IOERR_WRITE (a write that failed: EFBIG past a file size
// limit, EDQUOT, EIO; SQLite keeps no reliable errno for it), or an I/O error whose errno says
// the disk is full.
bool disk_is_full(sqlite3* db, int rc) {
  const int extended = sqlite3_extended_errcode(db);
  if ((rc & 0xff) == SQLITE_FULL || (extended & 0xff) == SQLITE_FULL || extended == SQLITE_IOERR_WRITE) return true;
  if ((rc & 0xff) != SQLITE_IOERR) return false;
  const int e = sqlite3_system_errno(db);
  return e == ENOSPC || e == EDQUOT || e == EFBIG;
}

// The one exception for a failed call: a full disk is the user's to fix (InputError, exit 2;
// the README's "unwritable database"), anything else is internal.
[[noreturn]] void throw_failure(sqlite3* db, int rc, const std::string& message) {
  if (disk_is_full(db, rc))
    throw InputError(fmt::format("{} (the disk is full, the file reached a size limit, or the disk failed a write; "
                                 "free space and continue with `--resume`: what was stored is kept)",
                                 message));
  throw std::runtime_error(message);
}

}  // namespace

SqliteDb::SqliteDb(const std::string& path, Mode mode) : path_(path) {
  const int flags = mode == Mode::kReadWriteCreate ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                    : mode == Mode::kReadOnly      ? SQLITE_OPEN_READONLY
                                                   : SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
  const std::string name = mode == Mode::kImmutable ? immutable_uri(path) : path;
  if (sqlite3_open_v2(name.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    close_connection(db_);
    db_ = nullptr;
    throw InputError(fmt::format("cannot open database {}: {}", path, msg));
  }
  // A second process (a concurrent `aimicius report`) may hold a lock briefly.
  sqlite3_busy_timeout(db_, 10000);
}

SqliteDb SqliteDb::open_hardened(const fs::path& file, std::string_view label, const HardenedLimits& limits) {
  std::error_code error;
  const fs::file_status status = fs::status(file, error);
  if (!fs::exists(status)) throw InputError(fmt::format("{} '{}' does not exist", label, file.string()));
  if (!fs::is_regular_file(status))
    throw InputError(fmt::format("{} '{}' is not a regular file", label, file.string()));
  fs::path wal_file = file;
  wal_file += "-wal";
  if (fs::exists(wal_file, error) && fs::file_size(wal_file, error) > 0 && !error) {
    throw InputError(fmt::format("{} '{}' has an uncheckpointed write-ahead log '{}'; checkpoint it first", label,
                                 file.string(), wal_file.string()));
  }
  const std::string uri = immutable_uri(file);

  sqlite3* raw = nullptr;
  const int open_code =
      sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(file.string(), raw);  // owns the handle from here on, closing it on every throw
  if (open_code != SQLITE_OK) {
    throw InputError(fmt::format("cannot open {} '{}': {}", label, file.string(),
                                 raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(open_code)));
  }
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
#ifdef SQLITE_DBCONFIG_DEFENSIVE
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
#endif
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
#endif
  if (limits.max_sql_bytes >= 0) sqlite3_limit(raw, SQLITE_LIMIT_SQL_LENGTH, limits.max_sql_bytes);
  if (limits.max_value_bytes >= 0) sqlite3_limit(raw, SQLITE_LIMIT_LENGTH, limits.max_value_bytes);
  sqlite3_limit(raw, SQLITE_LIMIT_ATTACHED, 0);

  // Opening reads nothing; reading the schema now turns "not a database" into an InputError.
  {
    sqlite3_stmt* statement = nullptr;
    int code = sqlite3_prepare_v2(raw, "SELECT count(*) FROM sqlite_master", -1, &statement, nullptr);
    if (code == SQLITE_OK) code = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (code != SQLITE_ROW) {
      throw InputError(fmt::format("{} '{}' is not a readable SQLite database: {}", label, file.string(),
                                   sqlite3_errmsg(raw)));
    }
  }
  db.rule_ = std::make_unique<ReadOnlyRule>();
  sqlite3_set_authorizer(raw, authorize_read_only, db.rule_.get());
  return db;
}

SqliteDb::~SqliteDb() { close_connection(db_); }

SqliteDb::SqliteDb(SqliteDb&& other) noexcept
    : path_(std::move(other.path_)), db_(std::exchange(other.db_, nullptr)), rule_(std::move(other.rule_)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    close_connection(db_);
    path_ = std::move(other.path_);
    db_ = std::exchange(other.db_, nullptr);
    rule_ = std::move(other.rule_);
  }
  return *this;
}

void SqliteDb::set_read_only_rule(ReadOnlyRule rule) {
  if (!rule_) throw std::logic_error(fmt::format("database {}: not opened hardened, it has no read-only rule", path_));
  *rule_ = std::move(rule);
}

void SqliteDb::fail(const std::string& what) const {
  throw_failure(db_, sqlite3_extended_errcode(db_), fmt::format("database {}: {}: {}", path_, what, sqlite3_errmsg(db_)));
}

void SqliteDb::exec(std::string_view sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw_failure(db_, rc, fmt::format("database {}: {}: {}", path_, sql.substr(0, 60), msg));
  }
}

int64_t SqliteDb::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

Statement::Statement(SqliteDb& db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
      SQLITE_OK)
    db_.fail(fmt::format("prepare \"{}\"", sql.substr(0, 60)));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    db_.fail("bind");
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bind_optional(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail(fmt::format("step \"{}\"", std::string(sqlite3_sql(stmt_)).substr(0, 60)));
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::column_double(int col) const { return sqlite3_column_double(stmt_, col); }
bool Statement::column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::string Statement::column_text(int col) const {
  const auto* text = sqlite3_column_text(stmt_, col);
  return text ? std::string(reinterpret_cast<const char*>(text),
                            static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
              : std::string();
}

Transaction::Transaction(SqliteDb& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // The connection is already in error; the caller's exception says why.
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace aimicius
