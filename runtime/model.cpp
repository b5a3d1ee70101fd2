#include "runtime/model.h"

#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
#include "runtime/cuda_attention.h"
#include "runtime/cuda_decode_step.h"
#include "runtime/cuda_graph.h"
#endif

#include <algorithm>
#include <numeric>
#include <optional>
#include <stdexcept>

#include <torch/cuda.h>
#include <torch/version.h>

// at::_flash_attention_forward with seqused_k (LibTorch 2.5 on): the varlen prefill below.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5)
#define AIMICIUS_TORCH_HAS_VARLEN_FLASH 1
#else
#define AIMICIUS_TORCH_HAS_VARLEN_FLASH 0
#endif

#include <cmath>

#include <fmt/format.h>

#include "common/errors.h"
#include "runtime/cpu/cpu_threads.h"
#include "runtime/cpu/cpu_transformer.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/rope.h"
#include "runtime/weight_specs.h"

namespace aimicius::runtime {
namespace {

torch::ScalarType torch_dtype(DType d) {
  switch (d) {
    case DType::kF32: return torch::kFloat32;
    case DType::kF16: return torch::kFloat16;
    case DType::kBF16: return torch::kBFloat16;
    case DType::kF64: return torch::kFloat64;
    default: throw InputError(fmt::format("weights of dtype {} are not supported", dtype_name(d)));
  }
}

// A checkpoint tensor as a torch tensor of the model's dtype on its device. Zero-copy when the
// stored dtype already is the target on the CPU and the data is aligned; otherwise one copy.
torch::Tensor load_weight(const TensorView& view, const ModelOptions& options) {
  const torch::ScalarType stored = torch_dtype(view.dtype);
  const bool aligned = reinterpret_cast<uintptr_t>(view.data) % dtype_size(view.dtype) == 0;
  torch::Tensor t;
  if (aligned) {
    // The mapping is read-only; weights are never written, and the model keeps the mapping alive.
    t = torch::from_blob(const_cast<std::byte*>(view.data), view.shape, torch::TensorOptions().dtype(stored));
  } else {
    t = torch::empty(view.shape, torch::TensorOptions().dtype(stored));
    std::memcpy(t.data_ptr(), view.data, view.nbytes);
  }
  if (stored == options.dtype && options.device.is_cpu()) return t;
  return t.to(options.device, options.dtype);
}

#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
DecodeOverrides decode_overrides(const ModelOptions& o) {
  return {o.decode_chunk_tokens, o.decode_pdl, o.decode_q_heads, o.decode_chunk_scale};
}
#endif

}  // namespace

torch::Tensor rope_inv_freq(const ModelConfig& c) { return torch::tensor(rope_table(c).inv_freq, torch::kFloat64); }

namespace {

int64_t pool_pages(int64_t slots, int64_t capacity, int64_t pool_tokens) {
  if (slots < 1 || capacity < 1 || pool_tokens < 0)
    throw std::invalid_argument(fmt::format("KV cache: {} slots of {} tokens, a pool of {} tokens", slots, capacity,
                                            pool_tokens));
  // No more pages than every slot at full capacity can use.
  const int64_t full = slots * ((capacity + KVCache::kPageTokens - 1) / KVCache::kPageTokens);
  return pool_tokens > 0 ? std::min(full, (pool_tokens + KVCache::kPageTokens - 1) / KVCache::kPageTokens) : full;
}

}  // namespace

KVCache::KVCache(const ModelConfig& c, int64_t slots, int64_t capacity, const torch::TensorOptions& options,
                 int64_t pool_tokens)
    : lengths(slots, 0),
      capacity_(capacity),
      full_size_pool_(pool_pages(slots, capacity, pool_tokens) >=
                      slots * ((capacity + kPageTokens - 1) / kPageTokens)),
      pages_(slots, pool_pages(slots, capacity, pool_tokens), kPageTokens, capacity) {
  for (int64_t l = 0; l < c.num_layers; ++l) {
    k.push_back(torch::zeros({pages_.pages(), kPageTokens, c.num_k_heads, c.head_dim_qk}, options));
    v.push_back(torch::zeros({pages_.pages(), kPageTokens, c.num_v_heads, c.head_dim_v}, options));
  }
  const int64_t elem = static_cast<int64_t>(c10::elementSize(options.dtype().toScalarType()));
  k_token_bytes_ = c.num_layers * c.k_size() * elem;
  v_token_bytes_ = c.num_layers * c.v_size() * elem;
  device_table_ = torch::empty({slots, pages_.table_stride()}, options.dtype(torch::kInt));
  // Full size: slot s takes pages s x stride .. (first fit on the empty pool, in slot order), kept.
  if (full_size_pool_)
    for (int64_t s = 0; s < slots; ++s)
      if (!pages_.reserve(s, capacity)) throw std::logic_error("KV cache: a full-size pool cannot place its slots");
}

torch::Tensor KVCache::kernel_k(int64_t layer) const {
  const int64_t rows = pages_.table_stride() * kPageTokens;  // a slot's, in place
  return full_size_pool_ ? k[layer].view({slots(), rows, k[layer].size(2), k[layer].size(3)}) : k[layer];
}

torch::Tensor KVCache::kernel_v(int64_t layer) const {
  const int64_t rows = pages_.table_stride() * kPageTokens;
  return full_size_pool_ ? v[layer].view({slots(), rows, v[layer].size(2), v[layer].size(3)}) : v[layer];
}

torch::Tensor KVCache::kernel_table() { return full_size_pool_ ? torch::Tensor() : device_table(); }

int64_t KVCache::bytes() const {
  return pages_.pages() * kPageTokens * (k_token_bytes_ + v_token_bytes_);
}

int64_t KVCache::used_bytes() const {
  int64_t tokens = 0;
  for (int64_t n : lengths) tokens += n;
  return tokens * (k_token_bytes_ + v_token_bytes_);
}

bool KVCache::reserve(int64_t slot, int64_t tokens) {
  if (tokens > capacity_)
    throw std::out_of_range(fmt::format("KV cache: slot {} cannot hold {} tokens (capacity {})", slot, tokens, capacity_));
  return pages_.reserve(slot, tokens);
}

void KVCache::ensure(int64_t slot, int64_t tokens) {
  if (pages_.reserved(slot) >= tokens) return;  // always, in a full-size pool
  if (!reserve(slot, tokens))
    throw std::runtime_error(fmt::format(
        "KV cache out of pages: slot {} needs room for {} tokens ({} held), {} of {} pages of {} tokens free", slot,
        tokens, pages_.reserved(slot), pages_.free_pages(), pages_.pages(), kPageTokens));
}

void KVCache::reset(int64_t slot) {
  if (slot < 0 || slot >= slots())
    throw std::out_of_range(fmt::format("KV cache: no slot {} (the cache has {})", slot, slots()));
  lengths[slot] = 0;
  if (!full_size_pool_) pages_.release(slot);
}

void KVCache::clear(int64_t slot) {
  if (slot < 0 || slot >= slots())
    throw std::out_of_range(fmt::format("KV cache: no slot {} (the cache has {})", slot, slots()));
  lengths[slot] = 0;
}

void KVCache::append_rows(int64_t slot, int64_t from, int64_t n, std::vector<int64_t>& out) const {
  for (int64_t t = from; t < from + n; ++t) out.push_back(pages_.row(slot, t));
}

const torch::Tensor& KVCache::device_table() {
  if (device_table_version_ != pages_.version()) {
    // A fresh host tensor per refresh: the asynchronous copy may still be reading the last one
    // (from page-locked memory on CUDA, where LibTorch's caching host allocator keeps it until then).
    const torch::Tensor host = torch::from_blob(const_cast<int32_t*>(pages_.table().data()), device_table_.sizes(),
                                                torch::kInt)
                                   .clone();
    device_table_.copy_(device_table_.is_cuda() ? host.pin_memory() : host, /*non_blocking=*/true);
    device_table_version_ = pages_.version();
  }
  return device_table_;
}

void KVCache::copy_prefix(int64_t from, const std::vector<int64_t>& to, int64_t length) {
  if (from < 0 || from >= slots() || length < 0 || length > lengths[from])
    throw std::out_of_range(fmt::format("KV cache: cannot copy {} rows of slot {} (the cache has {} slots; it holds {})",
                                        length, from, slots(), from >= 0 && from < slots() ? lengths[from] : 0));
  for (int64_t slot : to)
    if (slot < 0 || slot >= slots() || slot == from)
      throw std::out_of_range(fmt::format("KV cache: cannot copy slot {}'s prefix into slot {}", from, slot));
  if (to.empty() || length == 0) {
    for (int64_t slot : to) lengths[slot] = 0;
    return;
  }
  // One gather of the source's rows and one scatter per layer and tensor, whatever the number of
  // destinations: the rows broadcast over them (never materialised once per destination).
  std::vector<int64_t> src, dst;
  append_rows(from, 0, length, src);
  for (int64_t slot : to) {
    ensure(slot, length);
    append_rows(slot, 0, length, dst);
  }
  const torch::Device dev = k.empty() ? torch::Device(torch::kCPU) : k[0].device();
  const torch::Tensor src_d = torch::tensor(src, torch::kLong).to(dev);
  const torch::Tensor dst_d =
      torch::tensor(dst, torch::kLong).view({static_cast<int64_t>(to.size()), length}).to(dev);  // [to, length]
  for (size_t l = 0; l < k.size(); ++l) {
    const int64_t layer = static_cast<int64_t>(l);
    k_rows(layer).index_put_({dst_d}, k_rows(layer).index_select(0, src_d).unsqueeze(0));
    v_rows(layer).index_put_({dst_d}, v_rows(layer).index_select(0, src_d).unsqueeze(0));
  }
  for (int64_t slot : to) lengths[slot] = length;
}

Model::Model(ModelConfig config, ModelOptions options, SafetensorsCheckpoint checkpoint)
    : config_(std::move(config)), options_(options), checkpoint_(std::move(checkpoint)) {}

Model::~Model() = default;

std::string Model::cpu_path() const {
  return cpu_ ? fmt::format("{}, {} threads", cpu_->isa_name(), cpu_->threads()) : "";
}

std::string Model::cpu_kernels() const { return cpu_ ? cpu_->isa_name() : ""; }

std::unique_ptr<Model> Model::load(const std::filesystem::path& dir, const ModelOptions& options) {
  if (const auto file = gguf::find_gguf(dir)) return load(*gguf::GgufFile::open(*file), options);
  ModelConfig config = load_model_config(dir);
  SafetensorsCheckpoint ckpt = SafetensorsCheckpoint::open(dir);
  // The file, not config.json, says how many layers there are: a config that claims more (1e9)
  // must fail here, before anything (the list of expected tensors included) is sized from it.
  ckpt.require(layer_weight(config.num_layers - 1, "input_layernorm.weight"), {config.hidden_size});
  // Check every tensor's presence, shape and dtype before allocating anything.
  for (const auto& spec : weight_specs(config)) ckpt.require_weight(spec.name, spec.shape);
  std::unique_ptr<Model> m(new Model(std::move(config), options, std::move(ckpt)));
  m->assign_weights([&](const std::string& name) {
    const TensorView* view = m->checkpoint_.find(name);
    return view ? load_weight(*view, options) : torch::Tensor();
  });
  return m;
}

std::unique_ptr<Model> Model::load(const gguf::GgufFile& file, const ModelOptions& options) {
  ModelConfig config = gguf::gguf_model_config(file);
  // As for safetensors: the file's tensors, not its metadata, bound what is sized next.
  if (!file.find_tensor(fmt::format("blk.{}.attn_norm.weight", config.num_layers - 1)))
    throw InputError(fmt::format("{}: block_count {} but no tensor blk.{}.attn_norm.weight", file.name(),
                                 config.num_layers, config.num_layers - 1));
  for (const auto& spec : weight_specs(config)) {
    const std::string name = gguf::gguf_tensor_name(spec.name, config.sandwich_norms);
    const gguf::TensorInfo* t = file.find_tensor(name);
    if (!t) throw InputError(fmt::format("{}: tensor \"{}\" ({}) is missing", file.name(), name, spec.name));
    if (t->shape() != spec.shape)
      throw InputError(fmt::format("{}: tensor \"{}\" has shape {}, expected {}", file.name(), name,
                                   shape_string(t->shape()), shape_string(spec.shape)));
  }
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& spec : weight_specs(config)) shapes[spec.name] = spec.shape;
  std::unique_ptr<Model> m(new Model(std::move(config), options, SafetensorsCheckpoint()));
  if (options.cpu_quantized && options.device.is_cpu() && options.dtype == torch::kFloat32 &&
      options.selective_v_topk == 0 && m->config_.aug_q_size == 0) {
    const int threads = options.threads > 0 ? options.threads : cpu::usable_cpu_count();
    m->cpu_ = std::make_unique<cpu::CpuTransformer>(file, m->config_, threads, cpu::best_isa());
    return m;
  }
  m->assign_weights([&](const std::string& name) {
    const auto shape = shapes.find(name);
    if (shape == shapes.end()) return torch::Tensor();
    auto values = gguf::to_runtime_weight(file, m->config_, name, shape->second);
    if (!values) return torch::Tensor();
    // Dequantised once at load to the run's dtype (the mapping is not kept).
    const torch::Tensor t = torch::from_blob(values->data(), shape->second, torch::kFloat32);
    return t.to(options.device, options.dtype, /*non_blocking=*/false, /*copy=*/true);
  });
  return m;
}

