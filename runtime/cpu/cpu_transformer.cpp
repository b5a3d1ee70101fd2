#include "runtime/cpu/cpu_transformer.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "common/errors.h"
#include "runtime/cpu/aligned.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/rope.h"
#include "runtime/safetensors.h"
#include "runtime/weight_specs.h"

namespace aimicius::runtime::cpu {
namespace {

// Attention work: real rows [first, first + count) of one sequence x query-head group `group`.
struct AttentionItem {
  int64_t first, count, group;
};

// Runtime weight `name` [rows, cols]: the file's rows as stored when a kernel takes its type, else
// float32; llama's permuted q/k rows put back either way.
WeightMatrix load_matrix(const gguf::GgufFile& f, const ModelConfig& c, const std::string& name, int64_t rows,
                         int64_t cols) {
  const std::string gguf_name = gguf::gguf_tensor_name(name, c.sandwich_norms);
  const gguf::TensorInfo* t = f.find_tensor(gguf_name);
  if (!t) throw InputError(fmt::format("{}: tensor \"{}\" ({}) is missing", f.name(), gguf_name, name));
  if (t->shape() != std::vector<int64_t>{rows, cols})
    throw InputError(fmt::format("{}: tensor \"{}\" has shape {}, expected [{}, {}]", f.name(), gguf_name,
                                 shape_string(t->shape()), rows, cols));
  if (t->type == gguf::GgmlType::kQ8_0 || t->type == gguf::GgmlType::kQ4_1) {
    WeightMatrix m = quantized_matrix(t->type, reinterpret_cast<const uint8_t*>(t->data), rows, cols);
    if (const int64_t heads = gguf::permuted_rope_heads(c, gguf_name))
      gguf::unpermute_rope_rows(m.data, heads, c.head_dim_qk, m.row_bytes);
    return m;
  }
  return float_matrix(*gguf::to_runtime_weight(f, c, name, {rows, cols}), rows, cols);
}

std::vector<float> load_vector(const gguf::GgufFile& f, const ModelConfig& c, const std::string& name, int64_t n) {
  auto v = gguf::to_runtime_weight(f, c, name, {n});
  if (!v)
    throw InputError(fmt::format("{}: tensor \"{}\" ({}) is missing", f.name(), gguf::gguf_tensor_name(name, c.sandwich_norms),
                                 name));
  return *v;
}

// An RMSNorm gain as rms_norm() multiplies by it: 1 + weight where the config says so.
std::vector<float> load_norm(const gguf::GgufFile& f, const ModelConfig& c, const std::string& name, int64_t n) {
  std::vector<float> g = load_vector(f, c, name, n);
  if (c.norm_gain_plus_one)
    for (float& v : g) v += 1.0f;
  return g;
}

// One head's q or k (d values) normed in place, as CpuTransformer::rms_norm normalises a row.
void head_norm(float* v, const std::vector<float>& gain, int64_t d, float eps) {
  float ss = 0;
  for (int64_t i = 0; i < d; ++i) ss += v[i] * v[i];
  const float inv = 1.0f / std::sqrt(ss / static_cast<float>(d) + eps);
  for (int64_t i = 0; i < d; ++i) v[i] = gain[i] * (v[i] * inv);
}

void add_into(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace

CpuTransformer::CpuTransformer(const gguf::GgufFile& f, const ModelConfig& c, int threads, Isa isa)
    : config_(c), pool_(threads), kernels_(&kernels(isa)) {
  if (c.aug_q_size > 0) throw std::logic_error("CpuTransformer: augmented Q is not supported");
  const int64_t H = c.hidden_size, F = c.intermediate_size, dk = c.head_dim_qk, dv = c.head_dim_v;
  const int64_t nq = c.num_q_heads, nk = c.num_k_heads, nv = c.num_v_heads;
  embed_ = load_matrix(f, c, "model.embed_tokens.weight", c.vocab_size, H);
  if (!c.tie_word_embeddings) lm_head_ = load_matrix(f, c, "lm_head.weight", c.vocab_size, H);
  final_norm_ = load_norm(f, c, "model.norm.weight", H);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    auto name = [&](const char* s) { return layer_weight(l, s); };
    Layer L;
    L.attn_norm = load_norm(f, c, name("input_layernorm.weight"), H);
    // With sandwich norms post_attention_layernorm is the attention output's norm (model_config.h).
    L.ffn_norm = load_norm(f, c, name(c.sandwich_norms ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"), H);
    if (c.sandwich_norms) {
      L.attn_out_norm = load_norm(f, c, name("post_attention_layernorm.weight"), H);
      L.ffn_out_norm = load_norm(f, c, name("post_feedforward_layernorm.weight"), H);
    }
    const WeightMatrix q = load_matrix(f, c, name("self_attn.q_proj.weight"), nq * dk, H),
                       k = load_matrix(f, c, name("self_attn.k_proj.weight"), nk * dk, H),
                       v = load_matrix(f, c, name("self_attn.v_proj.weight"), nv * dv, H);
    L.qkv = stack_rows({&q, &k, &v});
    if (c.qkv_bias) {
      for (const auto& [b, n] : {std::pair{"self_attn.q_proj.bias", nq * dk}, std::pair{"self_attn.k_proj.bias", nk * dk},
                                 std::pair{"self_attn.v_proj.bias", nv * dv}}) {
        const std::vector<float> part = load_vector(f, c, name(b), n);
        L.qkv_bias.insert(L.qkv_bias.end(), part.begin(), part.end());
      }
    }
    if (c.qk_norm) {
      L.q_norm = load_norm(f, c, name("self_attn.q_norm.weight"), dk);
      L.k_norm = load_norm(f, c, name("self_attn.k_norm.weight"), dk);
    }
    L.o = load_matrix(f, c, name("self_attn.o_proj.weight"), H, nq * dv);
    const WeightMatrix gate = load_matrix(f, c, name("mlp.gate_proj.weight"), F, H),
                       up = load_matrix(f, c, name("mlp.up_proj.weight"), F, H);
    L.gate_up = stack_rows({&gate, &up});
    L.down = load_matrix(f, c, name("mlp.down_proj.weight"), H, F);
    layers_.push_back(std::move(L));
  }
  kv_half_ = true;
  for (const Layer& L : layers_)
    for (const WeightMatrix* w : {&L.qkv, &L.o, &L.gate_up, &L.down})
      kv_half_ = kv_half_ && (w->type == gguf::GgmlType::kQ4_1 || w->type == gguf::GgmlType::kQ8_0);
  bf16_products_ = kv_half_ && kernels_->matmul_bf16_tiles != nullptr;
  const RopeTable rope = rope_table(c);
  inv_freq_ = rope.inv_freq;
  q_scale_ = static_cast<float>(rope.attention_scaling * rope.attention_scaling * c.attention_scale());
  for (int64_t l = 0; l < c.num_layers && local_inv_freq_.empty(); ++l)
    if (c.local_rope(l)) {
      const RopeTable local = layer_rope_table(c, l);
      local_inv_freq_ = local.inv_freq;
      local_q_scale_ = static_cast<float>(local.attention_scaling * local.attention_scaling * c.attention_scale());
    }
}

int64_t CpuTransformer::weight_bytes() const {
  int64_t n = static_cast<int64_t>(embed_.data.size() + lm_head_.data.size());
  for (const Layer& L : layers_) n += static_cast<int64_t>(L.qkv.data.size() + L.o.data.size() + L.gate_up.data.size() + L.down.data.size());
  return n;
}

void CpuTransformer::rms_norm(const float* x, const std::vector<float>& gain, int64_t rows, float* out) {
  const int64_t H = config_.hidden_size;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  pool_.parallel_for(rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * H;
      float ss = 0;
      for (int64_t i = 0; i < H; ++i) ss += xr[i] * xr[i];
      const float inv = 1.0f / std::sqrt(ss / static_cast<float>(H) + eps);
      for (int64_t i = 0; i < H; ++i) out[r * H + i] = gain[i] * (xr[i] * inv);
    }
  }, 16);
}

void CpuTransformer::attend_by_tiles(const CpuBatch& batch, const std::vector<char>& tiled, int64_t l, const float* qkv,
                                     float* attn, float q_scale, float softcap) {
  const ModelConfig& c = config_;
  const KernelTable& K = *kernels_;
  const int64_t dk = c.head_dim_qk, dv = c.head_dim_v, nq = c.num_q_heads, nk = c.num_k_heads, nv = c.num_v_heads;
  const int64_t T = batch.T, qkv_w = (nq + nk) * dk + nv * dv;
  const int64_t per = bf16_products_ ? 1 : 2;  // uint16 a K/V value: plain bfloat16, or pairs
  // Each tiled sequence's K heads, then its V heads, packed once (kernels.h): where each begins.
  struct Packed {
    int64_t b, keys, k_at, v_at;
  };
  std::vector<Packed> seqs;
  int64_t total = 0, most = 0;
  for (int64_t b = 0; b < batch.rows; ++b) {
    if (!tiled[b]) continue;
    const int64_t keys = batch.start[b] + batch.real[b], padded = tile_keys(keys);
    seqs.push_back({b, keys, total, total + nk * padded * dk * per});
    total += (nk * padded * dk + nv * padded * dv) * per;
    most = std::max(most, keys);
  }
  if (seqs.empty()) return;
  tile_packs_.resize(static_cast<size_t>(total) + 32);
  uint16_t* packs = aligned64(tile_packs_);
  // Packing jobs: one head of one sequence, up to 16 chunks of 32 keys.
  struct PackJob {
    int64_t seq, head, c0, c1;  // head: K heads first, then V heads (nk + v)
  };
  std::vector<PackJob> pack_jobs;
  for (int64_t s = 0; s < static_cast<int64_t>(seqs.size()); ++s)
    for (int64_t head = 0; head < nk + nv; ++head)
      for (int64_t c0 = 0; c0 < tile_keys(seqs[s].keys) / 32; c0 += 16)
        pack_jobs.push_back({s, head, c0, std::min(c0 + 16, tile_keys(seqs[s].keys) / 32)});
  const void* kc = batch.k_cache[l];
  const void* vc = batch.v_cache[l];
  pool_.parallel_for(static_cast<int64_t>(pack_jobs.size()), [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const PackJob& job = pack_jobs[j];
      const Packed& p = seqs[job.seq];
      const int64_t padded = tile_keys(p.keys), row = batch.first_row[p.b];
      const int64_t k_at = row * nk * dk + job.head * dk, v_at = row * nv * dv + (job.head - nk) * dv;
      uint16_t* k_pack = packs + p.k_at + job.head * padded * dk * per;
      uint16_t* v_pack = packs + p.v_at + (job.head - nk) * padded * dv * per;
      if (job.head < nk && kv_half_)
        K.pack_k_tiles_f16(static_cast<const uint16_t*>(kc) + k_at, nk * dk, p.keys, dk, job.c0, job.c1, per == 2, k_pack);
      else if (job.head < nk)
        K.pack_k_tiles(static_cast<const float*>(kc) + k_at, nk * dk, p.keys, dk, job.c0, job.c1, per == 2, k_pack);
      else if (kv_half_)
        K.pack_v_tiles_f16(static_cast<const uint16_t*>(vc) + v_at, nv * dv, p.keys, dv, job.c0, job.c1, per == 2, v_pack);
      else
        K.pack_v_tiles(static_cast<const float*>(vc) + v_at, nv * dv, p.keys, dv, job.c0, job.c1, per == 2, v_pack);
    }
  });
  // Attention items: kTileQueries consecutive tokens of one sequence x one query head.
  struct TileItem {
    int64_t seq, t0, head;
  };
  std::vector<TileItem> items;
  for (int64_t s = 0; s < static_cast<int64_t>(seqs.size()); ++s)
    for (int64_t t0 = 0; t0 < batch.real[seqs[s].b]; t0 += kTileQueries)
      for (int64_t head = 0; head < nq; ++head) items.push_back({s, t0, head});
  const int64_t scratch_floats = attend_tiles_scratch(most, dk, dv) + 16;
  tile_scratch_.resize(static_cast<size_t>(pool_.size()));
  for (auto& v : tile_scratch_) v.resize(static_cast<size_t>(scratch_floats));
  pool_.run([&](int thread) {
    float* scratch = aligned64(tile_scratch_[thread]);
    for (size_t x = static_cast<size_t>(thread); x < items.size(); x += static_cast<size_t>(pool_.size())) {
      const TileItem& it = items[x];
      const Packed& p = seqs[it.seq];
      const int64_t padded = tile_keys(p.keys), n = p.b * T + it.t0;
      const int64_t rows = std::min(kTileQueries, batch.real[p.b] - it.t0);
      K.attend_tiles(qkv + n * qkv_w + it.head * dk, qkv_w, rows, batch.start[p.b] + it.t0 + 1,
                     packs + p.k_at + it.head / (nq / nk) * padded * dk * per,
                     packs + p.v_at + it.head / (nq / nv) * padded * dv * per, dk, dv, q_scale, softcap, per == 2, scratch,
                     attn + n * nq * dv + it.head * dv, nq * dv);
    }
  });
}

void CpuTransformer::forward(const CpuBatch& batch, bool last_only, float* logits) {
  const ModelConfig& c = config_;
  const KernelTable& K = *kernels_;
  const int64_t H = c.hidden_size, F = c.intermediate_size, dk = c.head_dim_qk, dv = c.head_dim_v;
  const int64_t nq = c.num_q_heads, nk = c.num_k_heads, nv = c.num_v_heads, half = dk / 2;
  const int64_t B = batch.rows, T = batch.T, N = B * T;
  const int64_t qkv_w = (nq + nk) * dk + nv * dv;
  if (static_cast<int64_t>(batch.k_cache.size()) != c.num_layers || static_cast<int64_t>(batch.v_cache.size()) != c.num_layers)
    throw std::logic_error("CpuTransformer::forward: one K and one V cache per layer");

  std::vector<float> x(N * H), h(N * H), qkv(N * qkv_w), attn(N * nq * dv, 0.0f), proj(N * H), gu(N * 2 * F),
      act(N * F);
  std::vector<QBlock8> scratch;
  std::vector<uint16_t> bf16_scratch;
  // Rows that are real tokens (n = b * T + t, t < real[b]), and their rotation tables.
  std::vector<int64_t> real_rows;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < batch.real[b]; ++t) real_rows.push_back(b * T + t);
  const int64_t R = static_cast<int64_t>(real_rows.size());
  // Per real row: cos and sin of its position, for the model's RoPE and (Gemma 3) the local one.
  const auto rotations = [&](const std::vector<double>& inv_freq, std::vector<float>& cos_t, std::vector<float>& sin_t) {
    cos_t.resize(N * half), sin_t.resize(N * half);
    for (int64_t n : real_rows) {
      const double pos = static_cast<double>(batch.start[n / T] + n % T);
      for (int64_t i = 0; i < half; ++i) {
        const double a = pos * inv_freq[i];
        cos_t[n * half + i] = static_cast<float>(std::cos(a));
        sin_t[n * half + i] = static_cast<float>(std::sin(a));
      }
    }
  };
  std::vector<float> cos_t, sin_t, local_cos, local_sin;
  rotations(inv_freq_, cos_t, sin_t);
  if (!local_inv_freq_.empty()) rotations(local_inv_freq_, local_cos, local_sin);
  int64_t max_keys = 0;
  for (int64_t b = 0; b < B; ++b) max_keys = std::max(max_keys, batch.start[b] + batch.real[b]);

