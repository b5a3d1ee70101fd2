// decode_attention (split-KV DiffQKV decode attention) against reference::decode_attention, for
// every supported head-dim pair and storage type, DiffQKV, GQA and uneven head groupings, variable
// context lengths in a batch (1, lengths that are not multiples of the chunk), forced many-split
// plans (hundreds of splits), plain and programmatic-dependent launches, cache-slot indirection,
// empty contexts and contexts longer than the plan, and what the kernel may read before its PDL wait.
// Skips without a CUDA device.
#include "kernels/decode_attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "kernels/decode_split_plan.h"
#include "kernels/reference/attention_reference.h"
#include "tests/kernels/attention_problem.h"
#include "tests/kernels/late_copy.h"

namespace aimicius::kernels {
namespace {

using testing::compare_outputs;
using testing::DeviceBuffer;
using testing::have_cuda_device;
using testing::kAtol;
using testing::Problem;
using testing::ptol_for;
using testing::rtol_for;
using testing::Shape;

#define REQUIRE_GPU() \
  if (!have_cuda_device()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped"

// Runs the kernel with the given plan (for `planned_len` tokens; 0: the batch's longest context)
// and compares with the reference; returns the failure text.
std::string run_and_compare(Problem& pr, const DecodePlanOptions& options = {}, int planned_len = 0) {
  const int max_len = planned_len > 0 ? planned_len : *std::max_element(pr.lens.begin(), pr.lens.end());
  const DecodePlan plan = plan_decode_attention(pr.device, max_len, current_device_sm_count(), options);
  DeviceBuffer ws(plan.workspace_bytes);
  testing::cuda_ok(cudaMemset(pr.dout.get(), 0xff, pr.out_elems * 2), "cudaMemset(out)");  // NaN if unwritten
  decode_attention(pr.device, plan, ws.get(), nullptr);
  testing::cuda_ok(cudaDeviceSynchronize(), "decode_attention");
  testing::full_attention_reference(pr);
  // The tensor-core pass rounds p to the storage type (the mma operand); the two-pass kernel keeps
  // it in fp32.
  const std::string err = compare_outputs(pr, pr.device_output(), pr.want, rtol_for(pr.device.dtype), kAtol,
                                          plan.tensor_cores ? &pr.magnitude : nullptr, ptol_for(pr.device.dtype));
  if (err.empty()) return "";
  return std::string(plan.tensor_cores ? "tensor cores" : "two-pass") + ", splits " + std::to_string(plan.splits) +
         " chunk " + std::to_string(plan.chunk_tokens) + ": " + err;
}

const Shape kShapes[] = {
    {32, 4, 16, 64, 64},    // Sigma-1.5B DiffQKV
    {32, 16, 16, 64, 64},   // its GQA baseline STD
    {32, 8, 8, 128, 128},   // GQA, d 128
    {32, 4, 8, 64, 128},    // d_k 64, d_v 128
    {16, 2, 4, 128, 64},    // d_k 128, d_v 64
    {8, 8, 8, 64, 64},      // MHA: one Q head per block
    {12, 4, 3, 64, 64},     // 3 Q heads per K head, 4 per V head: blocks of 1
    {24, 2, 8, 64, 64},     // 12 Q heads per K head (blocks of 4), 3 per V head (slots of 1)
    {32, 8, 2, 64, 128},    // fewer V heads than K heads
    {32, 1, 1, 128, 128},   // MQA
};

TEST(DecodeAttention, EveryShapeAndTypeMatchesReference) {
  REQUIRE_GPU();
  for (DType dtype : {DType::kBF16, DType::kFP16})
    for (const Shape& s : kShapes) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + testing::shape_name(s));
      Problem pr;
      testing::make_problem(pr, dtype, s, {1, 777, 2051, 130}, {}, 4, 2100);
      EXPECT_EQ(run_and_compare(pr), "") << "default plan";
      EXPECT_EQ(run_and_compare(pr, {64}), "") << "chunks of 64 tokens";
      EXPECT_EQ(run_and_compare(pr, {48}), "") << "chunks of 48 tokens (3 slices over 4 warps)";
      EXPECT_EQ(run_and_compare(pr, {100000}), "") << "largest chunk";
      EXPECT_EQ(run_and_compare(pr, {64, -1, 0, 0}), "") << "plain launches (no programmatic dependent launch)";
      const int two_pass = 0;
      EXPECT_EQ(run_and_compare(pr, {0, -1, 0, -1, two_pass}), "") << "two-pass kernel";
      EXPECT_EQ(run_and_compare(pr, {64, 0, 0, -1, two_pass}), "") << "two-pass, 4 rows in flight, chunks of 64";
      EXPECT_EQ(run_and_compare(pr, {100000, 1, 0, -1, two_pass}), "") << "two-pass, deep unroll, largest chunk";
    }
}

// The cases a plan option is held to against the reference: every shape and dtype that takes it
// (`takes`, given the planner's default plan; a shape that does not must be refused), with lengths
// that are not multiples of a slice, cache slots and an empty context, at the planner's chunk, 48
// and 64 tokens and one split; paged caches of 16 and 64 tokens a page; 513 splits and the
// planner's plan of a 32k context. `check_plan` sees each plan made with the option.
template <typename Takes, typename CheckPlan>
void expect_option_matches_reference(const DecodePlanOptions& option, Takes takes, CheckPlan check_plan) {
  const int sms = current_device_sm_count();
  for (DType dtype : {DType::kBF16, DType::kFP16})
    for (const Shape& s : kShapes) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + testing::shape_name(s));
      Problem pr;
      testing::make_problem(pr, dtype, s, {1, 777, 0, 2051, 130}, {4, 0, 2, 1, 3}, 5, 2100);
      if (!takes(plan_decode_attention(pr.device, 2100, sms), s)) {
        EXPECT_THROW(plan_decode_attention(pr.device, 2100, sms, option), std::invalid_argument);
        continue;
      }
      for (int chunk : {0, 48, 64, 100000}) {
        DecodePlanOptions o = option;
        o.chunk_tokens = chunk;
        EXPECT_EQ(run_and_compare(pr, o), "") << "chunk " << chunk;
        check_plan(plan_decode_attention(pr.device, 2100, sms, o));
      }
      const std::vector<float> got = pr.device_output();
      for (int h = 0; h < s.n_q; ++h)
        for (int d = 0; d < s.d_v; ++d)
          ASSERT_EQ(got[2 * pr.host.out_batch_stride + h * pr.host.out_head_stride + d], 0.0f) << "empty context";
    }
  for (int page : {16, 64}) {
    Problem pr;
    testing::make_paged_problem(pr, DType::kBF16, {32, 16, 16, 64, 64}, {4096, 1, 0, 1000, 4000}, {2, 0, 1, 4, 3}, 5,
                                page, 4096 / page);
    EXPECT_EQ(run_and_compare(pr, option), "") << "paged, page " << page;
  }
  Problem pr;
  testing::make_problem(pr, DType::kBF16, {32, 4, 16, 64, 64}, {32773, 5000}, {}, 2, 32800);
  DecodePlanOptions many = option;
  many.chunk_tokens = 64;
  EXPECT_EQ(run_and_compare(pr, many), "") << "513 splits";
  EXPECT_EQ(run_and_compare(pr, option), "") << "planned";
  DecodePlanOptions two_pass = option;
  two_pass.tensor_cores = 0;
  EXPECT_THROW(plan_decode_attention(pr.device, 32800, sms, two_pass), std::invalid_argument) << "the two-pass kernel";
}

