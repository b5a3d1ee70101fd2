// Host profile loading: the bundled profiles load and satisfy the invariants; malformed ones
// are rejected with a message naming the file.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace aimicius::hostsim
