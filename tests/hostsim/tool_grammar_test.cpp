// The option grammar (hostsim/grammar/) as hostsim uses it: every spelling a tool documents as
// equivalent reaches the tool as one canonical argv, so it runs exactly like the canonical one;
// the canonical argv of every dataset reference is a fixed point and still runs.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "hostsim/grammar/option_grammar.h"
#include "hostsim/grammar/parsed_command.h"
#include "hostsim_test_support.h"

namespace aimicius::hostsim {
namespace {

using Words = std::vector<std::string>;

Words argv(const std::string& tool, const Words& args) { return grammar::canonical_argv(tool, args); }

TEST(ToolGrammar, EverySimulatedToolHasAGrammar) {
  ASSERT_GT(grammar::all_grammars().size(), 30u);
  for (const auto& tool : simulated_tools()) EXPECT_NE(grammar::find_grammar(tool.name), nullptr) << tool.name;
  EXPECT_EQ(grammar::find_grammar("no-such-tool"), nullptr);
}

TEST(ToolGrammar, SpellingsOfOneOptionShareACanonicalArgv) {
  const Words canonical = argv("nvidia-smi", {"-i", "0", "-q"});
  EXPECT_EQ(canonical, (Words{"-i", "0", "-q"}));
  for (const Words& spelling : {Words{"--id=0", "-q"}, Words{"-q", "--id", "0"}, Words{"-i0", "--query"},
                                Words{"-i=0", "-q"}})
    EXPECT_EQ(argv("nvidia-smi", spelling), canonical);
  EXPECT_EQ(argv("rocm-smi", {"--device=0", "-u"}), argv("rocm-smi", {"--showuse", "-d", "0"}));
  EXPECT_EQ(argv("amd-smi", {"static", "--gpu=1", "--asic"}), argv("amd-smi", {"static", "-a", "-g", "1"}));
  EXPECT_EQ(argv("lspci", {"-tv"}), argv("lspci", {"-v", "-t"}));
  EXPECT_EQ(argv("lspci", {"-nn", "-d", "10de:"}), argv("lspci", {"-d10de:", "-n", "-n"}));
  EXPECT_EQ(argv("all_reduce_perf", {"-b", "1G", "--maxbytes=8G", "-g8"}),
            argv("all_reduce_perf", {"--ngpus", "8", "-e", "8192M", "--minbytes", "1024M"}));
  EXPECT_EQ(argv("nvidia-smi", {"-q", "-d", "ecc,memory"}), argv("nvidia-smi", {"-q", "-d", "MEMORY,ECC"}));
}

TEST(ToolGrammar, DifferentMeaningsKeepDifferentArgv) {
  EXPECT_NE(argv("nvidia-smi", {"-i", "0", "-q"}), argv("nvidia-smi", {"-i", "1", "-q"}));
  EXPECT_NE(argv("all_reduce_perf", {"-b", "128K"}), argv("all_reduce_perf", {"-b", "128M"}));
  EXPECT_NE(argv("all_reduce_perf", {"-o", "sum"}), argv("all_reduce_perf", {"-o", "all"}));
  // --query-gpu's field order is the column order: a list, not a set.
  EXPECT_NE(argv("nvidia-smi", {"--query-gpu=index,name", "--format=csv"}),
            argv("nvidia-smi", {"--query-gpu=name,index", "--format=csv"}));
}

TEST(ToolGrammar, UnknownOptionsAreKeptVerbatimAndStillFail) {
  EXPECT_EQ(argv("nvidia-smi", {"-q", "--bogus", "-i", "0"}), (Words{"-q", "--bogus", "-i", "0"}));
  EXPECT_EQ(testing::run("dgx-h100", "nvidia-smi", {"-q", "--bogus"}).status, 2);
  EXPECT_EQ(argv("no-such-tool", {"-z", "b", "--c=d"}), (Words{"-z", "b", "--c=d"}));
}

TEST(ToolGrammar, LaunchersCanonicaliseTheCommandTheyRun) {
  EXPECT_EQ(argv("mpirun", {"--allow-run-as-root", "-np", "2", "all_reduce_perf", "-g2", "--minbytes=1K"}),
            (Words{"-np", "2", "--allow-run-as-root", "all_reduce_perf", "-g", "2", "-b", "1024"}));
}

// Each pair runs on the simulated host with the same status and output.
TEST(ToolGrammar, EquivalentSpellingsRunIdentically) {
  struct Case {
    std::string profile, tool;
    Words a, b;
  };
  const std::vector<Case> cases = {
      {"dgx-h100", "nvidia-smi", {"-q", "-d", "MEMORY", "-i", "0"}, {"--id=0", "--display=memory", "--query"}},
      {"dgx-h100", "nvidia-smi", {"--query-gpu=index,name", "--format=csv,noheader"},
       {"--format", "noheader,csv", "--query-gpu", "index,name"}},
      {"dgx-h100", "nvidia-smi", {"dmon", "-i", "2", "-s", "pu", "-c", "1"}, {"dmon", "--count=1", "-s", "up", "--id", "2"}},
      {"dgx-h100", "dcgmi", {"diag", "-r", "1", "-i", "0,1"}, {"diag", "--gpuList", "1,0", "--run", "1"}},
      {"mi250x-node", "rocm-smi", {"-d", "0", "1", "--showuse", "--showtemp"}, {"-t", "-u", "--device", "1", "0"}},
      {"mi250x-node", "amd-smi", {"metric", "-g", "0", "-p", "-u"}, {"metric", "--usage", "--power", "--gpu=0"}},
      {"dgx-h100", "all_reduce_perf", {"-b", "8", "-e", "128M", "-f", "2", "-g", "8"},
       {"--ngpus=8", "--stepfactor", "2", "-e131072K", "--minbytes", "8"}},
      {"dgx-h100", "lspci", {"-vvv", "-s", "3b:00.0"}, {"-s", "3b:00.0", "-v", "-vv"}},
  };
  for (const auto& c : cases) {
    const auto a = testing::run(c.profile, c.tool, c.a), b = testing::run(c.profile, c.tool, c.b);
    EXPECT_EQ(a.status, 0) << c.tool << " " << a.err;
    EXPECT_EQ(a.status, b.status) << c.tool << " " << b.err;
    EXPECT_EQ(a.out, b.out) << c.tool;
    EXPECT_FALSE(a.out.empty()) << c.tool;
  }
}

// A simulator fix found by canonical matching: `-C` is valid before `-cgi` as after it.
TEST(ToolGrammar, MigDefaultComputeInstanceIsOrderFree) {
  const auto a = testing::run("dgx-h100", "nvidia-smi", {"mig", "-i", "0", "-cgi", "9", "-C"});
  const auto b = testing::run("dgx-h100", "nvidia-smi", {"mig", "-C", "-cgi", "9", "-i", "0"});
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.err, b.err);
}

// Every simulated dataset reference: its canonical argv is a fixed point of canonicalisation.
TEST(DatasetCoverage, CanonicalArgvOfEveryReferenceIsAFixedPoint) {
  int checked = 0;
  for (const char* split : {"test.jsonl", "dev.jsonl", "fewshot.jsonl"}) {
    std::ifstream in(std::string(AIMICIUS_CMDGEN_DATA_DIR) + "/" + split);
    ASSERT_TRUE(in) << split;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      std::istringstream words(nlohmann::json::parse(line).at("reference").get<std::string>());
      Words all;
      for (std::string word; words >> word;) all.push_back(word);
      const auto command = grammar::parse_command_words(all);
      if (!find_tool(command.utility)) continue;
      const Words args(all.end() - static_cast<std::ptrdiff_t>(all.size()) +
                           static_cast<std::ptrdiff_t>(command.prefix.size() + command.assignments.size() + 1),
                       all.end());
      const Words once = argv(command.utility, args);
      EXPECT_EQ(argv(command.utility, once), once) << line;
      ++checked;
    }
  }
  EXPECT_GT(checked, 300);
}

}  // namespace
}  // namespace aimicius::hostsim
