// The fused decode step's kernels against plain C++ that rounds where kernels/gemv.h and
// kernels/rope_append.h say they do: gemv (stacked segments with bias, RMSNorm input, the residual
// add, the gated SiLU pair, float logits; batch 1 to 8, widths with a ragged last group, bf16 and
// fp16) and rope_append (RoPE of q and k, K/V rows written at each slot's position, nothing else).
// Sums differ from the kernels' only in order, so values agree to one rounding of the storage type.
// Skips without a CUDA device.
#include "kernels/gemv.h"
#include "kernels/rope_append.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/reference/half_bits.h"
#include "tests/kernels/attention_problem.h"

namespace aimicius::kernels {
namespace {

using testing::cuda_ok;
using testing::DeviceBuffer;
using testing::have_cuda_device;

#define REQUIRE_GPU() \
  if (!have_cuda_device()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped"

uint16_t to_bits(float f, DType t) { return t == DType::kBF16 ? reference::float_to_bf16(f) : reference::float_to_fp16(f); }
float from_bits(uint16_t h, DType t) { return t == DType::kBF16 ? reference::bf16_to_float(h) : reference::fp16_to_float(h); }
float round_to(float f, DType t) { return from_bits(to_bits(f, t), t); }

// Values k/256 for integer k in [-255, 255]: exact in bf16 and fp16.
std::vector<float> random_values(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> d(-255, 255);
  std::vector<float> v(n);
  for (float& x : v) x = scale * static_cast<float>(d(rng)) / 256.0f;
  return v;
}

struct DeviceArray {
  DeviceBuffer buffer;
  size_t n = 0;
  DType type;
  DeviceArray(const std::vector<float>& host, DType t) : buffer(host.size() * 2), n(host.size()), type(t) {
    std::vector<uint16_t> bits(n);
    for (size_t i = 0; i < n; ++i) bits[i] = to_bits(host[i], t);
    buffer.upload(bits);
  }
  std::vector<float> read() const {
    std::vector<float> out(n);
    const auto bits = buffer.download<uint16_t>(n);
    for (size_t i = 0; i < n; ++i) out[i] = from_bits(bits[i], type);
    return out;
  }
  void* get() const { return buffer.get(); }
};

// One rounding of the storage type at the magnitude of the row (the sums' order differs).
void expect_close(const std::vector<float>& got, const std::vector<float>& want, DType t, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  float peak = 0.0f;
  for (float w : want) peak = std::max(peak, std::fabs(w));
  const float ulp = t == DType::kBF16 ? 1.0f / 128 : 1.0f / 1024;
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i)
    if (!(std::fabs(got[i] - want[i]) <= ulp * std::max(std::fabs(want[i]), 0.05f * peak))) {
      ADD_FAILURE() << what << ": element " << i << " got " << got[i] << " want " << want[i];
      ++bad;
    }
}

struct GemvCase {
  DType type;
  int batch, k;
  std::vector<int> rows;     // per segment
  std::vector<bool> bias;    // per segment
  GemvInput input;
  GemvOutput output;
};

// The reference: x (normed as the kernel's contract says), each row's fp32 dot, the output rule.
std::vector<std::vector<float>> reference_gemv(const GemvCase& c, const std::vector<float>& x,
                                               const std::vector<float>& gain,
                                               const std::vector<std::vector<float>>& w,
                                               const std::vector<std::vector<float>>& bias,
                                               const std::vector<std::vector<float>>& out_before) {
  const DType t = c.type;
  std::vector<float> xin = x;
  if (c.input == GemvInput::kRmsNorm) {
    for (int b = 0; b < c.batch; ++b) {
      float ss = 0.0f;
      for (int i = 0; i < c.k; ++i) ss += x[b * c.k + i] * x[b * c.k + i];
      const float inv = 1.0f / std::sqrt(ss / c.k + 1e-6f);
      for (int i = 0; i < c.k; ++i) xin[b * c.k + i] = round_to(gain[i] * round_to(x[b * c.k + i] * inv, t), t);
    }
  }
  auto dot = [&](int seg, int b, int r) {
    double s = 0.0;
    for (int i = 0; i < c.k; ++i) s += static_cast<double>(w[seg][static_cast<size_t>(r) * c.k + i]) * xin[b * c.k + i];
    return static_cast<float>(s);
  };
  std::vector<std::vector<float>> out = out_before;
  const int segs = c.output == GemvOutput::kSiluGate ? 1 : static_cast<int>(c.rows.size());
  for (int seg = 0; seg < segs; ++seg)
    for (int b = 0; b < c.batch; ++b)
      for (int r = 0; r < c.rows[seg]; ++r) {
        const float v = dot(seg, b, r) + (bias[seg].empty() ? 0.0f : bias[seg][r]);
        float& o = out[seg][static_cast<size_t>(b) * c.rows[seg] + r];
        switch (c.output) {
          case GemvOutput::kStore: o = round_to(v, t); break;
          case GemvOutput::kAddInto: o = round_to(o + round_to(v, t), t); break;
          case GemvOutput::kStoreFloat: o = round_to(v, t); break;
          case GemvOutput::kSiluGate: {
            const float g = round_to(v, t), s = round_to(g / (1.0f + std::exp(-g)), t);
            o = round_to(s * round_to(dot(1, b, r), t), t);
            break;
          }
        }
      }
  return out;
}

// sm_count 0: one warp per row; 3: six blocks, so each warp walks many rows (the runtime's layout,
// squeezed onto a few SMs).
void run_case(const GemvCase& c, uint64_t seed, int sm_count) {
  const DType t = c.type;
  const int nseg = static_cast<int>(c.rows.size());
  const auto x = random_values(static_cast<size_t>(c.batch) * c.k, seed, 2.0f);
  const auto gain = random_values(c.k, seed + 1);
  std::vector<std::vector<float>> w, bias, out_before;
  for (int s = 0; s < nseg; ++s) {
    w.push_back(random_values(static_cast<size_t>(c.rows[s]) * c.k, seed + 10 + s, 1.0f / 16));
    bias.push_back(c.bias[s] ? random_values(c.rows[s], seed + 20 + s) : std::vector<float>{});
    out_before.push_back(random_values(static_cast<size_t>(c.batch) * c.rows[s], seed + 30 + s, 4.0f));
  }
  const auto want = reference_gemv(c, x, gain, w, bias, out_before);

  DeviceArray dx(x, t), dgain(gain, t);
  std::vector<DeviceArray> dw, dbias, dout;
  std::vector<DeviceBuffer> dfloat;
  GemvParams p;
  p.dtype = t;
  p.batch = c.batch;
  p.k = c.k;
  p.x = dx.get();
  p.input = c.input;
  p.norm_gain = c.input == GemvInput::kRmsNorm ? dgain.get() : nullptr;
  p.norm_eps = 1e-6f;
  p.output = c.output;
  p.n_segments = nseg;
  p.sm_count = sm_count;
  for (int s = 0; s < nseg; ++s) {
    dw.emplace_back(w[s], t);
    dbias.emplace_back(c.bias[s] ? bias[s] : std::vector<float>(8), t);
    dout.emplace_back(out_before[s], t);
    dfloat.emplace_back(out_before[s].size() * sizeof(float));
  }
  for (int s = 0; s < nseg; ++s) {
    p.segments[s].weight = dw[s].get();
    p.segments[s].bias = c.bias[s] ? dbias[s].get() : nullptr;
    p.segments[s].out = c.output == GemvOutput::kStoreFloat ? dfloat[s].get() : dout[s].get();
    p.segments[s].rows = c.rows[s];
  }
  gemv(p, nullptr);
  cuda_ok(cudaDeviceSynchronize(), "gemv");
  const int segs = c.output == GemvOutput::kSiluGate ? 1 : nseg;
  for (int s = 0; s < segs; ++s) {
    const std::string what = "batch " + std::to_string(c.batch) + " k " + std::to_string(c.k) + " segment " +
                             std::to_string(s) + " output " + std::to_string(static_cast<int>(c.output)) +
                             " sm_count " + std::to_string(sm_count);
    if (c.output == GemvOutput::kStoreFloat) {
      expect_close(dfloat[s].download<float>(want[s].size()), want[s], t, what);
    } else {
      expect_close(dout[s].read(), want[s], t, what);
    }
  }
  if (c.output == GemvOutput::kSiluGate) {
    EXPECT_EQ(dout[1].read(), out_before[1]) << "the up segment's out is not written";
  }
}

TEST(Gemv, StackedProjectionsWithBiasFromNormedInput) {
  REQUIRE_GPU();
  for (int sms : {0, 3})
    for (int batch : {1, 3, 8})
      run_case({DType::kBF16, batch, 1600, {40, 24, 72}, {true, false, true}, GemvInput::kRmsNorm, GemvOutput::kStore},
               100 + batch, sms);
}

TEST(Gemv, ResidualAddGatedSiluAndFloatLogits) {
  REQUIRE_GPU();
  for (int sms : {0, 3}) {
    run_case({DType::kBF16, 5, 2048, {64}, {false}, GemvInput::kPlain, GemvOutput::kAddInto}, 7, sms);
    run_case({DType::kBF16, 2, 96, {50, 50}, {false, false}, GemvInput::kPlain, GemvOutput::kSiluGate}, 8, sms);
    run_case({DType::kBF16, 8, 512, {33, 33}, {false, false}, GemvInput::kRmsNorm, GemvOutput::kSiluGate}, 9, sms);
    run_case({DType::kFP16, 1, 1024, {1000}, {false}, GemvInput::kRmsNorm, GemvOutput::kStoreFloat}, 10, sms);
    run_case({DType::kFP16, 4, 6144, {16}, {true}, GemvInput::kPlain, GemvOutput::kAddInto}, 11, sms);
  }
}

TEST(Gemv, RejectsWhatItCannotCompute) {
  GemvParams p;
  p.batch = 1;
  p.k = 64;
  p.n_segments = 1;
  p.segments[0].rows = 4;
  EXPECT_EQ(validate_gemv_params(p, false), "");
  p.k = 12;
  EXPECT_NE(validate_gemv_params(p, false), "");  // not a multiple of 8
  p.k = 64;
  p.batch = kMaxGemvBatch + 1;
  EXPECT_NE(validate_gemv_params(p, false), "");
  p.batch = 8;
  p.k = 16384;  // 8 rows of x do not fit shared memory
  EXPECT_NE(validate_gemv_params(p, false), "");
  p.k = 64;
  p.output = GemvOutput::kSiluGate;  // needs a gate and an up segment of equal rows
  EXPECT_NE(validate_gemv_params(p, false), "");
  p.n_segments = 2;
  p.segments[1].rows = 5;
  EXPECT_NE(validate_gemv_params(p, false), "");
  p.segments[1].rows = 4;
  EXPECT_EQ(validate_gemv_params(p, false), "");
  EXPECT_THROW(gemv(p, nullptr), std::invalid_argument);  // no pointers
}

// Unpaged (a slot is one page of 16 rows) and paged (a slot is 2 pages of 8 rows, its pages shuffled
// through a block table): the new row goes where the table says, and nowhere else.
TEST(RopeAppend, RotatesQAndKAndWritesOnlyEachSlotsNewRow) {
  REQUIRE_GPU();
  const DType t = DType::kBF16;
  const int B = 3, nq = 8, nk = 2, nv = 4, dk = 64, dv = 128, slots_n = 3, cap = 16;
  const std::vector<int32_t> slots = {2, 0, 1}, lens = {5, 1, 16};
  const std::vector<int32_t> table = {4, 1, 5, 0, 2, 3};  // paged: slot s's pages table[2s], table[2s + 1]
  const auto q = random_values(B * nq * dk, 1), k = random_values(B * nk * dk, 2), v = random_values(B * nv * dv, 3);
  const auto k_cache0 = random_values(static_cast<size_t>(slots_n) * cap * nk * dk, 4);
  const auto v_cache0 = random_values(static_cast<size_t>(slots_n) * cap * nv * dv, 5);
  std::vector<double> inv_freq(dk / 2);
  for (int i = 0; i < dk / 2; ++i) inv_freq[i] = std::pow(10000.0, -2.0 * i / dk);

  for (const bool paged : {false, true}) {
    SCOPED_TRACE(paged ? "paged: 8-row pages" : "a slot is one page");
    const int page = paged ? cap / 2 : cap;
    auto row_of = [&](int b) -> size_t {
      const int pos = lens[b] - 1;
      return paged ? static_cast<size_t>(table[slots[b] * 2 + pos / page]) * page + pos % page
                   : static_cast<size_t>(slots[b]) * cap + pos;
    };
    std::vector<float> want_q(q.size()), want_k = k_cache0, want_v = v_cache0;
    for (int b = 0; b < B; ++b) {
      const int64_t pos = lens[b] - 1;
      auto rotate = [&](const float* src, float* dst) {
        for (int j = 0; j < dk / 2; ++j) {
          const double angle = static_cast<double>(pos) * inv_freq[j];
          const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
          const float a = src[j], e = src[j + dk / 2];
          const float ac = a * c, es = e * s, ec = e * c, as = a * s;  // separately rounded, as the op path
          dst[j] = round_to(ac - es, t);
          dst[j + dk / 2] = round_to(ec + as, t);
        }
      };
      for (int h = 0; h < nq; ++h) rotate(&q[(b * nq + h) * dk], &want_q[(b * nq + h) * dk]);
      for (int h = 0; h < nk; ++h) rotate(&k[(b * nk + h) * dk], &want_k[(row_of(b) * nk + h) * dk]);
      for (int i = 0; i < nv * dv; ++i) want_v[row_of(b) * nv * dv + i] = v[b * nv * dv + i];
    }

    DeviceArray dq(q, t), dk_in(k, t), dv_in(v, t), dq_out(std::vector<float>(q.size()), t), dkc(k_cache0, t),
        dvc(v_cache0, t);
    DeviceBuffer dslots(B * 4), dlens(B * 4), dfreq(inv_freq.size() * 8), dtable(table.size() * 4);
    dslots.upload(slots);
    dlens.upload(lens);
    dfreq.upload(inv_freq);
    dtable.upload(table);
    RopeAppendParams p;
    p.dtype = t;
    p.batch = B, p.n_q = nq, p.n_k = nk, p.n_v = nv, p.d_k = dk, p.d_v = dv, p.capacity = page;
    p.q = dq.get(), p.k = dk_in.get(), p.v = dv_in.get(), p.q_out = dq_out.get();
    p.k_cache = dkc.get(), p.v_cache = dvc.get();
    p.slots = static_cast<const int32_t*>(dslots.get());
    if (paged) p.block_table = static_cast<const int32_t*>(dtable.get()), p.block_table_stride = 2;
    p.context_lens = static_cast<const int32_t*>(dlens.get());
    p.inv_freq = static_cast<const double*>(dfreq.get());
    rope_append(p, nullptr);
    cuda_ok(cudaDeviceSynchronize(), "rope_append");
    expect_close(dq_out.read(), want_q, t, "q");
    expect_close(dkc.read(), want_k, t, "k cache");
    EXPECT_EQ(dvc.read(), want_v) << "V rows are copied exactly, and only the new ones";

    p.d_k = 7;
    EXPECT_THROW(rope_append(p, nullptr), std::invalid_argument);
  }
}

}  // namespace
}  // namespace aimicius::kernels
