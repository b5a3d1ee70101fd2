#include "harness/backends/rate_limited_backend.h"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

namespace aimicius {

RateLimitedBackend::RateLimitedBackend(std::unique_ptr<Backend> inner, double requests_per_minute,
                                       double tokens_per_minute)
    : BackendWrapper(std::move(inner)), limiter_(requests_per_minute, tokens_per_minute) {}

std::vector<GenerationResult> RateLimitedBackend::generate(const std::vector<GenerationRequest>& batch,
                                                           const GenerationParams& params) {
  std::vector<GenerationResult> out;
  out.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    // The server counts what it reads and may write; prompt bytes / 4 is the usual token estimate.
    const int64_t estimated_tokens = static_cast<int64_t>(batch[i].prompt.size() / 4) + params.max_new_tokens;
    limiter_.acquire(estimated_tokens);
    const double waited_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    GenerationParams call = params;
    if (params.on_text) call.on_text = [&](size_t, const std::string& piece) { params.on_text(i, piece); };
    call.on_result = nullptr;  // the result is final only after the wait is added to its latency (below)
    std::vector<GenerationResult> one = inner().generate({batch[i]}, call);
    if (one.size() != 1)
      throw std::runtime_error(fmt::format("backend {} returned {} results for 1 request", spec(), one.size()));
    GenerationResult& r = one[0];
    if (!r.error) limiter_.settle(estimated_tokens, r.tokens_in + r.tokens_out);
    r.latency_ms += waited_ms;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace aimicius
