// nvidia-smi sub-commands: topo, nvlink, dmon, pmon, mig.
#include <gtest/gtest.h>

#include "hostsim/exit_codes.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::contains;
using testing::run;

TEST(NvidiaSmiTopo, MatrixRowsAndLegend) {
  const auto r = run("dgx-h100", "nvidia-smi", {"topo", "-m"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "\tGPU0\tGPU1\tGPU2\tGPU3\tGPU4\tGPU5\tGPU6\tGPU7\tNIC0\t"));
  EXPECT_TRUE(contains(r.out, "GPU0\t X \tNV18\tNV18\tNV18\tNV18\tNV18\tNV18\tNV18\tPXB\tNODE\tNODE\tNODE\tSYS\tSYS\tSYS\tSYS\t0-55,112-167\t0\t\tN/A\n"));
  EXPECT_TRUE(contains(r.out, "  NIC7: mlx5_7\n"));
  const auto ws = run("pcie-workstation", "nvidia-smi", {"topo", "--matrix"});
  EXPECT_TRUE(contains(ws.out, "GPU0\t X \tSYS\tSYS\t0-31\t0\t\tN/A\n"));
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"topo", "-x"}).status, kNvsmiInvalidArgument);
}

TEST(NvidiaSmiTopo, P2pMatrix) {
  const auto r = run("dgx-h100", "nvidia-smi", {"topo", "-p2p", "r"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, " GPU0\tX\tOK\tOK\t"));
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"topo", "-p2p", "z"}).status, kNvsmiInvalidArgument);
  EXPECT_TRUE(contains(run("pcie-workstation", "nvidia-smi", {"topo", "-p2p", "n"}).out, " GPU0\tX\tNS\t"));
}

TEST(NvidiaSmiNvlink, StatusAndErrors) {
  const auto s = run("dgx-h100", "nvidia-smi", {"nvlink", "-s", "-i", "0"});
  EXPECT_EQ(s.status, 0);
  EXPECT_EQ(s.out.substr(0, s.out.find('\n')), "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-5f3a9c10-4b1e-9c2d-7a3f-8e2b4d6f1a30)");
  EXPECT_TRUE(contains(s.out, "\t Link 17: 26.562 GB/s\n"));
  EXPECT_EQ(s.out, run("dgx-h100", "nvidia-smi", {"nvlink", "--status", "--id=0"}).out);
  const auto e = run("dgx-h100", "nvidia-smi", {"nvlink", "-e"});
  EXPECT_TRUE(contains(e.out, "\t Link 0: CRC Errors: 0\n"));
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"nvlink", "--bogus"}).status, kNvsmiInvalidArgument);
  EXPECT_EQ(run("pcie-workstation", "nvidia-smi", {"nvlink", "-s"}).out,
            run("pcie-workstation", "nvidia-smi", {"-L"}).out);
}

TEST(NvidiaSmiMonitor, DmonSelectedMetrics) {
  const auto r = run("dgx-h100", "nvidia-smi", {"dmon", "-i", "0", "-s", "u", "-c", "2"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            "# gpu     sm    mem    enc    dec    jpg    ofa \n"
            "# Idx      %      %      %      %      %      % \n"
            "    0     87     41      0      0      0      0 \n"
            // One second later on the virtual clock the job's load has moved (by at most 4 / 3 points).
            "    0     89     43      0      0      0      0 \n");
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"dmon", "-s", "q"}).status, kNvsmiInvalidArgument);
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"dmon", "-c", "0"}).status, kNvsmiInvalidArgument);
}

TEST(NvidiaSmiMonitor, PmonOneSample) {
  const auto r = run("pcie-workstation", "nvidia-smi", {"pmon", "-c", "1"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "    0        3141      C     64     22      -      -      -      -    python"));
  EXPECT_TRUE(contains(r.out, "    1           -      -      -      -      -      -      -      -    -"));
}

TEST(NvidiaSmiMig, ProfilesAndInstances) {
  const auto r = run("dgx-h100", "nvidia-smi", {"mig", "-i", "0", "-lgip"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "MIG 1g.10gb"));
  EXPECT_TRUE(contains(r.out, "0/7"));  // MIG disabled: no free instances
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"mig", "-lgi"}).status, kNvsmiNotFound);
  EXPECT_EQ(run("pcie-workstation", "nvidia-smi", {"mig", "-lgip"}).status, kNvsmiNotFound);
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"mig", "-x"}).status, kNvsmiInvalidArgument);
}

}  // namespace
}  // namespace aimicius::hostsim