bool warps_take_units(const DecodePlan& plan, const Shape& s) {
  return plan.tensor_cores && (s.n_q / plan.q_heads_per_block) % 4 == 0;
}

// One unit (QB Q heads) a warp: every shape whose n_q / QB is a multiple of 4 (a context longer
// than the plan: ContextLongerThanPlanGivesNaN); the others are refused.
TEST(DecodeAttention, OneUnitAWarpMatchesReference) {
  REQUIRE_GPU();
  DecodePlanOptions per_warp;
  per_warp.warp_units = 1;
  expect_option_matches_reference(per_warp, warps_take_units, [](const DecodePlan& p) { EXPECT_TRUE(p.warp_units); });
}

// Interleaved splits (split s takes 16-token slices s, s + splits, ...), a unit a block or a warp:
// the option's cases (lengths shorter than the splits' slices leave splits empty), and one plan for
// the capacity replayed at shorter lengths.
TEST(DecodeAttention, InterleavedSplitsMatchReference) {
  REQUIRE_GPU();
  DecodePlanOptions inter;
  inter.interleave = 1;
  expect_option_matches_reference(
      inter, [](const DecodePlan& p, const Shape&) { return p.tensor_cores; },
      [](const DecodePlan& p) { EXPECT_TRUE(p.interleaved); });
  DecodePlanOptions per_warp = inter;
  per_warp.warp_units = 1;
  expect_option_matches_reference(per_warp, warps_take_units,
                                  [](const DecodePlan& p) { EXPECT_TRUE(p.interleaved && p.warp_units); });
  Problem pr;
  testing::make_problem(pr, DType::kBF16, {32, 4, 16, 64, 64}, {1, 300, 2500, 20000}, {}, 4, 40000);
  EXPECT_EQ(run_and_compare(pr, inter, 40000), "") << "planned for the capacity";
}

