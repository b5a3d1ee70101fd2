// amd-smi, rocminfo and rocm_agent_enumerator on the MI250X node.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::contains;
using testing::run;

TEST(AmdSmi, ListAndVersion) {
  const auto list = run("mi250x-node", "amd-smi", {"list"});
  EXPECT_EQ(list.status, 0);
  EXPECT_TRUE(contains(list.out, "GPU: 0\n    BDF: 0000:c1:00.0\n"));
  EXPECT_EQ(run("mi250x-node", "amd-smi", {"version"}).out,
            "AMDSMI Tool: 24.6.2+2b02a07 | AMDSMI Library version: 24.6.2.0 | ROCm version: 6.2.0\n");
}

TEST(AmdSmi, MetricPowerTemperature) {
  const auto r = run("mi250x-node", "amd-smi", {"metric", "-g", "0", "--power", "--temperature"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "GPU: 0\n    POWER:\n        SOCKET_POWER: 412 W\n"));
  EXPECT_TRUE(contains(r.out, "    TEMPERATURE:\n        EDGE: 44 °C\n        HOTSPOT: 48 °C\n"));
  EXPECT_FALSE(contains(r.out, "GPU: 1"));
  EXPECT_EQ(r.out, run("mi250x-node", "amd-smi", {"metric", "--gpu", "0", "-p", "-t"}).out);
}

TEST(AmdSmi, StaticJsonParses) {
  const auto r = run("mi250x-node", "amd-smi", {"static", "-g", "1", "--json"});
  EXPECT_EQ(r.status, 0);
  const auto parsed = nlohmann::json::parse(r.out);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0]["gpu"], 1);
  EXPECT_EQ(parsed[0]["asic"]["target_graphics_version"], "gfx90a");
}

TEST(AmdSmi, ProcessTopologyAndErrors) {
  EXPECT_TRUE(contains(run("mi250x-node", "amd-smi", {"process"}).out, "PID: 4567"));
  EXPECT_TRUE(contains(run("mi250x-node", "amd-smi", {"topology"}).out, "LINK TYPE TABLE:"));
  EXPECT_EQ(run("mi250x-node", "amd-smi", {"metrics"}).status, 2);
  EXPECT_EQ(run("mi250x-node", "amd-smi", {"metric", "--bogus"}).status, 2);
}

TEST(Rocminfo, AgentsAndEnumerator) {
  const auto r = run("mi250x-node", "rocminfo", {});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "  Name:                    gfx90a"));
  EXPECT_TRUE(contains(r.out, "amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-"));
  EXPECT_TRUE(contains(r.out, "*** Done ***"));
  EXPECT_EQ(run("mi250x-node", "rocm_agent_enumerator", {}).out,
            "gfx000\ngfx90a\ngfx90a\ngfx90a\ngfx90a\ngfx90a\ngfx90a\ngfx90a\ngfx90a\n");
}

}  // namespace
}  // namespace aimicius::hostsim
