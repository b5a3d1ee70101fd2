// nvidia-smi main mode: -L, --query-gpu/--query-compute-apps CSV, -q sections, the summary
// table, equivalent spellings, privileged setters and wrong options.
#include <gtest/gtest.h>

#include "hostsim/exit_codes.h"
#include "hostsim/virtual_clock.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::contains;
using testing::run;

TEST(NvidiaSmi, ListGpus) {
  const auto r = run("pcie-workstation", "nvidia-smi", {"-L"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out,
            "GPU 0: NVIDIA RTX A6000 (UUID: GPU-7c2e11a0-1d2c-4e5f-8a9b-3d4e5f607182)\n"
            "GPU 1: NVIDIA RTX A6000 (UUID: GPU-7c2e11a1-1d2c-4e5f-8a9b-3d4e5f607183)\n");
  EXPECT_EQ(run("pcie-workstation", "nvidia-smi", {"--list-gpus"}).out, r.out);
}

TEST(NvidiaSmi, QueryGpuCsvExact) {
  // GPU 3 is the training job's fourth rank, with its own memory use (datasets/hosts/README.md).
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"-i", "3", "--query-gpu=memory.used,memory.total", "--format=csv,noheader"}).out,
            "41474 MiB, 81559 MiB\n");
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"-i", "0", "--query-gpu=index,clocks.sm,clocks.max.sm",
                                           "--format=csv,noheader,nounits"}).out,
            "0, 1980, 1980\n");
  EXPECT_EQ(run("pcie-workstation", "nvidia-smi",
                {"--query-gpu=index,name,utilization.gpu,temperature.gpu,power.draw,fan.speed", "--format=csv"}).out,
            "index, name, utilization.gpu [%], temperature.gpu, power.draw [W], fan.speed [%]\n"
            "0, NVIDIA RTX A6000, 64 %, 67, 231.57 W, 58 %\n"
            "1, NVIDIA RTX A6000, 0 %, 34, 21.34 W, 30 %\n");
}

TEST(NvidiaSmi, QueryGpuHeaderKeepsUnitsWithNounits) {
  const auto r = run("dgx-h100", "nvidia-smi", {"-i", "7", "--query-gpu=memory.used,fan.speed", "--format=csv,nounits"});
  EXPECT_EQ(r.out, "memory.used [MiB], fan.speed [%]\n512, [N/A]\n");
}

TEST(NvidiaSmi, EquivalentSpellingsGiveIdenticalOutput) {
  const auto a = run("dgx-h100", "nvidia-smi", {"-i", "0", "--query-gpu=name,pci.bus_id", "--format=csv"});
  const auto b = run("dgx-h100", "nvidia-smi", {"--id=0", "--query-gpu", "gpu_name,gpu_bus_id", "--format", "csv"});
  const auto c = run("dgx-h100", "nvidia-smi", {"--query-gpu=name,pci.bus_id", "--format=csv", "-i", "00000000:18:00.0"});
  const auto d = run("dgx-h100", "nvidia-smi",
                     {"--query-gpu=name,pci.bus_id", "--format=csv", "-i", "GPU-5f3a9c10-4b1e-9c2d-7a3f-8e2b4d6f1a30"});
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.out, c.out);
  EXPECT_EQ(a.out, d.out);
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"-q", "-d", "MEMORY", "-i", "1"}).out,
            run("dgx-h100", "nvidia-smi", {"--query", "--display=MEMORY", "--id=1"}).out);
}

TEST(NvidiaSmi, QueryComputeApps) {
  const auto r = run("pcie-workstation", "nvidia-smi", {"--query-compute-apps=pid,process_name,used_memory", "--format=csv"});
  EXPECT_EQ(r.out, "pid, process_name, used_gpu_memory [MiB]\n3141, python, 18420 MiB\n");
}

TEST(NvidiaSmi, InvalidFieldAndMissingFormat) {
  const auto r = run("dgx-h100", "nvidia-smi", {"--query-gpu=memory.usage", "--format=csv"});
  EXPECT_EQ(r.status, kNvsmiInvalidArgument);
  EXPECT_TRUE(contains(r.err, "Field \"memory.usage\" is not a valid field to query."));
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"--query-gpu=index"}).status, kNvsmiInvalidArgument);
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"--query-gpu=index", "--format=json"}).status, kNvsmiInvalidArgument);
}

TEST(NvidiaSmi, UnknownOptionIsInvalidCombination) {
  for (const Args& args : {Args{"--bogus"}, Args{"-Q"}, Args{"-i"}, Args{"-L", "extra"}, Args{"-d", "MEMORY"}}) {
    const auto r = run("dgx-h100", "nvidia-smi", args);
    EXPECT_EQ(r.status, kNvsmiInvalidArgument) << args.front();
    EXPECT_TRUE(contains(r.err, "Invalid combination of input arguments")) << args.front();
    EXPECT_TRUE(r.out.empty());
  }
}

