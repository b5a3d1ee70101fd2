#include "common/cosine.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace aimicius {

double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size())
    throw std::invalid_argument("cosine_similarity: sizes differ (" + std::to_string(a.size()) + " and " +
                                std::to_string(b.size()) + ")");
  double dot = 0, norm_a = 0, norm_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    norm_a += static_cast<double>(a[i]) * a[i];
    norm_b += static_cast<double>(b[i]) * b[i];
  }
  if (norm_a == 0 || norm_b == 0) return 0;
  return dot / std::sqrt(norm_a * norm_b);
}

}  // namespace aimicius
