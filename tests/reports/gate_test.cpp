// The regression gate on runs constructed in a scratch store: a significant big drop fails, a
// small drop passes, an insignificant big drop passes, an improvement passes, each saying why;
// runs on different data are refused; the CLI's exit codes (0 pass, 1 regression, 2 bad input)
// and its JUnit XML (well-formed, one test case per suite/metric, escaped) as CI sees them.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>

#include "common/errors.h"
#include "reports/constructed_runs.h"
#include "reports/comparison.h"
#include "reports/gate.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::add_toy_run;
using testing::toy_examples;
using testing::with_flips;

class Gate : public ::testing::Test {
 protected:
  void SetUp() override { store_.emplace(Store::open_for_write(db())); }
  std::string db() const { return (dir_ / "gate.db").string(); }
  // `r` must outlive the returned reference (keep the result in a variable).
  const GateCase& only_case(const GateResult& r) {
    EXPECT_EQ(r.cases.size(), 1u) << "headline only by default";
    return r.cases.at(0);
  }
  GateResult gate(int64_t a, int64_t b, GateOptions o = {}) {
    return run_gate(*store_, *store_->find_run(a), *store_->find_run(b), o);
  }
  testing::ScratchDir dir_;
  std::optional<Store> store_;
};

// Baseline: 200 examples, 160 pass.
TEST_F(Gate, SignificantDropLargerThanMaxDropFails) {
  const auto base = toy_examples(200, 160);
  const int64_t a = add_toy_run(*store_, "base", base);
  // 20 pass -> fail, none back: drop 10 points, McNemar p = 2 / 2^20.
  const int64_t b = add_toy_run(*store_, "cand", with_flips(base, 0, 20, 0.0));
  const auto r = gate(a, b);
  const auto& c = only_case(r);
  EXPECT_TRUE(c.failed);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(c.cmp.metric, "accuracy");
  EXPECT_EQ(c.cmp.test, "McNemar exact");
  EXPECT_NEAR(c.cmp.p_value, 2.0 / 1048576.0, 1e-15);
  EXPECT_EQ(c.cmp.worse_ids.size(), 20u);
  EXPECT_EQ(c.cmp.worse_ids.front(), "e000");
  EXPECT_NE(c.verdict.find("drop 10.0 > max-drop 1.0 and significant"), std::string::npos) << c.verdict;
  EXPECT_LT(c.cmp.diff.high, 0.0);  // the paired CI excludes 0
}

TEST_F(Gate, SmallDropPasses) {
  const auto base = toy_examples(200, 160);
  const int64_t a = add_toy_run(*store_, "base", base);
  const int64_t b = add_toy_run(*store_, "cand", with_flips(base, 0, 1, 0.0));  // 0.5 points
  const auto r = gate(a, b);
  const auto& c = only_case(r);
  EXPECT_FALSE(c.failed);
  EXPECT_NE(c.verdict.find("drop 0.5 within max-drop 1.0"), std::string::npos) << c.verdict;
}

TEST_F(Gate, BigButInsignificantDropPasses) {
  const auto base = toy_examples(200, 160);
  const int64_t a = add_toy_run(*store_, "base", base);
  // 6 pass -> fail and 3 fail -> pass: drop 1.5 points, p = 2 * (1 + 9 + 36 + 84) / 512.
  const int64_t b = add_toy_run(*store_, "cand", with_flips(with_flips(base, 0, 6, 0.0), 160, 163, 1.0));
  const auto r = gate(a, b);
  const auto& c = only_case(r);
  EXPECT_FALSE(c.failed);
  EXPECT_NEAR(c.cmp.p_value, 260.0 / 512.0, 1e-12);
  EXPECT_NE(c.verdict.find("drop 1.5 not significant (p=0.508"), std::string::npos) << c.verdict;
  // The same drop with a tolerant alpha fails: the verdict depends on both conditions.
  GateOptions loose;
  loose.alpha = 0.6;
  const auto strict_fail = gate(a, b, loose);
  EXPECT_TRUE(only_case(strict_fail).failed);
}

