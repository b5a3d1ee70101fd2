// Host profile loading: the bundled profiles load and satisfy the invariants; malformed ones
// are rejected with a message naming the file.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "hostsim/text_util.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::bundled;

TEST(HostProfile, BundledProfilesLoad) {
  EXPECT_EQ(bundled("dgx-h100").gpus.size(), 8u);
  EXPECT_EQ(bundled("dgx-h100").infiniband.size(), 8u);
  EXPECT_EQ(bundled("dgx-h100").topology.gpu_gpu[0][1], "NV18");
  EXPECT_EQ(bundled("mi250x-node").gpus.size(), 8u);  // 4 MI250X = 8 GCDs
  EXPECT_EQ(bundled("mi250x-node").topology.link_type[0][1], "XGMI");
  EXPECT_EQ(bundled("pcie-workstation").gpus.size(), 2u);
  EXPECT_TRUE(bundled("pcie-workstation").gpus[0].nvlinks.empty());
}

TEST(HostProfile, MissingFileNamesTheFile) {
  try {
    load_profile("/nonexistent/host.json");
    FAIL() << "expected ProfileError";
  } catch (const ProfileError& e) {
    EXPECT_TRUE(testing::contains(e.what(), "/nonexistent/host.json"));
  }
}

TEST(HostProfile, RejectsMissingFieldAndBadMatrix) {
  EXPECT_THROW(parse_profile(R"({"name": "x"})", "x.json"), ProfileError);
  const std::string base = R"({"name":"x","hostname":"h","platform":"nvidia","timestamp":"2024-01-01T00:00:00",
    "installed_tools":[],"gpus":[{"index":0,"name":"G","uuid":"GPU-1","pci_bus_id":"0000:01:00.0",
    "memory_total_mib":1,"memory_used_mib":0}],)";
  EXPECT_THROW(parse_profile(base + R"("topology":{"gpu_gpu":[["X","NV1"]]}})", "x.json"), ProfileError);
  EXPECT_NO_THROW(parse_profile(base + R"("topology":{"gpu_gpu":[["X"]]}})", "x.json"));
  EXPECT_THROW(parse_profile("{not json", "x.json"), ProfileError);
}

TEST(HostProfile, ToolNotInstalledIsCommandNotFound) {
  const auto result = testing::run("mi250x-node", "nvidia-smi", {});
  EXPECT_EQ(result.status, 127);
  EXPECT_TRUE(testing::contains(result.err, "command not found"));
  EXPECT_EQ(testing::run("dgx-h100", "rocm-smi", {}).status, 127);
}

// No two GPUs of a bundled profile print the same figures, so a command for the wrong GPU index
// prints something else: compared on the printed rows of the tools (identity columns left out).
TEST(HostProfile, EveryGpuPrintsItsOwnFigures) {
  for (const char* profile : {"dgx-h100", "pcie-workstation"}) {
    const auto r = testing::run(profile, "nvidia-smi",
                                {"--query-gpu=memory.used,utilization.gpu,temperature.gpu,power.draw,clocks.sm,"
                                 "clocks.video,ecc.errors.corrected.aggregate.total",
                                 "--format=csv,noheader"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto rows = split(r.out, '\n');
    std::set<std::string> distinct(rows.begin(), rows.end() - 1);
    EXPECT_EQ(distinct.size(), bundled(profile).gpus.size()) << profile << "\n" << r.out;
    const auto apps = testing::run(profile, "nvidia-smi", {"--query-compute-apps=pid,used_memory", "--format=csv"});
    EXPECT_EQ(apps.status, 0);
  }
  // dgx-h100: pairs of GPUs running the same job still differ in each per-GPU report.
  const auto& dgx = bundled("dgx-h100");
  for (std::size_t a = 0; a < dgx.gpus.size(); ++a)
    for (std::size_t b = a + 1; b < dgx.gpus.size(); ++b) {
      const auto& x = dgx.gpus[a];
      const auto& y = dgx.gpus[b];
      EXPECT_NE(x.memory_used_mib, y.memory_used_mib) << a << " " << b;
      EXPECT_NE(x.temperature_gpu, y.temperature_gpu) << a << " " << b;
      EXPECT_NE(x.power_draw_w, y.power_draw_w) << a << " " << b;
      EXPECT_NE(x.clocks.graphics_mhz, y.clocks.graphics_mhz) << a << " " << b;
      EXPECT_NE(x.serial, y.serial);
      EXPECT_NE(x.uuid, y.uuid);
      EXPECT_NE(x.pci_bus_id, y.pci_bus_id);
    }
  // mi250x-node: every GCD's rocm-smi temperature/power/memory lines differ.
  const auto amd = testing::run("mi250x-node", "rocm-smi", {"--showtemp", "--showmeminfo", "vram", "--showuse"});
  ASSERT_EQ(amd.status, 0) << amd.err;
  std::map<std::string, std::string> per_device;
  for (const auto& line : split(amd.out, '\n'))
    if (line.rfind("GPU[", 0) == 0) per_device[line.substr(0, line.find(']') + 1)] += line.substr(line.find(']') + 1);
  ASSERT_EQ(per_device.size(), 8u) << amd.out;
  std::set<std::string> amd_distinct;
  for (const auto& [device, text] : per_device) amd_distinct.insert(text);
  EXPECT_EQ(amd_distinct.size(), 8u) << amd.out;
}

}  // namespace
}  // namespace aimicius::hostsim
