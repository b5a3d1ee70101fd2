// Requests-per-minute and tokens-per-minute limits for an API backend, shared by its worker
// threads. Each limit is a bucket that refills continuously at limit/60 per second and holds at
// most one second's worth (at least one request / one request's tokens): requests go out
// smoothly rather than in a burst at the start of each minute, which is how API servers enforce
// their per-minute limits.
//
// Invariants: reserve() never blocks and is thread-safe; the reservations it hands out are served
// in call order (a bucket may go into debt, and each later caller waits for the debt to clear), so
// over any interval T at most burst + limit * T / 60 units are granted. Time comes from an
// injectable clock, so tests count grants instead of sleeping. A limit <= 0 is off.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace aimicius {

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  RateLimiter(double requests_per_minute, double tokens_per_minute,
              Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Reserves one request of `tokens` (estimated) tokens; returns how long the caller must wait
  // before sending it (zero when it may go now).
  std::chrono::nanoseconds reserve(int64_t tokens);
  // reserve() and sleep until the request may go.
  void acquire(int64_t tokens);
  // After the response: gives back (or takes) the difference between the estimate and the
  // tokens the server reported.
  void settle(int64_t estimated_tokens, int64_t actual_tokens);

  bool enabled() const { return requests_.rate > 0 || tokens_.rate > 0; }

 private:
  struct Bucket {
    double rate = 0;       // units per second; 0: no limit
    double capacity = 0;   // most units held
    double available = 0;  // may go negative (debt)
  };
  void refill(Bucket& b, std::chrono::steady_clock::time_point now) const;

  Clock clock_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_;
  Bucket requests_;
  Bucket tokens_;
};

}  // namespace aimicius