// Units of two adjacent K heads (QB = 2 x n_q / n_k of 4 or 8, the tensor-core pass): every shape
// that has such a QB, a unit a block and a warp, interleaved, the option's lengths, slots, chunks
// and an empty context, and paged caches; every other shape, and the two-pass kernel, refuse it;
// the planner takes them for GQA STD from batch 8.
TEST(DecodeAttention, UnitsOfTwoKHeadsMatchReference) {
  REQUIRE_GPU();
  const int sms = current_device_sm_count();
  int taken = 0;
  for (DType dtype : {DType::kBF16, DType::kFP16})
    for (const Shape& s : kShapes) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " " + testing::shape_name(s));
      const int qb = 2 * (s.n_q / s.n_k);
      Problem pr;
      testing::make_problem(pr, dtype, s, {1, 777, 0, 2051, 130}, {4, 0, 2, 1, 3}, 5, 2100);
      DecodePlanOptions two;
      two.q_heads_per_block = qb;
      if (qb != 4 && qb != 8) {
        EXPECT_THROW(plan_decode_attention(pr.device, 2100, sms, two), std::invalid_argument);
        continue;
      }
      ++taken;
      DecodePlanOptions two_pass = two;
      two_pass.tensor_cores = 0;
      EXPECT_THROW(plan_decode_attention(pr.device, 2100, sms, two_pass), std::invalid_argument);
      for (int warp_units : {0, 1})
        for (int interleave : {0, 1})
          for (int chunk : {0, 48, 64, 100000}) {
            if (warp_units && (s.n_q / qb) % 4) continue;
            DecodePlanOptions o = two;
            o.warp_units = warp_units, o.interleave = interleave, o.chunk_tokens = chunk;
            EXPECT_EQ(plan_decode_attention(pr.device, 2100, sms, o).q_heads_per_block, qb);
            EXPECT_EQ(run_and_compare(pr, o), "")
                << "warp units " << warp_units << ", interleaved " << interleave << ", chunk " << chunk;
          }
      const std::vector<float> got = pr.device_output();
      for (int h = 0; h < s.n_q; ++h)
        for (int d = 0; d < s.d_v; ++d)
          ASSERT_EQ(got[2 * pr.host.out_batch_stride + h * pr.host.out_head_stride + d], 0.0f) << "empty context";
    }
  EXPECT_EQ(taken, 6) << "STD, d 128 and d_k 64 / d_v 128 with two V heads, in two dtypes";
  // The planner's own choice (kernels/decode_split_plan.h, choose_two_k_heads): STD takes two K
  // heads unless their plan adds splits to one K head's without adding blocks. The contexts
  // are short (a cache of 2,000 tokens a slot); the plan is for `planned` tokens, as a runtime plan
  // for a longer capacity serves shorter contexts. On 132 SMs (H100, H200): batch 1 at 32,896 and
  // 65,536 tokens and batch 16 take them; batch 1 at 32,768 and batch 8 do not.
  auto cut = [&](const DecodeAttentionParams& p, int planned, int qb) {
    DecodePlanOptions o;
    o.q_heads_per_block = qb;
    const DecodePlan plan = plan_decode_attention(p, planned, sms, o);
    return SplitCut{plan.splits, split_blocks(p.batch, p.n_q, qb, plan.splits, plan.warp_units, 4)};
  };
  for (const auto& [batch, planned] : {std::pair{1, 32768}, std::pair{1, 32896}, std::pair{1, 65536},
                                       std::pair{8, 2000}, std::pair{8, 32896}, std::pair{16, 4224}}) {
    SCOPED_TRACE("planned for " + std::to_string(planned) + " tokens, batch " + std::to_string(batch));
    std::vector<int32_t> lens(batch, 1500);
    lens[0] = 2000, lens[batch - 1] = 17;
    Problem pr;
    testing::make_problem(pr, DType::kBF16, {32, 16, 16, 64, 64}, lens, {}, batch, 2000);
    const bool two = choose_two_k_heads(cut(pr.device, planned, 2), cut(pr.device, planned, 4));
    EXPECT_EQ(plan_decode_attention(pr.device, planned, sms).q_heads_per_block, two ? 4 : 2);
    if (sms == 132) {
      EXPECT_EQ(two, batch == 16 || (batch == 1 && planned != 32768));
    }
    EXPECT_EQ(run_and_compare(pr, {}, planned), "");
  }
  for (const Shape& s : {Shape{32, 16, 16, 64, 64}, Shape{32, 8, 8, 128, 128}})
    for (int page : {16, 64}) {
      SCOPED_TRACE(testing::shape_name(s) + " page " + std::to_string(page));
      Problem pr;
      testing::make_paged_problem(pr, DType::kBF16, s, {4096, 1, 0, 1000, 4000}, {2, 0, 1, 4, 3}, 5, page, 4096 / page);
      DecodePlanOptions two;
      two.q_heads_per_block = 2 * (s.n_q / s.n_k);
      EXPECT_EQ(run_and_compare(pr, two), "");
      two.chunk_tokens = 64;
      EXPECT_EQ(run_and_compare(pr, two), "") << "64 splits of 64 tokens";
    }
}