void Model::assign_weights(const std::function<torch::Tensor(const std::string&)>& get) {
  const ModelConfig& c = config_;
  const ModelOptions& options = options_;
  embed_ = get("model.embed_tokens.weight");
  // Gemma (transformers' form): the gain is 1 + weight in float32 (rms_norm() multiplies in float32).
  const auto norm = [&](const std::string& name) {
    torch::Tensor w = get(name);
    return c.norm_gain_plus_one && w.defined() ? w.to(torch::kFloat32) + 1.0 : w;
  };
  final_norm_ = norm("model.norm.weight");
  lm_head_ = c.tie_word_embeddings ? embed_ : get("lm_head.weight");
  for (int64_t l = 0; l < c.num_layers; ++l) {
    auto L = [&](const char* s) { return get(layer_weight(l, s)); };
    // With sandwich norms, post_attention_layernorm is the attention output's norm and
    // pre_feedforward_layernorm the MLP input's (the role post_attention_layernorm has elsewhere).
    const torch::Tensor post_attention = norm(layer_weight(l, "post_attention_layernorm.weight"));
    layers_.push_back(Layer{norm(layer_weight(l, "input_layernorm.weight")), L("self_attn.q_proj.weight"), L("self_attn.q_proj.bias"),
                            L("self_attn.q_up_proj.weight"), L("self_attn.q_gate_proj.weight"),
                            L("self_attn.q_down_proj.weight"), L("self_attn.k_proj.weight"),
                            L("self_attn.k_proj.bias"), L("self_attn.v_proj.weight"), L("self_attn.v_proj.bias"),
                            L("self_attn.o_proj.weight"),
                            c.sandwich_norms ? norm(layer_weight(l, "pre_feedforward_layernorm.weight")) : post_attention,
                            L("mlp.gate_proj.weight"), L("mlp.up_proj.weight"), L("mlp.down_proj.weight"),
                            c.sandwich_norms ? post_attention : torch::Tensor(),
                            c.sandwich_norms ? norm(layer_weight(l, "post_feedforward_layernorm.weight")) : torch::Tensor(),
                            c.qk_norm ? norm(layer_weight(l, "self_attn.q_norm.weight")) : torch::Tensor(),
                            c.qk_norm ? norm(layer_weight(l, "self_attn.k_norm.weight")) : torch::Tensor()});
  }
  const RopeTable rope = rope_table(c);
  inv_freq_ = torch::tensor(rope.inv_freq, torch::kFloat64).to(options.device);
  // transformers multiplies cos and sin by the attention scaling (yarn): q.k by its square, which
  // every path applies to q after RoPE (the fused decode step to its softmax scale), so the KV
  // cache holds the same rows on every path.
  q_logit_scale_ = rope.attention_scaling * rope.attention_scaling;
  for (int64_t l = 0; l < c.num_layers && !local_inv_freq_.defined(); ++l)
    if (c.local_rope(l)) local_inv_freq_ = torch::tensor(layer_rope_table(c, l).inv_freq, torch::kFloat64).to(options.device);
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  // The kernels (and the fused SDPA/FlashAttention paths) compute plain softmax attention: Gemma 2's
  // softcap, scale and windows run the op-by-op path (attention() below).
  if (options.cuda_kernels && options.device.is_cuda() && c.plain_attention() &&
      cuda_decode_supported(c, options.dtype, options.selective_v_topk)) {
    // The fused step's kernels compute SwiGLU with plain gains on the unscaled embedding: Gemma's
    // variants take the op-by-op path (its attention still runs the project's kernels).
    // Its QKV kernel rotates q and k straight from the projection: q/k norms and a second RoPE
    // (plain_qk false: Qwen3, Gemma 3) take the op-by-op step too.
    const bool fusable =
        c.mlp_activation == MlpActivation::kSilu && !c.scale_embedding && !c.norm_gain_plus_one && c.plain_qk();
    check_decode_overrides(c, options.dtype, decode_overrides(options));
    cuda_kernels_ = true;
    cuda_sm_count_ = cuda_sm_count();
    // The input widths of every projection of the fused step (RoPE takes any even d_k the
    // attention kernels take). Decided per batch size: shared memory holds the batch's x rows.
    const int64_t aug = c.aug_q_size > 0 ? c.aug_q_size : c.hidden_size;
    for (int64_t b = 1; options.fused_decode && fusable && b <= 8; ++b)
      if (cuda_fused_decode_supported({c.hidden_size, c.intermediate_size, aug, c.num_q_heads * c.head_dim_qk,
                                       c.num_q_heads * c.head_dim_v},
                                      b, options.dtype))
        fused_max_batch_ = b;
  }
#endif
}

