// rocm-smi: --show* reports, device selection, --json/--csv, setters and wrong options.
#include <gtest/gtest.h>

#include "hostsim/exit_codes.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::contains;
using testing::run;

TEST(RocmSmi, ShowUseOnOneDevice) {
  const auto r = run("mi250x-node", "rocm-smi", {"-d", "2", "--showuse"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "ROCm System Management Interface"));
  EXPECT_TRUE(contains(r.out, "% time GPU is busy"));
  EXPECT_TRUE(contains(r.out, "GPU[2]\t\t: GPU use (%): 94\n"));
  EXPECT_FALSE(contains(r.out, "GPU[1]"));
  EXPECT_TRUE(contains(r.out, "End of ROCm SMI Log"));
  EXPECT_EQ(r.out, run("mi250x-node", "rocm-smi", {"--device", "2", "-u"}).out);
}

TEST(RocmSmi, JsonAndCsv) {
  EXPECT_EQ(run("mi250x-node", "rocm-smi", {"-d", "0", "--showmeminfo", "vram", "--json"}).out,
            "{\"card0\": {\"VRAM Total Memory (B)\": \"68702699520\", \"VRAM Total Used Memory (B)\": \"54962159616\"}}\n");
  const auto csv = run("mi250x-node", "rocm-smi", {"--showuse", "--showmemuse", "--csv"});
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "device,GPU use (%),GPU Memory Allocated (VRAM%),GPU Memory Read/Write Activity (%)");
  EXPECT_TRUE(contains(csv.out, "card4,0,0,0\n"));
  const auto driver = run("mi250x-node", "rocm-smi", {"--showdriverversion", "--json"});
  EXPECT_EQ(driver.out, "{\"system\": {\"Driver version\": \"6.7.0\"}}\n");
}

TEST(RocmSmi, TemperaturePowerAndTopology) {
  const auto r = run("mi250x-node", "rocm-smi", {"-d", "0", "1", "--showtemp", "--showpower"});
  EXPECT_TRUE(contains(r.out, "GPU[0]\t\t: Temperature (Sensor junction) (C): 48.0\n"));
  EXPECT_TRUE(contains(r.out, "GPU[1]\t\t: Average Graphics Package Power (W): N/A\n"));  // secondary die
  const auto topo = run("mi250x-node", "rocm-smi", {"--showtopotype"});
  EXPECT_TRUE(contains(topo.out, "GPU0   0            XGMI         XGMI"));
  const auto all = run("mi250x-node", "rocm-smi", {"--showtopo"});
  EXPECT_TRUE(contains(all.out, "Weight between two GPUs"));
  EXPECT_TRUE(contains(all.out, "Hops between two GPUs"));
  EXPECT_TRUE(contains(all.out, "GPU[7]\t\t: (Topology) Numa Node: 3\n"));
}

TEST(RocmSmi, ConciseDefaultTable) {
  const auto r = run("mi250x-node", "rocm-smi", {});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "Concise Info"));
  EXPECT_TRUE(contains(r.out, "0x740c,"));
}

TEST(RocmSmi, ErrorsAndSetters) {
  const auto bad = run("mi250x-node", "rocm-smi", {"--showgpu"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_TRUE(contains(bad.err, "rocm-smi: error: unrecognized arguments: --showgpu"));
  EXPECT_EQ(run("mi250x-node", "rocm-smi", {"--showmeminfo", "hbm"}).status, 2);
  EXPECT_EQ(run("mi250x-node", "rocm-smi", {"-d", "9", "--showuse"}).status, 1);
  const auto setter = run("mi250x-node", "rocm-smi", {"-d", "3", "--setperflevel", "high"});
  EXPECT_EQ(setter.status, 4);
  EXPECT_TRUE(contains(setter.err, "GPU[3]"));
  EXPECT_EQ(run("mi250x-node", "rocm-smi", {"--showvoltage"}).status, kExitNotSimulated);
}

}  // namespace
}  // namespace aimicius::hostsim
