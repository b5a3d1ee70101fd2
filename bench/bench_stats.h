// Small statistics shared by the `aimicius bench` subcommands.
#pragma once

#include <algorithm>
#include <vector>

namespace aimicius {

// The median of timed repeats (the figure every benchmark reports).
inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  if (n == 0) return 0.0;
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace aimicius
