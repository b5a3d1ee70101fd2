// How the tensor-core decode-attention pass cuts a sequence's context into blocks: the chunk size
// of plan_decode_attention (decode_attention.h), as plain arithmetic on the GPU's SM count and the
// kernel's occupancy, so that it is tested on machines without a GPU. Nothing here is tuned to
// one card; the model below was fitted to H200 sweeps (docs/PERFORMANCE.md, "planner").
//
// Model. A block streams its chunk's K and V rows and has a fixed cost besides (start, q load,
// pipeline fill, merge, partial write: kBlockCostTokens tokens' worth). Decode attention is
// bound by memory, and the blocks resident on one SM share that SM's share of the bandwidth, so an
// SM's time is the token rows of all the blocks it runs plus their fixed costs: the call costs
// ceil(blocks / SMs) x (chunk x unit_weight + kBlockCostTokens), a unit's token row the measure
// (a block streams unit_weight units side by side). One block per SM already streams at full speed
// (the sweeps: batch 8 / 4k GQA in one split of 4,096 tokens, 36.5 us, against 41.1 us for three
// splits filling every resident slot). Blocks beyond the resident slots (SMs x occupancy) run in
// later rounds; a last round that is not at least 90% full leaves SMs waiting behind it, so such
// splittings are not taken.
#pragma once

#include <cstdint>
#include <string>

namespace aimicius::kernels {

struct SplitPlanInput {
  int64_t context_tokens = 1;  // the planned maximum context length (>= 1)
  int64_t units = 1;           // blocks per split: batch x (n_q / QB)
  int sm_count = 1;
  int blocks_per_sm = 1;  // the split kernel's occupancy (resident blocks per SM), >= 1
  int granule = 16;       // chunks are whole multiples of this many tokens
  int min_chunk = 64;     // and at least this many
  int unit_weight = 1;    // units a block streams side by side (one a warp: 4), so a block's token
                          // costs this many units' rows
};

constexpr int kBlockCostTokens = 32;

// The chunk (tokens per block) of least modelled cost among the splittings into w x SMs / units
// pieces (w = 1 .. 64 x occupancy) and one split. Throws std::invalid_argument for counts below 1.
int choose_decode_chunk(const SplitPlanInput& in);

// How a block's warps take their work (decode_attention_mma.cuh): one unit a block, its chunk's
// slices spread over the warps, or one unit a warp, `warps` adjacent units a block. Measured on
// H100s (docs/PERFORMANCE.md, "one unit a warp"): a unit a warp is faster where its blocks are about
// one an SM (GQA d64 1 / 128k -2.9..-5.6%, 8 / 128k -2.8%; d128 8 / 128k -1.1%, 64 / 32k -1.6%)
// or where both ways take one split with every block resident at once (GQA d64 64 / 4k
// -2.1..-3.7%); slower where it needs more splits than a unit a block (the combine pass reads more
// partial rows: 1 / 32k +4.7%, 8 / 4k +5.8%) and where it has two or more long blocks an SM
// against a split plan of many short ones (64 / 32k +1.1%, 64 / 128k +1.4%). So it is taken in the
// first two cases, and never with more splits than the plan of a unit a block.
struct SplitChoice {
  int chunk = 0;
  bool warp_units = false;
};

// `in` describes one unit a block (unit_weight 1); `warps` > 1 allows one unit a warp (in.units
// must then be a multiple of it), 1 does not.
SplitChoice choose_decode_split(const SplitPlanInput& in, int warps);

// Whether the splits take interleaved 16-token slices (DecodePlan::interleaved) rather than one run
// of the context each. Measured on one H100 (docs/PERFORMANCE.md, session 46, item 9): faster where
// a unit reads several V heads (DiffQKV's 4) over 4+ splits of 512+ tokens (1 / 32k -2.1%, 8 / 4k
// -3.1%, 1 / 128k -1.2%, 8 / 32k -0.7%), not with short chunks (1 / 4k, 128 tokens: +1.4%) nor
// with one V head a unit (GQA: -0.7..+0.8%), so it is taken in the first case only.
bool choose_interleaved_splits(int v_heads_per_unit, int64_t splits, int chunk);

// Blocks a plan launches for a step: batch x (n_q / QB) units over `splits` chunks, a unit a block
// or `warps` units a block (DecodePlan::warp_units).
int64_t split_blocks(int64_t batch, int n_q, int q_heads_per_block, int64_t splits, bool warp_units, int warps);

// Whether a unit of the tensor-core pass may take the Q heads of two adjacent K heads (QB = 2 x
// q_per_k, DecodePlanOptions::q_heads_per_block) rather than one K head's: a token's row of one K
// head is k_row_bytes long; two adjacent heads' rows are contiguous in the runtime's token-major
// cache, so the unit's copies read them together. Only GQA STD's shape (128-byte rows shared by 2
// Q heads) gained: GQA d128 (256-byte rows) was up to 2.2% slower (docs/PERFORMANCE.md, session 50).
bool two_k_heads_shape(int k_row_bytes, int q_per_k);

// Whether such a shape takes two K heads a unit, from the blocks the planner's split launches for
// each unit (choose_decode_split on the kernel's occupancy): where two K heads keep two blocks on
// every SM (two_k_head_blocks >= 2 x SMs) while one K head keeps fewer. Every decode-step timing
// agrees (docs/PERFORMANCE.md, sessions 51-52): two K heads made STD's step faster where their plan
// had two blocks an SM (batch 1 / 32k, 264 blocks against 128: -2.4% on an H100; batch 1 / 128k,
// 264 against 132: -3.4%), and slower or no faster where it had one, as one K head's did (batch 8
// / 2k +3.0%, batch 8 / 32k +6.3% on an H100; batch 1 / 32k at exactly 32,768 tokens, 128 blocks:
// +14% in the attention-only graph on both cards). The H200's timings of single launches found
// two K heads faster at batch 8 from 32k (-6.2..-7.3%) and batch 64 (-1.2%), but single launches
// also disagreed with the H100's step at 1 / 128k (+1.1% alone), so the steps decide.
bool choose_two_k_heads(int64_t one_k_head_blocks, int64_t two_k_head_blocks, int sm_count);

// A plan's cut of one decode step's attention, in the words `bench generate` prints (e.g. "units of
// 4 Q heads (2 K heads), 33 splits of 1008 tokens, 264 blocks"), so that the step can be matched to
// the attention bench's cell of the same plan. The fields are DecodePlan's (decode_attention.h);
// q_per_k = n_q / n_k.
struct SplitSummary {
  int64_t batch = 1;
  int n_q = 1, q_per_k = 1;
  int q_heads_per_block = 1;
  int splits = 1, chunk_tokens = 0;
  bool tensor_cores = true, warp_units = false, interleaved = false;
  int warps = 4;  // units a block when warp_units (the tensor-core pass's warps, kMmaWarps)
};
std::string describe_decode_split(const SplitSummary& s);

}  // namespace aimicius::kernels