torch::ScalarType Model::kv_dtype() const { return cpu_ && cpu_->kv_half() ? torch::kHalf : options_.dtype; }

KVCache Model::make_cache(int64_t slots, int64_t capacity, int64_t pool_tokens) const {
  return KVCache(config_, slots, capacity, torch::TensorOptions().dtype(kv_dtype()).device(options_.device), pool_tokens);
}

torch::Tensor Model::rms_norm(const torch::Tensor& x, const torch::Tensor& gain) const {
  const torch::Tensor xf = x.to(torch::kFloat32);
  const torch::Tensor normed = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + config_.rms_norm_eps);
  // Llama rounds before the gain; Gemma multiplies by its float32 gain (1 + w), then rounds.
  if (config_.norm_gain_plus_one) return (normed * gain).to(x.scalar_type());
  return gain * normed.to(x.scalar_type());
}

void Model::phase_start() {
  if (!options_.phase_times) return;
  if (options_.device.is_cuda()) torch::cuda::synchronize();
  phase_last_ = std::chrono::steady_clock::now();
}

void Model::phase_mark(const char* phase, bool prefill) {
  if (!options_.phase_times) return;
  if (options_.device.is_cuda()) torch::cuda::synchronize();
  const auto now = std::chrono::steady_clock::now();
  phase_seconds_[std::string(prefill ? "prefill " : "decode ") + phase] +=
      std::chrono::duration<double>(now - phase_last_).count();
  phase_last_ = now;
}

std::map<std::string, double> Model::take_phase_seconds() {
  std::map<std::string, double> out;
  out.swap(phase_seconds_);
  return out;
}

bool Model::prefill_reads_cache_in_place() const {
#if defined(AIMICIUS_RUNTIME_CUDA_KERNELS) && AIMICIUS_TORCH_HAS_VARLEN_FLASH
  const ModelConfig& c = config_;
  // (Its RoPE-and-append kernel rotates q and k as projected: plain_qk.)
  return cuda_kernels_ && c.head_dim_qk == c.head_dim_v && c.plain_qk() &&
         (options_.dtype == torch::kBFloat16 || options_.dtype == torch::kHalf);
#else
  return false;
#endif
}

torch::Tensor Model::embed(const torch::Tensor& tokens) const {
  torch::Tensor x = embed_.index_select(0, tokens.reshape({-1}));
  if (!config_.scale_embedding) return x;
  // transformers multiplies by sqrt(hidden_size) rounded to the weights' dtype (bf16: 45.25 for 2048).
  return x * torch::scalar_tensor(std::sqrt(static_cast<double>(config_.hidden_size)), x.options());
}

torch::Tensor Model::project_q(const Layer& w, const torch::Tensor& h) const {
  const torch::Tensor q = torch::linear(h, w.q_proj, w.q_bias);
  if (!w.q_up.defined()) return q;
  return torch::linear(torch::silu(torch::linear(q, w.q_gate)) * torch::linear(q, w.q_up), w.q_down);  // augmented Q
}

torch::Tensor Model::mlp(const Layer& w, const torch::Tensor& h) const {
  const torch::Tensor gate = torch::linear(h, w.gate_proj);
  const torch::Tensor act =
      config_.mlp_activation == MlpActivation::kGeluTanh ? torch::gelu(gate, "tanh") : torch::silu(gate);
  return torch::linear(act * torch::linear(h, w.up_proj), w.down_proj);
}

// x [B, T, heads, d]; cos/sin [B, T, 1, d/2] in float32. Rotates pairs (i, i + d/2).
torch::Tensor Model::rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) const {
  const int64_t half = x.size(-1) / 2;
  const torch::Tensor xf = x.to(torch::kFloat32);
  const torch::Tensor a = xf.narrow(-1, 0, half), b = xf.narrow(-1, half, half);
  return torch::cat({a * cos - b * sin, b * cos + a * sin}, -1).to(x.scalar_type());
}

int64_t Model::store_rows(KVCache& cache, int64_t index, const torch::Tensor& k, const torch::Tensor& v,
                          const CacheIndex& rows) const {
  // One scatter per tensor: every real token's row, from the forward's rows in order.
  auto real = [&](const torch::Tensor& x) {
    const torch::Tensor flat = x.reshape({-1, x.size(2), x.size(3)});
    return rows.source.defined() ? flat.index_select(0, rows.source) : flat;
  };
  cache.k_rows(index).index_copy_(0, rows.write, real(k));
  cache.v_rows(index).index_copy_(0, rows.write, real(v));
  return rows.longest;
}

Model::CacheIndex Model::cache_index(const KVCache& cache, const std::vector<int64_t>& slots,
                                     const std::vector<int64_t>& start, const Padding* padding, int64_t T) const {
  CacheIndex out;
  std::vector<int64_t> write, source;
  for (size_t b = 0; b < slots.size(); ++b) {
    const int64_t real = padding ? padding->real[b] : T;
    cache.append_rows(slots[b], start[b], real, write);
    if (padding)
      for (int64_t t = 0; t < real; ++t) source.push_back(static_cast<int64_t>(b) * T + t);
    out.longest = std::max(out.longest, start[b] + real);
  }
  out.write = torch::tensor(write, torch::kLong).to(options_.device);
  if (padding && static_cast<int64_t>(source.size()) != static_cast<int64_t>(slots.size()) * T)
    out.source = torch::tensor(source, torch::kLong).to(options_.device);
  return out;
}

const torch::Tensor& Model::context_rows(const KVCache& cache, const std::vector<int64_t>& slots,
                                         CacheIndex& rows) const {
  if (rows.read.defined()) return rows.read;
  const int64_t L = rows.longest;
  std::vector<int64_t> read(slots.size() * L, 0);
  for (size_t b = 0; b < slots.size(); ++b) {
    const int64_t room = std::min(L, cache.pages().reserved(slots[b]));
    for (int64_t t = 0; t < room; ++t) read[b * L + t] = cache.row(slots[b], t);
  }
  rows.read = torch::tensor(read, torch::kLong).view({static_cast<int64_t>(slots.size()), L}).to(options_.device);
  return rows.read;
}

