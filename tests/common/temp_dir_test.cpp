// TempDir: a fresh private folder per object, removed with its contents when the owner goes, never
// removed twice after a move, and a clear error when the parent cannot hold it.
#include "common/temp_dir.h"

#include <gtest/gtest.h>

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
