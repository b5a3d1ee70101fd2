// dcgmi (discovery, diag, dmon, health, group, nvlink) and nvcc (--version, archs; compilation
// is not simulated).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hostsim/exit_codes.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::contains;
using testing::run;

TEST(Nvcc, VersionExact) {
  const std::string expected =
      "nvcc: NVIDIA (R) Cuda compiler driver\n"
      "Copyright (c) 2005-2024 NVIDIA Corporation\n"
      "Built on Thu_Mar_28_02:18:24_PDT_2024\n"
      "Cuda compilation tools, release 12.4, V12.4.131\n"
      "Build cuda_12.4.r12.4/compiler.34097967_0\n";
  EXPECT_EQ(run("dgx-h100", "nvcc", {"--version"}).out, expected);
  EXPECT_EQ(run("dgx-h100", "nvcc", {"-V"}).out, expected);
  EXPECT_TRUE(contains(run("pcie-workstation", "nvcc", {"--version"}).out, "release 12.2, V12.2.140"));
  EXPECT_TRUE(contains(run("dgx-h100", "nvcc", {"--list-gpu-arch"}).out, "compute_90\n"));
}

TEST(Nvcc, CompilationIsNotSimulated) {
  const auto r = run("dgx-h100", "nvcc", {"-o", "app", "app.cu"});
  EXPECT_EQ(r.status, kExitNotSimulated);
  EXPECT_TRUE(contains(r.err, "aimicius-hostsim: nvcc option compilation is not simulated"));
  EXPECT_TRUE(r.out.empty());
}

TEST(Dcgmi, DiscoveryAndGroups) {
  const auto r = run("dgx-h100", "dcgmi", {"discovery", "-l"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "8 GPUs found.");
  EXPECT_TRUE(contains(r.out, "| 0      | Name: NVIDIA H100 80GB HBM3"));
  EXPECT_TRUE(contains(r.out, "4 NvSwitches found."));
  EXPECT_TRUE(contains(run("dgx-h100", "dcgmi", {"group", "-l"}).out, "DCGM_ALL_SUPPORTED_NVSWITCHES"));
  EXPECT_TRUE(contains(run("dgx-h100", "dcgmi", {"group", "-c", "training", "--default"}).out,
                       "Successfully created group \"training\" with a group ID of 2"));
}

TEST(Dcgmi, DiagLevels) {
  const auto one = run("dgx-h100", "dcgmi", {"diag", "-r", "1"});
  EXPECT_EQ(one.status, 0);
  EXPECT_TRUE(contains(one.out, "| Denylist                  | Pass"));
  EXPECT_FALSE(contains(one.out, "PCIe"));
  const auto three = run("dgx-h100", "dcgmi", {"diag", "-r", "3", "-i", "2"});
  EXPECT_TRUE(contains(three.out, "| Targeted Stress           | Pass - All"));
  const auto json = nlohmann::json::parse(run("dgx-h100", "dcgmi", {"diag", "-r", "2", "-j"}).out);
  EXPECT_EQ(json["version"], "3.3.5");
  EXPECT_EQ(run("dgx-h100", "dcgmi", {"diag", "-r", "7"}).status, 255);
}

TEST(Dcgmi, DmonHealthNvlink) {
  const auto r = run("dgx-h100", "dcgmi", {"dmon", "-e", "150,155,203", "-i", "0", "-c", "1"});
  EXPECT_EQ(r.out, "#Entity   TMPTR        POWER        GPUTL\nID\nGPU 0     52           612.410      87\n");
  EXPECT_TRUE(contains(run("dgx-h100", "dcgmi", {"dmon", "-l"}).out, "SMACT"));
  EXPECT_EQ(run("dgx-h100", "dcgmi", {"dmon", "-e", "99999"}).status, kExitNotSimulated);
  EXPECT_TRUE(contains(run("dgx-h100", "dcgmi", {"health", "-g", "1", "-c"}).out, "Healthy"));
  EXPECT_TRUE(contains(run("dgx-h100", "dcgmi", {"health", "-g", "1", "-s", "a"}).out, "set successfully"));
  EXPECT_TRUE(contains(run("dgx-h100", "dcgmi", {"nvlink", "-s"}).out, "    gpuId 0:\n        U U U"));
  EXPECT_TRUE(contains(run("dgx-h100", "dcgmi", {"nvlink", "-g", "0", "-e"}).out, "CRC FLIT Error"));
  EXPECT_EQ(run("dgx-h100", "dcgmi", {"bogus"}).status, 255);
  EXPECT_EQ(run("dgx-h100", "dcgmi", {"discovery", "-x"}).status, 255);
}

}  // namespace
}  // namespace aimicius::hostsim
