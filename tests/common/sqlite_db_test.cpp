// SqliteDb::open_hardened on hand-made database files: reads work and nothing else does (writes,
// DDL, ATTACH, PRAGMA), a rule narrows the authorizer and sees what is read, limits apply, the
// file checks refuse what the connection could not read safely, odd path characters survive the
// URI, nothing is written next to the file, and a move keeps the rule working.
#include "common/sqlite_db.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "scratch_dir.h"

namespace aimicius {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

// A database with one table t(a, b) holding (1, 'x').
fs::path make_database(const fs::path& file) {
  SqliteDb db(file.string(), SqliteDb::Mode::kReadWriteCreate);
  db.exec("CREATE TABLE t(a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x');");
  return file;
}

// SQLite's message when `sql` does not prepare on `db`, "" when it does.
std::string prepare_error(SqliteDb& db, const std::string& sql) {
  try {
    Statement statement(db, sql);
    return "";
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

HardenedLimits no_limits() { return HardenedLimits{}; }

TEST(SqliteHardened, ReadsButNeverWrites) {
  testing::ScratchDir dir;
  SqliteDb db = SqliteDb::open_hardened(make_database(dir / "t.db"), "test database", no_limits());
  Statement select(db, "SELECT a, b FROM t");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int(0), 1);
  EXPECT_EQ(select.column_text(1), "x");
  EXPECT_EQ(prepare_error(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) "
                              "SELECT upper(b), count(*) FROM t, n"),
            "");
  for (const std::string sql : {"INSERT INTO t VALUES (2, 'y')", "UPDATE t SET a = 2", "DELETE FROM t",
                                "CREATE TABLE u(x)", "DROP TABLE t", "PRAGMA user_version = 3", "BEGIN",
                                "ATTACH DATABASE ':memory:' AS other", "SELECT * FROM pragma_table_info('t')"}) {
    EXPECT_NE(prepare_error(db, sql).find("not authorized"), std::string::npos) << sql;
  }
}

TEST(SqliteHardened, ARuleNarrowsTheAuthorizerAndSeesTheReads) {
  testing::ScratchDir dir;
  SqliteDb db = SqliteDb::open_hardened(make_database(dir / "t.db"), "test database", no_limits());
  std::set<std::string> read;
  db.set_read_only_rule([&read](int action, std::string_view arg1, std::string_view arg2) {
    if (action == SQLITE_READ) read.insert(std::string(arg1) + "." + std::string(arg2));
    return !(action == SQLITE_FUNCTION && arg2 == "upper");
  });
  EXPECT_EQ(prepare_error(db, "SELECT b FROM t WHERE a > 0"), "");
  EXPECT_EQ(read, std::set<std::string>({"t.a", "t.b"}));
  EXPECT_NE(prepare_error(db, "SELECT upper(b) FROM t").find("not authorized"), std::string::npos);
  // A rule cannot widen the policy: allowing everything still refuses writes.
  db.set_read_only_rule([](int, std::string_view, std::string_view) { return true; });
  EXPECT_NE(prepare_error(db, "DELETE FROM t").find("not authorized"), std::string::npos);
  // A throwing rule denies instead of unwinding through SQLite.
  db.set_read_only_rule([](int, std::string_view, std::string_view) -> bool { throw std::runtime_error("x"); });
  EXPECT_NE(prepare_error(db, "SELECT a FROM t").find("not authorized"), std::string::npos);
  db.set_read_only_rule(nullptr);
  EXPECT_EQ(prepare_error(db, "SELECT upper(b) FROM t"), "");
}

TEST(SqliteHardened, AMovedConnectionKeepsItsRule) {
  testing::ScratchDir dir;
  SqliteDb first = SqliteDb::open_hardened(make_database(dir / "t.db"), "test database", no_limits());
  first.set_read_only_rule([](int action, std::string_view, std::string_view) { return action != SQLITE_FUNCTION; });
  SqliteDb moved(std::move(first));
  EXPECT_NE(prepare_error(moved, "SELECT abs(a) FROM t").find("not authorized"), std::string::npos);
  EXPECT_EQ(prepare_error(moved, "SELECT a FROM t"), "");
}

TEST(SqliteHardened, LimitsApply) {
  testing::ScratchDir dir;
  HardenedLimits limits;
  limits.max_sql_bytes = 200;  // the schema's own SQL is parsed under the limit too: not smaller
  limits.max_value_bytes = 200;
  SqliteDb db = SqliteDb::open_hardened(make_database(dir / "t.db"), "test database", limits);
  EXPECT_EQ(prepare_error(db, "SELECT a FROM t"), "");
  EXPECT_NE(prepare_error(db, "SELECT a FROM t WHERE b = '" + std::string(200, 'x') + "'").find("statement too long"),
            std::string::npos);
  Statement big(db, "SELECT zeroblob(1000)");
  EXPECT_THROW(big.step(), std::runtime_error);
}

TEST(SqliteHardened, RefusesFilesItCannotReadSafely) {
  testing::ScratchDir dir;
  EXPECT_EQ(error_of([&] { SqliteDb::open_hardened(dir / "none.db", "test database", no_limits()); }),
            "test database '" + (dir / "none.db").string() + "' does not exist");
  EXPECT_NE(error_of([&] { SqliteDb::open_hardened(dir.path(), "test database", no_limits()); })
                .find("is not a regular file"),
            std::string::npos);
  testing::write_file(dir / "text.db", "this is not a database, only some text that is long enough....");
  EXPECT_NE(error_of([&] { SqliteDb::open_hardened(dir / "text.db", "test database", no_limits()); })
                .find("is not a readable SQLite database"),
            std::string::npos);
  const fs::path file = make_database(dir / "w.db");
  testing::write_file(dir / "w.db-wal", "pending");
  EXPECT_NE(error_of([&] { SqliteDb::open_hardened(file, "test database", no_limits()); })
                .find("uncheckpointed write-ahead log"),
            std::string::npos);
}

TEST(SqliteHardened, OddPathCharactersReachTheFileAndNothingIsWrittenNextToIt) {
  testing::ScratchDir dir;
  fs::create_directories(dir / "a ?#%&=b");
  const fs::path file = make_database(dir / "a ?#%&=b" / "t%20x.db");
  {
    SqliteDb db = SqliteDb::open_hardened(file, "test database", no_limits());
    Statement count(db, "SELECT count(*) FROM t");
    ASSERT_TRUE(count.step());
    EXPECT_EQ(count.column_int(0), 1);
  }
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(file.parent_path())) names.insert(entry.path().filename().string());
  EXPECT_EQ(names, std::set<std::string>({"t%20x.db"}));
}

