// The simulated nccl-tests / rccl-tests binaries and mpirun: output layout, option parsing, the
// bus-bandwidth factors and the time model (hand-computed), errors, determinism, and perturbed
// commands (a wrong -g, a dropped -e, a different op) whose outputs differ the way they should.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "hostsim/collective_model.h"
#include "hostsim/collective_tests.h"
#include "hostsim/exit_codes.h"
#include "hostsim/text_util.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using testing::contains;

testing::Result run_env(const std::string& profile, const std::string& tool, const Args& args,
                        const ToolEnvironment& env) {
  std::ostringstream out, err;
  testing::Result r;
  r.status = run_tool(testing::bundled(profile), tool, args, env, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

struct Row {
  std::uint64_t bytes = 0, count = 0;
  std::string type, op;
  long root = 0;
  double time = 0, algbw = 0, busbw = 0, time_ip = 0, algbw_ip = 0, busbw_ip = 0;
  std::string wrong;
};

// The data rows (lines not starting with '#').
std::vector<Row> rows_of(const std::string& out) {
  std::vector<Row> rows;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    Row r;
    std::string wrong_ip;
    words >> r.bytes >> r.count >> r.type >> r.op >> r.root >> r.time >> r.algbw >> r.busbw >> r.wrong >> r.time_ip >>
        r.algbw_ip >> r.busbw_ip >> wrong_ip;
    rows.push_back(r);
  }
  return rows;
}

int count_lines_with(const std::string& out, const std::string& part) {
  int n = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) n += contains(line, part) ? 1 : 0;
  return n;
}