TEST(DecodeAttention, LongContextManySplits) {
  REQUIRE_GPU();
  for (DType dtype : {DType::kBF16, DType::kFP16}) {
    Problem pr;
    testing::make_problem(pr, dtype, {32, 4, 16, 64, 64}, {32773, 5000}, {}, 2, 32800);
    SCOPED_TRACE(dtype_name(dtype));
    EXPECT_EQ(run_and_compare(pr), "");
    EXPECT_EQ(run_and_compare(pr, {320}), "");
    EXPECT_EQ(run_and_compare(pr, {64}), "") << "513 splits: the combine pass loops over more splits than threads";
    EXPECT_EQ(run_and_compare(pr, {320, -1, 0, -1, 0}), "") << "two-pass kernel";
  }
}

// The runtime plans once for the cache capacity and replays that plan (one CUDA graph) at every
// context length: shorter sequences are cut into smaller chunks over the same splits.
TEST(DecodeAttention, OnePlanForTheCapacityServesShorterContexts) {
  REQUIRE_GPU();
  for (const Shape& s : {Shape{32, 4, 16, 64, 64}, Shape{32, 16, 16, 64, 64}}) {
    SCOPED_TRACE(testing::shape_name(s));
    Problem pr;
    testing::make_problem(pr, DType::kBF16, s, {1, 300, 2500, 20000}, {}, 4, 40000);
    EXPECT_EQ(run_and_compare(pr, {}, 40000), "") << "planned for the capacity";
    EXPECT_EQ(run_and_compare(pr, {2048}, 40000), "") << "largest chunks, planned for the capacity";
    EXPECT_EQ(run_and_compare(pr, {0, -1, 0, -1, 0}, 40000), "") << "two-pass, planned for the capacity";
  }
}