  // Attention work of the float path (KernelTable::attend): tiles of up to `tile` consecutive real
  // tokens of one sequence, times groups of `group` query heads that read the same K head and V
  // head. An item's queries (tile x group of them) walk their K/V rows together, so a decode step
  // reads each K/V head once, not once per query head, and a prefill tile reads it once for its
  // tokens. Sequences whose attention takes AMX tiles in a layer (attend_by_tiles) have no items.
  const int64_t group = std::gcd(nq / nk, nq / nv), groups = nq / group;
  if (group > kMaxQueries)  // KernelTable::attend takes at most kMaxQueries queries a call
    throw std::logic_error(fmt::format("CpuTransformer: {} query heads share a K/V head (at most {})", group, kMaxQueries));
  const int64_t tile = std::max<int64_t>(1, std::min<int64_t>(8, kMaxQueries / group));
  const auto make_items = [&](int64_t tokens_per_item, const std::vector<char>& tiled) {
    std::vector<AttentionItem> out;
    for (int64_t i = 0; i < R;) {
      const int64_t b = real_rows[i] / T;
      int64_t end = i;
      while (end < R && end - i < tokens_per_item && real_rows[end] / T == b) ++end;
      if (!tiled[b])
        for (int64_t g = 0; g < groups; ++g) out.push_back({i, end - i, g});
      i = end;
    }
    return out;
  };
  // A sliding layer (Gemma 2) where a window cuts: one token an item, whose keys start at its
  // window's first position (the K/V pointers move there; the kernel sees only the window).
  bool window_cuts = false;
  for (int64_t l = 0; l < c.num_layers; ++l) window_cuts |= c.window_of(l) > 0 && max_keys > c.window_of(l);
  std::vector<std::vector<float>> scores(pool_.size(), std::vector<float>(tile * group * max_keys));
  // Where the CPU has AMX-BF16, a sequence with at least kTileQueries real tokens in this forward
  // (a prefill) takes tiles for its attention in every layer its keys fit the window of; decode
  // steps and shorter runs take the float path. Decided per sequence, so a sequence's results do
  // not depend on the others in its batch (the two attention paths differ in the last bits).
  const bool tiles = K.attend_tiles && dk % 32 == 0 && dv % 16 == 0;
  const auto tiled_in = [&](int64_t window) {
    std::vector<char> tiled(B, 0);
    for (int64_t b = 0; b < B; ++b)
      tiled[b] = tiles && batch.real[b] >= kTileQueries && (window == 0 || batch.start[b] + batch.real[b] <= window);
    return tiled;
  };

