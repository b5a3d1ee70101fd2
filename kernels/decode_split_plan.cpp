#include "kernels/decode_split_plan.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace aimicius::kernels {
namespace {

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
int64_t ceil_div(int64_t x, int64_t m) { return (x + m - 1) / m; }

}  // namespace

int choose_decode_chunk(const SplitPlanInput& in) {
  if (in.context_tokens < 1 || in.units < 1 || in.sm_count < 1 || in.blocks_per_sm < 1 || in.granule < 1 ||
      in.min_chunk < 1)
    throw std::invalid_argument("choose_decode_chunk: context, units, SMs, occupancy and granule must be >= 1");
  const int64_t len = in.context_tokens, sms = in.sm_count;
  const int64_t resident = sms * in.blocks_per_sm;
  const int64_t min_chunk = round_up(in.min_chunk, in.granule);
  if (in.unit_weight < 1) throw std::invalid_argument("choose_decode_chunk: unit_weight must be >= 1");
  auto cost = [&](int64_t blocks, int64_t chunk) {
    return ceil_div(blocks, sms) * (chunk * in.unit_weight + kBlockCostTokens);
  };
  int64_t best = round_up(len, in.granule);  // one split
  int64_t best_cost = cost(in.units, best);
  for (int64_t w = 1; w <= 64 * static_cast<int64_t>(in.blocks_per_sm); ++w) {
    const int64_t splits = std::max<int64_t>(w * sms / in.units, 1);
    const int64_t chunk = std::max(round_up(ceil_div(len, splits), in.granule), min_chunk);
    const int64_t blocks = in.units * ceil_div(len, chunk);
    const int64_t tail = blocks % resident;
    const bool ragged_last_round = blocks > resident && tail != 0 && tail * 10 < resident * 9;
    if (!ragged_last_round && cost(blocks, chunk) < best_cost) best_cost = cost(blocks, chunk), best = chunk;
    if (chunk == min_chunk) break;
  }
  return static_cast<int>(std::min<int64_t>(best, INT32_MAX));
}

SplitChoice choose_decode_split(const SplitPlanInput& in, int warps) {
  SplitChoice choice;
  choice.chunk = choose_decode_chunk(in);
  if (warps <= 1) return choice;
  if (in.units % warps != 0 || in.unit_weight != 1)
    throw std::invalid_argument("choose_decode_split: units must be a multiple of the warps, of weight 1");
  const int64_t len = in.context_tokens, sms = in.sm_count;
  const int64_t blocks_per_split = in.units / warps;
  const int64_t split_plan_splits = ceil_div(len, choice.chunk);
  const int64_t one_split_chunk = round_up(len, in.granule);
  int64_t chunk = 0;
  if (blocks_per_split <= sms) {
    // About one block an SM: the most splits whose blocks still fit one to an SM.
    const int64_t splits = sms / blocks_per_split;
    chunk = splits == 1 ? one_split_chunk
                        : std::max(round_up(ceil_div(len, splits), in.granule), round_up(in.min_chunk, in.granule));
    const int64_t blocks = blocks_per_split * ceil_div(len, chunk);
    if (blocks * 10 < sms * 9) chunk = 0;  // most SMs would idle
  } else if (split_plan_splits == 1 && blocks_per_split <= sms * in.blocks_per_sm) {
    chunk = one_split_chunk;  // one split either way, every block resident at once
  }
  if (chunk > 0 && ceil_div(len, chunk) <= split_plan_splits) {
    choice.chunk = static_cast<int>(std::min<int64_t>(chunk, INT32_MAX));
    choice.warp_units = true;
  }
  return choice;
}

bool choose_interleaved_splits(int v_heads_per_unit, int64_t splits, int chunk) {
  return v_heads_per_unit > 1 && splits >= 4 && chunk >= 512;
}

int64_t split_blocks(int64_t batch, int n_q, int q_heads_per_block, int64_t splits, bool warp_units, int warps) {
  return batch * (n_q / q_heads_per_block) * splits / (warp_units ? warps : 1);
}

bool two_k_heads_shape(int k_row_bytes, int q_per_k) { return k_row_bytes == 128 && q_per_k == 2; }

bool choose_two_k_heads(const SplitCut& one_k_head, const SplitCut& two_k_heads) {
  return two_k_heads.splits <= one_k_head.splits || two_k_heads.blocks > one_k_head.blocks;
}

std::string describe_decode_split(const SplitSummary& s) {
  if (s.q_heads_per_block < 1 || s.q_per_k < 1 || s.splits < 1 || s.batch < 1 || s.warps < 1)
    throw std::invalid_argument("describe_decode_split: batch, heads, splits and warps must be >= 1");
  // A unit holds QB Q heads: a share of one K head's group, one group, or two adjacent groups.
  std::string k_heads = s.q_heads_per_block > s.q_per_k    ? std::to_string(s.q_heads_per_block / s.q_per_k) + " K heads"
                        : s.q_heads_per_block == s.q_per_k ? "1 K head"
                                                           : "part of 1 K head";
  const int64_t blocks = split_blocks(s.batch, s.n_q, s.q_heads_per_block, s.splits, s.warp_units, s.warps);
  std::string out = "units of " + std::to_string(s.q_heads_per_block) + " Q heads (" + k_heads + "), " +
                    std::to_string(s.splits) + (s.splits == 1 ? " split of " : " splits of ") +
                    std::to_string(s.chunk_tokens) + " tokens, " + std::to_string(blocks) + " blocks";
  if (!s.tensor_cores) out += ", two-pass kernel";
  if (s.warp_units) out += ", a unit a warp";
  if (s.interleaved) out += ", interleaved";
  return out;
}

}  // namespace aimicius::kernels
