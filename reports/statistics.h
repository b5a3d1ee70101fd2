// The statistics behind reports, comparisons and the CI gate: a mean with its 95% bootstrap
// confidence interval, the paired bootstrap CI of the difference between two runs, and paired
// significance tests (exact McNemar for 0/1 metrics, sign-flip permutation otherwise).
// docs/REPORTS.md explains the choices for readers of the reports.
//
// Invariants: every function is a pure function of its arguments; randomness comes only from the
// std::mt19937_64 the caller passes in (seed it with seed_for() so a cell's numbers do not depend
// on which other cells a report holds), so the same inputs and seed always give the same numbers.
// Intervals are percentile intervals over resampled means: they always contain the sample mean's
// neighbourhood, have zero width on constant data, and are never widened or clamped beyond the
// observed range of resampled means.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace aimicius {

inline constexpr int kDefaultResamples = 2000;
inline constexpr double kConfidenceLevel = 0.95;
inline constexpr uint64_t kDefaultSeed = 20250123;  // fixed: reports are reproducible byte for byte

struct MeanCi {
  double mean = 0.0;
  double low = 0.0;   // percentile bootstrap bound; equals mean when n < 2
  double high = 0.0;
  int64_t n = 0;
};

// A per-cell seed: the report seed mixed with the cell's name (suite, metric, ...), FNV-1a.
uint64_t seed_for(uint64_t base_seed, std::string_view key);

// Percentile bootstrap CI of the mean at `level` (two-sided). n == 0 gives all zeros; n == 1 a
// zero-width interval at the value (one observation says nothing about spread).
MeanCi bootstrap_mean_ci(const std::vector<double>& values, std::mt19937_64& rng,
                         int resamples = kDefaultResamples, double level = kConfidenceLevel);

// Paired bootstrap CI of mean(b - a) over the same examples (a[i] and b[i] belong to example i):
// examples are resampled, not the two runs separately, so what the examples share cancels out.
// Throws std::invalid_argument when the sizes differ.
MeanCi paired_bootstrap_diff_ci(const std::vector<double>& a, const std::vector<double>& b, std::mt19937_64& rng,
                                int resamples = kDefaultResamples, double level = kConfidenceLevel);

// Two-sided exact McNemar test: `b` examples passed in A and failed in B, `c` failed in A and
// passed in B. Under the null each discordant example is a fair coin, so
// p = min(1, 2 * P(Binomial(b + c, 1/2) <= min(b, c))); 1 when there is no discordant example.
double mcnemar_exact_p(int64_t b, int64_t c);

// Two-sided paired permutation (sign-flip) test of mean(diffs) == 0, statistic |sum of diffs|.
// Zero differences are dropped (flipping them changes nothing). Exact over all 2^m sign patterns
// when m <= exact_max_n nonzero differences remain; otherwise Monte Carlo with `resamples` random
// patterns and the (1 + hits) / (1 + resamples) estimate, which is never 0.
double paired_permutation_p(const std::vector<double>& diffs, std::mt19937_64& rng, int resamples = 10000,
                            int exact_max_n = 16);

// Whether every value is exactly 0 or 1 (a pass/fail metric: McNemar applies).
bool all_binary(const std::vector<double>& values);

// Quantile q in [0, 1] of sorted values, linear interpolation between order statistics
// (Hyndman-Fan type 7, as R's and numpy's default).
double quantile_sorted(const std::vector<double>& sorted, double q);

}  // namespace aimicius