TEST(DecodeAttention, FewerQHeadsPerBlockThanShareAKHead) {
  REQUIRE_GPU();
  Problem pr;
  testing::make_problem(pr, DType::kBF16, {32, 4, 16, 64, 64}, {1, 3000, 1025}, {}, 3, 3000);
  for (int qb : {1, 2, 4}) {
    for (int tensor_cores : {-1, 0}) {
      const DecodePlan plan =
          plan_decode_attention(pr.device, 3000, current_device_sm_count(), {0, -1, qb, -1, tensor_cores});
      EXPECT_EQ(plan.q_heads_per_block, qb);
      DeviceBuffer ws(plan.workspace_bytes);
      testing::cuda_ok(cudaMemset(pr.dout.get(), 0xff, pr.out_elems * 2), "cudaMemset(out)");
      decode_attention(pr.device, plan, ws.get(), nullptr);
      testing::cuda_ok(cudaDeviceSynchronize(), "decode_attention");
      testing::full_attention_reference(pr);
      EXPECT_EQ(compare_outputs(pr, pr.device_output(), pr.want, rtol_for(DType::kBF16), kAtol,
                                plan.tensor_cores ? &pr.magnitude : nullptr, ptol_for(DType::kBF16)),
                "")
          << "QB " << qb << (tensor_cores ? " tensor cores" : " two-pass");
    }
  }
  EXPECT_THROW(plan_decode_attention(pr.device, 3000, current_device_sm_count(), {0, -1, 3}), std::invalid_argument);
}

TEST(DecodeAttention, CacheSlotsAndEmptyContext) {
  REQUIRE_GPU();
  Problem pr;
  testing::make_problem(pr, DType::kBF16, {32, 4, 16, 64, 64}, {300, 0, 1000}, {3, 0, 1}, 4, 1024);
  EXPECT_EQ(run_and_compare(pr), "");
  EXPECT_EQ(run_and_compare(pr, {128}), "");
  EXPECT_EQ(run_and_compare(pr, {128, -1, 0, -1, 0}), "") << "two-pass kernel";
  const std::vector<float> got = pr.device_output();
  for (int h = 0; h < 32; ++h)
    for (int d = 0; d < 64; ++d) EXPECT_EQ(got[pr.host.out_batch_stride + h * pr.host.out_head_stride + d], 0.0f);
}

// A paged cache (runtime/kv_pages.h): every page of a slot somewhere else, so a kernel that walked
// a slot's rows as one run, or a 16-token tile across a page boundary, would read other slots' rows.
TEST(DecodeAttention, PagedCacheReadsEachTokenFromItsPage) {
  REQUIRE_GPU();
  for (const Shape& s : {Shape{32, 4, 16, 64, 64}, Shape{32, 16, 16, 64, 64}, Shape{32, 8, 8, 128, 128}}) {
    for (int page : {16, 64, 256}) {
      SCOPED_TRACE(testing::shape_name(s) + " page " + std::to_string(page));
      const int pages_per_slot = 4096 / page;
      Problem pr;
      testing::make_paged_problem(pr, DType::kBF16, s, {4096, 1, 0, 1000, 4000}, {2, 0, 1, 4, 3}, 5, page,
                                  pages_per_slot);
      EXPECT_EQ(run_and_compare(pr), "");
      EXPECT_EQ(run_and_compare(pr, {64}), "") << "64 splits of 64 tokens";
      EXPECT_EQ(run_and_compare(pr, {0, -1, 0, -1, 0}), "") << "two-pass kernel";
    }
  }
  Problem pr;
  testing::make_paged_problem(pr, DType::kFP16, {32, 4, 16, 64, 64}, {777}, {}, 1, 32, 32);
  EXPECT_EQ(run_and_compare(pr), "") << "fp16";
  pr.device.page_tokens = 48;
  EXPECT_THROW(plan_decode_attention(pr.device, 777, current_device_sm_count()), std::invalid_argument)
      << "pages that are not a power of two";
}

