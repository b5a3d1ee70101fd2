// canonical_command / canonical_match (scorers/command/canonical_command.h) and the structure
// score over canonical forms: right spellings of a command are equal, one changed value is not.
#include <gtest/gtest.h>

#include "scorers/command/canonical_command.h"
#include "scorers/command/command_match.h"

namespace aimicius {
namespace {

void expect_same(const std::string& a, const std::string& b) {
  EXPECT_EQ(canonical_match(a, b), 1.0) << a << "  vs  " << b << "\n" << canonical_command(a) << "\n"
                                        << canonical_command(b);
  EXPECT_EQ(canonical_match(b, a), 1.0) << b << "  vs  " << a;
}

void expect_different(const std::string& a, const std::string& b) {
  EXPECT_EQ(canonical_match(a, b), 0.0) << a << "  vs  " << b << "\n" << canonical_command(a);
}

TEST(CanonicalMatch, DocumentedSpellingsAreTheSameCommand) {
  expect_same("/usr/bin/nvidia-smi -L", "nvidia-smi --list-gpus");
  expect_same("sudo -E nvidia-smi --id=0 -q --display=MEMORY", "nvidia-smi -q -d MEMORY -i 0");
  expect_same("nvidia-smi -q -d ECC,MEMORY -i 2", "nvidia-smi -i 2 -q -d memory,ecc");
  expect_same("rocm-smi --device=0 --showuse", "rocm-smi -u -d 0");
  expect_same("rocm-smi -d 1 0 --showtemp", "/opt/rocm/bin/rocm-smi --showtemp --device 0 1");
  expect_same("amd-smi static --gpu=1 -a", "amd-smi static -a -g 1");
  expect_same("all_reduce_perf -b 8 -e 128M -f 2 -g 8", "all_reduce_perf --ngpus=8 -f2 --maxbytes 131072K -b 8");
  expect_same("all_reduce_perf -b 1G -e 1G -g 8", "all_reduce_perf -b 1024M -e 1073741824 -g 8");
  expect_same("lspci -tv", "lspci -v -t");
  expect_same("lspci -nn -d 10de:", "lspci -d 10de: -n -n");
  expect_same("CUDA_VISIBLE_DEVICES=0,1 NCCL_DEBUG=INFO all_reduce_perf -g 2",
              "env NCCL_DEBUG=INFO CUDA_VISIBLE_DEVICES=0,1 all_reduce_perf --ngpus 2");
  expect_same("mpirun -np 4 all_reduce_perf -b 64M -e 64M -g 2", "mpirun -n 4 all_reduce_perf -g2 -e 64M -b 64M");
  expect_same("nvcc -arch=sm_80 -o app app.cu", "/usr/local/cuda/bin/nvcc --gpu-architecture sm_80 --output-file=app app.cu");
  expect_same("nsys profile -t cuda,nvtx -o roi ./app", "nsys profile --output=roi --trace=nvtx,cuda ./app");
  expect_same("dcgmi diag -r 2 -i 0,1", "dcgmi diag --gpuList 1,0 --run 2");
  expect_same("nvidia-smi -L | wc -l", "nvidia-smi --list-gpus | wc --lines");
  expect_same("taskset -cp 12345", "taskset -c -p 12345");
}

TEST(CanonicalMatch, OneChangeIsAnotherCommand) {
  expect_different("all_reduce_perf -b 8 -e 128K -g 8", "all_reduce_perf -b 8 -e 128M -g 8");
  expect_different("all_reduce_perf -b 8 -e 128M -g 8 -o sum", "all_reduce_perf -b 8 -e 128M -g 8 -o all");
  expect_different("nvidia-smi dmon -d 1 -c 5", "nvidia-smi dmon -d 0 -c 5");
  expect_different("nvidia-smi -q -i 2", "nvidia-smi -q -i 3");
  expect_different("nvidia-smi --query-gpu=name,index --format=csv", "nvidia-smi --query-gpu=index,name --format=csv");
  expect_different("nvidia-smi nvlink -s", "nvidia-smi topo -s");
  expect_different("nvidia-smi -L | wc -l", "nvidia-smi -L");
  expect_different("CUDA_VISIBLE_DEVICES=0,1 all_reduce_perf -g 2", "CUDA_VISIBLE_DEVICES=0,2 all_reduce_perf -g 2");
  expect_different("ls -l /tmp", "ls /tmp -l");  // no grammar for ls: words as written
  EXPECT_EQ(canonical_match("", "nvidia-smi"), 0.0);
  EXPECT_EQ(canonical_match("nvidia-smi 'x", "nvidia-smi"), 0.0);
  EXPECT_THROW(canonical_command("nvidia-smi 'x"), std::invalid_argument);
}

TEST(StructureScore, LongSpellingScoresOneAndOneChangedValueClearlyLess) {
  const std::string reference = "all_reduce_perf -b 8 -e 128M -f 2 -g 8";
  EXPECT_DOUBLE_EQ(command_structure_score("all_reduce_perf --minbytes 8 --maxbytes 128M --stepfactor 2 --ngpus 8",
                                           reference).value,
                   1.0);
  const double changed = command_structure_score("all_reduce_perf -b 8 -e 128M -f 2 -g 4", reference).value;
  EXPECT_LT(changed, 0.9);
  EXPECT_GT(changed, 0.5);
  EXPECT_DOUBLE_EQ(command_structure_score("nvidia-smi -q --id=0 --display MEMORY", "nvidia-smi -i 0 -q -d MEMORY").value,
                   1.0);
  EXPECT_DOUBLE_EQ(command_structure_score("nvidia-smi topo -m", "nvidia-smi nvlink -s").value, 0.0);
}

}  // namespace
}  // namespace aimicius
