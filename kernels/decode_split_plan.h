// How the tensor-core decode-attention pass cuts a sequence's context into blocks: the chunk size
// of plan_decode_attention (decode_attention.h), as plain arithmetic on the GPU's SM count and the
// kernel's occupancy, so that it is tested on machines without a GPU. Nothing here is tuned to
// one card; the model below was fitted to H200 sweeps (docs/PERFORMANCE.md, "planner").
//
// Model. A block streams its chunk's K and V rows and has a fixed cost besides (start, q load,
// pipeline fill, merge, partial write: kBlockCostTokens tokens' worth). Decode attention is
// bound by memory, and the blocks resident on one SM share that SM's share of the bandwidth, so an
// SM's time is the tokens of all the blocks it runs plus their fixed costs: the call costs
// ceil(blocks / SMs) x (chunk + kBlockCostTokens). One block per SM already streams at full speed
// (the sweeps: batch 8 / 4k GQA in one split of 4,096 tokens, 36.5 us, against 41.1 us for three
// splits filling every resident slot). Blocks beyond the resident slots (SMs x occupancy) run in
// later rounds; a last round that is not at least 90% full leaves SMs waiting behind it, so such
// splittings are not taken.
#pragma once

#include <cstdint>

namespace aimicius::kernels {

struct SplitPlanInput {
  int64_t context_tokens = 1;  // the planned maximum context length (>= 1)
  int64_t units = 1;           // blocks per split: batch x (n_q / QB)
  int sm_count = 1;
  int blocks_per_sm = 1;  // the split kernel's occupancy (resident blocks per SM), >= 1
  int granule = 16;       // chunks are whole multiples of this many tokens
  int min_chunk = 64;     // and at least this many
};

constexpr int kBlockCostTokens = 32;

// The chunk (tokens per block) of least modelled cost among the splittings into w x SMs / units
// pieces (w = 1 .. 64 x occupancy) and one split. Throws std::invalid_argument for counts below 1.
int choose_decode_chunk(const SplitPlanInput& in);

}  // namespace aimicius::kernels