torch::Tensor Model::attention(const Layer& w, int64_t index, const torch::Tensor& h, const torch::Tensor& positions,
                               KVCache& cache, const std::vector<int64_t>& slots, const DecodeIndex* kernel_step,
                               const Padding* padding, CacheIndex* rows) {
  (void)padding;  // read by the CUDA prefill paths only
  const ModelConfig& c = config_;
  const int64_t B = h.size(0), T = h.size(1);
  const int64_t nq = c.num_q_heads, nk = c.num_k_heads, nv = c.num_v_heads, dk = c.head_dim_qk, dv = c.head_dim_v;

  torch::Tensor q = project_q(w, h);
  torch::Tensor k = torch::linear(h, w.k_proj, w.k_bias);
  torch::Tensor v = torch::linear(h, w.v_proj, w.v_bias);
  q = q.view({B, T, nq, dk});
  k = k.view({B, T, nk, dk});
  v = v.view({B, T, nv, dv});
  if (w.q_norm.defined()) {  // Qwen3 / Gemma 3: each head normed over head_dim before RoPE
    q = rms_norm(q, w.q_norm);
    k = rms_norm(k, w.k_norm);
  }

  const bool local = c.local_rope(index);  // Gemma 3's sliding layers rotate with their own base
  const torch::Tensor angles = positions.to(torch::kFloat64).unsqueeze(-1) * (local ? local_inv_freq_ : inv_freq_);
  const torch::Tensor cos = angles.cos().to(torch::kFloat32).unsqueeze(2);
  const torch::Tensor sin = angles.sin().to(torch::kFloat32).unsqueeze(2);
  q = rope(q, cos, sin);
  k = rope(k, cos, sin);
  if (!local && q_logit_scale_ != 1.0) q = q * q_logit_scale_;
  phase_mark("q/k/v projections and RoPE", T > 1);

#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  if (kernel_step) {
    // Decode on CUDA: one scatter per cache stores this step's rows (forward() gave them room),
    // then the kernel reads each slot's context where its pages lie, in bf16/fp16, without a gather.
    cache.k_rows(index).index_put_({kernel_step->rows_long}, k.select(1, 0));
    cache.v_rows(index).index_put_({kernel_step->rows_long}, v.select(1, 0));
    const torch::Tensor out = cuda_decode_attention(
        q.select(1, 0).contiguous(), cache.kernel_k(index), cache.kernel_v(index), kernel_step->context_lens_i32,
        kernel_step->slots_i32,
        kernel_step->table, cache.capacity(), 1.0 / std::sqrt(static_cast<double>(dk)), options_.selective_v_topk,
        cuda_sm_count_, decode_overrides(options_));
    return torch::linear(out.reshape({B, 1, nq * dv}), w.o_proj);
  }
#else
  (void)kernel_step;
#endif

#if TORCH_VERSION_MAJOR >= 2
  // Prefill of fresh slots on CUDA (every sequence starts at position 0): LibTorch's fused SDPA
  // (FlashAttention-style, causal) on this step's own K and V, expanded to the Q heads; the rows
  // are stored in the cache for the decode steps that follow. Under right padding the causal mask
  // alone keeps each real query on real keys (see the top of model.h).
  bool fresh = T > 1 && h.is_cuda() && c.plain_attention();
  for (int64_t b = 0; fresh && b < B; ++b) fresh = cache.lengths[slots[b]] == 0;  // host state: no sync
  if (fresh) {
    store_rows(cache, index, k, v, *rows);
    const torch::Tensor qh = q.transpose(1, 2);                                   // [B, nq, T, dk]
    const torch::Tensor kh = k.transpose(1, 2).repeat_interleave(nq / nk, 1);     // [B, nq, T, dk]
    const torch::Tensor vh = v.transpose(1, 2).repeat_interleave(nq / nv, 1);     // [B, nq, T, dv]
    const torch::Tensor out = at::scaled_dot_product_attention(qh, kh, vh, {}, 0.0, /*is_causal=*/true);
    return torch::linear(out.transpose(1, 2).reshape({B, T, nq * dv}), w.o_proj);
  }
  // Prefill after rows the slots already hold (a reused shared prefix, KVCache::copy_prefix) on
  // CUDA, when the head dims are equal (FlashAttention's requirement): per sequence, FlashAttention
  // over the slot's rows [0, held + real) with the causal mask aligned to the last key (FlashAttention
  // 2's own causal rule when queries are fewer than keys, the one torch's causal_lower_right uses),
  // so each new token sees the whole held prefix and the new tokens up to itself. A masked fused
  // SDPA over the whole group (below) cannot use FlashAttention: in bench eval its prefill ran at a
  // fifth of the fresh path's tokens per second. Only in builds with the project's kernels: they
  // target sm_90, where FlashAttention runs (it needs sm_80 or newer).
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  if (T > 1 && h.is_cuda() && c.plain_attention() && dk == dv &&
      (h.scalar_type() == torch::kBFloat16 || h.scalar_type() == torch::kHalf)) {
    std::vector<int64_t> held(B);
    for (int64_t b = 0; b < B; ++b) held[b] = cache.lengths[slots[b]];  // before store_rows appends
    store_rows(cache, index, k, v, *rows);
    torch::Tensor out = torch::zeros({B, T, nq, dv}, q.options());
    for (int64_t b = 0; b < B; ++b) {
      const int64_t real = padding ? padding->real[b] : T;
      if (real == 0) continue;
      const int64_t context = held[b] + real;
      const torch::Tensor qb = q[b].narrow(0, 0, real).transpose(0, 1).contiguous().unsqueeze(0);  // [1, nq, real, dk]
      // The slot's context rows: one run of the cache (a view) or gathered from its pages.
      auto context_of = [&](const torch::Tensor& all) {
        if (const auto first = cache.contiguous_rows(slots[b], context)) return all.narrow(0, *first, context);
        return all.index_select(0, context_rows(cache, slots, *rows)[b].narrow(0, 0, context));
      };
      const torch::Tensor kb =
          context_of(cache.k_rows(index)).transpose(0, 1).repeat_interleave(nq / nk, 0).unsqueeze(0);
      const torch::Tensor vb =
          context_of(cache.v_rows(index)).transpose(0, 1).repeat_interleave(nq / nv, 0).unsqueeze(0);
      const torch::Tensor ob = std::get<0>(at::_scaled_dot_product_flash_attention(qb, kb, vb, 0.0, /*is_causal=*/true));
      out[b].narrow(0, 0, real).copy_(ob[0].transpose(0, 1));  // [real, nq, dv]
    }
    return torch::linear(out.reshape({B, T, nq * dv}), w.o_proj);
  }
#endif
  // The same with a positional causal mask, for unequal head dims or builds without the kernels:
  // the fused SDPA over each slot's stored context in the storage dtype, so that [B, heads, T,
  // context] float32 scores are never materialised. (Key 0 is visible to every query, so no row is
  // fully masked.)
  if (T > 1 && h.is_cuda() && c.plain_attention()) {
    const int64_t max_len = store_rows(cache, index, k, v, *rows);
    const torch::Tensor read = context_rows(cache, slots, *rows).reshape({-1});
    const torch::Tensor keys = cache.k_rows(index).index_select(0, read).view({B, max_len, nk, dk});
    const torch::Tensor values = cache.v_rows(index).index_select(0, read).view({B, max_len, nv, dv});
    const torch::Tensor key_pos = torch::arange(max_len, torch::TensorOptions().dtype(torch::kLong).device(h.device()));
    const torch::Tensor visible = key_pos.view({1, 1, 1, max_len}) <= positions.view({B, 1, T, 1});  // [B, 1, T, L]
    const torch::Tensor qh = q.transpose(1, 2);                                            // [B, nq, T, dk]
    const torch::Tensor kh = keys.permute({0, 2, 1, 3}).repeat_interleave(nq / nk, 1);     // [B, nq, L, dk]
    const torch::Tensor vh = values.permute({0, 2, 1, 3}).repeat_interleave(nq / nv, 1);   // [B, nq, L, dv]
    const torch::Tensor out = at::scaled_dot_product_attention(qh, kh, vh, visible, 0.0, /*is_causal=*/false);
    return torch::linear(out.transpose(1, 2).reshape({B, T, nq * dv}), w.o_proj);
  }
