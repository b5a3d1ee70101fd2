// The statistics of reports/statistics.h against cases computed by hand: exact McNemar p-values
// from binomial sums, exact permutation p-values by enumerating every sign pattern on paper,
// bootstrap intervals checked for their properties and one fixed-seed value recomputed here with
// an independent loop over the same random stream.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "reports/statistics.h"

namespace aimicius {
namespace {

TEST(McNemar, ExactTwoSidedBinomialTails) {
  // n = 6 discordant, k = 1: P(X <= 1) = (C(6,0) + C(6,1)) / 64 = 7/64; two-sided 14/64.
  EXPECT_NEAR(mcnemar_exact_p(1, 5), 14.0 / 64.0, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(5, 1), 14.0 / 64.0, 1e-12);  // symmetric in b and c
  // n = 5, k = 0: 2 * 1/32.
  EXPECT_NEAR(mcnemar_exact_p(0, 5), 2.0 / 32.0, 1e-12);
  // n = 12, k = 2: 2 * (1 + 12 + 66) / 4096.
  EXPECT_NEAR(mcnemar_exact_p(2, 10), 158.0 / 4096.0, 1e-12);
  // n = 6, k = 3: 2 * 42/64 > 1, clamped.
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(3, 3), 1.0);
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(0, 0), 1.0);
  // n = 20, k = 0: 2 / 2^20 (large counts go through log space without underflow to 0).
  EXPECT_NEAR(mcnemar_exact_p(20, 0), 2.0 / 1048576.0, 1e-15);
  const double huge = mcnemar_exact_p(3000, 0);  // 2 / 2^3000 underflows: 0, not NaN
  EXPECT_GE(huge, 0.0);
  EXPECT_LT(huge, 1e-100);
  EXPECT_NEAR(mcnemar_exact_p(1500, 1500), 1.0, 1e-9);
}

TEST(Permutation, ExactOverAllSignPatterns) {
  std::mt19937_64 rng(1);
  // Signs of (1, 2, 3): sums 6, 4, 2, 0, 0, -2, -4, -6; |sum| >= 6 in 2 of 8.
  EXPECT_DOUBLE_EQ(paired_permutation_p({1, 2, 3}, rng), 2.0 / 8.0);
  // Zero differences change nothing: same p.
  EXPECT_DOUBLE_EQ(paired_permutation_p({1, 0, 2, 0, 3}, rng), 2.0 / 8.0);
  // (2, -1, 1): observed 2; sums of +-2 +-1 +-1 are 4, 2, 2, 0, 0, -2, -2, -4: 6 of 8 reach |2|.
  EXPECT_DOUBLE_EQ(paired_permutation_p({2, -1, 1}, rng), 6.0 / 8.0);
  // Five equal positive differences: only all-plus and all-minus reach 5.
  EXPECT_DOUBLE_EQ(paired_permutation_p({0.2, 0.2, 0.2, 0.2, 0.2}, rng), 2.0 / 32.0);
  // 16 nonzero differences are still exact: 2 / 2^16.
  EXPECT_DOUBLE_EQ(paired_permutation_p(std::vector<double>(16, 0.5), rng), 2.0 / 65536.0);
  EXPECT_DOUBLE_EQ(paired_permutation_p({0, 0, 0}, rng), 1.0);
}

TEST(Permutation, MonteCarloAboveTheExactLimit) {
  // 30 equal differences: exact p is 2 / 2^30, so nearly no random pattern reaches it and the
  // estimate is (1 + hits) / (1 + R) ~ 1 / (1 + R), never 0.
  std::mt19937_64 rng(7);
  const double p = paired_permutation_p(std::vector<double>(30, 1.0), rng, 1000);
  EXPECT_GE(p, 1.0 / 1001.0);
  EXPECT_LE(p, 3.0 / 1001.0);
  // Symmetric noise: a large p, and the same seed gives the same estimate.
  std::vector<double> d;
  for (int i = 0; i < 40; ++i) d.push_back(i % 2 ? 0.3 : -0.3);
  std::mt19937_64 r1(9), r2(9);
  const double p1 = paired_permutation_p(d, r1, 2000);
  EXPECT_GT(p1, 0.5);
  EXPECT_DOUBLE_EQ(p1, paired_permutation_p(d, r2, 2000));
}

std::vector<double> zeros_and_ones(int ones, int n) {
  std::vector<double> v(static_cast<size_t>(n), 0.0);
  std::fill(v.begin(), v.begin() + ones, 1.0);
  return v;
}

