#include "harness/backends/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace aimicius {
namespace {

void configure(double per_minute, double min_capacity, double& rate, double& capacity, double& available) {
  if (per_minute <= 0) return;
  rate = per_minute / 60.0;
  capacity = std::max(min_capacity, rate);  // one second's worth, at least one unit
  available = capacity;
}

}  // namespace

RateLimiter::RateLimiter(double requests_per_minute, double tokens_per_minute, Clock clock)
    : clock_(std::move(clock)), last_(clock_()) {
  configure(requests_per_minute, 1.0, requests_.rate, requests_.capacity, requests_.available);
  configure(tokens_per_minute, 1.0, tokens_.rate, tokens_.capacity, tokens_.available);
}

void RateLimiter::refill(Bucket& b, std::chrono::steady_clock::time_point now) const {
  if (b.rate <= 0) return;
  const double seconds = std::chrono::duration<double>(now - last_).count();
  b.available = std::min(b.capacity, b.available + seconds * b.rate);
}

std::chrono::nanoseconds RateLimiter::reserve(int64_t tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_();
  refill(requests_, now);
  refill(tokens_, now);
  last_ = now;
  double wait_s = 0;
  if (requests_.rate > 0) {
    requests_.available -= 1;
    if (requests_.available < 0) wait_s = std::max(wait_s, -requests_.available / requests_.rate);
  }
  if (tokens_.rate > 0) {
    // A request larger than the bucket still goes once the bucket is full, and leaves a debt.
    tokens_.available -= static_cast<double>(std::max<int64_t>(0, tokens));
    const double debt = tokens_.available + std::max(0.0, static_cast<double>(tokens) - tokens_.capacity);
    if (debt < 0) wait_s = std::max(wait_s, -debt / tokens_.rate);
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(wait_s));
}

void RateLimiter::acquire(int64_t tokens) {
  const auto wait = reserve(tokens);
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

void RateLimiter::settle(int64_t estimated_tokens, int64_t actual_tokens) {
  if (tokens_.rate <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  tokens_.available = std::min(tokens_.capacity, tokens_.available + static_cast<double>(estimated_tokens - actual_tokens));
}

}  // namespace aimicius
