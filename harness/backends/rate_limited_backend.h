// Requests-per-minute and tokens-per-minute limits as a wrapper around any Backend (the limiter
// itself is rate_limiter.h). make_backend() puts it around an openai: backend whose spec says
// rpm= or tpm=, inside the response cache, so that answers from the cache cost no budget.
//
// Invariants:
// - Each request waits for its own reservation and then goes to the wrapped backend alone, in
//   batch order, on the calling thread: requests are paced one by one, as API servers count them
//   (a backend that batches loses its batching under a limit).
// - A request's tokens are estimated before it goes (prompt bytes / 4 + max_new_tokens) and
//   settled against the tokens the backend reports once it succeeds; a failed request keeps its
//   estimate. Retries inside the wrapped backend are not reserved again: the backend's own
//   backoff (and a server's Retry-After) paces them.
// - latency_ms includes the time the request waited for its reservation.
// - Thread-safe: the limiter is shared by every worker thread (--jobs) and guards itself.
#pragma once

#include <memory>

#include "harness/backends/backend_wrapper.h"
#include "harness/backends/rate_limiter.h"

namespace aimicius {

class RateLimitedBackend final : public BackendWrapper {
 public:
  // A limit <= 0 is off.
  RateLimitedBackend(std::unique_ptr<Backend> inner, double requests_per_minute, double tokens_per_minute);

  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override;

 private:
  RateLimiter limiter_;
};

}  // namespace aimicius
