// Cosine similarity of two embeddings, computed in double: what the sentence encoder's tests and
// the suites' embedding metrics (cmdgen's CMD and Output Scores) both compare embeddings with.
#pragma once

#include <vector>

namespace aimicius {

// Cosine of the angle between a and b (0 when either is all zeros). Throws std::invalid_argument
// when their sizes differ.
double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace aimicius