TEST(CollectiveTests, AllReduceLayoutNamesTheProfileGpus) {
  const auto r = testing::run("dgx-h100", "all_reduce_perf", {"-b", "8", "-e", "128M", "-f", "2", "-g", "8"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(starts_with(r.out,
                          "# nThread 1 nGpus 8 minBytes 8 maxBytes 134217728 step: 2(factor) warmup iters: 5 iters: 20 "
                          "agg iters: 1 validation: 1 graph: 0\n#\n# Using devices\n"));
  EXPECT_EQ(count_lines_with(r.out, "#  Rank "), 8);
  EXPECT_TRUE(contains(r.out, "#  Rank  0 Group  0 Pid  20417 on dgx-h100-01 device  0 [0x18] NVIDIA H100 80GB HBM3\n"));
  EXPECT_TRUE(contains(r.out, "#  Rank  7 Group  0 Pid  20417 on dgx-h100-01 device  7 [0xdb] NVIDIA H100 80GB HBM3\n"));
  EXPECT_TRUE(contains(r.out, "#       size         count      type   redop    root     time   algbw   busbw #wrong     "
                              "time   algbw   busbw #wrong\n"));
  const auto rows = rows_of(r.out);
  ASSERT_EQ(rows.size(), 25u);  // 8 B .. 128 MiB doubling: 2^3 .. 2^27
  EXPECT_EQ(rows.front().bytes, 8u);
  EXPECT_EQ(rows.front().count, 2u);
  EXPECT_EQ(rows.back().bytes, 134217728u);
  EXPECT_EQ(rows.back().count, 33554432u);
  EXPECT_EQ(rows.back().type, "float");
  EXPECT_EQ(rows.back().op, "sum");
  EXPECT_EQ(rows.back().root, -1);
  EXPECT_EQ(rows.back().wrong, "0");
  EXPECT_TRUE(contains(r.out, "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : "));
  EXPECT_TRUE(ends_with(r.out, "\n#\n"));
}

TEST(CollectiveTests, RcclOnTheMi250xNode) {
  const auto r = testing::run("mi250x-node", "all_reduce_perf", {"-b", "1M", "-e", "1M", "-g", "8"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "on mi250x-node-03 device  0 [0xc1] AMD Instinct MI250X\n"));
  EXPECT_EQ(count_lines_with(r.out, "AMD Instinct MI250X"), 8);
  // nccl-tests is not installed on the AMD node's profile... but the rccl-tests build is, under the same names
  EXPECT_EQ(testing::run("mi250x-node", "nvidia-smi", {}).status, kExitCommandNotFound);
}

TEST(CollectiveTests, SizeSuffixesAndOptionSpellings) {
  EXPECT_EQ(parse_collective_size("8"), 8.0);
  EXPECT_EQ(parse_collective_size("64K"), 65536.0);
  EXPECT_EQ(parse_collective_size("256M"), 268435456.0);
  EXPECT_EQ(parse_collective_size("8G"), 8589934592.0);
  EXPECT_EQ(parse_collective_size("2g"), 2147483648.0);
  EXPECT_LT(parse_collective_size("8X"), 0);
  EXPECT_LT(parse_collective_size("M"), 0);
  // long options, --name=value and attached short values mean the same run
  const auto a = testing::run("dgx-h100", "all_gather_perf", {"-b", "1M", "-e", "4M", "-f", "2", "-g", "4"});
  const auto b = testing::run("dgx-h100", "all_gather_perf",
                              {"--minbytes", "1M", "--maxbytes=4M", "--stepfactor", "2", "-g4"});
  ASSERT_EQ(a.status, 0);
  EXPECT_EQ(a.out, b.out);
  // -i takes a plain byte count (no suffix: "64M" reads as 64)
  const auto step = testing::run("dgx-h100", "all_reduce_perf", {"-b", "64M", "-e", "256M", "-i", "67108864", "-g", "2"});
  EXPECT_TRUE(contains(step.out, "step: 67108864(bytes)"));
  EXPECT_EQ(rows_of(step.out).size(), 4u);
  const auto header = testing::run("dgx-h100", "all_reduce_perf",
                                   {"-g", "2", "-n", "50", "-w", "10", "-c", "0", "-G", "10", "-z", "1", "-m", "4"});
  EXPECT_TRUE(contains(header.out, "minBytes 33554432 maxBytes 33554432 step: 1048576(bytes) warmup iters: 10 "
                                   "iters: 50 agg iters: 4 validation: 0 graph: 10\n"));
  EXPECT_TRUE(contains(header.out, "# Blocking Enabled"));
  EXPECT_EQ(rows_of(header.out).at(0).wrong, "N/A");
}

TEST(CollectiveTests, BusBandwidthFactorsByHand) {
  const auto& k = collective_kinds();
  const auto factor = [&](const char* tool, int n) { return bus_bandwidth_factor(*find_collective(tool), n); };
  EXPECT_DOUBLE_EQ(factor("all_reduce_perf", 8), 14.0 / 8);
  EXPECT_DOUBLE_EQ(factor("all_reduce_perf", 2), 1.0);
  EXPECT_DOUBLE_EQ(factor("all_gather_perf", 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(factor("reduce_scatter_perf", 4), 3.0 / 4);
  EXPECT_DOUBLE_EQ(factor("alltoall_perf", 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(factor("broadcast_perf", 8), 1.0);
  EXPECT_DOUBLE_EQ(factor("reduce_perf", 8), 1.0);
  EXPECT_DOUBLE_EQ(factor("sendrecv_perf", 2), 1.0);
  EXPECT_DOUBLE_EQ(factor("scatter_perf", 4), 3.0 / 4);
  EXPECT_EQ(k.size(), 10u);
  // ... and the printed columns obey them: busbw = algbw * factor, algbw = size / time.
  for (const auto& [tool, want] : std::vector<std::pair<std::string, double>>{
           {"all_reduce_perf", 1.75}, {"all_gather_perf", 0.875}, {"broadcast_perf", 1.0}, {"alltoall_perf", 0.875}}) {
    const auto r = testing::run("dgx-h100", tool, {"-b", "1G", "-e", "1G", "-g", "8"});
    ASSERT_EQ(r.status, 0) << tool << r.err;
    const auto rows = rows_of(r.out);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_NEAR(rows[0].busbw / rows[0].algbw, want, 0.01) << tool;
    EXPECT_NEAR(rows[0].algbw, static_cast<double>(rows[0].bytes) / 1e3 / rows[0].time, 0.01 * rows[0].algbw) << tool;
  }
}

TEST(CollectiveTests, TimeModelByHand) {
  // 8 x H100, NV18 at 26.562 GB/s per link, 82% efficiency: 392.05 GB/s bus bandwidth;
  // allreduce latency 7.5 us + 1.1 us x 2(n-1) = 22.9 us.
  const double bus = 18 * 26.562 * 0.82;
  const double t = 22.9 + 1073741824.0 * 1.75 / (bus * 1e3);
  const auto r = testing::run("dgx-h100", "all_reduce_perf", {"-b", "1G", "-e", "1G", "-g", "8"});
  const auto rows = rows_of(r.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_NEAR(rows[0].time, t, 1.0);  // printed with 0 decimals at this size
  EXPECT_NEAR(rows[0].time_ip, t * 0.995 + 0.05, 1.0);
  EXPECT_NEAR(rows[0].busbw, 1073741824.0 / 1e3 / t * 1.75, 0.01);
  // two A6000 over PCIe gen4 x16 across sockets (SYS): 31.5 GB/s x 0.5
  const LinkModel pcie = link_model(testing::bundled("pcie-workstation"), {0, 1});
  EXPECT_EQ(pcie.fabric, "PCIe");
  EXPECT_NEAR(pcie.bus_gbps, 1.969 * 16 * 0.5, 1e-9);
  // MI250X GCDs 0 and 1 share a package (weight 15: 4 XGMI links); 0 and 3 have weight 45 (1 link)
  EXPECT_NEAR(link_model(testing::bundled("mi250x-node"), {0, 1}).bus_gbps, 4 * 50 * 0.78, 1e-9);
  EXPECT_NEAR(link_model(testing::bundled("mi250x-node"), {0, 1, 3}).bus_gbps, 50 * 0.78, 1e-9);
}

TEST(CollectiveTests, NumberFormatWidths) {
  EXPECT_EQ(format_collective_number(22.9, 7), "  22.90");
  EXPECT_EQ(format_collective_number(12345.6, 7), "12345.6");
  EXPECT_EQ(format_collective_number(622.004, 7), " 622.00");
  EXPECT_EQ(format_collective_number(377.62, 6), "377.62");
  EXPECT_EQ(format_collective_number(0.001, 6), "  0.00");
}

TEST(CollectiveTests, Errors) {
  const auto too_many = testing::run("dgx-h100", "all_reduce_perf", {"-b", "8", "-e", "1M", "-g", "9"});
  EXPECT_EQ(too_many.status, 1);
  EXPECT_TRUE(contains(too_many.err, "9 GPUs requested")) << too_many.err;
  EXPECT_TRUE(too_many.out.empty());
  EXPECT_EQ(testing::run("pcie-workstation", "all_reduce_perf", {"-g", "2", "-t", "2"}).status, 1);
  const auto unknown = testing::run("dgx-h100", "all_reduce_perf", {"-b", "8", "-q", "1"});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_TRUE(contains(unknown.err, "invalid option -- 'q'") && contains(unknown.err, "USAGE: all_reduce_perf"));
  EXPECT_EQ(testing::run("dgx-h100", "all_reduce_perf", {"--bogus", "1"}).status, 1);
  EXPECT_EQ(testing::run("dgx-h100", "all_reduce_perf", {"-b"}).status, 1);
  EXPECT_EQ(testing::run("dgx-h100", "all_reduce_perf", {"-b", "1G", "-e", "1M"}).status, 255);
  EXPECT_EQ(testing::run("dgx-h100", "all_reduce_perf", {"-b", "8Q"}).status, 255);
  EXPECT_EQ(testing::run("dgx-h100", "broadcast_perf", {"-g", "4", "-r", "4"}).status, 1);
  EXPECT_EQ(testing::run("dgx-h100", "hypercube_perf", {"-g", "6"}).status, 1);
  EXPECT_EQ(testing::run("dgx-h100", "all_reduce_perf", {"-b", "8", "-e", "1G", "-i", "1"}).status, kExitNotSimulated);
  const auto help = testing::run("dgx-h100", "sendrecv_perf", {"-h"});
  EXPECT_EQ(help.status, 0);
  EXPECT_TRUE(contains(help.out, "[-g,--ngpus <gpus per thread>]"));
  // unknown datatype/op values fall back with a notice, as the real binaries do
  const auto bad_type = testing::run("dgx-h100", "all_reduce_perf", {"-g", "2", "-d", "fp17"});
  EXPECT_EQ(bad_type.status, 0);
  EXPECT_TRUE(starts_with(bad_type.out, "invalid type fp17, defaulting to float .. \n"));
}

TEST(CollectiveTests, Deterministic) {
  const Args args = {"-b", "8", "-e", "8G", "-f", "2", "-g", "8"};
  EXPECT_EQ(testing::run("dgx-h100", "all_reduce_perf", args).out,
            testing::run("dgx-h100", "all_reduce_perf", args).out);
}

TEST(CollectiveTests, MemoryLimitReducesMaxBytes) {
  // H100: (81559 MiB - 2 GiB) / 3 buffers
  const auto r = testing::run("dgx-h100", "all_reduce_perf", {"-b", "16G", "-e", "64G", "-f", "2", "-g", "8"});
  ASSERT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "# Reducing maxBytes to 27791108778 due to memory limitation\n"));
  EXPECT_EQ(rows_of(r.out).size(), 1u);  // only 16 GiB fits
}

TEST(CollectiveTests, VisibleDevicesAndDebugOutput) {
  ToolEnvironment env;
  env.set("CUDA_VISIBLE_DEVICES", "4,5,6,7");
  const auto r = run_env("dgx-h100", "all_reduce_perf", {"-b", "8", "-e", "1K", "-f", "2", "-g", "4"}, env);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "device  0 [0x9a] NVIDIA H100"));  // GPU 4, renumbered 0
  EXPECT_EQ(run_env("dgx-h100", "all_reduce_perf", {"-g", "5"}, env).status, 1);
  EXPECT_EQ(with_visible_gpus(testing::bundled("dgx-h100"), "0,1,9,2").gpus.size(), 2u);  // stops at 9
  env.set("NCCL_DEBUG", "INFO");
  const auto info = run_env("dgx-h100", "all_reduce_perf", {"-g", "4"}, env);
  EXPECT_TRUE(contains(info.out, "dgx-h100-01:20417:20417 [0] NCCL INFO NCCL version 2.21.5+cuda12.4\n"));
  EXPECT_EQ(count_lines_with(info.out, "Init COMPLETE"), 4);
  ToolEnvironment amd;
  amd.set("HIP_VISIBLE_DEVICES", "0,1");
  const auto hip = run_env("mi250x-node", "sendrecv_perf", {"-g", "2"}, amd);
  EXPECT_EQ(hip.status, 0);
  EXPECT_EQ(run_env("mi250x-node", "sendrecv_perf", {"-g", "3"}, amd).status, 1);
}

TEST(CollectiveTests, MpirunSingleNode) {
  const auto mpi = testing::run("dgx-h100", "mpirun", {"-np", "8", "all_reduce_perf", "-b", "8", "-e", "1M", "-f", "2", "-g", "1"});
  ASSERT_EQ(mpi.status, 0) << mpi.err;
  EXPECT_TRUE(contains(mpi.out, "#  Rank  7 Group  0 Pid  20676 on dgx-h100-01 device  7 [0xdb]"));  // 20417 + 7 x 37
  const auto threads = testing::run("dgx-h100", "all_reduce_perf", {"-b", "8", "-e", "1M", "-f", "2", "-g", "8"});
  EXPECT_EQ(rows_of(mpi.out).size(), rows_of(threads.out).size());
  EXPECT_EQ(rows_of(mpi.out).back().busbw, rows_of(threads.out).back().busbw);  // same 8 GPUs, same model
  // the launcher's own spellings
  EXPECT_EQ(testing::run("dgx-h100", "mpirun", {"--allow-run-as-root", "-np", "2", "-H", "localhost:2", "-x",
                                                "NCCL_DEBUG=INFO", "--bind-to", "numa", "./build/sendrecv_perf", "-g", "1"})
                .status,
            0);
  EXPECT_EQ(testing::run("dgx-h100", "mpirun", {"-np", "2", "-g", "8", "all_reduce_perf", "-g", "8"}).status, 1);
  EXPECT_EQ(testing::run("dgx-h100", "mpirun", {"-np", "2", "all_reduce_perf", "-g", "8"}).status, 1);  // 16 GPUs
  EXPECT_EQ(testing::run("dgx-h100", "mpirun", {"-np", "4", "-H", "localhost:2", "all_reduce_perf"}).status, 1);
  EXPECT_EQ(testing::run("dgx-h100", "mpirun", {"-np", "16", "-H", "node1:8,node2:8", "all_reduce_perf"}).status,
            kExitNotSimulated);
  EXPECT_EQ(testing::run("dgx-h100", "mpirun", {"-np", "16", "--hostfile", "hosts.txt", "all_reduce_perf"}).status,
            kExitNotSimulated);
  EXPECT_EQ(testing::run("dgx-h100", "mpirun", {"-np", "2", "hostname"}).status, kExitNotSimulated);
}

// Perturbed commands: how the output of a near-miss differs from the reference's.
// -a reports rank 0's, the mean (default), the fastest or the slowest rank's time: by hand for
// 8 ranks, skews (5r + 2) mod 8 / 8 x 0.8% = 2,7,4,1,6,3,0,5 / 8 x 0.8%, mean 3.5 / 8 x 0.8%.
TEST(CollectiveTests, AverageOptionPicksTheReportedRank) {
  const Args base = {"-b", "64M", "-e", "64M", "-g", "8"};
  auto time_with = [&](const std::string& a) {
    Args args = base;
    if (!a.empty()) args.insert(args.end(), {"-a", a});
    const auto r = testing::run("dgx-h100", "all_reduce_perf", args);
    EXPECT_EQ(r.status, 0) << r.err;
    return rows_of(r.out).at(0).time;
  };
  const double mean = time_with(""), rank0 = time_with("0"), fastest = time_with("2"), slowest = time_with("3");
  EXPECT_EQ(time_with("1"), mean);
  const double m = 1 + 0.008 * 3.5 / 8;
  EXPECT_NEAR(rank0 / mean, (1 + 0.008 * 2 / 8) / m, 3e-4);
  EXPECT_NEAR(fastest / mean, 1 / m, 3e-4);
  EXPECT_NEAR(slowest / mean, (1 + 0.008 * 7 / 8) / m, 3e-4);
  EXPECT_LT(fastest, rank0);
  EXPECT_LT(rank0, slowest);
}

TEST(CollectiveTests, PerturbedCommands) {
  const Args reference = {"-b", "8", "-e", "8G", "-f", "2", "-g", "8"};
  const auto ref = testing::run("dgx-h100", "all_reduce_perf", reference);
  ASSERT_EQ(ref.status, 0);
  const auto ref_rows = rows_of(ref.out);
  ASSERT_EQ(ref_rows.size(), 31u);  // 2^3 .. 2^33

  // wrong -g: 4 ranks instead of 8 -> 4 Rank lines, same sizes, lower busbw factor (1.5 vs 1.75)
  const auto fewer = testing::run("dgx-h100", "all_reduce_perf", {"-b", "8", "-e", "8G", "-f", "2", "-g", "4"});
  ASSERT_EQ(fewer.status, 0);
  EXPECT_EQ(count_lines_with(fewer.out, "#  Rank "), 4);
  const auto fewer_rows = rows_of(fewer.out);
  ASSERT_EQ(fewer_rows.size(), ref_rows.size());
  EXPECT_NEAR(fewer_rows.back().busbw / fewer_rows.back().algbw, 1.5, 0.01);
  EXPECT_NE(fewer.out, ref.out);

  // dropped -e: maxBytes falls back to 32 MiB -> the sweep stops at 2^25 (23 rows), rows equal so far
  const auto no_max = testing::run("dgx-h100", "all_reduce_perf", {"-b", "8", "-f", "2", "-g", "8"});
  ASSERT_EQ(no_max.status, 0);
  const auto no_max_rows = rows_of(no_max.out);
  ASSERT_EQ(no_max_rows.size(), 23u);
  EXPECT_EQ(no_max_rows.back().bytes, 33554432u);
  EXPECT_EQ(no_max_rows[10].time, ref_rows[10].time);
  EXPECT_TRUE(contains(no_max.out, "maxBytes 33554432"));

  // a different op: same rows and numbers, only the redop column says max
  const auto max_op = testing::run("dgx-h100", "all_reduce_perf", {"-b", "8", "-e", "8G", "-f", "2", "-g", "8", "-o", "max"});
  const auto max_rows = rows_of(max_op.out);
  ASSERT_EQ(max_rows.size(), ref_rows.size());
  for (std::size_t i = 0; i < max_rows.size(); ++i) {
    EXPECT_EQ(max_rows[i].op, "max");
    EXPECT_EQ(max_rows[i].busbw, ref_rows[i].busbw);
  }
  EXPECT_NE(max_op.out, ref.out);

  // too many GPUs: the run fails and prints no table
  EXPECT_EQ(testing::run("dgx-h100", "all_reduce_perf", {"-b", "8", "-e", "8G", "-f", "2", "-g", "16"}).status, 1);
}

}  // namespace
}  // namespace aimicius::hostsim
