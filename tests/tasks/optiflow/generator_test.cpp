// The optiflow generator reproduces the committed data byte for byte, suite.json seals those
// bytes, and the data has the promised shape: split sizes, subtask mix, disjoint few-shot pool,
// baselines slower than references, prompt text stating every link.
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/sha256.h"
#include "scorers/topology/topology.h"
#include "tasks/optiflow/example_generator.h"
#include "tests/tasks/optiflow/optiflow_test_support.h"

namespace aimicius::optiflow {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The topology JSON without its name: what makes two requests the same.
std::string fingerprint(const Example& ex) {
  nlohmann::json topology = ex.fields.at("topology");
  topology.erase("name");
  return topology.dump();
}

TEST(OptiflowGenerator, RegeneratesTheCommittedFilesByteForByte) {
  const std::map<std::string, std::string> generated = generate_dataset();
  ASSERT_EQ(generated.size(), 3u);
  for (const auto& [split, text] : generated) {
    const std::string committed = read_file(testing::suite_dir() / (split + ".jsonl"));
    if (text == committed) continue;
    std::istringstream a(text), b(committed);
    std::string line_a, line_b;
    int line = 0;
    while (true) {
      ++line;
      const bool more_a = static_cast<bool>(std::getline(a, line_a));
      const bool more_b = static_cast<bool>(std::getline(b, line_b));
      if (!more_a && !more_b) break;
      if (line_a != line_b || more_a != more_b) {
        ADD_FAILURE() << split << ".jsonl differs from the generator's output first at line " << line
                      << " (regenerate with aimicius-optiflow-gen datasets/optiflow and reseal)";
        break;
      }
    }
  }
}

TEST(OptiflowGenerator, SuiteJsonSealsTheFiles) {
  const nlohmann::json suite = nlohmann::json::parse(read_file(testing::suite_dir() / "suite.json"));
  ASSERT_EQ(suite.at("files").size(), 3u);
  for (const auto& file : suite.at("files")) {
    const std::filesystem::path path = testing::suite_dir() / file.at("path").get<std::string>();
    EXPECT_EQ(sha256_file_hex(path), file.at("sha256").get<std::string>()) << path;
    EXPECT_EQ(static_cast<int64_t>(testing::load_split(file.at("split").get<std::string>()).size()),
              file.at("count").get<int64_t>())
        << path;
  }
}

TEST(OptiflowGenerator, SplitsHaveTheDeclaredSizesAndSubtaskMix) {
  const std::map<std::string, size_t> expected = {{"test", kTestCount}, {"dev", kDevCount}, {"fewshot", kFewshotCount}};
  std::set<std::string> ids;
  for (const auto& [split, count] : expected) {
    const std::vector<Example> examples = testing::load_split(split);
    ASSERT_EQ(examples.size(), count) << split;
    size_t improvement = 0;
    for (const Example& ex : examples) {
      EXPECT_TRUE(ids.insert(ex.id).second) << "duplicate id " << ex.id;
      const std::string subtask = ex.fields.at("subtask").get<std::string>();
      if (subtask == "improvement") {
        ++improvement;
        EXPECT_GE(ex.fields.at("baseline_latency_us").get<double>(),
                  ex.fields.at("reference_latency_us").get<double>() * (1.0 + kMinBaselineGap))
            << ex.id;
        EXPECT_NE(ex.fields.at("task_text").get<std::string>().find(ex.fields.at("baseline_program").get<std::string>()),
                  std::string::npos)
            << ex.id << ": the prompt must show the baseline program";
      } else {
        EXPECT_EQ(subtask, "generation") << ex.id;
        EXPECT_FALSE(ex.fields.contains("baseline_program")) << ex.id;
      }
      EXPECT_EQ(ex.fields.at("gpu_count").get<int>(),
                topology::parse_topology(ex.fields.at("topology")).gpu_count())
          << ex.id;
    }
    // Positions i % 5 in {1, 3}: 40% of each split.
    EXPECT_EQ(improvement, count * 2 / 5) << split;
  }
}

TEST(OptiflowGenerator, FewshotTopologiesAreSmallAndAppearNowhereElse) {
  std::set<std::string> evaluated;
  for (const char* split : {"test", "dev"})
    for (const Example& ex : testing::load_split(split)) evaluated.insert(fingerprint(ex));
  for (const Example& ex : testing::load_split("fewshot")) {
    EXPECT_LE(ex.fields.at("gpu_count").get<int>(), kFewshotMaxGpus) << ex.id;
    EXPECT_EQ(evaluated.count(fingerprint(ex)), 0u) << ex.id << " repeats an evaluated topology";
  }
}

TEST(OptiflowGenerator, DevAndTestShareNoTopology) {
  std::set<std::string> dev;
  for (const Example& ex : testing::load_split("dev")) dev.insert(fingerprint(ex));
  for (const Example& ex : testing::load_split("test"))
    EXPECT_EQ(dev.count(fingerprint(ex)), 0u) << ex.id << " shares its topology with a dev example";
}

TEST(OptiflowGenerator, TopologyTextListsEveryNodeAndLink) {
  for (const Example& ex : testing::load_split("dev")) {
    const topology::Topology t = topology::parse_topology(ex.fields.at("topology"));
    const std::string text = ex.fields.at("topology_text").get<std::string>();
    size_t link_lines = 0, node_lines = 0;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("  ", 0) != 0) continue;  // headers are not indented
      if (line.find(" <-> ") != std::string::npos || line.find(" -> ") != std::string::npos) ++link_lines;
      else if (line.find(" host ") != std::string::npos) ++node_lines;
    }
    EXPECT_EQ(link_lines, t.links().size()) << ex.id;
    EXPECT_EQ(node_lines, static_cast<size_t>(t.node_count())) << ex.id;
  }
}

TEST(OptiflowGenerator, UnknownSkuGeneratorIsRejected) {
  EXPECT_THROW(build_sku({{"generator", "dgx_b300"}}), std::invalid_argument);
}

}  // namespace
}  // namespace aimicius::optiflow