  // A layer's products: the rows of sequences with at least kBf16ProductRows real tokens in this
  // forward on the bfloat16 tiles where the CPU has them, the others on the int8 path (cpu_transformer.h;
  // the two paths' floats differ). Within each path a row's floats depend only on the row.
  std::vector<int64_t> bf16_rows, int8_rows;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      (batch.real[b] >= kBf16ProductRows && K.matmul_bf16_tiles ? bf16_rows : int8_rows).push_back(b * T + t);
  std::vector<float> gathered_x, gathered_y;
  const auto product = [&](const WeightMatrix& w, const float* in, float* out) {
    const auto rows_of = [&](const std::vector<int64_t>& rows, bool bf16) {
      if (rows.empty()) return;
      const int64_t n = static_cast<int64_t>(rows.size());
      const bool all = n == N;  // every row: no gather
      if (!all) {
        gathered_x.resize(n * w.cols), gathered_y.resize(n * w.rows);
        for (int64_t i = 0; i < n; ++i) std::copy(in + rows[i] * w.cols, in + (rows[i] + 1) * w.cols, gathered_x.data() + i * w.cols);
      }
      const float* xs = all ? in : gathered_x.data();
      float* ys = all ? out : gathered_y.data();
      if (!bf16 || !matmul_bf16(w, xs, n, ys, pool_, K, bf16_scratch)) matmul(w, xs, n, ys, pool_, K, scratch);
      if (!all)
        for (int64_t i = 0; i < n; ++i) std::copy(ys + i * w.rows, ys + (i + 1) * w.rows, out + rows[i] * w.rows);
    };
    rows_of(bf16_rows, true);
    rows_of(int8_rows, false);
  };

