#include "reports/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace aimicius {
namespace {

double mean_of(const std::vector<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Resamples `values` with replacement `resamples` times; percentile interval of the means.
// Why the percentile bootstrap: scores are bounded means of few hundred examples, often 0/1 and
// far from normal near 0% or 100%; the percentile interval respects the bounds (never below 0 or
// above 1) where a normal approximation would not, and needs no distributional assumption.
MeanCi bootstrap(const std::vector<double>& values, std::mt19937_64& rng, int resamples, double level) {
  MeanCi out;
  out.n = static_cast<int64_t>(values.size());
  out.mean = mean_of(values);
  out.low = out.high = out.mean;
  if (values.size() < 2 || resamples < 1) return out;
  std::uniform_int_distribution<size_t> pick(0, values.size() - 1);
  std::vector<double> means(static_cast<size_t>(resamples));
  for (auto& m : means) {
    double sum = 0.0;
    for (size_t i = 0; i < values.size(); ++i) sum += values[pick(rng)];
    m = sum / static_cast<double>(values.size());
  }
  std::sort(means.begin(), means.end());
  const double tail = (1.0 - level) / 2.0;
  out.low = quantile_sorted(means, tail);
  out.high = quantile_sorted(means, 1.0 - tail);
  return out;
}

}  // namespace

uint64_t seed_for(uint64_t base_seed, std::string_view key) {
  uint64_t h = 1469598103934665603ULL ^ base_seed;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

double quantile_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

MeanCi bootstrap_mean_ci(const std::vector<double>& values, std::mt19937_64& rng, int resamples, double level) {
  return bootstrap(values, rng, resamples, level);
}

MeanCi paired_bootstrap_diff_ci(const std::vector<double>& a, const std::vector<double>& b, std::mt19937_64& rng,
                                int resamples, double level) {
  if (a.size() != b.size()) throw std::invalid_argument("paired bootstrap: runs have different example counts");
  // Resampling the per-example differences is resampling examples: each draw keeps A and B of
  // one example together.
  std::vector<double> diffs(a.size());
  for (size_t i = 0; i < a.size(); ++i) diffs[i] = b[i] - a[i];
  return bootstrap(diffs, rng, resamples, level);
}

double mcnemar_exact_p(int64_t b, int64_t c) {
  // Why exact: the discordant counts in a CI regression are small (a few flips), where the
  // chi-squared approximation is poor; the binomial tail is exact and cheap.
  const int64_t n = b + c;
  if (n == 0) return 1.0;
  const int64_t k = std::min(b, c);
  // Sum C(n, i) / 2^n for i <= k in log space (n can be thousands).
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  double tail = 0.0;
  for (int64_t i = 0; i <= k; ++i) {
    const double log_term = std::lgamma(static_cast<double>(n + 1)) - std::lgamma(static_cast<double>(i + 1)) -
                            std::lgamma(static_cast<double>(n - i + 1)) + log_half_n;
    tail += std::exp(log_term);
  }
  return std::min(1.0, 2.0 * tail);
}

double paired_permutation_p(const std::vector<double>& diffs, std::mt19937_64& rng, int resamples, int exact_max_n) {
  // Why a sign-flip permutation test for continuous metrics (similarities, ratios): under the
  // null the two runs are exchangeable on each example, so each difference is as likely with
  // either sign; it needs no normality, unlike a paired t-test on bounded, skewed scores.
  std::vector<double> d;
  for (double x : diffs)
    if (x != 0.0) d.push_back(x);
  if (d.empty()) return 1.0;
  const double observed = std::fabs(std::accumulate(d.begin(), d.end(), 0.0));
  // Sums that equal the observed one up to rounding count as "at least as extreme".
  const double eps = 1e-9 * (1.0 + observed);
  const size_t m = d.size();
  if (static_cast<int>(m) <= exact_max_n) {
    const uint64_t patterns = uint64_t{1} << m;
    uint64_t hits = 0;
    for (uint64_t mask = 0; mask < patterns; ++mask) {
      double sum = 0.0;
      for (size_t i = 0; i < m; ++i) sum += (mask >> i & 1U) ? -d[i] : d[i];
      if (std::fabs(sum) >= observed - eps) ++hits;
    }
    return static_cast<double>(hits) / static_cast<double>(patterns);
  }
  std::bernoulli_distribution flip(0.5);
  int64_t hits = 0;
  for (int r = 0; r < resamples; ++r) {
    double sum = 0.0;
    for (double x : d) sum += flip(rng) ? -x : x;
    if (std::fabs(sum) >= observed - eps) ++hits;
  }
  return static_cast<double>(1 + hits) / static_cast<double>(1 + resamples);
}

bool all_binary(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return v == 0.0 || v == 1.0; });
}

}  // namespace aimicius