TEST(DecodeAttention, ContextLongerThanPlanGivesNaN) {
  REQUIRE_GPU();
  for (int chunk : {0, 64, 512}) {  // several splits, many, one
    // The tensor-core pass with a unit a block and a unit a warp, and the two-pass kernel.
    for (const auto& [tensor_cores, warp_units] : {std::pair{-1, 0}, std::pair{-1, 1}, std::pair{0, 0}}) {
      Problem pr;
      testing::make_problem(pr, DType::kFP16, {32, 16, 16, 64, 64}, {100, 900}, {}, 2, 1000);
      const DecodePlan plan = plan_decode_attention(pr.device, 500, current_device_sm_count(),
                                                    {chunk, -1, 0, -1, tensor_cores, warp_units});
      DeviceBuffer ws(plan.workspace_bytes);
      decode_attention(pr.device, plan, ws.get(), nullptr);
      testing::cuda_ok(cudaDeviceSynchronize(), "decode_attention");
      const std::vector<float> got = pr.device_output();
      EXPECT_FALSE(std::isnan(got[0])) << "chunk " << chunk;
      EXPECT_TRUE(std::isnan(got[pr.host.out_batch_stride])) << "chunk " << chunk;
    }
  }
}

// The split pass issues its first K/V copies before it waits for the kernel before it (PDL), but
// never of the row that kernel appends, and it reads q only after the wait (kernels/pdl.cuh). Here
// the kernel before (tests/kernels/late_copy.h) writes each sequence's q and newest K and V rows 2 ms
// after it lets the attention launch; until then those bytes hold other values, which would move
// every output (checked on the reference first). Lengths put the newest row in a slice's first
// token, in its middle and alone (len 1); plans: the planner's, chunks of 64, the largest chunk,
// interleaved splits and one unit a warp.
TEST(DecodeAttention, ReadsQAndTheNewestRowsOnlyAfterTheKernelBeforeIt) {
  REQUIRE_GPU();
  cudaStream_t stream = nullptr;
  testing::cuda_ok(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  const int sms = current_device_sm_count();
  for (const Shape& s : {kShapes[0], kShapes[1], kShapes[2]}) {
    SCOPED_TRACE(testing::shape_name(s));
    Problem pr;
    testing::make_problem(pr, DType::kBF16, s, {1, 777, 2051, 130, 17}, {4, 0, 2, 1, 3}, 5, 2100);
    const DecodeAttentionParams& h = pr.host;
    // This step's bytes (q; the K and V rows at len - 1 of each slot): their true values kept aside on
    // the device, and host copies of q, K and V with those bytes stale.
    constexpr uint16_t kStale = 0x4141;  // 12.06 in bf16; cudaMemset writes it byte by byte
    std::vector<testing::CopyRange> ranges;
    std::vector<DeviceBuffer> kept;
    std::vector<float> stale_q = pr.q, stale_k = pr.k, stale_v = pr.v;
    auto keep = [&](const DeviceBuffer& buf, std::vector<float>& stale, int64_t first, int64_t elems) {
      void* at = static_cast<uint16_t*>(buf.get()) + first;
      kept.emplace_back(elems * 2);
      testing::cuda_ok(cudaMemcpy(kept.back().get(), at, elems * 2, cudaMemcpyDeviceToDevice), "keep");
      ranges.push_back({at, kept.back().get(), static_cast<size_t>(elems) * 2});
      std::fill_n(stale.begin() + first, elems, reference::bf16_to_float(kStale));
    };
    for (int b = 0; b < h.batch; ++b) {
      const int64_t slot = pr.slots[b], row = pr.lens[b] - 1;
      keep(pr.dq, stale_q, b * h.q_batch_stride, h.n_q * h.q_head_stride);
      keep(pr.dk, stale_k, slot * h.k_batch_stride + row * h.k_token_stride, h.n_k * h.k_head_stride);
      keep(pr.dv, stale_v, slot * h.v_batch_stride + row * h.v_token_stride, h.n_v * h.v_head_stride);
    }
    ASSERT_LE(ranges.size(), static_cast<size_t>(testing::kMaxLateCopies));
    testing::full_attention_reference(pr);
    const std::vector<float>& want = pr.want;
    const std::vector<float>& magnitude = pr.magnitude;
    {
      // The stimulus is strong enough: attention over the stale bytes is far from the true one.
      DecodeAttentionParams stale = pr.host;
      std::vector<float> out(pr.out.size());
      stale.q = stale_q.data(), stale.k_cache = stale_k.data(), stale.v_cache = stale_v.data(), stale.out = out.data();
      reference::decode_attention(stale);
      ASSERT_NE(compare_outputs(pr, out, want, rtol_for(DType::kBF16), kAtol, &magnitude, ptol_for(DType::kBF16)), "");
    }
    std::vector<std::pair<std::string, DecodePlanOptions>> plans = {{"planned", {}}};
    DecodePlanOptions o;
    o.chunk_tokens = 64;
    plans.emplace_back("chunks of 64", o);
    o.interleave = 1;
    plans.emplace_back("interleaved chunks of 64", o);
    o = {};
    o.chunk_tokens = 100000;
    plans.emplace_back("the largest chunk", o);
    if (warps_take_units(plan_decode_attention(pr.device, 2100, sms), s)) {
      o = {};
      o.warp_units = 1;
      plans.emplace_back("one unit a warp", o);
    }
    for (const auto& [name, options] : plans) {
      const DecodePlan plan = plan_decode_attention(pr.device, 2100, sms, options);
      ASSERT_TRUE(plan.pdl) << name;
      DeviceBuffer ws(plan.workspace_bytes);
      for (const testing::CopyRange& r : ranges) testing::cuda_ok(cudaMemset(r.dst, kStale & 0xff, r.bytes), "stale");
      testing::cuda_ok(cudaMemset(pr.dout.get(), 0xff, pr.out_elems * 2), "cudaMemset(out)");
      testing::cuda_ok(cudaDeviceSynchronize(), "set-up");
      testing::cuda_ok(testing::launch_late_copies(ranges, 2000, stream), "launch_late_copies");
      decode_attention(pr.device, plan, ws.get(), stream);
      testing::cuda_ok(cudaStreamSynchronize(stream), "decode_attention after the late copies");
      EXPECT_EQ(compare_outputs(pr, pr.device_output(), want, rtol_for(DType::kBF16), kAtol, &magnitude,
                                ptol_for(DType::kBF16)),
                "")
          << name << ": splits " << plan.splits << " chunk " << plan.chunk_tokens;
    }
  }
  cudaStreamDestroy(stream);
}

// DecodePlanOptions::chunk_scale (benchmarks comparing the planner's chunk with a multiple of it):
// only the chunk differs from the planner's plan, the kernel still matches the reference, and a
// negative scale or one given with chunk_tokens is refused.
TEST(DecodeAttention, ChunkScaleChangesOnlyTheChunk) {
  REQUIRE_GPU();
  const int sms = current_device_sm_count();
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(testing::shape_name(s));
    Problem pr;
    testing::make_problem(pr, DType::kBF16, s, {32773, 5000, 1}, {}, 3, 32800);
    const DecodePlan planned = plan_decode_attention(pr.device, 32800, sms);
    for (double scale : {0.5, 2.0, 0.06}) {
      DecodePlanOptions o;
      o.chunk_scale = scale;
      const DecodePlan p = plan_decode_attention(pr.device, 32800, sms, o);
      EXPECT_EQ(p.tensor_cores, planned.tensor_cores) << scale;
      EXPECT_EQ(p.q_heads_per_block, planned.q_heads_per_block) << scale;
      EXPECT_EQ(p.warp_units, planned.warp_units) << scale;
      EXPECT_EQ(p.interleaved, planned.interleaved) << scale;
      const int want = static_cast<int>(std::lround(planned.chunk_tokens * scale));
      if (p.tensor_cores) {
        EXPECT_EQ(p.chunk_tokens, (std::max(want, 1) + 15) / 16 * 16) << scale;
      } else {
        EXPECT_TRUE(p.chunk_tokens % 64 == 0 && p.chunk_tokens <= std::max(planned.chunk_tokens, want + 63)) << scale;
      }
      EXPECT_EQ(p.splits, (32800 + p.chunk_tokens - 1) / p.chunk_tokens) << scale;
      EXPECT_EQ(run_and_compare(pr, o), "") << "chunk scale " << scale;
    }
    DecodePlanOptions bad;
    bad.chunk_scale = -0.5;
    EXPECT_THROW(plan_decode_attention(pr.device, 32800, sms, bad), std::invalid_argument);
    bad.chunk_scale = 0.5, bad.chunk_tokens = 64;
    EXPECT_THROW(plan_decode_attention(pr.device, 32800, sms, bad), std::invalid_argument);
    bad.chunk_scale = std::nan(""), bad.chunk_tokens = 0;
    EXPECT_THROW(plan_decode_attention(pr.device, 32800, sms, bad), std::invalid_argument);
  }
}

