// Audit variants of the optiflow references (scorers/plan/plan_audit.h), scored by the
// topology_plan scorer in the sandbox: on the dev split every example yields right and wrong
// variants, and the plan_optimal headline falsely accepts at most 2% of the wrong ones and
// falsely rejects at most 5% of the right ones. Prints false-accept / false-reject rates of every
// metric that gives a pass/fail verdict (latency_ratio: value 1). The same over the test split is
// DISABLED_ (about 3,500 sandboxed runs; run it with --gtest_also_run_disabled_tests).
// Skipped, with the reason, where bubblewrap cannot run.
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "scorers/sandbox/sandbox.h"
#include "tests/tasks/optiflow/optiflow_test_support.h"

namespace aimicius::optiflow {
namespace {

struct Rates {
  int right = 0, wrong = 0;
  std::map<std::string, int> false_accepts, false_rejects;  // metric -> count
  std::map<std::string, int> kinds;                          // kind -> count
};

Rates audit_split(const std::string& split) {
  const Sandbox sandbox;
  ScoringContext context;
  context.sandbox = &sandbox;
  const auto scorer = testing::make_scorer_for_tests();
  const std::vector<Example> examples = testing::load_split(split);
  Rates rates;
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i = next++; i < examples.size(); i = next++) {
      const Example& ex = examples[i];
      const std::vector<AuditVariant> variants = scorer->audit_variants(ex);
      std::set<std::string> right_kinds, wrong_kinds;
      for (const AuditVariant& v : variants) (v.right ? right_kinds : wrong_kinds).insert(v.kind);
      EXPECT_GE(right_kinds.size(), 3u) << ex.id;
      EXPECT_GE(wrong_kinds.size(), 2u) << ex.id;
      for (const AuditVariant& v : variants) {
        const std::vector<ScoreRow> rows = scorer->score(ex, v.answer, context);
        std::lock_guard<std::mutex> lock(mu);
        ++(v.right ? rates.right : rates.wrong);
        ++rates.kinds[(v.right ? "right " : "wrong ") + v.kind];
        for (const ScoreRow& row : rows) {
          const bool pass = row.value >= 1.0;
          if (v.right && !pass) ++rates.false_rejects[row.metric];
          if (!v.right && pass) ++rates.false_accepts[row.metric];
          rates.false_rejects[row.metric] += 0;
          rates.false_accepts[row.metric] += 0;
        }
      }
    }
  };
  std::thread other(loop);
  loop();
  other.join();
  std::printf("[ audit    ] %s: %d right, %d wrong variants\n", split.c_str(), rates.right, rates.wrong);
  for (const auto& [kind, count] : rates.kinds) std::printf("[ audit    ]   %-32s %d\n", kind.c_str(), count);
  for (const auto& [metric, fa] : rates.false_accepts)
    std::printf("[ audit    ]   %-16s false accepts %4d (%.1f%%)  false rejects %4d (%.1f%%)\n", metric.c_str(), fa,
                100.0 * fa / std::max(1, rates.wrong), rates.false_rejects[metric],
                100.0 * rates.false_rejects[metric] / std::max(1, rates.right));
  return rates;
}

void expect_headline_bounds(const Rates& rates) {
  ASSERT_GT(rates.right, 0);
  ASSERT_GT(rates.wrong, 0);
  EXPECT_LE(rates.false_accepts.at("plan_optimal"), 0.02 * rates.wrong);
  EXPECT_LE(rates.false_rejects.at("plan_optimal"), 0.05 * rates.right);
}

class OptiflowAudit : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      Sandbox probe;
    } catch (const SandboxUnavailable& e) {
      GTEST_SKIP() << "bubblewrap sandbox unavailable: " << e.what();
    }
  }
};

TEST_F(OptiflowAudit, PlanOptimalSeparatesRightFromWrongVariantsOnDev) { expect_headline_bounds(audit_split("dev")); }

TEST_F(OptiflowAudit, DISABLED_PlanOptimalSeparatesRightFromWrongVariantsOnTest) {
  expect_headline_bounds(audit_split("test"));
}

}  // namespace
}  // namespace aimicius::optiflow