#endif

  // Store this step's K and V at each slot's current length; gather each slot's whole context.
  // (A padded query may see rows past its slot's length: zeros, or a reset slot's old rows; its
  // output is discarded either way.)
  const int64_t max_len = store_rows(cache, index, k, v, *rows);
  const torch::Tensor read = context_rows(cache, slots, *rows).reshape({-1});
  const torch::Tensor keys = cache.k_rows(index).index_select(0, read).view({B, max_len, nk, dk}).to(torch::kFloat32);
  const torch::Tensor values = cache.v_rows(index).index_select(0, read).view({B, max_len, nv, dv}).to(torch::kFloat32);

  // Scores per K group: q [B, T, nk, q_per_k, dk] x keys [B, L, nk, dk] -> [B, nk, q_per_k, T, L].
  const int64_t q_per_k = nq / nk, q_per_v = nq / nv;
  const torch::Tensor qg = q.to(torch::kFloat32).view({B, T, nk, q_per_k, dk}).permute({0, 2, 3, 1, 4});
  const torch::Tensor kg = keys.permute({0, 2, 3, 1}).unsqueeze(2);  // [B, nk, 1, dk, L]
  torch::Tensor scores = torch::matmul(qg, kg).reshape({B, nq, T, max_len}) * c.attention_scale();
  if (c.attn_logit_softcap > 0) scores = torch::tanh(scores / c.attn_logit_softcap) * c.attn_logit_softcap;

  // Causal mask per slot: key j is visible to query t iff j <= position(b, t), and in a sliding
  // layer iff also j > position(b, t) - window.
  const torch::Tensor key_pos = torch::arange(max_len, torch::TensorOptions().dtype(torch::kLong).device(h.device()));
  torch::Tensor visible = key_pos.view({1, 1, 1, max_len}) <= positions.view({B, 1, T, 1});
  if (const int64_t window = c.window_of(index); window > 0)
    visible = visible.logical_and(key_pos.view({1, 1, 1, max_len}) > positions.view({B, 1, T, 1}) - window);
  scores = scores.masked_fill(visible.logical_not(), -std::numeric_limits<float>::infinity());

  torch::Tensor out;  // [B, nq, T, dv]
  const torch::Tensor vh = values.permute({0, 2, 1, 3});  // [B, nv, L, dv]
  if (options_.selective_v_topk > 0 && T == 1 && options_.selective_v_topk < max_len) {
    // Selective V fetching: each Q head keeps its top-k scores and reads only those V rows.
    const int64_t topk = options_.selective_v_topk;
    auto [top_scores, top_index] = scores.topk(topk, -1);  // [B, nq, 1, k]
    const torch::Tensor probs = torch::softmax(top_scores, -1);
    const torch::Tensor head_of_q =
        torch::arange(nq, torch::TensorOptions().dtype(torch::kLong).device(h.device())).div(q_per_v, "floor");
    const torch::Tensor v_per_q = vh.index_select(1, head_of_q);  // [B, nq, L, dv]
    const torch::Tensor rows = v_per_q.gather(2, top_index.squeeze(2).unsqueeze(-1).expand({B, nq, topk, dv}));
    out = torch::matmul(probs, rows);  // [B, nq, 1, dv]
  } else {
    const torch::Tensor probs = torch::softmax(scores, -1).view({B, nv, q_per_v, T, max_len});
    out = torch::matmul(probs, vh.unsqueeze(2)).view({B, nq, T, dv});
  }
  out = out.permute({0, 2, 1, 3}).reshape({B, T, nq * dv}).to(h.scalar_type());
  return torch::linear(out, w.o_proj);
}

torch::Tensor Model::checked_host_tokens(const torch::Tensor& tokens, size_t slots) const {
  if (tokens.dim() != 2 || tokens.size(0) != static_cast<int64_t>(slots))
    throw std::invalid_argument("forward: tokens must be [slots, T]");
  // Token ids are checked where they are: on the host (the usual case) this costs no device sync.
  const torch::Tensor host =
      (tokens.device().is_cpu() ? tokens.to(torch::kLong) : tokens.to(torch::kCPU, torch::kLong)).contiguous();
  if (host.numel() > 0 && (host.min().item<int64_t>() < 0 || host.max().item<int64_t>() >= config_.vocab_size))
    throw std::invalid_argument(fmt::format("forward: token id outside the vocabulary of {}", config_.vocab_size));
  return host;
}

torch::Tensor Model::forward(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots,
                             bool last_only) {
  return append_host(checked_host_tokens(tokens, slots.size()), cache, slots, last_only);
}

torch::Tensor Model::decode(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots) {
  if (tokens.dim() != 1 || tokens.size(0) != static_cast<int64_t>(slots.size()) ||
      tokens.device().type() != options_.device.type())
    throw std::invalid_argument("decode: tokens must be [slots] on the model's device");
  const torch::Tensor ids = tokens.to(torch::kLong).view({-1, 1});
  if (ids.device().is_cpu()) return append_host(ids.contiguous(), cache, slots, true);
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  if (graphed_step(1, true)) {
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = decode_with_graph(ids, start_rows(cache, slots, nullptr, 1), slots, cache);
    for (int64_t slot : slots) cache.lengths[slot] += 1;
    return logits;
  }
#endif
  return append(ids, cache, slots, nullptr, true);
}

bool Model::graphed_step(int64_t T, bool last_only) const {
  // Not under phase_times: its device synchronisations cannot be captured.
  return cuda_kernels_ && T == 1 && options_.cuda_graphs && !options_.phase_times && last_only;
}

torch::Tensor Model::append_host(const torch::Tensor& host_tokens, KVCache& cache, const std::vector<int64_t>& slots,
                                 bool last_only) {
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  // A kernel decode step replayed from its graph: the inputs go over in two transfers, no device
  // tensor is built on the host's side.
  if (graphed_step(host_tokens.size(1), last_only)) {
    torch::NoGradGuard no_grad;
    const std::vector<int64_t> start = start_rows(cache, slots, nullptr, 1);
    const torch::Tensor logits = decode_with_graph(host_tokens, start, slots, cache);
    for (int64_t slot : slots) cache.lengths[slot] += 1;
    return logits;
  }
#endif
  return append(host_tokens.to(options_.device), cache, slots, nullptr, last_only);
}

torch::Tensor Model::prefill(const std::vector<std::vector<int32_t>>& prompts, KVCache& cache,
                             const std::vector<int64_t>& slots) {
  if (prompts.size() != slots.size())
    throw std::invalid_argument(fmt::format("prefill: {} prompts for {} slots", prompts.size(), slots.size()));
  const int64_t B = static_cast<int64_t>(prompts.size());
  Padding padding;
  int64_t T = 0;
  for (const auto& p : prompts) {
    if (p.empty()) throw std::invalid_argument("prefill: empty prompt (no tokens)");
    padding.real.push_back(static_cast<int64_t>(p.size()));
    T = std::max(T, padding.real.back());
  }
  // Padded with token 0 (any id in the vocabulary would do: padding never reaches a real row).
  torch::Tensor host = torch::zeros({B, T}, torch::kLong);
  int64_t* ids = host.data_ptr<int64_t>();
  std::vector<int64_t> last_rows(B);
  for (int64_t b = 0; b < B; ++b) {
    std::copy(prompts[b].begin(), prompts[b].end(), ids + b * T);
    last_rows[b] = b * T + padding.real[b] - 1;
  }
  const torch::Tensor checked = checked_host_tokens(host, slots.size());
  const bool ragged = std::any_of(padding.real.begin(), padding.real.end(), [&](int64_t n) { return n != T; });
  if (!ragged) return append_host(checked, cache, slots, true);
  padding.last_rows = torch::tensor(last_rows, torch::kLong).to(options_.device);
  return append(checked.to(options_.device), cache, slots, &padding, true);
}

std::vector<int64_t> Model::start_rows(KVCache& cache, const std::vector<int64_t>& slots, const Padding* padding,
                                       int64_t T) const {
  std::vector<int64_t> start(slots.size());
  for (size_t b = 0; b < slots.size(); ++b) {
    start[b] = cache.lengths[slots[b]];
    const int64_t rows = padding ? padding->real[b] : T;
    if (start[b] + rows > cache.capacity())
      throw std::runtime_error(fmt::format("KV cache slot {} full: {} + {} tokens > capacity {}", slots[b], start[b],
                                           rows, cache.capacity()));
    cache.ensure(slots[b], start[b] + rows);
  }
  return start;
}

