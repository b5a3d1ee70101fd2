#include "kernels/reference/attention_reference.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace aimicius::kernels::reference {
namespace {

void check(const DecodeAttentionParams& p) {
  std::string why = validate_decode_params(p);
  if (p.dtype != DType::kF32) why += "the reference takes float (kF32) arrays; ";
  if (!why.empty()) throw std::invalid_argument("reference decode attention: " + why);
}

int slot_of(const DecodeAttentionParams& p, int b) { return p.cache_slots ? p.cache_slots[b] : b; }

const float* v_row(const DecodeAttentionParams& p, int b, int h, int t) {
  const int vh = h / (p.n_q / p.n_v);
  return static_cast<const float*>(p.v_cache) +
         cache_token_offset(p, slot_of(p, b), t, p.v_batch_stride, p.v_token_stride) + vh * p.v_head_stride;
}

// out[b, h] = sum_i w_i V[pos_i] / sum_i w_i with w_i = exp(score_i - max score).
void weighted_sum(const DecodeAttentionParams& p, int b, int h, const std::vector<int32_t>& pos,
                  const std::vector<float>& scores) {
  float* out = static_cast<float*>(p.out) + b * p.out_batch_stride + h * p.out_head_stride;
  if (pos.empty()) {
    std::fill(out, out + p.d_v, 0.0f);
    return;
  }
  double m = -INFINITY;
  for (int32_t t : pos) m = std::max(m, static_cast<double>(scores[t]));
  std::vector<double> acc(p.d_v, 0.0);
  double sum = 0.0;
  for (int32_t t : pos) {
    const double w = std::exp(scores[t] - m);
    sum += w;
    const float* v = v_row(p, b, h, t);
    for (int d = 0; d < p.d_v; ++d) acc[d] += w * v[d];
  }
  for (int d = 0; d < p.d_v; ++d) out[d] = static_cast<float>(acc[d] / sum);
}

}  // namespace

std::vector<float> attention_scores(const DecodeAttentionParams& p, int b, int h) {
  const int len = p.context_lens[b];
  const int kh = h / (p.n_q / p.n_k);
  const float* q = static_cast<const float*>(p.q) + b * p.q_batch_stride + h * p.q_head_stride;
  const float* k_cache = static_cast<const float*>(p.k_cache) + kh * p.k_head_stride;
  std::vector<float> scores(std::max(len, 0));
  for (int t = 0; t < len; ++t) {
    const float* k = k_cache + cache_token_offset(p, slot_of(p, b), t, p.k_batch_stride, p.k_token_stride);
    double dot = 0.0;
    for (int d = 0; d < p.d_k; ++d) dot += static_cast<double>(q[d]) * k[d];
    scores[t] = static_cast<float>(dot * p.scale);
  }
  return scores;
}

namespace {

// decode_attention_row on params already checked.
void full_row(const DecodeAttentionParams& p, int b, int h) {
  const std::vector<float> scores = attention_scores(p, b, h);
  std::vector<int32_t> all(scores.size());
  std::iota(all.begin(), all.end(), 0);
  weighted_sum(p, b, h, all, scores);
}

}  // namespace

void decode_attention_row(const DecodeAttentionParams& p, int b, int h) {
  check(p);
  if (b < 0 || b >= p.batch || h < 0 || h >= p.n_q)
    throw std::invalid_argument("reference decode attention: row (" + std::to_string(b) + ", " + std::to_string(h) +
                                ") outside the batch or heads");
  full_row(p, b, h);
}

void decode_attention(const DecodeAttentionParams& p) {
  check(p);
  for (int b = 0; b < p.batch; ++b)
    for (int h = 0; h < p.n_q; ++h) full_row(p, b, h);
}

std::vector<int32_t> top_positions(const DecodeAttentionParams& p, int b, int h, int topk) {
  const std::vector<float> scores = attention_scores(p, b, h);
  std::vector<int32_t> pos(scores.size());
  std::iota(pos.begin(), pos.end(), 0);
  const size_t keep = std::min(pos.size(), static_cast<size_t>(std::max(topk, 0)));
  std::partial_sort(pos.begin(), pos.begin() + keep, pos.end(), [&](int32_t x, int32_t y) {
    return scores[x] != scores[y] ? scores[x] > scores[y] : x < y;
  });
  pos.resize(keep);
  return pos;
}

void selective_v(const DecodeAttentionParams& p, int topk, const int32_t* selected, int64_t selected_stride) {
  check(p);
  if (topk <= 0) throw std::invalid_argument("reference selective_v: topk must be positive");
  for (int b = 0; b < p.batch; ++b)
    for (int h = 0; h < p.n_q; ++h) {
      const std::vector<float> scores = attention_scores(p, b, h);
      std::vector<int32_t> pos;
      if (selected) {
        const int32_t* row = selected + (static_cast<int64_t>(b) * p.n_q + h) * selected_stride;
        for (int64_t i = 0; i < selected_stride; ++i)
          if (row[i] >= 0) {
            if (row[i] >= static_cast<int32_t>(scores.size()))
              throw std::invalid_argument("reference selective_v: selected position past the context");
            pos.push_back(row[i]);
          }
      } else {
        pos = top_positions(p, b, h, topk);
      }
      weighted_sum(p, b, h, pos, scores);
    }
}

}  // namespace aimicius::kernels::reference
