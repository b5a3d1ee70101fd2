#include "runtime/cpu/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AIMICIUS_CPU_RELAX() _mm_pause()
#else
#define AIMICIUS_CPU_RELAX() ((void)0)
#endif

namespace aimicius::runtime::cpu {
namespace {

// Spin rounds before a waiting thread yields or sleeps: a pause is ~40 ns on current x86, so this
// is tens of microseconds, about the serial work between two steps of a decode.
constexpr int kSpin = 1000;

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(1, threads); ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load() == seen && spins < kSpin) {
      AIMICIUS_CPU_RELAX();
      ++spins;
    }
    if (generation_.load() == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      sleepers_.fetch_sub(1);
    }
    seen = generation_.load();
    if (stop_) return;
    (*job_)(index);
    pending_.fetch_sub(1);
  }
}

void ThreadPool::run(const std::function<void(int)>& fn) {
  if (workers_.empty()) return fn(0);
  job_ = &fn;
  pending_.store(static_cast<int>(workers_.size()));
  generation_.fetch_add(1);  // seq_cst: a worker that has not seen it yet counts itself in sleepers_ first
  if (sleepers_.load() > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_.notify_all();
  }
  fn(0);
  for (int spins = 0; pending_.load() != 0; ++spins) {
    if (spins < kSpin) AIMICIUS_CPU_RELAX();
    else std::this_thread::yield();  // a worker may be waiting for this core
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t serial_below) {
  if (n <= 0) return;
  if (n <= serial_below || workers_.empty()) return fn(0, n);
  const int64_t parts = size();
  run([&](int i) {
    const int64_t begin = n * i / parts, end = n * (i + 1) / parts;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace aimicius::runtime::cpu