TEST_F(Gate, ImprovementPassesAndAllMetricsUsePermutationForContinuousOnes) {
  const auto base = toy_examples(200, 160);
  const int64_t a = add_toy_run(*store_, "base", base);
  const int64_t b = add_toy_run(*store_, "cand", with_flips(base, 160, 200, 1.0));
  GateOptions all;
  all.all_metrics = true;
  const auto r = gate(a, b, all);
  ASSERT_EQ(r.cases.size(), 2u);
  EXPECT_TRUE(r.passed());
  EXPECT_NE(r.cases[0].verdict.find("pass: improved by 20.0"), std::string::npos) << r.cases[0].verdict;
  EXPECT_EQ(r.cases[1].cmp.metric, "similarity");
  EXPECT_FALSE(r.cases[1].cmp.binary);
  EXPECT_EQ(r.cases[1].cmp.test, "permutation Monte Carlo");  // 40 nonzero differences
  // Identical runs: no change.
  const int64_t same = add_toy_run(*store_, "same", base);
  const auto unchanged = gate(a, same);
  EXPECT_NE(only_case(unchanged).verdict.find("pass: no change"), std::string::npos);
}

TEST_F(Gate, RefusesRunsThatDidNotSeeTheSameData) {
  const auto base = toy_examples(20, 10);
  const int64_t a = add_toy_run(*store_, "base", base);
  const int64_t b = add_toy_run(*store_, "cand", base, testing::toy_suites("data-2"));
  const std::string msg = testing::error_of([&] { gate(a, b); });
  EXPECT_NE(msg.find("did not evaluate the same data"), std::string::npos) << msg;
  EXPECT_NE(msg.find("data_sha256 differs"), std::string::npos) << msg;
  GateOptions allow;
  allow.allow_data_change = true;
  const auto r = gate(a, b, allow);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_TRUE(r.passed());
  // A running candidate is refused too.
  NewRun running;
  running.model_spec = "x";
  running.suites = testing::toy_suites();
  running.config = nlohmann::json::object();
  const int64_t c = store_->create_run(running);
  EXPECT_NE(testing::error_of([&] { gate(a, c); }).find("is running"), std::string::npos);
}

// Runs generated differently (the engine: a CPU with AMX-BF16 and one without; the prompt style, a
// suite's token budget or stop strings, the temperature; the seed only when both sampled) are gated
// and compared, with one warning a setting in the gate, the comparison's notes and its JSON;
// settings only one run records (an API model's engine, an older run) are not compared.
TEST_F(Gate, WarnsWhenTheRunsGeneratedDifferently) {
  const auto base = toy_examples(40, 20);
  auto suites = [](int64_t max_new_tokens, const std::string& stop) {
    nlohmann::json s = testing::toy_suites();
    s["toy"]["generation"] = {{"max_new_tokens", max_new_tokens}, {"stop", {stop}}};
    return s;
  };
  auto config = [](const std::string& engine, bool chat, double temperature, int seed) {
    return nlohmann::json{{"split", "test"},
                          {"engine", engine},
                          {"prompt_style", {{"chat", chat}, {"fewshot", chat ? "turns" : "inline"}}},
                          {"temperature", temperature},
                          {"seed", seed}};
  };
  const std::string amx = "cpu avx512-amx";
  const int64_t a = add_toy_run(*store_, "m", base, suites(512, "\n\n"), config(amx, true, 0.0, 0));
  const int64_t same = add_toy_run(*store_, "m", base, suites(512, "\n\n"), config(amx, true, 0.0, 7));  // seed unused
  EXPECT_TRUE(gate(a, same).warnings.empty());
  const int64_t b = add_toy_run(*store_, "m", base, suites(2560, "\n\n"), config("cpu avx2", false, 0.0, 0));
  const auto r = gate(a, b);
  EXPECT_TRUE(r.passed());
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_NE(r.warnings[0].find("engine differs (run 1: \"cpu avx512-amx\", run 3: \"cpu avx2\")"), std::string::npos)
      << r.warnings[0];
  EXPECT_NE(r.warnings[1].find("prompt_style differs"), std::string::npos) << r.warnings[1];
  EXPECT_NE(r.warnings[2].find("suite toy: max_new_tokens differs (run 1: 512, run 3: 2560)"), std::string::npos)
      << r.warnings[2];
  const Comparison c = compare_runs(*store_, *store_->find_run(a), *store_->find_run(b), {});
  EXPECT_EQ(comparison_json(c)["setting_mismatches"].size(), 3u);
  const Table t = comparison_table(c);
  EXPECT_EQ(std::count_if(t.notes.begin(), t.notes.end(), [](const std::string& n) { return n.rfind("warning: ", 0) == 0; }),
            3);
  // Stop strings, temperature, and the seed once both sample.
  const int64_t hot1 = add_toy_run(*store_, "m", base, suites(512, "</s>"), config(amx, true, 0.7, 1));
  const int64_t hot2 = add_toy_run(*store_, "m", base, suites(512, "</s>"), config(amx, true, 0.7, 2));
  const auto stop = gate(a, hot1);
  ASSERT_EQ(stop.warnings.size(), 2u);
  EXPECT_NE(stop.warnings[0].find("temperature differs"), std::string::npos) << stop.warnings[0];
  EXPECT_NE(stop.warnings[1].find("suite toy: stop differs"), std::string::npos) << stop.warnings[1];
  const auto seeds = gate(hot1, hot2);
  ASSERT_EQ(seeds.warnings.size(), 1u);
  EXPECT_NE(seeds.warnings[0].find("seed (both sampled) differs"), std::string::npos) << seeds.warnings[0];
  // A run that records none of these (an older run; an API model names no engine) gets no warning.
  EXPECT_TRUE(gate(a, add_toy_run(*store_, "m", base)).warnings.empty());
}