torch::Tensor Model::append(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots,
                            const Padding* padding, bool last_only) {
  torch::NoGradGuard no_grad;
  const int64_t B = tokens.size(0), T = tokens.size(1);
  const std::vector<int64_t> start = start_rows(cache, slots, padding, T);
  const torch::Tensor positions =
      torch::tensor(start, torch::kLong).to(options_.device).view({B, 1}) +
      torch::arange(T, torch::TensorOptions().dtype(torch::kLong).device(options_.device)).view({1, T});

  CacheIndex rows = cache_index(cache, slots, start, padding, T);
  // One decode token per slot on CUDA: the kernels' index tensors, shared by all layers.
  std::optional<DecodeIndex> kernel_step;
  if (cuda_kernels_ && T == 1) {
    std::vector<int32_t> slots32(slots.begin(), slots.end()), lens32(B);
    for (int64_t b = 0; b < B; ++b) lens32[b] = static_cast<int32_t>(start[b] + 1);
    const auto i32 = torch::TensorOptions().dtype(torch::kInt);
    kernel_step = DecodeIndex{rows.write, torch::tensor(slots32, i32).to(options_.device),
                              torch::tensor(lens32, i32).to(options_.device), cache.kernel_table()};
  }

  const torch::Tensor logits =
      run_layers(tokens, positions, cache, slots, kernel_step ? &*kernel_step : nullptr, padding, &rows, last_only);
  for (int64_t b = 0; b < B; ++b) cache.lengths[slots[b]] += padding ? padding->real[b] : T;
  return logits;
}

bool Model::fused_step(int64_t batch) const { return batch <= fused_max_batch_; }

torch::Tensor Model::run_layers(const torch::Tensor& tokens, const torch::Tensor& positions, KVCache& cache,
                                const std::vector<int64_t>& slots, const DecodeIndex* kernel_step,
                                const Padding* padding, CacheIndex* rows, bool last_only) {
  const ModelConfig& c = config_;
  const int64_t B = tokens.size(0), T = tokens.size(1);
  if (cpu_) return run_layers_cpu(tokens, cache, slots, padding, last_only);
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  if (kernel_step && last_only && !padding && fused_step(B)) return run_layers_fused(tokens, cache, *kernel_step);
#endif
#if defined(AIMICIUS_RUNTIME_CUDA_KERNELS) && AIMICIUS_TORCH_HAS_VARLEN_FLASH
  if (T > 1 && !kernel_step && prefill_reads_cache_in_place())
    return run_layers_packed(tokens, cache, slots, padding, last_only);
#endif
  const bool prefill = T > 1;
  phase_start();
  torch::Tensor x = embed(tokens).view({B, T, c.hidden_size});
  phase_mark("embedding", prefill);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const Layer& w = layers_[l];
    const torch::Tensor normed = rms_norm(x, w.input_norm);
    phase_mark("norms and residual adds", prefill);
    torch::Tensor attended = attention(w, l, normed, positions, cache, slots, kernel_step, padding, rows);
    phase_mark("attention and output projection", prefill);
    if (w.attn_out_norm.defined()) attended = rms_norm(attended, w.attn_out_norm);
    x = x + attended;
    const torch::Tensor h = rms_norm(x, w.post_norm);
    phase_mark("norms and residual adds", prefill);
    torch::Tensor m = mlp(w, h);
    phase_mark("MLP", prefill);
    if (w.mlp_out_norm.defined()) m = rms_norm(m, w.mlp_out_norm);
    x = x + m;
  }
  if (last_only && padding) x = x.reshape({B * T, c.hidden_size}).index_select(0, padding->last_rows);
  else if (last_only) x = x.select(1, T - 1);
  torch::Tensor logits = torch::linear(rms_norm(x, final_norm_), lm_head_).to(torch::kFloat32);
  if (c.final_logit_softcap > 0) logits = torch::tanh(logits / c.final_logit_softcap) * c.final_logit_softcap;
  phase_mark("output head", prefill);
  return logits;
}

torch::Tensor Model::run_layers_cpu(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots,
                                    const Padding* padding, bool last_only) {
  const int64_t B = tokens.size(0), T = tokens.size(1);
  const torch::Tensor ids = tokens.to(torch::kLong).contiguous();
  std::vector<int64_t> start(B), real(B), first_row(B);
  for (int64_t b = 0; b < B; ++b) {
    start[b] = cache.lengths[slots[b]];  // append() updates the lengths after the forward
    real[b] = padding ? padding->real[b] : T;
    // The CPU path reads a slot's rows as one run: a full-size pool gives every slot one (model.h);
    // LocalModel pages a smaller pool only on CUDA.
    const auto first = cache.contiguous_rows(slots[b], start[b] + real[b]);
    if (!first)
      throw std::logic_error(fmt::format("CPU path: KV cache slot {} is not one run of rows (a pool smaller than its "
                                         "slots' capacity: page it on CUDA only)", slots[b]));
    first_row[b] = *first;
  }
  cpu::CpuBatch batch;
  batch.tokens = ids.data_ptr<int64_t>();
  batch.rows = B, batch.T = T, batch.start = start.data(), batch.real = real.data(), batch.first_row = first_row.data();
  const torch::ScalarType kv = kv_dtype();  // make_cache's
  for (int64_t l = 0; l < config_.num_layers; ++l) {
    if (cache.k[l].scalar_type() != kv || cache.v[l].scalar_type() != kv || !cache.k[l].is_contiguous() ||
        !cache.v[l].is_contiguous())
      throw std::logic_error("CPU path: a KV cache not made by Model::make_cache");
    batch.k_cache.push_back(cache.k[l].data_ptr());
    batch.v_cache.push_back(cache.v[l].data_ptr());
  }
  torch::Tensor logits = last_only ? torch::empty({B, config_.vocab_size}, torch::kFloat32)
                                   : torch::empty({B, T, config_.vocab_size}, torch::kFloat32);
  cpu_->forward(batch, last_only, logits.data_ptr<float>());
  return logits;
}

#if defined(AIMICIUS_RUNTIME_CUDA_KERNELS) && AIMICIUS_TORCH_HAS_VARLEN_FLASH
namespace {

// Device copies of a packed prefill's index arrays (host vectors of int32 / int64).
torch::Tensor to_device(const std::vector<int32_t>& v, torch::Device dev) {
  return torch::tensor(v, torch::kInt).to(dev, /*non_blocking=*/true);
}
torch::Tensor to_device(const std::vector<int64_t>& v, torch::Device dev) {
  return torch::tensor(v, torch::kLong).to(dev, /*non_blocking=*/true);
}

}  // namespace

