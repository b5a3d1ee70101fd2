#include "harness/backends/caching_backend.h"

#include <chrono>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "common/sha256.h"
#include "harness/store/response_cache.h"

namespace aimicius {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

CachingBackend::CachingBackend(std::unique_ptr<Backend> inner, std::shared_ptr<ResponseCache> cache)
    : BackendWrapper(std::move(inner)), cache_(std::move(cache)) {
  if (!cache_) throw std::invalid_argument("CachingBackend needs a response cache");
}

std::vector<GenerationResult> CachingBackend::generate(const std::vector<GenerationRequest>& batch,
                                                       const GenerationParams& params) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<GenerationResult> out(batch.size());
  std::vector<std::string> keys(batch.size());
  // A stored entry as the answer to request i; false when it cannot be read.
  auto answer_from = [&](size_t i, const std::string& entry) {
    std::optional<GenerationResult> r = read_cache_entry(entry, params);
    if (!r) return false;
    r->cached = true;
    r->cost_usd = 0.0;
    r->latency_ms = ms_since(start);
    out[i] = std::move(*r);
    return true;
  };

  std::vector<size_t> pending;
  for (size_t i = 0; i < batch.size(); ++i) {
    keys[i] = sha256_hex(canonical_request(batch[i], params));
    const auto hit = cache_->lookup(keys[i]);
    if (!hit || !answer_from(i, *hit)) pending.push_back(i);
  }

  // Each round asks the first request of every key still pending, as one batch; a success
  // answers that key's later requests from the cache, a failure leaves them for the next round.
  while (!pending.empty()) {
    std::vector<size_t> ask, wait;
    std::map<std::string, size_t> asked;  // key -> index asked this round
    for (size_t i : pending) (asked.emplace(keys[i], i).second ? ask : wait).push_back(i);
    std::vector<GenerationRequest> requests;
    for (size_t i : ask) requests.push_back(batch[i]);
    GenerationParams call = params;
    if (params.on_text)
      call.on_text = [&](size_t j, const std::string& piece) { params.on_text(ask[j], piece); };
    if (params.on_result)
      call.on_result = [&](size_t j, const GenerationResult& r) { params.on_result(ask[j], r); };
    std::vector<GenerationResult> results = inner().generate(requests, call);
    if (results.size() != requests.size())
      throw std::runtime_error(fmt::format("backend {} returned {} results for {} requests", spec(), results.size(),
                                           requests.size()));
    std::map<std::string, std::string> stored;  // key -> entry put this round
    for (size_t j = 0; j < ask.size(); ++j) {
      if (!results[j].error) {
        std::string entry = cache_entry(results[j]);
        cache_->put(keys[ask[j]], entry);
        stored.emplace(keys[ask[j]], std::move(entry));
      }
      out[ask[j]] = std::move(results[j]);
    }
    pending.clear();
    for (size_t i : wait) {
      const auto it = stored.find(keys[i]);
      if (it == stored.end() || !answer_from(i, it->second)) pending.push_back(i);
    }
  }
  return out;
}

}  // namespace aimicius
