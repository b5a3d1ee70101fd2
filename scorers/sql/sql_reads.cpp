// sql_reads implementation. The collecting authorizer gets its context (the SqlReads being filled)
// only for the duration of one prepare and is removed before reads() returns, so the connection
// never holds a pointer to a dead object. Statements are prepared, never stepped.
#include "scorers/sql/sql_reads.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {

void SqlReadInspector::ConnectionCloser::operator()(sqlite3* connection) const { sqlite3_close_v2(connection); }

namespace {

constexpr std::size_t kMaxQueryBytes = 100000;  // as SqlDatabase's limit

std::string lower(const char* text) {
  std::string out = text != nullptr ? text : "";
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

int collect_reads(void* context, int action, const char* arg1, const char* arg2, const char* /*database*/,
                  const char* /*trigger_or_view*/) {
  auto* reads = static_cast<SqlReads*>(context);
  switch (action) {
    case SQLITE_READ: {
      const std::string table = lower(arg1);
      const std::string column = lower(arg2);
      if (!table.empty()) reads->tables.insert(table);
      if (!table.empty() && !column.empty()) reads->columns.insert({table, column});
      return SQLITE_OK;
    }
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
    case SQLITE_FUNCTION:
      return SQLITE_OK;
    default:
      return SQLITE_DENY;
  }
}

std::string percent_encode(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                       byte == '/' || byte == '-' || byte == '.' || byte == '_' || byte == '~';
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

// Removes the authorizer when reads() leaves, on every path.
class AuthorizerGuard {
 public:
  AuthorizerGuard(sqlite3* connection, SqlReads* reads) : connection_(connection) {
    sqlite3_set_authorizer(connection_, collect_reads, reads);
  }
  ~AuthorizerGuard() { sqlite3_set_authorizer(connection_, nullptr, nullptr); }
  AuthorizerGuard(const AuthorizerGuard&) = delete;
  AuthorizerGuard& operator=(const AuthorizerGuard&) = delete;

 private:
  sqlite3* connection_;
};

}  // namespace

SqlReadInspector SqlReadInspector::open(const std::filesystem::path& file) {
  const std::string uri = "file://" + percent_encode(std::filesystem::absolute(file).string()) + "?mode=ro&immutable=1";
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  std::unique_ptr<sqlite3, ConnectionCloser> connection(raw);
  if (rc != SQLITE_OK)
    throw InputError(fmt::format("{}: cannot open the database: {}", file.string(),
                                 raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  // Reading the schema once proves the file is a database (open alone does not).
  char* message = nullptr;
  const int check = sqlite3_exec(raw, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, &message);
  const std::string error = message != nullptr ? message : "";
  sqlite3_free(message);
  if (check != SQLITE_OK)
    throw InputError(fmt::format("{}: not a readable SQLite database: {}", file.string(), error));
  return SqlReadInspector(std::move(connection));
}

std::optional<SqlReads> SqlReadInspector::reads(std::string_view query) const {
  if (query.size() > kMaxQueryBytes) return std::nullopt;
  SqlReads reads;
  AuthorizerGuard guard(connection_.get(), &reads);
  const char* next = query.data();
  const char* const end = query.data() + query.size();
  // Empty statements (leading ';') prepare to nothing; skip them as SqlDatabase::run does.
  while (next < end) {
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(connection_.get(), next, static_cast<int>(end - next), &statement, &tail);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(statement);
      return std::nullopt;
    }
    if (statement != nullptr) {
      sqlite3_finalize(statement);
      return reads;
    }
    if (tail == nullptr || tail <= next) break;
    next = tail;
  }
  return std::nullopt;
}

}  // namespace aimicius
