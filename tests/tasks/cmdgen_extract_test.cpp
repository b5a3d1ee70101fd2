// Tests for tasks/cmdgen/extract_command: one test per selection rule and per
// cleaning step documented in extract_command.h.
#include "tasks/extractors/extract_command.h"

#include <gtest/gtest.h>

namespace aimicius {
namespace {

TEST(ExtractCommand, PlainCommandIsReturnedTrimmed) {
  EXPECT_EQ(extract_command("  nvidia-smi -L  \n"), "nvidia-smi -L");
}

TEST(ExtractCommand, FencedBlockWithLanguage) {
  EXPECT_EQ(extract_command("```bash\nnvidia-smi -q -d MEMORY\n```"), "nvidia-smi -q -d MEMORY");
}

TEST(ExtractCommand, FencedBlockWithoutLanguage) {
  EXPECT_EQ(extract_command("```\nrocm-smi --showmeminfo vram\n```"), "rocm-smi --showmeminfo vram");
}

TEST(ExtractCommand, TildeFence) {
  EXPECT_EQ(extract_command("~~~sh\nrocm-smi --showtopo\n~~~"), "rocm-smi --showtopo");
}

TEST(ExtractCommand, ProseThenFence) {
  EXPECT_EQ(extract_command("To list the GPUs, run:\n\n```shell\nnvidia-smi -L\n```\n"
                            "This prints one line per GPU, e.g. `GPU 0: H100`."),
            "nvidia-smi -L");
}

TEST(ExtractCommand, FirstFenceWins) {
  EXPECT_EQ(extract_command("```bash\nnvidia-smi topo -m\n```\nor\n```bash\nnvidia-smi nvlink -s\n```"),
            "nvidia-smi topo -m");
}

// What chat models write: prose, then sample output in a ```text block, then the command in a
// ```bash block. The shell-tagged block wins wherever it is: it says "this is the command".
TEST(ExtractCommand, AShellTaggedBlockWinsOverAnEarlierOtherBlock) {
  EXPECT_EQ(extract_command("The output will look like this:\n```text\nGPU 0: NVIDIA H100\n```\n"
                            "To get it, run the following command:\n```bash\nnvidia-smi -L\n```\nDone."),
            "nvidia-smi -L");
  // No shell tag anywhere: the first block, as before.
  EXPECT_EQ(extract_command("```\nnvidia-smi -L\n```\nthen\n```text\nGPU 0\n```"), "nvidia-smi -L");
  // A closed earlier block's body is not read as a fence opening.
  EXPECT_EQ(extract_command("```text\n```\n```sh\nrocm-smi --showuse\n```"), "rocm-smi --showuse");
}

TEST(ExtractCommand, ChatAnswerWithALabelledCommand) {
  EXPECT_EQ(extract_command("Command: nvidia-smi --query-gpu=name --format=csv"),
            "nvidia-smi --query-gpu=name --format=csv");
  EXPECT_EQ(extract_command("Sure! Here is the command you need:\n\n```bash\n$ nvidia-smi -q -d ECC\n```\n\n"
                            "It prints the ECC error counters of every GPU."),
            "nvidia-smi -q -d ECC");
}

TEST(ExtractCommand, ConsoleFenceDropsPromptAndOutput) {
  EXPECT_EQ(extract_command("```console\n$ nvidia-smi -L\nGPU 0: NVIDIA H100 80GB HBM3\n```"),
            "nvidia-smi -L");
}

TEST(ExtractCommand, OneLineFence) {
  EXPECT_EQ(extract_command("```nvidia-smi -L```"), "nvidia-smi -L");
}

TEST(ExtractCommand, UnclosedFenceRunsToEnd) {
  EXPECT_EQ(extract_command("Sure:\n```bash\nnvidia-smi -L"), "nvidia-smi -L");
}

TEST(ExtractCommand, CrlfLineEndings) {
  EXPECT_EQ(extract_command("```bash\r\nnvidia-smi -L\r\n```\r\n"), "nvidia-smi -L");
}

TEST(ExtractCommand, DollarPromptLine) {
  EXPECT_EQ(extract_command("You can inspect the topology with\n$ nvidia-smi topo -m\n"
                            "which prints a matrix."),
            "nvidia-smi topo -m");
}

TEST(ExtractCommand, InlineBackticksInProsePickLongestSpan) {
  EXPECT_EQ(extract_command("Use `nvidia-smi -q -d CLOCK` to see clocks; `-q` means query."),
            "nvidia-smi -q -d CLOCK");
  EXPECT_EQ(extract_command("The tool is `nvidia-smi`. Run `nvidia-smi --query-gpu=name --format=csv`."),
            "nvidia-smi --query-gpu=name --format=csv");
}

TEST(ExtractCommand, InlineSpanOnALaterLine) {
  EXPECT_EQ(extract_command("To see how the GPUs are connected:\nrun `nvidia-smi topo -m` here"),
            "nvidia-smi topo -m");
}

TEST(ExtractCommand, BackticksInsideACommandAreNotSpans) {
  // First line is not prose, so the command-substitution backticks stay.
  EXPECT_EQ(extract_command("echo `date +%s`"), "echo `date +%s`");
}

TEST(ExtractCommand, BareCommandAfterProseLine) {
  EXPECT_EQ(extract_command("Here is the command:\n\nnvidia-smi -L"), "nvidia-smi -L");
}

TEST(ExtractCommand, CommandLabelIsStripped) {
  EXPECT_EQ(extract_command("Command: nvidia-smi -L"), "nvidia-smi -L");
  EXPECT_EQ(extract_command("command: `rocm-smi --showuse`"), "rocm-smi --showuse");
}

TEST(ExtractCommand, SurroundingBackticksAreStripped) {
  EXPECT_EQ(extract_command("`nvidia-smi -L`"), "nvidia-smi -L");
}

TEST(ExtractCommand, TrailingCommentIsDropped) {
  EXPECT_EQ(extract_command("nvidia-smi -L   # list all GPUs"), "nvidia-smi -L");
  EXPECT_EQ(extract_command("`nvidia-smi -L` # list all GPUs"), "nvidia-smi -L");
  EXPECT_EQ(extract_command("grep '#define' kernel.cu"), "grep '#define' kernel.cu");
}

TEST(ExtractCommand, MultiLineFenceWithLeadingComment) {
  EXPECT_EQ(extract_command("```bash\n# Show GPU memory usage\nnvidia-smi -q -d MEMORY\nnvidia-smi -L\n```"),
            "nvidia-smi -q -d MEMORY");
}

TEST(ExtractCommand, BackslashContinuationsAreJoined) {
  EXPECT_EQ(extract_command("```bash\n./build/all_reduce_perf \\\n  -b 8 \\\n  -e 128M -g 8\n```"),
            "./build/all_reduce_perf -b 8 -e 128M -g 8");
  // No whitespace around the break: the shell glues the parts together.
  EXPECT_EQ(extract_command("nvidia\\\n-smi -L"), "nvidia-smi -L");
}

TEST(ExtractCommand, PipeAtLineEndContinues) {
  EXPECT_EQ(extract_command("```\nnvidia-smi -L |\n  wc -l\n```"), "nvidia-smi -L | wc -l");
}

TEST(ExtractCommand, EmptyOutputGivesEmptyCommand) {
  EXPECT_EQ(extract_command(""), "");
  EXPECT_EQ(extract_command(" \n\t\n"), "");
  EXPECT_EQ(extract_command("```bash\n```"), "");
  EXPECT_EQ(extract_command("```bash\n# only a comment\n```"), "");
}

}  // namespace
}  // namespace aimicius
