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

// Whether a unit of the tensor-core pass takes the Q heads of two adjacent K heads (QB = 2 x
// q_per_k, DecodePlanOptions::q_heads_per_block) rather than one K head's. A token's row of one K
// head is k_row_bytes long; two adjacent heads' rows are contiguous in the runtime's token-major
// cache, so the unit's copies read them together. Measured (docs/PERFORMANCE.md, sessions 50-51):
// GQA STD (128-byte rows, 2 Q heads a K head) timed alone on an H200 is 1.2-7.3% faster from batch 8
// x 32k and at batch 64 (8 / 32k -6.2%, 8 / 128k -7.3%, batch 64 -1.2..-1.4%), but at 8 / 4k not
// faster (+0.1..+0.7%), and on an H100 two K heads cost STD's whole decode step 3.0% at batch 8 /
// 2k (one split of 2,176 tokens becomes two). At batch 1 the plan for two K heads flips between 16
// splits (128 blocks: 14-17% slower in the attention-only graph on both cards) and 33 (264 blocks:
// the H100's 32k step 2.4% faster) on a few tokens of capacity. GQA d128 (256-byte rows) is up to
// 2.2% slower. So two K heads are taken for 128-byte rows shared by 2 Q heads from batch 8 when the
// batch's planned tokens (batch x max_context) reach kTwoKHeadsMinTokens, the cells where every
// timing agrees.
constexpr int64_t kTwoKHeadsMinTokens = int64_t{8} * 32768;
bool choose_two_k_heads(int k_row_bytes, int q_per_k, int batch, int64_t max_context);

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
