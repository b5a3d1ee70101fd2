// Random decode-attention problems for the GPU tests: host float copies (for the references) and
// device bf16/fp16 copies (for the kernels) of the same values, with padded, non-contiguous strides
// so that the kernels' stride handling is exercised.
//
// Values are (nonzero integer) / 256 in [-255/256, 255/256]: exactly representable in both bf16 and
// fp16, so the reference sees exactly what the kernel reads. Each problem draws a fresh seed, kept
// in `seed` so that a failure can be replayed (see make_problem's seed argument).
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernels/attention_params.h"
#include "kernels/reference/attention_reference.h"
#include "kernels/reference/half_bits.h"

namespace aimicius::kernels::testing {

inline bool have_cuda_device() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

inline void cuda_ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

// Owns one device allocation.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes) cuda_ok(cudaMalloc(&ptr_, bytes), "cudaMalloc");
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr, o.bytes_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(ptr_, o.ptr_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  template <typename T>
  void upload(const std::vector<T>& host) {
    if (host.size() * sizeof(T) > bytes_) throw std::logic_error("upload larger than the buffer");
    cuda_ok(cudaMemcpy(ptr_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "upload");
  }
  template <typename T>
  std::vector<T> download(size_t count) const {
    std::vector<T> host(count);
    cuda_ok(cudaMemcpy(host.data(), ptr_, count * sizeof(T), cudaMemcpyDeviceToHost), "download");
    return host;
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// Elements a task in the host side's element-wise loops (drawing, converting, |V|).
constexpr size_t kHostChunk = size_t{1} << 20;

// fn(begin, end) over [0, n) in chunks of `grain`, on up to every hardware thread. A 32k-token
// problem is hundreds of millions of host values to draw, convert and run the float reference over,
// and that CPU work took about half of the GPU tests' (scarce) device time on one thread. The first
// exception a chunk throws is rethrown here once every thread has stopped.
template <typename Fn>
void parallel_chunks(size_t n, size_t grain, const Fn& fn) {
  const size_t chunks = (n + grain - 1) / grain;
  const size_t threads = std::min<size_t>(chunks, std::max(1u, std::thread::hardware_concurrency()));
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    try {
      for (size_t c; (c = next++) < chunks;) fn(c * grain, std::min(n, (c + 1) * grain));
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = chunks;  // the others stop at their next chunk
    }
  };
  std::vector<std::thread> pool;
  for (size_t i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

// The i-th value (from 0) of a problem's stream: SplitMix64's i-th output, which depends on the seed
// and i alone, so the stream can be drawn in chunks on several threads and stays replayable.
// Bits 8-63 give the magnitude 1..255 (the modulo's bias is below 2^-48), bit 0 the sign.
inline float problem_value(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  const int magnitude = 1 + static_cast<int>((z >> 8) % 255);
  return static_cast<float>((z & 1) ? magnitude : -magnitude) / 256.0f;
}

struct Shape {
  int n_q, n_k, n_v, d_k, d_v;
};

inline std::string shape_name(const Shape& s) {
  return "nq" + std::to_string(s.n_q) + "_nk" + std::to_string(s.n_k) + "_nv" + std::to_string(s.n_v) + "_dk" +
         std::to_string(s.d_k) + "_dv" + std::to_string(s.d_v);
}

struct Problem {
  uint32_t seed = 0;
  DecodeAttentionParams host;    // kF32, host float arrays
  DecodeAttentionParams device;  // bf16/fp16, device arrays
  std::vector<float> q, k, v, out;
  std::vector<int32_t> lens, slots, table;
  DeviceBuffer dq, dk, dv, dout, dlens, dslots, dtable;
  size_t out_elems = 0;
  // Full attention's float reference and its magnitude bound, laid out like `out`, worked
  // out once by full_attention_reference(): the host inputs do not change once make_problem (or
  // make_paged_problem) returns, and a 32k-token reference costs seconds of CPU a comparison.
  std::vector<float> want, magnitude;

  // The kernel's output as floats, laid out like `out`.
  std::vector<float> device_output() const {
    const std::vector<uint16_t> bits = dout.download<uint16_t>(out_elems);
    std::vector<float> f(bits.size());
    for (size_t i = 0; i < bits.size(); ++i)
      f[i] = device.dtype == DType::kBF16 ? reference::bf16_to_float(bits[i]) : reference::fp16_to_float(bits[i]);
    return f;
  }
};

// Batch of lens.size() sequences over a cache of `cache_slots` slots (sequence b reads slot
// slots[b], or b when slots is empty) of `capacity` tokens; every stride is padded by 8 elements.
inline void make_problem(Problem& pr, DType dtype, const Shape& s, std::vector<int32_t> lens,
                         std::vector<int32_t> slots, int cache_slots, int capacity, uint32_t seed = 0) {
  pr.seed = seed ? seed : std::random_device{}();
  // One stream of problem_value()s fills q, then K, then V: a 32k-token problem draws a few hundred
  // million, which mt19937 with two distributions took seconds of device time to draw.
  uint64_t drawn = 0;

  DecodeAttentionParams& p = pr.host;
  p = DecodeAttentionParams{};
  p.dtype = DType::kF32;
  p.batch = static_cast<int>(lens.size());
  p.n_q = s.n_q, p.n_k = s.n_k, p.n_v = s.n_v, p.d_k = s.d_k, p.d_v = s.d_v;
  p.scale = 2.0f / std::sqrt(static_cast<float>(s.d_k));  // peakier than 1/sqrt(d): tests the max shift
  constexpr int kPad = 8;
  p.q_head_stride = s.d_k + kPad;
  p.q_batch_stride = s.n_q * p.q_head_stride + kPad;
  p.k_head_stride = s.d_k + kPad;
  p.k_token_stride = s.n_k * p.k_head_stride + kPad;
  p.k_batch_stride = static_cast<int64_t>(capacity) * p.k_token_stride + kPad;
  p.v_head_stride = s.d_v + kPad;
  p.v_token_stride = s.n_v * p.v_head_stride + kPad;
  p.v_batch_stride = static_cast<int64_t>(capacity) * p.v_token_stride + kPad;
  p.out_head_stride = s.d_v + kPad;
  p.out_batch_stride = s.n_q * p.out_head_stride + kPad;

  auto fill = [&](std::vector<float>& a, size_t n) {
    a.resize(n);
    const uint64_t first = drawn;
    drawn += n;
    parallel_chunks(n, kHostChunk, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) a[i] = problem_value(pr.seed, first + i);
    });
  };
  fill(pr.q, static_cast<size_t>(p.batch) * p.q_batch_stride);
  fill(pr.k, static_cast<size_t>(cache_slots) * p.k_batch_stride);
  fill(pr.v, static_cast<size_t>(cache_slots) * p.v_batch_stride);
  pr.out_elems = static_cast<size_t>(p.batch) * p.out_batch_stride;
  pr.out.assign(pr.out_elems, 0.0f);
  pr.want.clear(), pr.magnitude.clear();
  pr.lens = std::move(lens);
  pr.slots = std::move(slots);
  p.q = pr.q.data(), p.k_cache = pr.k.data(), p.v_cache = pr.v.data(), p.out = pr.out.data();
  p.context_lens = pr.lens.data();
  p.cache_slots = pr.slots.empty() ? nullptr : pr.slots.data();

  auto to16 = [&](const std::vector<float>& a) {
    std::vector<uint16_t> b(a.size());
    parallel_chunks(a.size(), kHostChunk, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i)
        b[i] = dtype == DType::kBF16 ? reference::float_to_bf16(a[i]) : reference::float_to_fp16(a[i]);
    });
    return b;
  };
  pr.dq = DeviceBuffer(pr.q.size() * 2);
  pr.dq.upload(to16(pr.q));
  pr.dk = DeviceBuffer(pr.k.size() * 2);
  pr.dk.upload(to16(pr.k));
  pr.dv = DeviceBuffer(pr.v.size() * 2);
  pr.dv.upload(to16(pr.v));
  pr.dout = DeviceBuffer(pr.out_elems * 2);
  cuda_ok(cudaMemset(pr.dout.get(), 0xff, pr.out_elems * 2), "cudaMemset(out)");  // NaN-ish: unwritten shows
  pr.dlens = DeviceBuffer(pr.lens.size() * 4);
  pr.dlens.upload(pr.lens);
  if (!pr.slots.empty()) {
    pr.dslots = DeviceBuffer(pr.slots.size() * 4);
    pr.dslots.upload(pr.slots);
  }
  pr.device = p;
  pr.device.dtype = dtype;
  pr.device.q = pr.dq.get(), pr.device.k_cache = pr.dk.get(), pr.device.v_cache = pr.dv.get();
  pr.device.out = pr.dout.get();
  pr.device.context_lens = static_cast<const int32_t*>(pr.dlens.get());
  pr.device.cache_slots = pr.slots.empty() ? nullptr : static_cast<const int32_t*>(pr.dslots.get());
}

// A paged problem (kernels/attention_params.h): `cache_slots` slots of `pages_per_slot` pages of
// `page_tokens` tokens each, whose pages are a random permutation of the cache's pages (page
// strides padded like slot strides are), so that no slot's pages are in order or adjacent.
inline void make_paged_problem(Problem& pr, DType dtype, const Shape& s, std::vector<int32_t> lens,
                               std::vector<int32_t> slots, int cache_slots, int page_tokens, int pages_per_slot,
                               uint32_t seed = 0) {
  const int pages = cache_slots * pages_per_slot;
  make_problem(pr, dtype, s, std::move(lens), std::move(slots), pages, page_tokens, seed);
  pr.table.resize(pages);
  for (int i = 0; i < pages; ++i) pr.table[i] = i;
  std::mt19937 rng(pr.seed ^ 0x9e3779b9u);
  std::shuffle(pr.table.begin(), pr.table.end(), rng);
  pr.dtable = DeviceBuffer(pr.table.size() * 4);
  pr.dtable.upload(pr.table);
  for (DecodeAttentionParams* p : {&pr.host, &pr.device}) {
    p->block_table_stride = pages_per_slot;
    p->page_tokens = page_tokens;
  }
  pr.host.block_table = pr.table.data();
  pr.device.block_table = static_cast<const int32_t*>(pr.dtable.get());
  pr.want.clear(), pr.magnitude.clear();  // the table changes what the host params read
}

// pr.want: full attention's float reference (reference::decode_attention). pr.magnitude: the bound
// sum_i p_i |v_i| / l per output element, the attention of the same scores over |V|; an error of
// relative size e in each p_i (the tensor-core pass rounds p to the storage type before p x V, as
// FlashAttention does) moves an output by at most e times this. Both are worked out on first use,
// their (sequence, Q head) rows spread over threads; pr.out is left as scratch for other references.
inline void full_attention_reference(Problem& pr) {
  if (!pr.want.empty()) return;
  std::vector<float> abs_v(pr.v.size()), want(pr.out.size()), magnitude(pr.out.size());
  parallel_chunks(pr.v.size(), kHostChunk, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) abs_v[i] = std::abs(pr.v[i]);
  });
  DecodeAttentionParams p = pr.host, m = pr.host;
  p.out = want.data();
  m.v_cache = abs_v.data();
  m.out = magnitude.data();
  const size_t rows = static_cast<size_t>(p.batch) * p.n_q;
  parallel_chunks(2 * rows, 1, [&](size_t r, size_t) {
    reference::decode_attention_row(r < rows ? p : m, static_cast<int>(r % rows / p.n_q), static_cast<int>(r % p.n_q));
  });
  pr.magnitude = std::move(magnitude);
  pr.want = std::move(want);
}