TEST(DecodeAttention, PlansFillTheGpuAndRejectBadShapes) {
  REQUIRE_GPU();
  DecodeAttentionParams p;
  p.dtype = DType::kBF16;
  p.batch = 1, p.n_q = 32, p.n_k = 4, p.n_v = 16, p.d_k = 64, p.d_v = 64;
  set_contiguous_strides(p, 131072);
  const int sms = current_device_sm_count();
  const DecodePlan plan = plan_decode_attention(p, 131072, sms);
  EXPECT_EQ(plan.q_heads_per_block, 8);
  EXPECT_GE(plan.splits * 4, sms) << "batch 1 at 128k must give every SM a block";
  EXPECT_TRUE(plan.tensor_cores);
  EXPECT_GT(plan.workspace_bytes, 0u);
  const DecodePlan short_plan = plan_decode_attention(p, 4096, sms);
  // Nearly every SM at 4k too: chunks are whole 16-token granules, so 4,096 tokens over 132 SMs / 4
  // blocks a split round to 32 splits of 128 (128 blocks).
  EXPECT_GE(short_plan.splits * 4 * 10, sms * 9) << "batch 1 at 4k too (chunks of " << short_plan.chunk_tokens << ")";
  const DecodePlan two_pass = plan_decode_attention(p, 131072, sms, {0, -1, 0, -1, 0});
  EXPECT_FALSE(two_pass.tensor_cores);
  EXPECT_LE(two_pass.chunk_tokens, 2048);  // the QB = 8 score buffer
  p.d_k = 96;
  EXPECT_THROW(plan_decode_attention(p, 1000, sms), std::invalid_argument);
  p.d_k = 64, p.n_k = 5;
  EXPECT_THROW(plan_decode_attention(p, 1000, sms), std::invalid_argument);
}

}  // namespace
}  // namespace aimicius::kernels
