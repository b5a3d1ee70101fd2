// aimicius-bench-attention: decode-attention kernels against the device's copy bandwidth.
//
// Prints JSON lines on stdout (progress and errors on stderr):
//   {"kind":"copy", ...}        device_copy of 2 GiB: read+write bytes / median time
//   {"kind":"read", ...}        a read-only stream of 2 GiB (device_xor_checksum): bytes / median time,
//                               the ceiling of a kernel that only reads (decode attention)
//   {"kind":"launch", ...}      one launch of a kernel that reads 64 bytes, timed like the others:
//                               the fixed cost below which no single-kernel call can go
//   (each "decode" row also carries head_major_time_us: the planned kernel on the same caches read
//   as [batch, heads, context, d], the layout torch SDPA's row is timed on, where the runtime's is
//   [batch, context, heads, d]; paged_time_us: the planned kernel on the same caches read as 64-token
//   pages through a block table (runtime/kv_pages.h) whose pages are shuffled within each sequence,
//   the same tokens in another order (attention does not depend on it); and read_same_bytes_us: one read-only kernel over as many bytes as
//   the configuration's K + V, timed alone after the same scrub, up to 1 GiB: the ceiling at that
//   size, fixed costs included; where 4+ copies of its K + V fit in 1 GiB, graph_time_us: the
//   planned kernel as a decode step runs it, once per layer on graph_layers layers' own caches back
//   to back in one CUDA graph (the launches' fixed costs overlapping the kernel before), the
//   graph's time / layers, its last layer checked against the reference; and
//   graph_read_same_bytes_us: a graph of as many reads of the same bytes, timed the same way; and,
//   at batch <= 8, step_time_us: what the kernel adds to a step-like graph in which each layer's
//   launch is followed by a matrix-vector product reading its output and --step-mib MiB of weights,
//   then the step's RoPE/append kernel (bench/step_follower.h): that graph's time less the graph of
//   the follower alone, a layer)
//   {"kind":"decode", ...}      per shape x batch x context: time, K+V bytes, bandwidth, fraction
//                               (of copy and of read), and the two-pass kernel's time beside it
//   {"kind":"skip", ...}        a configuration that does not fit in device memory
//   {"kind":"sweep", ...}       QB x chunk size sweep of the tensor-core pass (planner tuning) at
//                               batch 1 / 4k, 32k and 128k, batch 8 / 4k, batch 64 / 128k, and
//                               one wave of k blocks per SM (k = 1..4, "blocks_per_sm") there
//   {"kind":"selective", ...}   selective V fetching (top-100) on the DiffQKV shape
//   {"kind":"ratio", ...}       DiffQKV / GQA time ratio against the K+V byte ratio
// Method: inputs are pseudo-random nonzero values filled on the device; before timing, each
// configuration's output for the last sequence and three Q heads is checked against the float
// reference (kernels/reference) on the downloaded rows; then 3 warm-up launches and `--iters`
// (default 25) timed launches, each timed alone with CUDA events after the L2 cache has been
// scrubbed by reading a buffer 4x its size (so small caches are not served from L2, and no dirty
// lines are left for the timed launch to write back), and the median is reported.
// Flags: --iters N, --fp16, --only SHAPE:BATCH:CONTEXT (that configuration alone, no sweep; any batch,
// and any context of whole 64-token pages, e.g. a decode step's capacity),
// --no-sweep, --warp-units -1|0|1 (the planned rows' DecodePlanOptions::warp_units: the planner's
// choice, a unit a block, a unit a warp), --chunk TOKENS (their chunk_tokens), --interleave -1|0|1
// (their DecodePlanOptions::interleave: splits of interleaved 16-token slices), --chunk-scale F
// (their DecodePlanOptions::chunk_scale: the planner's plan with only its chunk times F; 0.5 is
// twice the splits), --q-heads N (their
// DecodePlanOptions::q_heads_per_block; twice n_q / n_k: units of two K heads), --planned-only (the
// other rows' times left out, null), --step-mib N (the step rows' weights a layer, default 96, about
// one layer of a 1.5B model; 0: no step rows), --early-attention-launch (in the step rows, attention
// scheduled before the RoPE/append kernel's wait, as `bench generate --early-attention-launch`
// does); scripts/gpu/ab-options.sh alternates such flag sets.
// Exit status: 0 when every check passed, 1 otherwise.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "bench/cuda_bench_util.h"
#include "bench/step_follower.h"
#include "kernels/decode_attention.h"
#include "kernels/device_checksum.h"
#include "kernels/device_fill.h"
#include "kernels/reference/attention_reference.h"
#include "kernels/reference/half_bits.h"
#include "kernels/selective_v.h"

