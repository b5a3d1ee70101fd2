// ibstat, ibstatus, ibv_devices, ibv_devinfo and lspci.
#include <gtest/gtest.h>

#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::contains;
using testing::run;

TEST(Ibstat, AllOneCaAndOnePort) {
  const auto all = run("dgx-h100", "ibstat", {});
  EXPECT_EQ(all.status, 0);
  EXPECT_TRUE(contains(all.out, "CA 'mlx5_7'\n"));
  const auto one = run("dgx-h100", "ibstat", {"mlx5_0"});
  EXPECT_EQ(one.out.substr(0, one.out.find('\n')), "CA 'mlx5_0'");
  EXPECT_TRUE(contains(one.out, "\tCA type: MT4129\n\tNumber of ports: 1\n"));
  EXPECT_TRUE(contains(one.out, "\t\tState: Active\n\t\tPhysical state: LinkUp\n\t\tRate: 400\n"));
  EXPECT_FALSE(contains(one.out, "mlx5_1"));
  const auto port = run("dgx-h100", "ibstat", {"mlx5_2", "1"});
  EXPECT_TRUE(contains(port.out, "State: Active\nPhysical state: LinkUp\nRate: 400\n"));
  EXPECT_EQ(run("dgx-h100", "ibstat", {"mlx5_9"}).status, 255);
  EXPECT_EQ(run("dgx-h100", "ibstat", {"mlx5_0", "2"}).status, 255);
  EXPECT_EQ(run("dgx-h100", "ibstat", {"--bogus"}).status, 255);
  EXPECT_EQ(run("dgx-h100", "ibstat", {"-l"}).out.substr(0, 7), "mlx5_0\n");
}

TEST(Verbs, DevicesAndDevinfo) {
  EXPECT_TRUE(contains(run("dgx-h100", "ibv_devices", {}).out, "    mlx5_1          \t946dae0300a1b2d0\n"));
  const auto info = run("dgx-h100", "ibv_devinfo", {"-d", "mlx5_1", "-v"});
  EXPECT_EQ(info.status, 0);
  EXPECT_EQ(info.out.substr(0, info.out.find('\n')), "hca_id:\tmlx5_1");
  EXPECT_TRUE(contains(info.out, "\t\t\tstate:\t\t\tPORT_ACTIVE (4)\n"));
  EXPECT_TRUE(contains(info.out, "max_qp"));
  EXPECT_EQ(info.out, run("dgx-h100", "ibv_devinfo", {"--ib-dev=mlx5_1", "--verbose"}).out);
  EXPECT_EQ(run("dgx-h100", "ibv_devinfo", {"-d", "mlx5_42"}).status, 255);
  EXPECT_TRUE(contains(run("pcie-workstation", "ibv_devinfo", {}).out, "link_layer:\t\tEthernet"));
  EXPECT_TRUE(contains(run("dgx-h100", "ibstatus", {"mlx5_0"}).out, "rate:\t\t 400 Gb/sec (4X NDR)"));
  // devname:port reads that port only; a port the device does not have fails (the HCAs here have one).
  EXPECT_EQ(run("dgx-h100", "ibstatus", {"mlx5_0:1"}).out, run("dgx-h100", "ibstatus", {"mlx5_0"}).out);
  for (const std::string arg : {"mlx5_0:2", "mlx5_0:0", "mlx5_0:x", "mlx5_0:1:1"}) {
    const auto missing = run("dgx-h100", "ibstatus", {arg});
    EXPECT_EQ(missing.status, 1) << arg;
    EXPECT_EQ(missing.out, "") << arg;
    EXPECT_TRUE(contains(missing.err, "not found")) << arg << ": " << missing.err;
  }
}

TEST(Lspci, ListingFiltersAndVerbose) {
  const auto nv = run("dgx-h100", "lspci", {"-d", "10de:2330"});
  EXPECT_TRUE(contains(nv.out, "18:00.0 3D controller: NVIDIA Corporation GH100 [H100 SXM5 80GB] (rev a1)\n"));
  EXPECT_EQ(std::count(nv.out.begin(), nv.out.end(), '\n'), 8);
  EXPECT_EQ(run("mi250x-node", "lspci", {"-d", "1002:"}).out.substr(0, 8), "c1:00.0 ");
  EXPECT_EQ(run("dgx-h100", "lspci", {"-d", "1002:"}).out, "");
  const auto nn = run("dgx-h100", "lspci", {"-nn", "-s", "3b:00.0"});
  EXPECT_EQ(nn.out, "3b:00.0 3D controller [0302]: NVIDIA Corporation GH100 [H100 SXM5 80GB] [10de:2330] (rev a1)\n");
  const auto vvv = run("dgx-h100", "lspci", {"-vvv", "-s", "3b:00.0"});
  EXPECT_TRUE(contains(vvv.out, "\t\tLnkCap:\tPort #0, Speed 32GT/s, Width x16"));
  EXPECT_TRUE(contains(vvv.out, "\tNUMA node: 0\n"));
  EXPECT_TRUE(contains(vvv.out, "\tKernel driver in use: nvidia\n"));
  EXPECT_EQ(vvv.out, run("dgx-h100", "lspci", {"-s", "0000:3b:00.0", "-vvv"}).out);
  EXPECT_EQ(run("dgx-h100", "lspci", {"-z"}).status, 1);
  EXPECT_EQ(run("dgx-h100", "lspci", {"-x"}).status, 64);
}

TEST(Lspci, Tree) {
  const auto r = run("pcie-workstation", "lspci", {"-tv"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "00.0-[17]-+-00.0  NVIDIA Corporation GA102GL [RTX A6000]"));
  EXPECT_EQ(r.out, run("pcie-workstation", "lspci", {"-t", "-v"}).out);
}

}  // namespace
}  // namespace aimicius::hostsim
