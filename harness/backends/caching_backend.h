// The response cache as a wrapper around any Backend: a request whose answer the store's api_cache
// holds is answered from it, and every successful answer of the wrapped backend is put there.
//
// The key is sha256 of the wrapped backend's canonical_request() (backend.h): by default its spec,
// content hash, the request and every generation parameter; the openai: backend keeps the key it
// has always had (URL and request body), so caches already in databases keep answering.
//
// Invariants:
// - A hit makes no call to the wrapped backend, is marked cached, costs 0 and reads back the
//   result the wrapped backend gave (its read_cache_entry()); an unreadable entry is a miss and is
//   replaced.
// - Only results without an error are stored; generation streams (on_text) only for misses.
// - Requests of a batch that are one request (same key) are asked once: the later ones are
//   answered as hits once the first has its answer (as if they had come one after another), and
//   are asked themselves only if it failed.
// - Results come back one per request, in request order; generate() is as thread-safe as the
//   wrapped backend (the cache serialises its own statements).
#pragma once

#include <memory>

#include "harness/backends/backend_wrapper.h"

namespace aimicius {

class ResponseCache;

class CachingBackend final : public BackendWrapper {
 public:
  CachingBackend(std::unique_ptr<Backend> inner, std::shared_ptr<ResponseCache> cache);

  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override;

 private:
  std::shared_ptr<ResponseCache> cache_;
};

}  // namespace aimicius