// A prefill on the in-place path (prefill_reads_cache_in_place), fresh slots or after rows they
// hold: the real tokens of all B sequences packed into one stream of R rows, so that no padding
// row is computed by any layer. Per layer, RoPE of q and k and the append of the K/V rows to each
// slot (at held[b] + t) are one kernel (kernels/rope_append.h, whose rounding is the op path's),
// and attention is one varlen FlashAttention 2 call that reads each sequence's keys where they lie
// in the cache: the paged cache is one array of pages x kPageTokens rows, and a sequence whose
// pages are one run of rows (KVCache::contiguous_rows: nearly always, kv_pages.h) is read in place,
// cu_seqlens_k[b] naming its first row and seqused_k[b] how many it uses (FlashAttention 2 reads a
// sequence's keys from cu_seqlens_k[b] for seqused_k[b] rows, so the starts need not be
// increasing); when one is not, the group's contexts are gathered into one array per layer first
// (FlashAttention as LibTorch exposes it takes no block table). Causal is FlashAttention's rule
// aligned to the last key, so each new token sees the held rows and the new ones up to itself.
// DiffQKV's calls (below) broadcast a shared head by a stride-0 view.
torch::Tensor Model::run_layers_packed(const torch::Tensor& tokens, KVCache& cache, const std::vector<int64_t>& slots,
                                       const Padding* padding, bool last_only) {
  const ModelConfig& c = config_;
  const int64_t B = tokens.size(0), T = tokens.size(1);
  const int64_t nq = c.num_q_heads, nk = c.num_k_heads, nv = c.num_v_heads, dk = c.head_dim_qk, dv = c.head_dim_v;
  std::vector<int64_t> rows, last, gather;
  std::vector<int32_t> row_slot, row_context, cu_q = {0}, cu_k, used;
  int64_t max_q = 0, max_k = 0;
  bool in_place = true;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t held = cache.lengths[slots[b]], real = padding ? padding->real[b] : T;  // before the append
    for (int64_t t = 0; t < real; ++t) {
      rows.push_back(b * T + t);
      row_slot.push_back(static_cast<int32_t>(slots[b]));
      row_context.push_back(static_cast<int32_t>(held + t + 1));
    }
    cu_q.push_back(cu_q.back() + static_cast<int32_t>(real));
    const auto first = cache.contiguous_rows(slots[b], held + real);
    in_place = in_place && first.has_value();
    cu_k.push_back(static_cast<int32_t>(first.value_or(0)));
    cache.append_rows(slots[b], 0, held + real, gather);
    used.push_back(static_cast<int32_t>(held + real));
    if (real > 0) last.push_back(cu_q.back() - 1);
    max_q = std::max(max_q, real);
    max_k = std::max(max_k, held + real);
  }
  const int64_t all_rows = in_place ? cache.k_rows(0).size(0) : static_cast<int64_t>(gather.size());
  if (!in_place) {  // the gathered contexts lie one after another
    cu_k.assign(1, 0);
    for (int64_t b = 0; b < B; ++b) cu_k.push_back(cu_k.back() + used[b]);
    cu_k.pop_back();
  }
  cu_k.push_back(static_cast<int32_t>(all_rows));  // read only where seqused_k is absent
  const int64_t R = static_cast<int64_t>(rows.size());
  const auto dev = options_.device;
  const torch::Tensor rows_d = to_device(rows, dev), slot_d = to_device(row_slot, dev),
                      context_d = to_device(row_context, dev), cu_q_d = to_device(cu_q, dev),
                      cu_k_d = to_device(cu_k, dev), used_d = to_device(used, dev);
  const torch::Tensor gather_d = in_place ? torch::Tensor() : to_device(gather, dev);
  const torch::Tensor table = cache.kernel_table();
  const double scale = q_logit_scale_ / std::sqrt(static_cast<double>(dk));
  // kernels/rope_append launches one block row per token: at most 65535 a call.
  constexpr int64_t kRopeRows = 65535;

  phase_start();
  torch::Tensor x = embed(tokens.reshape({-1}).index_select(0, rows_d));  // [R, hidden]
  phase_mark("embedding", true);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const Layer& w = layers_[l];
    const torch::Tensor h = rms_norm(x, w.input_norm);
    phase_mark("norms and residual adds", true);
    const torch::Tensor q = project_q(w, h);
    const torch::Tensor k = torch::linear(h, w.k_proj, w.k_bias), v = torch::linear(h, w.v_proj, w.v_bias);
    const torch::Tensor q_rot = torch::empty({R, nq, dk}, q.options());
    for (int64_t r0 = 0; r0 < R; r0 += kRopeRows) {
      const int64_t n = std::min(kRopeRows, R - r0);
      cuda_rope_append(q.narrow(0, r0, n), k.narrow(0, r0, n), v.narrow(0, r0, n), q_rot.narrow(0, r0, n),
                       cache.kernel_k(l), cache.kernel_v(l), slot_d.narrow(0, r0, n), context_d.narrow(0, r0, n), table,
                       inv_freq_);
    }
    phase_mark("q/k/v projections and RoPE", true);
    const torch::Tensor keys = in_place ? cache.k_rows(l) : cache.k_rows(l).index_select(0, gather_d);
    const torch::Tensor values = in_place ? cache.v_rows(l) : cache.v_rows(l).index_select(0, gather_d);
    auto flash = [&](const torch::Tensor& qs, const torch::Tensor& ks, const torch::Tensor& vs) {
      return std::get<0>(at::_flash_attention_forward(qs, ks, vs, cu_q_d, cu_k_d, max_q, max_k, 0.0, /*is_causal=*/true,
                                                       /*return_debug_mask=*/false, std::optional<double>(scale),
                                                       std::optional<int64_t>(), std::optional<int64_t>(), used_d));
    };
    torch::Tensor attended;
    if (nk == nv) {
      attended = flash(q_rot, keys, values);  // GQA: FlashAttention shares each K/V head itself
    } else if (nk % nv == 0 || nv % nk == 0) {
      // DiffQKV (n_k != n_v): FlashAttention takes one head count for K and V. With one count a
      // multiple of the other, the query heads of each of the fewer heads (Sigma: each K head's 8)
      // go in one call, where that single head is broadcast (a stride-0 view, nothing copied) to
      // the count of the other's heads it spans: min(n_k, n_v) calls a layer.
      const int64_t groups = std::min(nk, nv), qg = nq / groups, kg = nk / groups, vg = nv / groups;
      const int64_t heads = std::max(kg, vg);
      attended = torch::empty({R, nq, dv}, q_rot.options());
      for (int64_t g = 0; g < groups; ++g)
        attended.narrow(1, g * qg, qg).copy_(flash(q_rot.narrow(1, g * qg, qg).contiguous(),
                                                   keys.narrow(1, g * kg, kg).expand({all_rows, heads, dk}),
                                                   values.narrow(1, g * vg, vg).expand({all_rows, heads, dv})));
    } else {
      // Neither count a multiple of the other: the query heads go in runs of `run` that share both
      // their K head and their V head, one call per run over that K head and that V head (views).
      const int64_t q_per_k = nq / nk, q_per_v = nq / nv, run = std::gcd(q_per_k, q_per_v);
      attended = torch::empty({R, nq, dv}, q_rot.options());
      for (int64_t h0 = 0; h0 < nq; h0 += run)
        attended.narrow(1, h0, run).copy_(flash(q_rot.narrow(1, h0, run).contiguous(), keys.narrow(1, h0 / q_per_k, 1),
                                                values.narrow(1, h0 / q_per_v, 1)));
    }
    x = x + torch::linear(attended.view({R, nq * dv}), w.o_proj);
    phase_mark("attention and output projection", true);
    const torch::Tensor m = mlp(w, rms_norm(x, w.post_norm));
    phase_mark("MLP", true);
    x = x + m;
  }
  torch::Tensor logits;
  if (last_only) {
    logits = torch::linear(rms_norm(x.index_select(0, to_device(last, dev)), final_norm_), lm_head_).to(torch::kFloat32);
  } else {  // every position: padding rows' logits are zeros (their values are never read)
    logits = torch::zeros({B * T, c.vocab_size}, x.options().dtype(torch::kFloat32));
    logits.index_copy_(0, rows_d, torch::linear(rms_norm(x, final_norm_), lm_head_).to(torch::kFloat32));
    logits = logits.view({B, T, c.vocab_size});
  }
  phase_mark("output head", true);
  return logits;
}
#endif

#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
// One decode step, layer by layer, kernel by kernel (the op-by-op path in run_layers and
// attention() computes the same; kernels/gemv.h says where each rounds). x is the residual
// stream [B, hidden]; the output projections add into it in place.
torch::Tensor Model::run_layers_fused(const torch::Tensor& tokens, KVCache& cache, const DecodeIndex& step) {
  const ModelConfig& c = config_;
  const int64_t B = tokens.size(0);
  const int64_t nq = c.num_q_heads, dk = c.head_dim_qk, dv = c.head_dim_v;
  const double eps = c.rms_norm_eps;
  const auto plain = ProjectionInput::kPlain, normed = ProjectionInput::kRmsNorm;
  const torch::Tensor none;
  const int sms = cuda_sm_count_;
  torch::Tensor x = embed(tokens).contiguous();  // [B, hidden]
  const auto opts = x.options();
  const torch::Tensor q = torch::empty({B, nq * dk}, opts), k = torch::empty({B, c.num_k_heads * dk}, opts),
                      v = torch::empty({B, c.num_v_heads * dv}, opts), q_rot = torch::empty({B, nq, dk}, opts),
                      act = torch::empty({B, c.intermediate_size}, opts);
  torch::Tensor q_aug, q_aug_act;
  if (c.aug_q_size > 0) q_aug = torch::empty({B, nq * dk}, opts), q_aug_act = torch::empty({B, c.aug_q_size}, opts);
  const double scale = q_logit_scale_ / std::sqrt(static_cast<double>(dk));
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const Layer& w = layers_[l];
    cuda_project(x, normed, w.input_norm, eps, ProjectionOutput::kStore,
                 {{w.q_proj, w.q_bias, q}, {w.k_proj, w.k_bias, k}, {w.v_proj, w.v_bias, v}}, sms);
    const torch::Tensor* q_in = &q;
    if (w.q_up.defined()) {  // augmented Q: q = W_down(SiLU(W_gate q) * W_up q)
      cuda_project(q, plain, none, eps, ProjectionOutput::kSiluGate, {{w.q_gate, none, q_aug_act}, {w.q_up, none, none}},
                   sms);
      cuda_project(q_aug_act, plain, none, eps, ProjectionOutput::kStore, {{w.q_down, none, q_aug}}, sms);
      q_in = &q_aug;
    }
    const torch::Tensor k_cache = cache.kernel_k(l), v_cache = cache.kernel_v(l);
    cuda_rope_append(*q_in, k, v, q_rot, k_cache, v_cache, step.slots_i32, step.context_lens_i32, step.table, inv_freq_,
                     options_.attention_launch_early);
    const torch::Tensor attn =
        cuda_decode_attention(q_rot, k_cache, v_cache, step.context_lens_i32, step.slots_i32, step.table,
                              cache.capacity(), scale, options_.selective_v_topk, cuda_sm_count_, decode_overrides(options_));
    cuda_project(attn.view({B, nq * dv}), plain, none, eps, ProjectionOutput::kAddInto, {{w.o_proj, none, x}}, sms);
    cuda_project(x, normed, w.post_norm, eps, ProjectionOutput::kSiluGate,
                 {{w.gate_proj, none, act}, {w.up_proj, none, none}}, sms);
    cuda_project(act, plain, none, eps, ProjectionOutput::kAddInto, {{w.down_proj, none, x}}, sms);
  }
  const torch::Tensor logits = torch::empty({B, c.vocab_size}, opts.dtype(torch::kFloat32));
  cuda_project(x, normed, final_norm_, eps, ProjectionOutput::kStoreFloat, {{lm_head_, none, logits}}, sms);
  return logits;
}

