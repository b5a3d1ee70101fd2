// Name normalisation and the alias table of the infrawise scorer (scorers/dcw/dcw_names.h).
#include "scorers/dcw/dcw_names.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace aimicius {
namespace {

TEST(NormaliseName, LowerCasesAndCollapsesSeparators) {
  EXPECT_EQ(normalise_name("ND H100 v5"), "nd h100 v5");
  EXPECT_EQ(normalise_name("  ND_H100-v5 "), "nd h100 v5");
  EXPECT_EQ(normalise_name("Standard_ND96isr_H100_v5"), "standard nd96isr h100 v5");
  EXPECT_EQ(normalise_name("all_reduce"), "all reduce");
  EXPECT_EQ(normalise_name("All-Reduce"), "all reduce");
  EXPECT_EQ(normalise_name("tokens/s"), "tokens s");
  EXPECT_EQ(normalise_name("TFLOPS"), "tflops");
  // Word boundaries matter: these are different keys (the alias table bridges them).
  EXPECT_NE(normalise_name("allreduce"), normalise_name("all reduce"));
  EXPECT_EQ(normalise_name("--//"), "");
  EXPECT_EQ(normalise_name(""), "");
}

nlohmann::json mini_aliases() {
  return nlohmann::json::parse(R"({
    "comment": "x",
    "systems": {"Alpha X1": ["alpha", "AX-1"], "Beta Y2": ["beta"]},
    "workloads": {"ping": ["pingpong"]},
    "criteria": {"speed": ["rate"]}})");
}

NameTable mini_table(const nlohmann::json& aliases) {
  return NameTable(aliases, "aliases.json", {"Alpha X1", "Beta Y2"}, {"ping", "sort"}, {"speed", "delay"});
}

TEST(NameTable, ResolvesCanonicalNamesAliasesAndSpellings) {
  const NameTable table = mini_table(mini_aliases());
  EXPECT_EQ(table.canonical(NameKind::kSystem, "Alpha X1"), "Alpha X1");
  EXPECT_EQ(table.canonical(NameKind::kSystem, "alpha_x1"), "Alpha X1");
  EXPECT_EQ(table.canonical(NameKind::kSystem, "ALPHA"), "Alpha X1");
  EXPECT_EQ(table.canonical(NameKind::kSystem, "ax 1"), "Alpha X1");
  EXPECT_EQ(table.canonical(NameKind::kSystem, "beta"), "Beta Y2");
  EXPECT_EQ(table.canonical(NameKind::kSystem, "gamma"), std::nullopt);
  EXPECT_EQ(table.canonical(NameKind::kWorkload, "PINGPONG"), "ping");
  EXPECT_EQ(table.canonical(NameKind::kWorkload, "Ping-Pong"), std::nullopt);  // "ping pong" is another key
  EXPECT_EQ(table.canonical(NameKind::kWorkload, "SORT"), "sort");
  EXPECT_EQ(table.canonical(NameKind::kCriterion, "Rate"), "speed");
  // Kinds are separate namespaces: a system alias is not a workload.
  EXPECT_EQ(table.canonical(NameKind::kWorkload, "alpha"), std::nullopt);
  EXPECT_EQ(table.canonical(NameKind::kCriterion, "ping"), std::nullopt);
}

TEST(NameTable, IsCanonicalIsExact) {
  const NameTable table = mini_table(mini_aliases());
  EXPECT_TRUE(table.is_canonical(NameKind::kSystem, "Alpha X1"));
  EXPECT_FALSE(table.is_canonical(NameKind::kSystem, "alpha x1"));
  EXPECT_FALSE(table.is_canonical(NameKind::kSystem, "alpha"));
  EXPECT_TRUE(table.is_canonical(NameKind::kCriterion, "delay"));
}

void expect_input_error(const nlohmann::json& aliases, const std::string& needle) {
  try {
    mini_table(aliases);
    ADD_FAILURE() << "no InputError for " << aliases.dump();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("aliases.json"), std::string::npos) << error.what();
  }
}

TEST(NameTable, RejectsBadAliasFiles) {
  expect_input_error(nlohmann::json::parse(R"({"systems": {"Alpha X1": ["same"], "Beta Y2": ["SAME"]}})"),
                     "would name both");
  // An alias that collides with another system's canonical name.
  expect_input_error(nlohmann::json::parse(R"({"systems": {"Alpha X1": ["beta y2"]}})"), "would name both");
  expect_input_error(nlohmann::json::parse(R"({"systems": {"Delta": ["d"]}})"), "not a canonical name");
  expect_input_error(nlohmann::json::parse(R"({"system": {}})"), "unknown key \"system\"");
  expect_input_error(nlohmann::json::parse(R"({"systems": {"Alpha X1": "alpha"}})"), "must be an array");
  expect_input_error(nlohmann::json::parse(R"({"systems": {"Alpha X1": [3]}})"), "not a string");
  expect_input_error(nlohmann::json::parse(R"({"criteria": {"speed": ["--"]}})"), "no letters or digits");
  expect_input_error(nlohmann::json::parse(R"([1])"), "must be a JSON object");
}

TEST(NameTable, SameAliasTwiceForOneNameIsFine) {
  const NameTable table =
      mini_table(nlohmann::json::parse(R"({"systems": {"Alpha X1": ["alpha", "ALPHA", "alpha x1"]}})"));
  EXPECT_EQ(table.canonical(NameKind::kSystem, "alpha"), "Alpha X1");
}

}  // namespace
}  // namespace aimicius
