// TempDir: a fresh private folder per object, removed with its contents when the owner goes, never
// removed twice after a move, and a clear error when the parent cannot hold it.
#include "common/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "scratch_dir.h"

namespace aimicius {
namespace {

namespace fs = std::filesystem;

TEST(TempDir, CreatesAPrivateFolderUnderTheParentAndRemovesItWithItsContents) {
  testing::ScratchDir parent;
  fs::path kept;
  {
    const TempDir dir("unit-", parent.path());
    kept = dir.path();
    EXPECT_EQ(dir.path().parent_path(), parent.path());
    EXPECT_EQ(dir.path().filename().string().rfind("unit-", 0), 0u) << dir.path();
    ASSERT_TRUE(fs::is_directory(dir.path()));
    EXPECT_EQ(fs::status(dir.path()).permissions() & fs::perms::all, fs::perms::owner_all);
    fs::create_directories(dir.path() / "a" / "b");
    testing::write_file(dir.path() / "a" / "b" / "f.txt", "x");
  }
  EXPECT_FALSE(fs::exists(kept));
}

TEST(TempDir, EachObjectGetsItsOwnFolder) {
  testing::ScratchDir parent;
  const TempDir a("same-", parent.path());
  const TempDir b("same-", parent.path());
  EXPECT_NE(a.path(), b.path());
}

TEST(TempDir, AMoveHandsTheFolderOverAndTheMovedFromRemovesNothing) {
  testing::ScratchDir parent;
  TempDir first("move-", parent.path());
  const fs::path path = first.path();
  {
    TempDir second(std::move(first));
    EXPECT_EQ(second.path(), path);
    EXPECT_TRUE(first.path().empty());
    TempDir third("other-", parent.path());
    const fs::path other = third.path();
    third = std::move(second);  // drops its own folder, takes the moved one
    EXPECT_FALSE(fs::exists(other));
    EXPECT_EQ(third.path(), path);
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDir, AFolderAlreadyGoneIsNoError) {
  testing::ScratchDir parent;
  TempDir dir("gone-", parent.path());
  fs::remove_all(dir.path());
  // The destructor at the end of the test must not throw.
}

TEST(TempDir, AMissingParentThrowsNamingIt) {
  testing::ScratchDir parent;
  const fs::path missing = parent.path() / "no" / "such";
  try {
    TempDir dir("x-", missing);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aimicius

namespace aimicius {
namespace {

// Issue 19, item 10: every SIGKILL left sandbox folders in /dev/shm and database copies in $TMPDIR.
// Folders are named after their process, and the orphans of dead processes are removed.
TEST(TempDir, OrphansOfDeadProcessesAreRemovedAndNothingElse) {
  testing::ScratchDir parent;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // reaped: its pid names no process now
  const std::filesystem::path dead = parent / ("orphan-" + std::to_string(child) + "-abcdef");
  std::filesystem::create_directories(dead / "work");
  testing::write_file(dead / "work" / "f.txt", "left by a killed run");
  const TempDir live("orphan-", parent.path());  // this process's own, in use
  const std::filesystem::path init_owned = parent / "orphan-1-abcdef";  // pid 1 is alive
  const std::filesystem::path other_form = parent / "orphan-notapid";
  const std::filesystem::path other_prefix = parent / ("other-" + std::to_string(child) + "-abcdef");
  for (const auto& d : {init_owned, other_form, other_prefix}) std::filesystem::create_directories(d);

  EXPECT_EQ(TempDir::remove_orphans("orphan-", parent.path()), 1u);
  EXPECT_FALSE(std::filesystem::exists(dead));
  for (const auto& d : {live.path(), init_owned, other_form, other_prefix}) EXPECT_TRUE(std::filesystem::exists(d)) << d;
  EXPECT_NE(live.path().filename().string().find("orphan-" + std::to_string(getpid()) + "-"), std::string::npos);
}

}  // namespace
}  // namespace aimicius
