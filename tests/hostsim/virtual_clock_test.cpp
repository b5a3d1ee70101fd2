// The virtual clock of looping commands: sample 0 is the profile as written, later samples move
// the timestamp by the interval and the figures by deterministic, bounded amounts, so commands
// that differ only in their interval print different text, and nothing sleeps.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "hostsim/virtual_clock.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::bundled;
using testing::contains;

TEST(VirtualClock, TimestampsAdvanceAcrossSecondsDaysAndYears) {
  EXPECT_EQ(advance_timestamp("2024-05-14T09:30:00.000", 0), "2024-05-14T09:30:00.000");
  EXPECT_EQ(advance_timestamp("2024-05-14T09:30:00.000", 1500), "2024-05-14T09:30:01.500");
  EXPECT_EQ(advance_timestamp("2024-05-14T09:30:00", 5 * 60 * 1000), "2024-05-14T09:35:00.000");
  EXPECT_EQ(advance_timestamp("2024-02-28T23:59:59.900", 200), "2024-02-29T00:00:00.100");  // leap year
  EXPECT_EQ(advance_timestamp("2023-12-31T23:59:59.000", 1000), "2024-01-01T00:00:00.000");
}

TEST(VirtualClock, SampleZeroIsTheProfileAndLaterSamplesMoveWithinBounds) {
  const auto& base = bundled("dgx-h100");
  const Profile same = profile_at(base, 0);
  EXPECT_EQ(same.timestamp, base.timestamp);
  EXPECT_EQ(same.gpus[3].power_draw_w, base.gpus[3].power_draw_w);
  for (long long t : {1000LL, 5000LL, 250LL, 3600000LL}) {
    const Profile later = profile_at(base, t);
    EXPECT_EQ(later.timestamp, advance_timestamp(base.timestamp, t));
    const Profile again = profile_at(base, t);
    for (std::size_t i = 0; i < base.gpus.size(); ++i) {
      const auto &g = later.gpus[i], &b = base.gpus[i];
      EXPECT_EQ(g.power_draw_w, again.gpus[i].power_draw_w) << "deterministic";
      EXPECT_NE(g.power_draw_w, b.power_draw_w) << "gpu " << i << " at " << t;
      EXPECT_LE(g.power_draw_w, b.power_limit_w);
      EXPECT_NEAR(g.temperature_gpu, b.temperature_gpu, 2);
      EXPECT_GE(g.utilization_gpu, 0);
      EXPECT_LE(g.utilization_gpu, 100);
      if (b.utilization_gpu == 0) {
        EXPECT_EQ(g.utilization_gpu, 0) << "an idle GPU stays idle";
      }
      EXPECT_LE(g.clocks.graphics_mhz, b.max_clocks.graphics_mhz);
      EXPECT_EQ(g.memory_used_mib, b.memory_used_mib);
      EXPECT_EQ(g.uuid, b.uuid);
    }
  }
  const auto& amd = bundled("mi250x-node");
  const Profile amd_later = profile_at(amd, 2000);
  for (std::size_t i = 0; i < amd.gpus.size(); ++i)
    EXPECT_GT(amd_later.gpus[i].amd->energy_counter, amd.gpus[i].amd->energy_counter) << "energy only grows";
}