TEST(Bootstrap, IntervalProperties) {
  std::mt19937_64 rng(42);
  const auto small = bootstrap_mean_ci(zeros_and_ones(14, 20), rng);
  EXPECT_DOUBLE_EQ(small.mean, 0.7);
  EXPECT_EQ(small.n, 20);
  EXPECT_LE(small.low, small.mean);
  EXPECT_GE(small.high, small.mean);
  EXPECT_GE(small.low, 0.0);
  EXPECT_LE(small.high, 1.0);
  const auto big = bootstrap_mean_ci(zeros_and_ones(1400, 2000), rng);
  EXPECT_DOUBLE_EQ(big.mean, 0.7);
  EXPECT_LT(big.high - big.low, (small.high - small.low) / 3);  // ~ 1/sqrt(100) as wide
  // Normal approximation at n = 2000: half-width 1.96 * sqrt(0.21 / 2000) = 0.0201.
  EXPECT_NEAR((big.high - big.low) / 2, 0.0201, 0.003);
  // Degenerate data: zero width at the value; one example: zero width; none: zeros.
  const auto constant = bootstrap_mean_ci(std::vector<double>(50, 0.25), rng);
  EXPECT_DOUBLE_EQ(constant.low, 0.25);
  EXPECT_DOUBLE_EQ(constant.high, 0.25);
  const auto one = bootstrap_mean_ci({0.4}, rng);
  EXPECT_DOUBLE_EQ(one.low, 0.4);
  EXPECT_DOUBLE_EQ(one.high, 0.4);
  EXPECT_EQ(bootstrap_mean_ci({}, rng).n, 0);
}

TEST(Bootstrap, FixedSeedValueMatchesAnIndependentComputation) {
  const std::vector<double> values = {0.0, 1.0, 1.0, 0.5, 0.25, 1.0, 0.0, 0.75, 1.0, 1.0};
  std::mt19937_64 rng(seed_for(kDefaultSeed, "toy/accuracy"));
  const auto ci = bootstrap_mean_ci(values, rng, 500);

  // The same procedure written out here: 500 resamples of 10 draws, sorted means, type-7
  // quantiles at 2.5% and 97.5% (positions 0.025 * 499 = 12.475 and 0.975 * 499 = 486.525).
  std::mt19937_64 mine(seed_for(kDefaultSeed, "toy/accuracy"));
  std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
  std::vector<double> means;
  for (int r = 0; r < 500; ++r) {
    double s = 0;
    for (int i = 0; i < 10; ++i) s += values[pick(mine)];
    means.push_back(s / 10);
  }
  std::sort(means.begin(), means.end());
  const double low = means[12] + 0.475 * (means[13] - means[12]);
  const double high = means[486] + 0.525 * (means[487] - means[486]);
  EXPECT_DOUBLE_EQ(ci.mean, 0.65);
  EXPECT_DOUBLE_EQ(ci.low, low);
  EXPECT_DOUBLE_EQ(ci.high, high);
  EXPECT_LT(ci.low, 0.65);
  EXPECT_GT(ci.high, 0.65);

  // Deterministic: the same seed, the same interval.
  std::mt19937_64 again(seed_for(kDefaultSeed, "toy/accuracy"));
  const auto ci2 = bootstrap_mean_ci(values, again, 500);
  EXPECT_DOUBLE_EQ(ci2.low, ci.low);
  EXPECT_DOUBLE_EQ(ci2.high, ci.high);
}

TEST(Bootstrap, PairedDifferenceResamplesExamples) {
  std::mt19937_64 rng(3);
  // B = A + 0.1 on every example: the difference is exactly 0.1 whatever the resample.
  const std::vector<double> a = {0.1, 0.5, 0.2, 0.8, 0.3, 0.6};
  std::vector<double> b;
  for (double x : a) b.push_back(x + 0.1);
  const auto d = paired_bootstrap_diff_ci(a, b, rng);
  EXPECT_NEAR(d.mean, 0.1, 1e-12);
  EXPECT_NEAR(d.low, 0.1, 1e-12);
  EXPECT_NEAR(d.high, 0.1, 1e-12);
  EXPECT_THROW(paired_bootstrap_diff_ci(a, {1.0}, rng), std::invalid_argument);
  // Mixed flips: the interval straddles the observed difference.
  const auto mixed = paired_bootstrap_diff_ci(zeros_and_ones(10, 20), zeros_and_ones(6, 20), rng);
  EXPECT_DOUBLE_EQ(mixed.mean, -0.2);
  EXPECT_LT(mixed.low, -0.2);
  EXPECT_GT(mixed.high, -0.2);
}

TEST(Quantile, LinearInterpolation) {
  EXPECT_DOUBLE_EQ(quantile_sorted({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile_sorted({1, 2, 3, 4}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile_sorted({1, 2, 3, 4}, 1.0), 4.0);
  EXPECT_TRUE(all_binary({0, 1, 1, 0}));
  EXPECT_FALSE(all_binary({0, 0.5}));
}

}  // namespace
}  // namespace aimicius
