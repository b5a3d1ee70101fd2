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


// Canonicalisation (NameTable::resolve) on a small catalogue with facts: two systems share a GPU.
NameTable facts_table(const nlohmann::json& aliases = nlohmann::json::object()) {
  NameFacts facts;
  facts.systems = {{"Alpha X1", {"ZG100 80GB"}}, {"Alpha X2 Pro", {"ZG100 40GB"}}, {"Beta Y2", {"QR7 16GB"}}};
  facts.criteria = {{"speed", {"ops/s"}}, {"delay", {"us"}}};
  facts.criteria_of_workload = {{"ping", {"speed", "delay", "bus bandwidth"}}, {"sort", {"speed", "memory bandwidth"}}};
  return NameTable(aliases, "aliases.json", {"Alpha X1", "Alpha X2 Pro", "Beta Y2"}, {"ping", "sort"},
                   {"speed", "delay", "bus bandwidth", "memory bandwidth"}, facts);
}

TEST(NameTableResolve, SpellingsOfANameOrAlias) {
  const NameTable table = facts_table(nlohmann::json::parse(R"({"systems": {"Beta Y2": ["Bee"]}})"));
  for (const char* spelling : {"Alpha X1", "alpha-x1", "ALPHA_X1", "AlphaX1", " alpha  x1 "}) {
    const NameResolution r = table.resolve(NameKind::kSystem, spelling);
    EXPECT_EQ(r.name, "Alpha X1") << spelling;
    EXPECT_EQ(r.how, "spelling") << spelling;
  }
  EXPECT_EQ(table.resolve(NameKind::kSystem, "BetaY2").name, "Beta Y2");
  EXPECT_EQ(table.resolve(NameKind::kSystem, "BEES").name, "Beta Y2");  // the alias, plural
}

TEST(NameTableResolve, DistinguishingTokensPickTheOneConsistentEntry) {
  const NameTable table = facts_table();
  auto name = [&](const char* spelling) { return table.resolve(NameKind::kSystem, spelling).name; };
  EXPECT_EQ(name("ZG100 80GB"), "Alpha X1");
  EXPECT_EQ(name("ZG100 40 GB"), "Alpha X2 Pro");
  EXPECT_EQ(name("QR7"), "Beta Y2");
  EXPECT_EQ(name("NVIDIA Beta-Y2 server"), "Beta Y2");
  EXPECT_EQ(name("X2 Pro"), "Alpha X2 Pro");
  EXPECT_EQ(name("Pro"), "Alpha X2 Pro");
  EXPECT_EQ(table.resolve(NameKind::kSystem, "QR7").how, "tokens");
}

TEST(NameTableResolve, AmbiguousAndUnknownNamesAreNotGuessed) {
  const NameTable table = facts_table();
  const NameResolution zg = table.resolve(NameKind::kSystem, "ZG100");
  EXPECT_EQ(zg.name, std::nullopt);
  EXPECT_EQ(zg.how, "ambiguous");
  EXPECT_EQ(zg.candidates, (std::vector<std::string>{"Alpha X1", "Alpha X2 Pro"}));
  EXPECT_EQ(table.resolve(NameKind::kSystem, "Alpha").how, "ambiguous");
  EXPECT_EQ(table.resolve(NameKind::kSystem, "Alpha X3").how, "unknown");
  EXPECT_EQ(table.resolve(NameKind::kSystem, "ZG100 16GB").how, "unknown");  // no entry has both
  EXPECT_EQ(table.resolve(NameKind::kSystem, "the VM").how, "unknown");      // filler only
  EXPECT_EQ(table.resolve(NameKind::kSystem, "").how, "unknown");
  // Kinds stay apart: a system's GPU is not a workload.
  EXPECT_EQ(table.resolve(NameKind::kWorkload, "QR7").how, "unknown");
}

TEST(NameTableResolve, CriteriaAreMatchedWithinTheWorkload) {
  const NameTable table = facts_table();
  EXPECT_EQ(table.resolve(NameKind::kCriterion, "bandwidth", std::string("ping")).name, "bus bandwidth");
  EXPECT_EQ(table.resolve(NameKind::kCriterion, "BW", std::string("sort")).name, "memory bandwidth");
  EXPECT_EQ(table.resolve(NameKind::kCriterion, "bandwidth").how, "ambiguous");
  EXPECT_EQ(table.resolve(NameKind::kCriterion, "busbw").name, "bus bandwidth");
  EXPECT_EQ(table.resolve(NameKind::kCriterion, "latency (\u00b5s)", std::string("ping")).how, "unknown");
  EXPECT_EQ(table.resolve(NameKind::kCriterion, "delay (\u00b5s)", std::string("ping")).name, "delay");
  EXPECT_EQ(table.resolve(NameKind::kCriterion, "\u00b5s", std::string("ping")).name, "delay");
  // A spelling of a canonical name is found whatever the workload says.
  EXPECT_EQ(table.resolve(NameKind::kCriterion, "Memory-Bandwidth", std::string("ping")).name, "memory bandwidth");
  EXPECT_EQ(table.criteria_of("sort"), (std::vector<std::string>{"speed", "memory bandwidth"}));
}

TEST(NameTableResolve, BadFactsAndSpellingCollisionsAreInputErrors) {
  NameFacts facts;
  facts.systems = {{"Delta", {"x"}}};
  EXPECT_THROW(NameTable(nlohmann::json::object(), "aliases.json", {"Alpha X1"}, {"ping"}, {"speed"}, facts), InputError);
  facts = {};
  facts.criteria_of_workload = {{"ping", {"rate"}}};
  EXPECT_THROW(NameTable(nlohmann::json::object(), "aliases.json", {"Alpha X1"}, {"ping"}, {"speed"}, facts), InputError);
  // "speeds" and "speed" normalise apart but are spelt alike (a plural).
  expect_input_error(nlohmann::json::parse(R"({"criteria": {"delay": ["speeds"]}})"), "spelt like a name of");
}

}  // namespace
}  // namespace aimicius