namespace {

using aimicius::bench::Buffer;
using aimicius::bench::ok;
using aimicius::bench::Timer;
using aimicius::kernels::DecodeAttentionParams;
using aimicius::kernels::DType;

struct ShapeSpec {
  const char* name;
  int n_q, n_k, n_v, d_k, d_v;
};

// Sigma-1.5B attention, its GQA baseline STD, and GQA with K = V = d 128 (Llama-style 8 KV heads).
const ShapeSpec kShapes[] = {
    {"diffqkv_sigma", 32, 4, 16, 64, 64},
    {"gqa_std", 32, 16, 16, 64, 64},
    {"gqa_d128", 32, 8, 8, 128, 128},
};

float to_float(uint16_t bits, DType t) {
  return t == DType::kBF16 ? aimicius::kernels::reference::bf16_to_float(bits)
                           : aimicius::kernels::reference::fp16_to_float(bits);
}

std::vector<float> download_rows(const void* base, int64_t row_stride, int width, int rows, DType t) {
  std::vector<uint16_t> bits(static_cast<size_t>(width) * rows);
  ok(cudaMemcpy2D(bits.data(), width * 2, base, row_stride * 2, width * 2, rows, cudaMemcpyDeviceToHost),
     "download rows");
  std::vector<float> f(bits.size());
  for (size_t i = 0; i < bits.size(); ++i) f[i] = to_float(bits[i], t);
  return f;
}

// Checks sequence batch-1, Q heads {0, n_q/2 + 1, n_q - 1} of a finished run against the float
// reference on downloaded rows. `selected` (device, [batch, n_q, topk]) switches to selective V.
// Returns the largest error relative to the bound (<= 1 passes).
double check_sample(const DecodeAttentionParams& p, int ctx, const int32_t* selected, int topk) {
  namespace ref = aimicius::kernels::reference;
  const int b = p.batch - 1;
  const double rtol = p.dtype == DType::kBF16 ? 1.0 / 128 : 1.0 / 512, atol = 2e-4;
  double worst = 0.0;
  for (int h : {0, std::min(p.n_q / 2 + 1, p.n_q - 1), p.n_q - 1}) {
    const int kh = h / (p.n_q / p.n_k), vh = h / (p.n_q / p.n_v);
    const auto* q = static_cast<const uint16_t*>(p.q) + b * p.q_batch_stride + h * p.q_head_stride;
    const auto* k = static_cast<const uint16_t*>(p.k_cache) + b * p.k_batch_stride + kh * p.k_head_stride;
    const auto* v = static_cast<const uint16_t*>(p.v_cache) + b * p.v_batch_stride + vh * p.v_head_stride;
    const auto* o = static_cast<const uint16_t*>(p.out) + b * p.out_batch_stride + h * p.out_head_stride;
    std::vector<float> hq = download_rows(q, p.d_k, p.d_k, 1, p.dtype);
    std::vector<float> hk = download_rows(k, p.k_token_stride, p.d_k, ctx, p.dtype);
    std::vector<float> hv = download_rows(v, p.v_token_stride, p.d_v, ctx, p.dtype);
    std::vector<float> got = download_rows(o, p.d_v, p.d_v, 1, p.dtype);
    std::vector<float> want(p.d_v);
    const std::vector<int32_t> lens = {ctx};
    DecodeAttentionParams hp;
    hp.dtype = DType::kF32;
    hp.batch = 1, hp.n_q = hp.n_k = hp.n_v = 1, hp.d_k = p.d_k, hp.d_v = p.d_v, hp.scale = p.scale;
    aimicius::kernels::set_contiguous_strides(hp, ctx);
    hp.q = hq.data(), hp.k_cache = hk.data(), hp.v_cache = hv.data(), hp.out = want.data();
    hp.context_lens = lens.data();
    if (selected) {
      std::vector<int32_t> sel(topk);
      ok(cudaMemcpy(sel.data(), selected + (static_cast<int64_t>(b) * p.n_q + h) * topk, topk * 4,
                    cudaMemcpyDeviceToHost),
         "download selection");
      ref::selective_v(hp, topk, sel.data(), topk);
    } else {
      ref::decode_attention(hp);
    }
    for (int d = 0; d < p.d_v; ++d) {
      const double e = std::abs(static_cast<double>(got[d]) - want[d]) / (atol + rtol * std::abs(want[d]));
      worst = std::max(worst, std::isnan(e) ? INFINITY : e);
    }
  }
  return worst;
}

struct Config {
  ShapeSpec s;
  int batch, ctx;
};

// Tokens a page of the paged rows holds: a configuration's context is a whole number of pages.
constexpr int kPageTokens = 64;

// The configurations a run times: the table's grid (every shape at batch 1, 8 and 64 x 4k, 32k and
// 128k), or the one `--only SHAPE:BATCH:CONTEXT` names, on the grid or off it (a decode step's
// capacity, prompt + new tokens, e.g. gqa_std:1:32896). Throws std::invalid_argument saying what
// it cannot take, rather than timing nothing.
std::vector<Config> configs_to_time(const std::string& only) {
  std::vector<Config> out;
  if (only.empty()) {
    for (const ShapeSpec& s : kShapes)
      for (int batch : {1, 8, 64})
        for (int ctx : {4096, 32768, 131072}) out.push_back({s, batch, ctx});
    return out;
  }
  const size_t a = only.find(':'), b = a == std::string::npos ? a : only.find(':', a + 1);
  const std::string why = "--only " + only + ": ";
  if (b == std::string::npos) throw std::invalid_argument(why + "expected SHAPE:BATCH:CONTEXT");
  const std::string shape = only.substr(0, a);
  const auto it = std::find_if(std::begin(kShapes), std::end(kShapes), [&](const ShapeSpec& s) { return shape == s.name; });
  if (it == std::end(kShapes)) {
    std::string names;
    for (const ShapeSpec& s : kShapes) names += (names.empty() ? "" : ", ") + std::string(s.name);
    throw std::invalid_argument(why + "no shape " + shape + " (" + names + ")");
  }
  const std::string bs = only.substr(a + 1, b - a - 1), cs = only.substr(b + 1);
  const bool digits = !bs.empty() && !cs.empty() && bs.size() < 7 && cs.size() < 9 &&
                      (bs + cs).find_first_not_of("0123456789") == std::string::npos;
  const int batch = digits ? std::atoi(bs.c_str()) : 0, ctx = digits ? std::atoi(cs.c_str()) : 0;
  if (batch < 1 || ctx < kPageTokens || ctx % kPageTokens)
    throw std::invalid_argument(why + "the batch must be >= 1 and the context a whole number of " +
                                std::to_string(kPageTokens) + "-token pages (the paged rows' pages)");
  out.push_back({*it, batch, ctx});
  return out;
}

// Device memory of one configuration: contiguous caches of exactly ctx tokens per sequence.
struct Problem {
  DecodeAttentionParams p;
  Buffer q, k, v, out, lens;
  Problem(const Config& c, DType dtype, cudaStream_t stream)
      : q(static_cast<size_t>(c.batch) * c.s.n_q * c.s.d_k * 2),
        k(static_cast<size_t>(c.batch) * c.ctx * c.s.n_k * c.s.d_k * 2),
        v(static_cast<size_t>(c.batch) * c.ctx * c.s.n_v * c.s.d_v * 2),
        out(static_cast<size_t>(c.batch) * c.s.n_q * c.s.d_v * 2),
        lens(static_cast<size_t>(c.batch) * 4) {
    p.dtype = dtype;
    p.batch = c.batch, p.n_q = c.s.n_q, p.n_k = c.s.n_k, p.n_v = c.s.n_v, p.d_k = c.s.d_k, p.d_v = c.s.d_v;
    p.scale = 1.0f / std::sqrt(static_cast<float>(c.s.d_k));
    aimicius::kernels::set_contiguous_strides(p, c.ctx);
    p.q = q.get(), p.k_cache = k.get(), p.v_cache = v.get(), p.out = out.get();
    p.context_lens = static_cast<const int32_t*>(lens.get());
    ok(aimicius::kernels::fill_random(q.get(), q.bytes() / 2, dtype, 1, stream), "fill q");
    ok(aimicius::kernels::fill_random(k.get(), k.bytes() / 2, dtype, 2, stream), "fill K");
    ok(aimicius::kernels::fill_random(v.get(), v.bytes() / 2, dtype, 3, stream), "fill V");
    const std::vector<int32_t> host_lens(c.batch, c.ctx);
    ok(cudaMemcpy(lens.get(), host_lens.data(), host_lens.size() * 4, cudaMemcpyHostToDevice), "lens");
    ok(cudaStreamSynchronize(stream), "fill");
  }
};

// A JSON number, or null for NaN (a failed check, a size not measured).
std::string json_number(double v) {
  if (std::isnan(v)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

double kv_bytes(const Config& c) {
  return static_cast<double>(c.batch) * c.ctx * (c.s.n_k * c.s.d_k + c.s.n_v * c.s.d_v) * 2.0;
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 25;
  DType dtype = DType::kBF16;
  std::string only;  // "shape:batch:context": that configuration alone, no sweep (for profilers)
  bool sweeps = true;
  int warp_units = -1;  // DecodePlanOptions::warp_units of the planned rows (-1: the planner's)
  int chunk = 0;        // DecodePlanOptions::chunk_tokens of the planned rows (0: the planner's)
  int interleave = -1;  // DecodePlanOptions::interleave of the planned rows (-1: the planner's)
  int q_heads = 0;      // DecodePlanOptions::q_heads_per_block of the planned rows (0: the planner's)
  double chunk_scale = 0;  // > 0: the planned rows' chunk times this, all else as planned
  bool others = true;   // time the two-pass, head-major, paged and read-same rows too
  int step_mib = 96;    // weights a layer of the step rows' follower (0: no step rows)
  bool attention_early = false;  // the step rows' RoPE/append kernel lets attention launch before its wait
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iters" && i + 1 < argc) iters = std::max(20, std::atoi(argv[++i]));
    else if (a == "--fp16") dtype = DType::kFP16;
    else if (a == "--only" && i + 1 < argc) only = argv[++i];
    else if (a == "--no-sweep") sweeps = false;
    else if (a == "--warp-units" && i + 1 < argc) warp_units = std::atoi(argv[++i]);
    else if (a == "--chunk" && i + 1 < argc) chunk = std::atoi(argv[++i]);
    else if (a == "--interleave" && i + 1 < argc) interleave = std::atoi(argv[++i]);
    else if (a == "--q-heads" && i + 1 < argc) q_heads = std::atoi(argv[++i]);
    else if (a == "--chunk-scale" && i + 1 < argc) chunk_scale = std::atof(argv[++i]);
    else if (a == "--planned-only") others = false;
    else if (a == "--step-mib" && i + 1 < argc) step_mib = std::max(0, std::atoi(argv[++i]));
    else if (a == "--early-attention-launch") attention_early = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--iters N (>= 20)] [--fp16] [--only SHAPE:BATCH:CONTEXT] [--no-sweep] "
                   "[--warp-units -1|0|1] [--chunk TOKENS] [--chunk-scale F] [--interleave -1|0|1] [--q-heads N] [--planned-only] "
                   "[--step-mib N] [--early-attention-launch]\n",
                   argv[0]);
      return 2;
    }
  }
  if (chunk_scale < 0 || (chunk_scale > 0 && chunk > 0)) {
    std::fprintf(stderr, "%s: --chunk-scale must be >= 0 and cannot be given with --chunk\n", argv[0]);
    return 2;
  }
  bool all_ok = true;
  try {
    const std::vector<Config> configs = configs_to_time(only);
    cudaDeviceProp prop{};
    ok(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    const int sms = prop.multiProcessorCount;
    cudaStream_t stream;
    ok(cudaStreamCreate(&stream), "cudaStreamCreate");
    Buffer flush(static_cast<size_t>(std::max(prop.l2CacheSize, 1 << 20)) * 4), sink(4);
    ok(cudaMemset(flush.get(), 1, flush.bytes()), "cudaMemset(flush)");
    const Timer timer{stream, &flush, &sink, iters};
    std::printf("{\"kind\":\"device\",\"name\":\"%s\",\"sms\":%d,\"l2_bytes\":%d,\"dtype\":\"%s\",\"iters\":%d}\n",
                prop.name, sms, prop.l2CacheSize, aimicius::kernels::dtype_name(dtype), iters);

    const double copy_gbs = aimicius::bench::measure_copy_gbs(timer);
    const double read_gbs = aimicius::bench::measure_read_gbs(timer, dtype);

    // The fixed cost of one kernel launch timed alone (a 64-byte read).
    const aimicius::bench::ReadStream read_stream(stream);
    read_stream.print_launch_row(timer);

    std::map<std::tuple<std::string, int, int>, double> times;
    for (const Config& c : configs) {
      const ShapeSpec& s = c.s;
      const int batch = c.batch, ctx = c.ctx;
      size_t free_b = 0, total_b = 0;
      ok(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
      if (kv_bytes(c) + (1u << 30) > static_cast<double>(free_b)) {
        std::printf("{\"kind\":\"skip\",\"shape\":\"%s\",\"batch\":%d,\"context\":%d,\"kv_bytes\":%.0f,"
                    "\"free_bytes\":%zu,\"why\":\"does not fit in device memory\"}\n",
                    s.name, batch, ctx, kv_bytes(c), free_b);
        continue;
      }
      Problem pr(c, dtype, stream);
      aimicius::kernels::DecodePlanOptions planned;
      planned.warp_units = warp_units;
      planned.interleave = interleave;
      planned.chunk_tokens = chunk;
      planned.q_heads_per_block = q_heads;
      planned.chunk_scale = chunk_scale;
      const auto plan = aimicius::kernels::plan_decode_attention(pr.p, ctx, sms, planned);
      Buffer ws(plan.workspace_bytes);
      auto launch = [&] { aimicius::kernels::decode_attention(pr.p, plan, ws.get(), stream); };
      launch();
      ok(cudaStreamSynchronize(stream), "decode_attention");
      const double err = check_sample(pr.p, ctx, nullptr, 0);
      const bool passed = err <= 1.0;
      all_ok = all_ok && passed;
      double us = NAN;
      if (passed) {
        us = timer.median_us(launch);
        times[{s.name, batch, ctx}] = us;
      }
      // The two-pass CUDA-core kernel on the same inputs, for comparison.
      const auto tplan = aimicius::kernels::plan_decode_attention(pr.p, ctx, sms, {0, -1, 0, -1, 0});
      Buffer tws(tplan.workspace_bytes);
      auto tlaunch = [&] { aimicius::kernels::decode_attention(pr.p, tplan, tws.get(), stream); };
      tlaunch();
      ok(cudaStreamSynchronize(stream), "decode_attention (two-pass)");
      const bool tpassed = check_sample(pr.p, ctx, nullptr, 0) <= 1.0;
      all_ok = all_ok && tpassed;
      const double tus = tpassed && others ? timer.median_us(tlaunch) : NAN;
      // The same caches read head-major, as SDPA's peer row reads its own.
      DecodeAttentionParams hm = pr.p;
      hm.k_head_stride = static_cast<int64_t>(ctx) * s.d_k, hm.k_token_stride = s.d_k;
      hm.v_head_stride = static_cast<int64_t>(ctx) * s.d_v, hm.v_token_stride = s.d_v;
      const auto hplan = aimicius::kernels::plan_decode_attention(hm, ctx, sms, planned);
      Buffer hws(hplan.workspace_bytes);
      auto hlaunch = [&] { aimicius::kernels::decode_attention(hm, hplan, hws.get(), stream); };
      hlaunch();
      ok(cudaStreamSynchronize(stream), "decode_attention (head-major)");
      const bool hpassed = check_sample(hm, ctx, nullptr, 0) <= 1.0;
      all_ok = all_ok && hpassed;
      const double hus = hpassed && others ? timer.median_us(hlaunch) : NAN;
      // The same caches as 64-token pages, each sequence's pages in a shuffled order.
      constexpr int kPage = kPageTokens;
      const int pages_per_seq = ctx / kPage;
      std::vector<int32_t> host_table(static_cast<size_t>(batch) * pages_per_seq);
      std::mt19937 shuffle_rng(static_cast<uint32_t>(batch * 131 + ctx));
      for (int b = 0; b < batch; ++b) {
        int32_t* row = host_table.data() + static_cast<size_t>(b) * pages_per_seq;
        for (int i = 0; i < pages_per_seq; ++i) row[i] = b * pages_per_seq + i;
        std::shuffle(row, row + pages_per_seq, shuffle_rng);
      }
      Buffer table(host_table.size() * 4);
      ok(cudaMemcpy(table.get(), host_table.data(), host_table.size() * 4, cudaMemcpyHostToDevice), "table");
      DecodeAttentionParams pg = pr.p;
      pg.block_table = static_cast<const int32_t*>(table.get());
      pg.block_table_stride = pages_per_seq, pg.page_tokens = kPage;
      pg.k_batch_stride = kPage * pg.k_token_stride, pg.v_batch_stride = kPage * pg.v_token_stride;
      const auto pplan = aimicius::kernels::plan_decode_attention(pg, ctx, sms, planned);
      Buffer pws(pplan.workspace_bytes);
      auto plaunch = [&] { aimicius::kernels::decode_attention(pg, pplan, pws.get(), stream); };
      plaunch();
      ok(cudaStreamSynchronize(stream), "decode_attention (paged)");
      const bool ppassed = check_sample(pr.p, ctx, nullptr, 0) <= 1.0;  // same out buffer, same tokens
      all_ok = all_ok && ppassed;
      const double pus = ppassed && others ? timer.median_us(plaunch) : NAN;
      // The planned kernel as a decode step runs it: one launch per layer, back to back in a
      // CUDA graph, each layer on its own caches (graph_layers of them), so that a launch's
      // fixed cost overlaps the kernel before it; beside it, a graph of reads of the same bytes.
      const int layers = aimicius::bench::graph_layers(kv_bytes(c));
      double graph_us = NAN, graph_read_us = NAN, step_us = NAN;
      bool gpassed = true;
      if (passed && layers > 0) {
        const size_t kb = pr.k.bytes(), vb = pr.v.bytes();
        Buffer lk(kb * layers), lv(vb * layers);
        ok(aimicius::kernels::fill_random(lk.get(), lk.bytes() / 2, dtype, 5, stream), "fill layers' K");
        ok(aimicius::kernels::fill_random(lv.get(), lv.bytes() / 2, dtype, 6, stream), "fill layers' V");
        std::vector<DecodeAttentionParams> lp(layers, pr.p);
        for (int i = 0; i < layers; ++i) {
          lp[i].k_cache = static_cast<const char*>(lk.get()) + i * kb;
          lp[i].v_cache = static_cast<const char*>(lv.get()) + i * vb;
        }
        graph_us = aimicius::bench::graph_median_us(timer, [&] {
                     for (const auto& one : lp) aimicius::kernels::decode_attention(one, plan, ws.get(), stream);
                   }) / layers;
        ok(cudaStreamSynchronize(stream), "decode_attention (graph)");
        gpassed = check_sample(lp.back(), ctx, nullptr, 0) <= 1.0;  // the last layer's output
        all_ok = all_ok && gpassed;
        if (!gpassed) graph_us = NAN;
        if (others && kv_bytes(c) * layers <= read_stream.max_bytes())
          graph_read_us = read_stream.graph_median_us(timer, static_cast<size_t>(kv_bytes(c)), layers);
        // The same launches, each followed by a product that reads its output (the step rows).
        if (gpassed && step_mib > 0 && batch <= aimicius::kernels::kMaxGemvBatch) {
          const aimicius::bench::StepFollower follow(pr.p, layers, (size_t{1} << 20) * step_mib, sms,
                                                     attention_early, stream);
          const double with = aimicius::bench::graph_median_us(timer, [&] {
                                for (int i = 0; i < layers; ++i) {
                                  aimicius::kernels::decode_attention(lp[i], plan, ws.get(), stream);
                                  follow.launch(i, lp[i].out);
                                }
                              }) / layers;
          step_us = with - follow.graph_alone_us(timer);
        }
      }
      const size_t same_bytes = static_cast<size_t>(kv_bytes(c)) / 64 * 64;
      const double read_same_us =
          others && same_bytes <= read_stream.max_bytes() ? read_stream.median_us(timer, same_bytes) : NAN;
      const double gbs = kv_bytes(c) / us / 1e3;
      std::printf("{\"kind\":\"decode\",\"shape\":\"%s\",\"n_q\":%d,\"n_k\":%d,\"n_v\":%d,\"d_k\":%d,\"d_v\":%d,"
                  "\"batch\":%d,\"context\":%d,\"kernel\":\"%s\",\"warp_units\":%d,\"interleaved\":%d,\"splits\":%d,\"chunk\":%d,\"q_heads_per_block\":%d,"
                  "\"check\":\"%s\",\"check_err_over_bound\":%.3g,\"time_us\":%.1f,\"kv_bytes\":%.0f,"
                  "\"bandwidth_gbs\":%.1f,\"fraction_of_copy\":%.3f,\"fraction_of_read\":%.3f,"
                  "\"two_pass_check\":\"%s\",\"two_pass_time_us\":%s,\"head_major_check\":\"%s\","
                  "\"head_major_time_us\":%s,\"paged_check\":\"%s\",\"paged_time_us\":%s,"
                  "\"read_same_bytes_us\":%s,\"graph_layers\":%d,\"graph_check\":\"%s\",\"graph_time_us\":%s,"
                  "\"graph_read_same_bytes_us\":%s,\"step_mib\":%d,\"step_time_us\":%s}\n",
                  s.name, s.n_q, s.n_k, s.n_v, s.d_k, s.d_v, batch, ctx, plan.tensor_cores ? "tensor_cores" : "two_pass",
                  plan.warp_units ? 1 : 0, plan.interleaved ? 1 : 0, plan.splits, plan.chunk_tokens, plan.q_heads_per_block, passed ? "pass" : "FAIL", err, us,
                  kv_bytes(c), gbs, gbs / copy_gbs, gbs / read_gbs, tpassed ? "pass" : "FAIL", json_number(tus).c_str(),
                  hpassed ? "pass" : "FAIL", json_number(hus).c_str(), ppassed ? "pass" : "FAIL",
                  json_number(pus).c_str(), json_number(read_same_us).c_str(), layers, gpassed ? "pass" : "FAIL",
                  json_number(graph_us).c_str(), json_number(graph_read_us).c_str(), step_mib,
                  json_number(step_us).c_str());
      std::fflush(stdout);

      // Planner tuning (tensor-core pass): the plan against every QB below the planner's and fixed
      // chunk sizes where the goals are hardest (batch 1, batch 8 at 4k) and at 64 x 128k.
      const bool sweep = sweeps && only.empty() && (batch == 1 || (batch == 8 && ctx == 4096) || (batch == 64 && ctx == 131072));
      if (sweep) {
        for (int qb : {0, 1, 2, 4})
          for (int chunk : {0, 64, 128, 256, 512, 1024, 2048, 4096}) {
            if (qb && s.n_q / s.n_k <= qb) continue;  // QB below the planner's (n_q / n_k) only
            if (chunk * 4 > ctx * 2 || (qb && chunk)) continue;  // QB sweeps at the planned chunk only
            const auto sp = aimicius::kernels::plan_decode_attention(pr.p, ctx, sms, {chunk, -1, qb});
            Buffer sws(sp.workspace_bytes);
            const double t = timer.median_us(
                [&] { aimicius::kernels::decode_attention(pr.p, sp, sws.get(), stream); });
            std::printf("{\"kind\":\"sweep\",\"shape\":\"%s\",\"batch\":%d,\"context\":%d,\"chunk\":%d,"
                        "\"planned\":%s,\"splits\":%d,\"q_heads_per_block\":%d,"
                        "\"time_us\":%.1f,\"fraction_of_copy\":%.3f}\n",
                        s.name, batch, ctx, sp.chunk_tokens, chunk ? "false" : "true", sp.splits,
                        sp.q_heads_per_block, t,
                        kv_bytes(c) / t / 1e3 / copy_gbs);
          }
        // One wave of k blocks per SM (k = 1..4) at the planner's QB: the planner fills every
        // resident slot, and the 2026-12-04 sweep's best small-size plans used fewer blocks.
        const int64_t units = static_cast<int64_t>(batch) * (s.n_q / plan.q_heads_per_block);
        for (int k = 1; k <= 4; ++k) {
          const int64_t splits = std::max<int64_t>(static_cast<int64_t>(k) * sms / units, 1);
          const int chunk = std::max(static_cast<int>((ctx + splits - 1) / splits + 15) / 16 * 16, 64);
          const auto sp = aimicius::kernels::plan_decode_attention(pr.p, ctx, sms, {chunk});
          Buffer sws(sp.workspace_bytes);
          const double t = timer.median_us([&] { aimicius::kernels::decode_attention(pr.p, sp, sws.get(), stream); });
          std::printf("{\"kind\":\"sweep\",\"shape\":\"%s\",\"batch\":%d,\"context\":%d,\"chunk\":%d,"
                      "\"planned\":false,\"blocks_per_sm\":%d,\"splits\":%d,\"q_heads_per_block\":%d,"
                      "\"time_us\":%.1f,\"fraction_of_copy\":%.3f}\n",
                      s.name, batch, ctx, sp.chunk_tokens, k, sp.splits, sp.q_heads_per_block, t,
                      kv_bytes(c) / t / 1e3 / copy_gbs);
        }
        std::fflush(stdout);
      }

      if (only.empty() && s.n_k == 4 && batch <= 8 && ctx <= 32768) {
        const int topk = 100;
        const auto splan = aimicius::kernels::plan_selective_v(pr.p, ctx);
        Buffer sws(splan.workspace_bytes), sel(static_cast<size_t>(batch) * s.n_q * topk * 4);
        auto slaunch = [&] {
          aimicius::kernels::selective_v(pr.p, topk, splan, sws.get(), static_cast<int32_t*>(sel.get()), stream);
        };
        slaunch();
        ok(cudaStreamSynchronize(stream), "selective_v");
        const double serr = check_sample(pr.p, ctx, static_cast<const int32_t*>(sel.get()), topk);
        all_ok = all_ok && serr <= 1.0;
        const double st = serr <= 1.0 ? timer.median_us(slaunch) : NAN;
        std::printf("{\"kind\":\"selective\",\"shape\":\"%s\",\"batch\":%d,\"context\":%d,\"topk\":%d,"
                    "\"check\":\"%s\",\"check_err_over_bound\":%.3g,\"time_us\":%.1f,\"full_attention_time_us\":%.1f}\n",
                    s.name, batch, ctx, topk, serr <= 1.0 ? "pass" : "FAIL", serr, st, us);
        std::fflush(stdout);
      }
    }

    for (const char* gqa : {"gqa_std", "gqa_d128"})
      for (const auto& [key, t] : times) {
        const auto& [name, batch, ctx] = key;
        if (name != "diffqkv_sigma") continue;
        const auto it = times.find({gqa, batch, ctx});
        if (it == times.end()) continue;
        const ShapeSpec& d = kShapes[0];
        const ShapeSpec& g = std::string(gqa) == "gqa_std" ? kShapes[1] : kShapes[2];
        const double byte_ratio =
            static_cast<double>(d.n_k * d.d_k + d.n_v * d.d_v) / (g.n_k * g.d_k + g.n_v * g.d_v);
        const double time_ratio = t / it->second;
        std::printf("{\"kind\":\"ratio\",\"pair\":\"diffqkv_sigma/%s\",\"batch\":%d,\"context\":%d,"
                    "\"time_ratio\":%.3f,\"byte_ratio\":%.3f,\"time_over_byte_ratio\":%.3f}\n",
                    gqa, batch, ctx, time_ratio, byte_ratio, time_ratio / byte_ratio);
      }
    cudaStreamDestroy(stream);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aimicius-bench-attention: %s\n", e.what());
    return 1;
  }
  if (!all_ok) std::fprintf(stderr, "aimicius-bench-attention: a reference check failed\n");
  return all_ok ? 0 : 1;
}
