// sql_reads implementation. The collecting rule refers to the SqlReads being filled only for the
// duration of one prepare and is removed before reads() returns, so the connection never holds a
// pointer to a dead object. Statements are prepared, never stepped.
#include "scorers/sql/sql_reads.h"

#include <sqlite3.h>

#include <string>

#include "scorers/sql_engine/sql_execution.h"

namespace aimicius {

namespace {

constexpr std::size_t kMaxQueryBytes = kMaxSqlStatementBytes;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Installs the rule that records each table and column read into `reads`, and removes it when
// reads() leaves, on every path.
class CollectingRuleGuard {
 public:
  CollectingRuleGuard(SqliteDb& db, SqlReads* reads) : db_(db) {
    db_.set_read_only_rule([reads](int action, std::string_view arg1, std::string_view arg2) {
      if (action != SQLITE_READ) return true;
      const std::string table = lower(arg1);
      const std::string column = lower(arg2);
      if (!table.empty()) reads->tables.insert(table);
      if (!table.empty() && !column.empty()) reads->columns.insert({table, column});
      return true;
    });
  }
  ~CollectingRuleGuard() { db_.set_read_only_rule(nullptr); }
  CollectingRuleGuard(const CollectingRuleGuard&) = delete;
  CollectingRuleGuard& operator=(const CollectingRuleGuard&) = delete;

 private:
  SqliteDb& db_;
};

}  // namespace

SqlReadInspector SqlReadInspector::open(const std::filesystem::path& file) {
  HardenedLimits limits;
  limits.max_sql_bytes = static_cast<int>(kMaxQueryBytes);
  return SqlReadInspector(SqliteDb::open_hardened(file, "SQL database", limits));
}

std::optional<SqlReads> SqlReadInspector::reads(std::string_view query) const {
  if (query.size() > kMaxQueryBytes) return std::nullopt;
  SqlReads reads;
  const CollectingRuleGuard guard(db_, &reads);
  const char* next = query.data();
  const char* const end = query.data() + query.size();
  // Empty statements (leading ';') prepare to nothing; skip them as SqlDatabase::run does.
  while (next < end) {
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(db_.handle(), next, static_cast<int>(end - next), &statement, &tail);
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
