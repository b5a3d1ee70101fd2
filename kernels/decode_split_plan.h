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

// A split as the planner cut it for one unit size: how many chunks each unit's context is cut into
// and the blocks that launches (split_blocks).
struct SplitCut {
  int64_t splits = 1, blocks = 1;
};

// Whether such a shape takes two K heads a unit, from the planner's split for each unit size
// (choose_decode_split on the kernel's occupancy): two K heads unless their plan cuts the context
// into more splits than one K head's without launching more blocks. Halving the units, the planner
// either keeps the splits (batch 16 to 64: one split either way) or adds splits; added splits paid
// only where they added blocks, even 132 against 128 (the SMs the one-K-head plan left idle). Every
// decode-step timing agrees (STD-1.5B on an H100, docs/PERFORMANCE.md, sessions 51-53). Two K
// heads were faster with as many splits or fewer (batch 1 / 128k -3.4%; batch 16 / 16k -0.8%;
// batch 64 / 4k -0.8%, 64 / 8k -2.0%; batch 32 / 4k a tie) and with more splits over more blocks
// (batch 1 / 32,896 tokens, 264 blocks against 128: -2.4%; batch 2 / 128k, 132 against 128:
// -1.0%, -1.3%). They were slower with more splits over the same blocks (batch 4 / 32k +1.0%, batch
// 8 / 2k +3.0%, 8 / 32k +6.3..+8.1%; batch 1 / 4k and 1 / 32,768 tokens in the attention-only
// graph: +7%, +14%). The H200's single launches, timed alone, found two K heads faster at batch 8
// from 32k too, but timing alone disagreed with the step at 1 / 128k (+1.1% alone, -3.4% in the
// step), so the steps decide.
bool choose_two_k_heads(const SplitCut& one_k_head, const SplitCut& two_k_heads);

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