int system_exit(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(Gate, CommandLineExitCodesAndJunit) {
  const auto base = toy_examples(200, 160);
  const int64_t a = add_toy_run(*store_, "base <&> \"quoted\"", base);
  const int64_t bad = add_toy_run(*store_, "cand", with_flips(base, 0, 20, 0.0));
  const int64_t good = add_toy_run(*store_, "cand2", with_flips(base, 0, 1, 0.0));
  store_.reset();  // the CLI reads the file
  const auto junit = dir_ / "gate.xml";
  const auto out = dir_ / "out.txt";
  auto gate_cli = [&](const std::string& args) {
    return system_exit(std::string("'") + AIMICIUS_BIN + "' --db '" + db() + "' gate " + args + " --junit '" +
                       junit.string() + "' >'" + out.string() + "' 2>&1");
  };
  EXPECT_EQ(gate_cli(fmt::format("--baseline {} --candidate {} --metrics all", a, bad)), 1);
  const std::string text = testing::read_file(out);
  EXPECT_NE(text.find("FAIL toy/accuracy"), std::string::npos) << text;
  EXPECT_NE(text.find("gate FAILED"), std::string::npos) << text;
  const std::string xml = testing::read_file(junit);
  EXPECT_EQ(testing::xml_problem(xml), "") << xml;
  EXPECT_NE(xml.find("<testcase classname=\"aimicius.toy\" name=\"accuracy\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<testcase classname=\"aimicius.toy\" name=\"similarity\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"regression: drop 10.0"), std::string::npos) << xml;
  EXPECT_NE(xml.find("base &lt;&amp;&gt; &quot;quoted&quot;"), std::string::npos) << "model name escaped:\n" << xml;
  EXPECT_NE(xml.find("tests=\"2\" failures=\"2\""), std::string::npos) << xml;

  EXPECT_EQ(gate_cli(fmt::format("--baseline {} --candidate {}", a, good)), 0);
  EXPECT_NE(testing::read_file(out).find("gate passed: 0 of 1 checks failed"), std::string::npos) << testing::read_file(out);
  const std::string pass_xml = testing::read_file(junit);
  EXPECT_EQ(testing::xml_problem(pass_xml), "") << pass_xml;
  EXPECT_EQ(pass_xml.find("<failure"), std::string::npos) << pass_xml;

  EXPECT_EQ(gate_cli(fmt::format("--baseline {} --candidate 99", a)), 2);
  EXPECT_NE(testing::read_file(out).find("no run 99"), std::string::npos);
  EXPECT_EQ(gate_cli(fmt::format("--baseline {} --candidate {} --metrics some", a, good)), 2);
  EXPECT_EQ(gate_cli(fmt::format("--baseline {} --candidate {} --alpha 2", a, good)), 2);
}

TEST(JunitCheck, CatchesMalformedXml) {
  // The checker the JUnit test relies on must itself reject broken documents.
  EXPECT_EQ(testing::xml_problem("<a><b x=\"1\"/>t &amp; u</a>"), "");
  EXPECT_NE(testing::xml_problem("<a><b></a>"), "");
  EXPECT_NE(testing::xml_problem("<a>x & y</a>"), "");
  EXPECT_NE(testing::xml_problem("<a x=\"<\">"), "");
  EXPECT_NE(testing::xml_problem("<a>"), "");
}

}  // namespace
}  // namespace aimicius