// The static buffers a captured decode step reads (inputs, copied in before each replay) and
// writes (logits), the cache it was captured on, and the graph.
struct Model::DecodeGraph {
  // The step's inputs, written by one transfer each before a replay: [3, B] long (token, position,
  // cache row of the new K/V) and [2, B] int (slot, context length); the tensors below are views of
  // their rows. The block table is the cache's own device tensor, refreshed before a replay.
  torch::Tensor inputs_long, inputs_int;
  torch::Tensor tokens, positions;  // [B, 1]
  DecodeIndex index;
  torch::Tensor logits;             // [B, vocab] float32, rewritten by each replay
  // The cache the graph was captured on (CacheLayout): any other needs another graph.
  struct CacheLayout {
    // Every K and V tensor the graph writes and reads, and the block table, by address.
    std::vector<const void*> storage;
    // What the captured kernels were planned for: a new cache at the same addresses (the caching
    // allocator hands a freed pool of the same size back) can differ here, and a graph planned for
    // a shorter capacity replayed on it would attend to too few tokens (the kernels write NaN).
    int64_t capacity = 0, slots = 0;
    bool reads_table = false;
    bool operator==(const CacheLayout& o) const {
      return storage == o.storage && capacity == o.capacity && slots == o.slots && reads_table == o.reads_table;
    }
  };
  CacheLayout cache;
  CudaGraph graph;

  static CacheLayout layout_of(KVCache& kv) {
    CacheLayout out;
    for (const auto& t : kv.k) out.storage.push_back(t.data_ptr());
    for (const auto& t : kv.v) out.storage.push_back(t.data_ptr());
    out.storage.push_back(kv.device_table().data_ptr());  // brought up to date too
    out.capacity = kv.capacity();
    out.slots = kv.slots();
    out.reads_table = kv.kernel_table().defined();
    return out;
  }
};

torch::Tensor Model::decode_with_graph(const torch::Tensor& tokens, const std::vector<int64_t>& start,
                                       const std::vector<int64_t>& slots, KVCache& cache) {
  const int64_t B = tokens.size(0);
  // Ids on the device (decode()) go into the graph's input by a device copy after the staged
  // transfer, in stream order; ids on the host travel in the staged transfer.
  const bool ids_on_device = !tokens.device().is_cpu();
  // The inputs staged in page-locked memory (LibTorch's caching host allocator keeps each buffer
  // until its asynchronous copy is done), so each goes over in one transfer the host need not wait for.
  const auto pinned = [](torch::ScalarType type) { return torch::TensorOptions().dtype(type).pinned_memory(true); };
  torch::Tensor staged_long = torch::empty({3, B}, pinned(torch::kLong));
  torch::Tensor staged_int = torch::empty({2, B}, pinned(torch::kInt));
  int64_t* l = staged_long.data_ptr<int64_t>();
  int32_t* i = staged_int.data_ptr<int32_t>();
  const int64_t* ids = ids_on_device ? nullptr : tokens.data_ptr<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    l[b] = ids ? ids[b] : 0, l[B + b] = start[b], l[2 * B + b] = cache.row(slots[b], start[b]);
    i[b] = static_cast<int32_t>(slots[b]), i[B + b] = static_cast<int32_t>(start[b] + 1);
  }
  std::shared_ptr<DecodeGraph>& g = decode_graphs_[B];
  DecodeGraph::CacheLayout layout = DecodeGraph::layout_of(cache);
  if (g && g->cache == layout) {
    g->inputs_long.copy_(staged_long, /*non_blocking=*/true);
    g->inputs_int.copy_(staged_int, /*non_blocking=*/true);
    if (ids_on_device) g->tokens.copy_(tokens, /*non_blocking=*/true);
    g->graph.replay();
    return g->logits.clone();
  }
  // First step of this batch size on this cache: run it eagerly on the static inputs (also the
  // warm-up that capture needs), then capture the same step for the next ones. The capture itself
  // executes nothing, so this step's K/V rows are written exactly once.
  const auto capture_start = std::chrono::steady_clock::now();
  auto fresh = std::make_shared<DecodeGraph>();
  fresh->inputs_long = staged_long.to(options_.device);
  fresh->inputs_int = staged_int.to(options_.device);
  fresh->tokens = fresh->inputs_long[0].view({B, 1});
  fresh->positions = fresh->inputs_long[1].view({B, 1});
  if (ids_on_device) fresh->tokens.copy_(tokens);
  fresh->index = DecodeIndex{fresh->inputs_long[2], fresh->inputs_int[0], fresh->inputs_int[1], cache.kernel_table()};
  fresh->cache = std::move(layout);
  const torch::Tensor logits =
      run_layers(fresh->tokens, fresh->positions, cache, {}, &fresh->index, nullptr, nullptr, true);
  try {
    fresh->graph.capture([&] {
      fresh->logits = run_layers(fresh->tokens, fresh->positions, cache, {}, &fresh->index, nullptr, nullptr, true);
    });
    if (g) {  // a graph of an earlier cache: its time stays in the total
      const CudaGraph::ReplayTime t = g->graph.replay_time();
      graph_stats_.steps += t.replays, graph_stats_.seconds += t.seconds;
    }
    g = std::move(fresh);
    ++graph_stats_.captures;
    graph_stats_.capture_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - capture_start).count();
  } catch (const std::runtime_error&) {
    // Not capturable here (e.g. an operation this LibTorch cannot capture): stay eager for this
    // batch size rather than fail the generation. The eager path is exact, only slower.
    options_.cuda_graphs = false;
  }
  return logits;
}
#endif

Model::DecodeGraphStats Model::decode_graph_stats() const {
  DecodeGraphStats total = graph_stats_;
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  for (const auto& [batch, g] : decode_graphs_) {
    if (!g) continue;
    const CudaGraph::ReplayTime t = g->graph.replay_time();
    total.steps += t.replays, total.seconds += t.seconds;
  }
#endif
  return total;
}

std::string Model::decode_attention_plan(int64_t batch, int64_t capacity) const {
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  if (cuda_kernels_)
    return cuda_decode_plan_summary(config_, options_.dtype, batch, capacity, options_.selective_v_topk, cuda_sm_count_,
                                    decode_overrides(options_));
#else
  (void)batch, (void)capacity;
#endif
  return "";
}

int Model::decode_graph_kernels(int64_t batch) const {
#ifdef AIMICIUS_RUNTIME_CUDA_KERNELS
  const auto it = decode_graphs_.find(batch);
  if (it != decode_graphs_.end() && it->second) return it->second->graph.kernel_count();
#else
  (void)batch;
#endif
  return 0;
}

}  // namespace aimicius::runtime
