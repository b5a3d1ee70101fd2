// read_work_dir on host folders built by the test: every bound (entries, depth, bytes, per-file
// cap, deadline) stops the read and says which; links and FIFOs are never followed or opened.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "scorers/sandbox/work_dir_reader.h"
#include "tests/scratch_dir.h"

namespace aimicius {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using Clock = std::chrono::steady_clock;

constexpr WorkDirBounds kRoomy{1000, 16, 1 << 20, 1 << 10};

WorkDirRead read(const fs::path& dir, const WorkDirBounds& bounds = kRoomy,
                 Clock::time_point deadline = Clock::now() + std::chrono::seconds(10)) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  WorkDirRead r = read_work_dir(fd, bounds, deadline);
  close(fd);
  return r;
}

TEST(WorkDirReader, ReadsFilesDirsLinksAndSpecialsWithoutFollowingOrBlocking) {
  ScratchDir dir;
  fs::create_directories(dir / "a/b");
  testing::write_file(dir / "a/b/c", "deep");
  testing::write_file(dir / "long", std::string(2000, 'x'));
  testing::write_file(dir.path().parent_path() / ("outside-" + dir.path().filename().string()), "host secret");
  fs::create_symlink(dir.path().parent_path() / ("outside-" + dir.path().filename().string()), dir / "link");
  fs::create_directory_symlink("/", dir / "root");
  ASSERT_EQ(mkfifo((dir / "fifo").c_str(), 0644), 0);
  const WorkDirRead r = read(dir.path());
  fs::remove(dir.path().parent_path() / ("outside-" + dir.path().filename().string()));
  EXPECT_TRUE(r.over_limit.empty()) << r.over_limit;
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.entries.size(), 7u);
  EXPECT_EQ(r.entries.at("a"), "<dir>");
  EXPECT_EQ(r.entries.at("a/b/c"), "deep");
  EXPECT_EQ(r.entries.at("long"), std::string(1024, 'x') + "<truncated>");
  EXPECT_EQ(r.entries.at("link").rfind("<symlink -> /", 0), 0u) << r.entries.at("link");
  EXPECT_EQ(r.entries.at("root"), "<symlink -> />");
  EXPECT_EQ(r.entries.at("fifo"), "<special>");
}

TEST(WorkDirReader, EachBoundStopsTheReadAndSaysWhich) {
  ScratchDir dir;
  fs::path deep = dir.path();
  for (int i = 0; i < 40; ++i) deep /= "d";
  fs::create_directories(deep);
  for (int i = 0; i < 50; ++i) testing::write_file(dir / ("f" + std::to_string(i)), std::string(100, 'y'));

  const WorkDirRead depth = read(dir.path(), {1000, 16, 1 << 20, 1 << 10});
  EXPECT_NE(depth.over_limit.find("deeper than 16 levels"), std::string::npos) << depth.over_limit;

  const WorkDirRead entries = read(dir.path(), {20, 64, 1 << 20, 1 << 10});
  EXPECT_NE(entries.over_limit.find("more than 20 entries"), std::string::npos) << entries.over_limit;
  EXPECT_EQ(entries.entries.size(), 20u);

  const WorkDirRead bytes = read(dir.path(), {1000, 64, 1000, 1 << 10});
  EXPECT_NE(bytes.over_limit.find("exceed 1000 bytes"), std::string::npos) << bytes.over_limit;
  size_t held = 0;
  for (const auto& [name, content] : bytes.entries) held += name.size() + content.size();
  EXPECT_LE(held, 1000u);

  const WorkDirRead late = read(dir.path(), kRoomy, Clock::now());
  EXPECT_TRUE(late.timed_out);
  EXPECT_NE(late.over_limit.find("time limit"), std::string::npos) << late.over_limit;
  EXPECT_TRUE(late.entries.empty());

  const WorkDirRead all = read(dir.path(), {1000, 64, 1 << 20, 1 << 10});
  EXPECT_TRUE(all.over_limit.empty()) << all.over_limit;
  EXPECT_EQ(all.entries.size(), 90u);
}

}  // namespace
}  // namespace aimicius