TEST(VirtualClock, LoopIntervalsPrintDifferentSamplesWithoutSleeping) {
  const auto start = std::chrono::steady_clock::now();
  const Args query = {"--query-gpu=timestamp,power.draw", "--format=csv,noheader", "-i", "2"};
  auto with = [&](std::vector<std::string> extra) {
    Args args = query;
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run("dgx-h100", "nvidia-smi", args);
  };
  const auto one = with({"-l", "1"}), five = with({"-l", "5"}), ms = with({"-lms", "500"});
  ASSERT_EQ(one.status, 0) << one.err;
  EXPECT_NE(one.out, five.out);
  EXPECT_NE(one.out, ms.out);
  EXPECT_TRUE(contains(one.out, "2024/05/14 09:30:00.000, ")) << one.out;
  EXPECT_TRUE(contains(one.out, "2024/05/14 09:30:01.000, ")) << one.out;
  EXPECT_TRUE(contains(one.out, "2024/05/14 09:30:02.000, ")) << one.out;
  EXPECT_TRUE(contains(five.out, "2024/05/14 09:30:10.000, ")) << five.out;
  EXPECT_TRUE(contains(ms.out, "2024/05/14 09:30:01.000, ")) << ms.out;
  EXPECT_TRUE(contains(with({"-l"}).out, "2024/05/14 09:30:05.000, ")) << "-l alone: every 5 s";
  // Without a timestamp column the figures still differ between intervals.
  const auto p1 = testing::run("dgx-h100", "nvidia-smi", {"--query-gpu=power.draw", "--format=csv,noheader", "-l", "1"});
  const auto p5 = testing::run("dgx-h100", "nvidia-smi", {"--query-gpu=power.draw", "--format=csv,noheader", "-l", "5"});
  EXPECT_NE(p1.out, p5.out);
  // dmon / pmon -d (seconds) with -o T: the time column follows the clock; dcgmi dmon -d (ms).
  const auto dmon1 = testing::run("dgx-h100", "nvidia-smi", {"dmon", "-c", "3", "-d", "1", "-o", "T", "-i", "0"});
  const auto dmon2 = testing::run("dgx-h100", "nvidia-smi", {"dmon", "-c", "3", "-d", "2", "-o", "T", "-i", "0"});
  EXPECT_TRUE(contains(dmon1.out, "09:30:02")) << dmon1.out;
  EXPECT_TRUE(contains(dmon2.out, "09:30:04")) << dmon2.out;
  EXPECT_NE(testing::run("dgx-h100", "nvidia-smi", {"dmon", "-c", "2", "-d", "1"}).out,
            testing::run("dgx-h100", "nvidia-smi", {"dmon", "-c", "2", "-d", "3"}).out);
  const auto pmon = testing::run("dgx-h100", "nvidia-smi", {"pmon", "-c", "2", "-d", "5", "-o", "DT"});
  EXPECT_TRUE(contains(pmon.out, "20240514 09:30:05")) << pmon.out;
  const auto d1 = testing::run("dgx-h100", "dcgmi", {"dmon", "-e", "155,150", "-c", "3", "-d", "1000"});
  const auto d2 = testing::run("dgx-h100", "dcgmi", {"dmon", "-e", "155,150", "-c", "3", "-d", "500"});
  ASSERT_EQ(d1.status, 0) << d1.err;
  EXPECT_NE(d1.out, d2.out);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0) << "no sleeping";
}

// A loop given no count runs until interrupted on a real host: here it prints loop_samples samples
// and says it stopped, so it never matches the same command told to take that many samples and end.
TEST(VirtualClock, ALoopWithoutACountIsNotTheLoopOfThatManySamples) {
  const std::string note = unbounded_loop_note(3);  // the bundled profiles' loop_samples
  struct Case {
    const char* tool;
    std::vector<std::string> endless, counted;
  };
  const Case cases[] = {
      {"dcgmi", {"dmon", "-i", "1", "-e", "252,203"}, {"dmon", "-i", "1", "-e", "252,203", "-c", "3"}},
      {"nvidia-smi", {"dmon", "-i", "0", "-s", "u"}, {"dmon", "-i", "0", "-s", "u", "-c", "3"}},
      {"nvidia-smi", {"pmon", "-i", "0"}, {"pmon", "-i", "0", "-c", "3"}},
  };
  for (const Case& c : cases) {
    const auto endless = testing::run("dgx-h100", c.tool, c.endless), counted = testing::run("dgx-h100", c.tool, c.counted);
    ASSERT_EQ(endless.status, 0) << c.tool << ' ' << endless.err;
    ASSERT_EQ(counted.status, 0) << c.tool << ' ' << counted.err;
    EXPECT_EQ(endless.out, counted.out + note) << c.tool << ' ' << c.endless.front();
  }
  const auto zero = testing::run("dgx-h100", "dcgmi", {"dmon", "-i", "1", "-e", "252", "-c", "0"});
  EXPECT_TRUE(zero.out.size() >= note.size() && zero.out.substr(zero.out.size() - note.size()) == note)
      << "dcgmi's -c 0 is no count";
  const auto table = testing::run("dgx-h100", "nvidia-smi", {"-q", "-d", "TEMPERATURE", "-l", "1"});
  EXPECT_TRUE(table.out.size() >= note.size() && table.out.substr(table.out.size() - note.size()) == note)
      << "nvidia-smi -l has no count";
}

}  // namespace
}  // namespace aimicius::hostsim