TEST(SqliteHardened, OnlyHardenedConnectionsHaveARule) {
  testing::ScratchDir dir;
  SqliteDb plain((dir / "p.db").string(), SqliteDb::Mode::kReadWriteCreate);
  EXPECT_THROW(plain.set_read_only_rule(nullptr), std::logic_error);
}

// A full disk is the user's to fix (InputError, exit 2), whichever call meets it: here the
// database's page limit, which SQLite reports as SQLITE_FULL as it does a short write.
TEST(SqliteDb, AFullDiskIsAnInputError) {
  testing::ScratchDir dir;
  SqliteDb db((dir / "full.db").string(), SqliteDb::Mode::kReadWriteCreate);
  db.exec("CREATE TABLE t(a TEXT)");
  db.exec("PRAGMA max_page_count = 3");
  const std::string big(20000, 'x');
  std::string error = testing::error_of([&] { Statement(db, "INSERT INTO t VALUES (?1)").bind(1, big).run(); });
  EXPECT_NE(error.find("the disk is full"), std::string::npos) << error;
  EXPECT_NE(error.find("full.db"), std::string::npos) << error;
  error = testing::error_of([&] { db.exec("INSERT INTO t VALUES ('" + big + "')"); });
  EXPECT_NE(error.find("the disk is full"), std::string::npos) << error;
  // Other failures stay internal errors.
  try {
    db.exec("INSERT INTO nowhere VALUES (1)");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    ADD_FAILURE() << "a missing table is no full disk: " << e.what();
  } catch (const std::runtime_error&) {
  }
}

// An immutable connection reads a database without creating anything beside it.
TEST(SqliteDb, ImmutableOpenReadsAndWritesNothing) {
  testing::ScratchDir dir;
  const auto file = make_database(dir / "db.sqlite");
  SqliteDb db(file.string(), SqliteDb::Mode::kImmutable);
  Statement st(db, "SELECT b FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "x");
  EXPECT_THROW(db.exec("INSERT INTO t VALUES (2, 'y')"), std::runtime_error);
  EXPECT_FALSE(fs::exists(file.string() + "-shm"));
  EXPECT_FALSE(fs::exists(file.string() + "-wal"));
}

}  // namespace
}  // namespace aimicius
