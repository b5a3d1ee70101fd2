// A Backend around another Backend: every method goes to the wrapped one unless the wrapper
// overrides it. The base of the behaviour wrappers (CachingBackend, RateLimitedBackend), so that a
// wrapper changes only what it is for and a stack of them still answers spec(), content_hash(),
// loglikelihood() and the cache's questions as the innermost backend does.
//
// Invariants: the wrapper owns the wrapped backend (never null); a wrapper is as thread-safe as
// the backend it wraps plus its own state, which each wrapper guards itself.
#pragma once

#include <memory>
#include <utility>

#include "harness/backends/backend.h"

namespace aimicius {

class BackendWrapper : public Backend {
 public:
  explicit BackendWrapper(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}

  std::string spec() const override { return inner_->spec(); }
  std::string content_hash() const override { return inner_->content_hash(); }
  bool is_oracle() const override { return inner_->is_oracle(); }
  int64_t requests_per_call(int64_t batch_size) const override { return inner_->requests_per_call(batch_size); }
  PromptStyle prompt_style() const override { return inner_->prompt_style(); }
  std::string engine() const override { return inner_->engine(); }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override {
    return inner_->generate(batch, params);
  }
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& batch) override {
    return inner_->loglikelihood(batch);
  }
  std::string canonical_request(const GenerationRequest& request, const GenerationParams& params) const override {
    return inner_->canonical_request(request, params);
  }
  std::string cache_entry(const GenerationResult& result) const override { return inner_->cache_entry(result); }
  std::optional<GenerationResult> read_cache_entry(const std::string& entry,
                                                   const GenerationParams& params) const override {
    return inner_->read_cache_entry(entry, params);
  }

  Backend& inner() const { return *inner_; }

 private:
  std::unique_ptr<Backend> inner_;
};

}  // namespace aimicius
