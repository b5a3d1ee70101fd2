// The CPU path's threads: a fixed pool that runs one job on all its threads at a time (the caller
// is thread 0), for the many short parallel steps of a decode (~150 per token at 135M parameters).
//
// Why not OpenMP: libgomp's idle threads spin for a long while (GOMP_SPINCOUNT, fixed when the
// library loads) before sleeping, so on a machine whose cores are busy with other processes a
// spinning thread holds the core its descheduled peer needs, and each of a token's ~300 barriers
// can cost a time slice (measured: decode 7 tokens/s with libgomp's default vs 37 with
// OMP_WAIT_POLICY=passive at load 9 on 2 cores; docs/PERFORMANCE.md). Here a waiting thread spins
// a bounded ~kSpin rounds, then yields (the caller) or sleeps on a condition variable (workers).
//
// Invariants: run() is called from one thread at a time (the model's lock serialises forwards);
// every job index in [0, size()) runs exactly once per run(), and run() returns after all have.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace aimicius::runtime::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads - 1 workers (at least 1 thread in all)
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // fn(i) for every i in [0, size()), i = 0 on the calling thread.
  void run(const std::function<void(int)>& fn);
  // fn(begin, end) over [0, n) in size() contiguous parts (serially when n <= serial_below).
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t serial_below = 0);

 private:
  void worker(int index);

  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace aimicius::runtime::cpu