// Element-wise check: |got - want| <= atol + rtol |want| (+ ptol * magnitude[i] when given). Returns
// the count and the largest violation over the valid outputs as a message, empty when all pass.
inline std::string compare_outputs(const Problem& pr, const std::vector<float>& got, const std::vector<float>& want,
                                   double rtol, double atol, const std::vector<float>* magnitude = nullptr,
                                   double ptol = 0.0) {
  const DecodeAttentionParams& p = pr.host;
  double worst = 0.0;
  std::string where;
  int bad = 0;
  for (int b = 0; b < p.batch; ++b)
    for (int h = 0; h < p.n_q; ++h)
      for (int d = 0; d < p.d_v; ++d) {
        const size_t i = b * p.out_batch_stride + h * p.out_head_stride + d;
        const double err = std::abs(static_cast<double>(got[i]) - want[i]);
        const double bound = atol + rtol * std::abs(want[i]) + (magnitude ? ptol * (*magnitude)[i] : 0.0);
        if (!(err <= bound)) {
          ++bad;
          if (!(err / bound <= worst)) {
            worst = err / bound;
            where = "b " + std::to_string(b) + " h " + std::to_string(h) + " d " + std::to_string(d) + ": got " +
                    std::to_string(got[i]) + " want " + std::to_string(want[i]);
          }
        }
      }
  if (!bad) return "";
  return std::to_string(bad) + " outputs out of bounds (seed " + std::to_string(pr.seed) + "), worst " + where;
}

// Relative bound for an fp32-accumulated output stored in `dtype` (a bit over one rounding).
inline double rtol_for(DType dtype) { return dtype == DType::kBF16 ? 1.0 / 128 : 1.0 / 512; }
// Bound on the relative error of p rounded to `dtype` (twice one rounding), for pr.magnitude.
inline double ptol_for(DType dtype) { return dtype == DType::kBF16 ? 1.0 / 256 : 1.0 / 1024; }
constexpr double kAtol = 2e-4;

}  // namespace aimicius::kernels::testing
