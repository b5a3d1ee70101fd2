// Canonicalisation on the bundled catalogue (datasets/infrawise): paraphrases written by hand for
// every system, workload and criterion (none of them in aliases.json), the ambiguous short names that
// must stay wrong, and names of other entries that must not be taken for these.
#include <gtest/gtest.h>

#include "common/json_file.h"
#include "scorers/dcw/benchmark_db.h"
#include "scorers/dcw/dcw_names.h"

namespace aimicius {
namespace {

const std::filesystem::path kSuiteDir = std::filesystem::path(AIMICIUS_BUNDLED_DATA_DIR) / "infrawise";

const NameTable& bundled_names() {
  static const BenchmarkDb db(kSuiteDir / "benchmarks.sql");
  static const NameTable table(read_json_file(kSuiteDir / "aliases.json"), "aliases.json", db.names("systems"),
                               db.names("workloads"), db.names("criteria"), db.name_facts());
  return table;
}

struct Case {
  const char* canonical;
  std::vector<const char*> paraphrases;
};

void expect_all(NameKind kind, const std::vector<Case>& cases, const std::optional<std::string>& workload = {}) {
  const NameTable& names = bundled_names();
  for (const Case& c : cases) {
    for (const char* spelling : c.paraphrases) {
      const NameResolution r = names.resolve(kind, spelling, workload ? workload : std::nullopt);
      EXPECT_EQ(r.name, std::optional<std::string>(c.canonical))
          << "\"" << spelling << "\" (" << r.how << ")" << (workload ? " within " + *workload : "");
      // The alias table alone knows none of these: they are what canonicalisation adds.
      EXPECT_EQ(names.canonical(kind, spelling), std::nullopt) << spelling << " is in aliases.json";
    }
  }
}

TEST(InfrawiseData, EverySystemHasParaphrasesThatCanonicalise) {
  expect_all(NameKind::kSystem,
             {{"ND H100 v5", {"Azure ND H100 v5 VM", "NDH100v5", "ND_H100_V5 SKU", "Standard ND96isr H100 v5 VMs",
                              "ND96isr-H100", "nd h100v5 node"}},
              {"ND H200 v5", {"H200", "NVIDIA H200", "ND H200v5", "Azure H200 SXM node", "H200 141GB", "NDH200v5"}},
              {"ND MI300X v5", {"MI300X", "AMD MI300X", "AMD Instinct MI300X", "mi300x v5 VMs", "NDMI300Xv5",
                                "MI300X 192GB", "8x MI300X"}},
              {"ND A100 v4", {"A100 40GB", "ND A100 v4 VM", "ND96asr", "A100 SXM4 40GB", "NDA100v4"}},
              {"NDm A100 v4", {"NDm-A100-v4 VM", "ND96amsr A100", "NDmA100v4", "Azure NDm A100 v4 VMs", "NDm"}},
              {"NC A100 v4", {"A100 PCIe", "A100 PCIe 80GB", "NC A100 v4 VM", "NCA100v4", "NC96ads_A100"}},
              {"NCads H100 v5", {"H100 NVL", "H100 NVL 94GB", "NCads H100", "NC H100 v5 VMs", "NCadsH100v5", "H100NVL"}},
              {"DGX H100", {"DGX-H100 server", "NVIDIA DGXH100 system", "dgx h100 node", "DGX H100 servers"}},
              {"DGX A100", {"DGX A100 server", "NVIDIA DGX-A100 box", "DGXA100 nodes", "NVIDIA DGX A100 systems",
                            "NVIDIA DGX-A100 (on-prem)"}}});
}

TEST(InfrawiseData, AmbiguousSystemNamesAreNotGuessed) {
  const NameTable& names = bundled_names();
  for (const char* spelling : {"A100", "H100", "DGX", "A100 80GB", "H100 SXM5", "H100 80GB", "Azure H100", "ND",
                               "NVIDIA A100 server", "v5", "Azure A100 VM", "H100 v5", "NC"}) {
    const NameResolution r = names.resolve(NameKind::kSystem, spelling);
    EXPECT_EQ(r.name, std::nullopt) << spelling << " -> " << r.name.value_or("?");
    EXPECT_EQ(r.how, "ambiguous") << spelling;
    EXPECT_GE(r.candidates.size(), 2u) << spelling;
  }
}

TEST(InfrawiseData, SystemsOfOneFamilyStayApart) {
  const NameTable& names = bundled_names();
  // Each is another system's name (or no system at all), never the one on the left.
  const std::vector<std::pair<const char*, const char*>> apart = {
      {"ND H200 v5", "ND H100 v5"}, {"ND H200 v5", "H100"},         {"NC A100 v4", "A100 SXM4"},
      {"DGX A100", "NDm A100 v4"},  {"ND A100 v4", "A100 80GB"},     {"DGX H100", "ND H100 v5"},
      {"NCads H100 v5", "H100 SXM5"}, {"ND MI300X v5", "MI250X"},    {"ND H100 v5", "ND H100 v4"},
      {"ND H200 v5", "H200 PCIe"}};
  for (const auto& [system, other] : apart)
    EXPECT_NE(names.resolve(NameKind::kSystem, other).name, std::optional<std::string>(system)) << other;
}

TEST(InfrawiseData, EveryWorkloadHasParaphrasesThatCanonicalise) {
  expect_all(NameKind::kWorkload,
             {{"all_reduce", {"AllReduce collective", "NCCL all-reduce collective", "all-reduce (NCCL)", "all reduce (RCCL)"}},
              {"all_gather", {"AllGather (RCCL)", "NCCL AllGather collective", "all-gather collective"}},
              {"reduce_scatter", {"RCCL ReduceScatter", "reduce-scatter collective"}},
              {"alltoall", {"All-To-All collective", "NCCL all-to-all"}},
              {"gemm bf16", {"BF16 GEMM (cuBLASLt)", "BF16 GEMMs", "bfloat16 matmul", "matrix multiply in BF16"}},
              {"gemm fp8", {"FP8 GEMMs", "float8 matmul", "GEMM in FP8", "square FP8 GEMM"}},
              {"babelstream", {"Babel-Stream triad", "BabelStream copy", "BabelStream triad kernel"}},
              {"ib write", {"InfiniBand RDMA write", "perftest ib_write", "IB RDMA writes"}},
              {"llama2-70b inference", {"Llama 2 (70B) inference serving", "inference of Llama-2-70B",
                                        "Llama2 70B serve"}},
              {"resnet50 training", {"ResNet-50 train", "ResNet50 v1.5 training", "resnet 50 ImageNet training"}},
              {"bert-large training", {"BERT-Large train", "BERT large pre-training", "BERT-large pretrain"}},
              {"llama2-70b lora fine-tuning", {"Llama 2 70B LoRA fine-tune", "LoRA finetuning of Llama2-70B",
                                               "LoRA fine-tuning, Llama-2 70B"}}});
}

TEST(InfrawiseData, AmbiguousWorkloadNamesAreNotGuessed) {
  const NameTable& names = bundled_names();
  for (const char* spelling : {"training", "GEMM", "collective", "NCCL", "llama2-70b", "matrix multiply"}) {
    const NameResolution r = names.resolve(NameKind::kWorkload, spelling);
    EXPECT_EQ(r.name, std::nullopt) << spelling << " -> " << r.name.value_or("?");
  }
}

TEST(InfrawiseData, EveryCriterionHasParaphrasesThatCanonicaliseWithinItsWorkload) {
  expect_all(NameKind::kCriterion, {{"bus bandwidth", {"BusBW (GB/s)", "bus bandwidths", "bandwidth", "bandwidth of the bus",
                                                      "all-reduce busbw"}},
                                    {"latency", {"lat", "latency (\u00b5s)", "latency in us", "usec"}}},
             "all_reduce");
  expect_all(NameKind::kCriterion, {{"TFLOPS", {"TFLOP per s", "teraflops", "TFLOPs per GPU", "BF16 TFLOPS"}}}, "gemm bf16");
  expect_all(NameKind::kCriterion, {{"memory bandwidth", {"mem BW", "memory bandwidth (GB/s)", "bandwidth", "triad bandwidth"}}},
             "babelstream");
  expect_all(NameKind::kCriterion, {{"network bandwidth", {"network BW", "bandwidth (Gb/s)", "bandwidth"}},
                                    {"latency", {"lat", "latency (us)", "write latency"}}},
             "ib write");
  expect_all(NameKind::kCriterion, {{"tokens per second", {"tokens per sec", "tok/sec", "throughput (tokens/s)"}},
                                    {"time to first token", {"time-to-first-token (ms)", "latency to first token",
                                                             "TTFT (ms)"}}},
             "llama2-70b inference");
  expect_all(NameKind::kCriterion, {{"throughput", {"images/sec", "samples per sec", "tput", "imgs/s"}},
                                    {"time to train", {"train time", "time-to-train (minutes)", "time to train (min)"}}},
             "resnet50 training");
}

TEST(InfrawiseData, AmbiguousCriteriaAreNotGuessed) {
  const NameTable& names = bundled_names();
  EXPECT_EQ(names.resolve(NameKind::kCriterion, "bandwidth").how, "ambiguous");
  EXPECT_EQ(names.resolve(NameKind::kCriterion, "train", std::string("resnet50 training")).how, "ambiguous");
  EXPECT_EQ(names.resolve(NameKind::kCriterion, "time").how, "ambiguous");
  // A workload's words help only the workload's own criteria: TFLOPS is no all_reduce criterion, and
  // words of the workload alone name none.
  EXPECT_EQ(names.resolve(NameKind::kCriterion, "TFLOPS", std::string("all_reduce")).name, "TFLOPS");
  EXPECT_EQ(names.resolve(NameKind::kCriterion, "BF16 TFLOPS", std::string("all_reduce")).how, "unknown");
  EXPECT_EQ(names.resolve(NameKind::kCriterion, "perftest write", std::string("ib write")).how, "unknown");
  // algbw is nccl-tests' other figure, not bus bandwidth.
  EXPECT_NE(names.resolve(NameKind::kCriterion, "algbw", std::string("all_reduce")).name,
            std::optional<std::string>("bus bandwidth"));
}

}  // namespace
}  // namespace aimicius