TEST(NvidiaSmi, UnknownGpuIsNoDevices) {
  const auto r = run("dgx-h100", "nvidia-smi", {"-i", "8", "-L"});
  EXPECT_EQ(r.status, kNvsmiNotFound);
  EXPECT_TRUE(contains(r.err, "No devices were found"));
}

TEST(NvidiaSmi, PrivilegedSettersFailWithoutRoot) {
  for (const Args& args : {Args{"-pm", "1"}, Args{"-i", "1", "-pl", "350"}, Args{"-i", "0", "-lgc", "1410,1410"},
                           Args{"-rgc"}, Args{"-i", "4", "-c", "EXCLUSIVE_PROCESS"}, Args{"-i", "2", "-r"},
                           Args{"-i", "0", "-ac", "1215,1410"}, Args{"-i", "1", "-p", "0"}, Args{"-i", "0", "-mig", "1"}}) {
    const auto r = run("dgx-h100", "nvidia-smi", args);
    EXPECT_EQ(r.status, kNvsmiNoPermission) << args.front();
    EXPECT_TRUE(contains(r.out, "Insufficient Permissions")) << args.front();
  }
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"-pm", "2"}).status, kNvsmiInvalidArgument);
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"-c", "SHARED"}).status, kNvsmiInvalidArgument);
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"-lgc", "1410"}).status, kNvsmiInvalidArgument);
}

TEST(NvidiaSmi, DetailedReportSections) {
  const auto temp = run("dgx-h100", "nvidia-smi", {"-q", "-d", "TEMPERATURE"});
  EXPECT_EQ(temp.status, 0);
  EXPECT_TRUE(contains(temp.out, "==============NVSMI LOG=============="));
  EXPECT_TRUE(contains(temp.out, "    Temperature\n        GPU Current Temp                  : 52 C\n"));
  EXPECT_FALSE(contains(temp.out, "FB Memory Usage"));
  const auto ecc = run("dgx-h100", "nvidia-smi", {"-q", "-d", "ECC", "-i", "2"});
  EXPECT_TRUE(contains(ecc.out, "GPU 00000000:3B:00.0\n"));
  EXPECT_TRUE(contains(ecc.out, "            DRAM Correctable              : 2\n"));
  EXPECT_TRUE(contains(ecc.out, "            DRAM Correctable              : 14\n"));
  const auto full = run("dgx-h100", "nvidia-smi", {"-q", "-i", "0"});
  EXPECT_TRUE(contains(full.out, "    Product Name                          : NVIDIA H100 80GB HBM3\n"));
  EXPECT_TRUE(contains(full.out, "        Used                              : 40962 MiB\n"));
  EXPECT_TRUE(contains(full.out, "Timestamp                                 : Tue May 14 09:30:00 2024\n"));
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"-q", "-d", "NONSENSE"}).status, kNvsmiInvalidArgument);
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {"-q", "-d", "SUPPORTED_CLOCKS"}).status, kExitNotSimulated);
}

TEST(NvidiaSmi, XmlReport) {
  const auto r = run("pcie-workstation", "nvidia-smi", {"-q", "-x"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("<?xml version=\"1.0\" ?>", 0), 0u);
  EXPECT_TRUE(contains(r.out, "<product_name>NVIDIA RTX A6000</product_name>"));
  EXPECT_TRUE(contains(r.out, "</nvidia_smi_log>\n"));
}

TEST(NvidiaSmi, SummaryTable) {
  const auto r = run("dgx-h100", "nvidia-smi", {});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |"));
  EXPECT_TRUE(contains(r.out, "|   0  NVIDIA H100 80GB HBM3          On  |   00000000:18:00.0 Off |                    0 |"));
  EXPECT_TRUE(contains(r.out, "python3"));
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);  // the date line
  while (std::getline(lines, line)) {
    if (!line.empty() && (line[0] == '|' || line[0] == '+')) {
      EXPECT_EQ(line.size(), 91u) << line;
    }
  }
}

TEST(NvidiaSmi, LoopAndFileOutputAreDeterministic) {
  const auto looped = run("dgx-h100", "nvidia-smi", {"--query-gpu=index", "--format=csv,noheader", "-l", "5", "-i", "0"});
  // profile.loop_samples == 3, then the note that the real loop would go on until interrupted.
  EXPECT_EQ(looped.out, "0\n0\n0\n" + unbounded_loop_note(3));
  const auto path = std::filesystem::temp_directory_path() / "hostsim_nvsmi_f.csv";
  const auto r = run("dgx-h100", "nvidia-smi", {"--query-gpu=index", "--format=csv", "-i", "1", "-f", path.string()});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.out.empty());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "index\n1\n");
  std::filesystem::remove(path);
  EXPECT_EQ(run("dgx-h100", "nvidia-smi", {}).out, run("dgx-h100", "nvidia-smi", {}).out);
}

}  // namespace
}  // namespace aimicius::hostsim