  const float embed_scale = c.scale_embedding ? std::sqrt(static_cast<float>(H)) : 1.0f;  // Gemma
  pool_.parallel_for(N, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const int64_t id = batch.tokens[n];
      if (id >= 0 && id < c.vocab_size) embed_.row(id, x.data() + n * H);  // Model checked the ids; padding is id 0
      if (embed_scale != 1.0f)
        for (int64_t i = 0; i < H; ++i) x[n * H + i] *= embed_scale;
    }
  }, 16);
  const auto gated = c.mlp_activation == MlpActivation::kGeluTanh ? K.gelu_tanh_mul : K.silu_mul;

  for (int64_t l = 0; l < c.num_layers; ++l) {
    const Layer& L = layers_[l];
    void* kc = batch.k_cache[l];
    void* vc = batch.v_cache[l];
    rms_norm(x.data(), L.attn_norm, N, h.data());
    product(L.qkv, h.data(), qkv.data());
    const bool local = c.local_rope(l);
    pool_.parallel_for(R, [&](int64_t i0, int64_t i1) {
     for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = real_rows[i], b = n / T, t = n % T;
      float* row = qkv.data() + n * qkv_w;
      if (!L.qkv_bias.empty()) add_into(row, L.qkv_bias.data(), qkv_w);
      const float* cs = (local ? local_cos : cos_t).data() + n * half;
      const float* sn = (local ? local_sin : sin_t).data() + n * half;
      for (int64_t head = 0; head < nq + nk; ++head) {  // q heads then k heads: rotate pairs (i, i + d/2)
        float* v = row + head * dk;
        if (!L.q_norm.empty()) head_norm(v, head < nq ? L.q_norm : L.k_norm, dk, static_cast<float>(c.rms_norm_eps));
        for (int64_t j = 0; j < half; ++j) {
          const float a = v[j], bb = v[j + half];
          v[j] = a * cs[j] - bb * sn[j];
          v[j + half] = bb * cs[j] + a * sn[j];
        }
      }
      const int64_t pos = batch.start[b] + t;
      const int64_t k_at = (batch.first_row[b] + pos) * nk * dk, v_at = (batch.first_row[b] + pos) * nv * dv;
      if (kv_half_) {
        K.to_half(row + nq * dk, nk * dk, static_cast<uint16_t*>(kc) + k_at);
        K.to_half(row + (nq + nk) * dk, nv * dv, static_cast<uint16_t*>(vc) + v_at);
      } else {
        std::copy(row + nq * dk, row + (nq + nk) * dk, static_cast<float*>(kc) + k_at);
        std::copy(row + (nq + nk) * dk, row + qkv_w, static_cast<float*>(vc) + v_at);
      }
     }
    }, 16);
    // One tile of tokens x one head group an item (see make_items above); items are dealt to the
    // threads in turn, so the long rows at the end of a causal prefill are shared out evenly; a
    // decode step's few short ones stay on this thread.
    const int64_t window = c.window_of(l);
    const std::vector<char> tiled = tiled_in(window);
    const std::vector<AttentionItem> layer_items = make_items(window > 0 && window_cuts ? 1 : tile, tiled);
    const float softcap = static_cast<float>(c.attn_logit_softcap);
    const auto attend_items = [&](int thread, int64_t step) {
      const float* qp[kMaxQueries];
      float* op[kMaxQueries];
      int64_t kk[kMaxQueries];
      for (size_t x = static_cast<size_t>(thread); x < layer_items.size(); x += static_cast<size_t>(step)) {
        const AttentionItem& it = layer_items[x];
        const int64_t b = real_rows[it.first] / T, head0 = it.group * group;
        // Keys from `first` on: 0, or (one token an item) where the token's window begins.
        const int64_t last_pos = batch.start[b] + real_rows[it.first] % T;
        const int64_t first = window > 0 && it.count == 1 ? std::max<int64_t>(0, last_pos + 1 - window) : 0;
        int64_t queries = 0;
        for (int64_t i = it.first; i < it.first + it.count; ++i) {
          const int64_t n = real_rows[i];
          for (int64_t head = head0; head < head0 + group; ++head, ++queries) {
            qp[queries] = qkv.data() + n * qkv_w + head * dk;
            op[queries] = attn.data() + n * nq * dv + head * dv;
            kk[queries] = batch.start[b] + n % T + 1 - first;
          }
        }
        const int64_t k_at = (batch.first_row[b] + first) * nk * dk + head0 / (nq / nk) * dk;
        const int64_t v_at = (batch.first_row[b] + first) * nv * dv + head0 / (nq / nv) * dv;
        const float scale = local ? local_q_scale_ : q_scale_;
        if (kv_half_)
          K.attend_f16(queries, qp, kk, static_cast<const uint16_t*>(kc) + k_at, nk * dk,
                       static_cast<const uint16_t*>(vc) + v_at, nv * dv, dk, dv, scale, softcap, scores[thread].data(),
                       max_keys, op);
        else
          K.attend(queries, qp, kk, static_cast<const float*>(kc) + k_at, nk * dk, static_cast<const float*>(vc) + v_at,
                   nv * dv, dk, dv, scale, softcap, scores[thread].data(), max_keys, op);
      }
    };
    if (R * max_keys < 4096) attend_items(0, 1);
    else if (!layer_items.empty()) pool_.run([&](int thread) { attend_items(thread, pool_.size()); });
    attend_by_tiles(batch, tiled, l, qkv.data(), attn.data(), local ? local_q_scale_ : q_scale_, softcap);
    product(L.o, attn.data(), proj.data());
    if (!L.attn_out_norm.empty()) {  // sandwich norm: the attention output normed, then added
      rms_norm(proj.data(), L.attn_out_norm, N, h.data());
      proj.swap(h);
    }
    add_into(x.data(), proj.data(), N * H);
    rms_norm(x.data(), L.ffn_norm, N, h.data());
    product(L.gate_up, h.data(), gu.data());
    pool_.parallel_for(N, [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) gated(gu.data() + n * 2 * F, gu.data() + n * 2 * F + F, F, act.data() + n * F);
    }, 16);
    product(L.down, act.data(), proj.data());
    if (!L.ffn_out_norm.empty()) {
      rms_norm(proj.data(), L.ffn_out_norm, N, h.data());
      proj.swap(h);
    }
    add_into(x.data(), proj.data(), N * H);
  }

  // The output rows: each row's last real token, or every position.
  std::vector<int64_t> out_rows;
  if (last_only)
    for (int64_t b = 0; b < B; ++b) out_rows.push_back(b * T + batch.real[b] - 1);
  else
    for (int64_t n = 0; n < N; ++n) out_rows.push_back(n);
  const int64_t O = static_cast<int64_t>(out_rows.size());
  std::vector<float> picked(O * H);
  for (int64_t i = 0; i < O; ++i) std::copy(x.data() + out_rows[i] * H, x.data() + (out_rows[i] + 1) * H, picked.data() + i * H);
  rms_norm(picked.data(), final_norm_, O, h.data());
  matmul(c.tie_word_embeddings ? embed_ : lm_head_, h.data(), O, logits, pool_, K, scratch);
  if (const float cap = static_cast<float>(c.final_logit_softcap); cap > 0)
    for (int64_t i = 0; i < O * c.vocab_size; ++i) logits[i] = cap * std::tanh(logits[i] / cap);
}

}  // namespace aimicius::runtime::cpu
