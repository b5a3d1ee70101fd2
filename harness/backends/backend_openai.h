// The `openai:` backend: any OpenAI-compatible HTTP API (OpenAI, Azure OpenAI, vLLM, SGLang, TGI,
// `aimicius serve`).
//
// Spec: openai:MODEL@BASE_URL[?key=value&...], e.g. openai:gpt-4o@https://api.openai.com/v1 or
// openai:sigma@http://127.0.0.1:8000/v1?api=completions. Options (values may use %XX escapes):
//   api=chat|completions   endpoint (default chat: BASE_URL/chat/completions)
//   key_env=NAME           environment variable holding the API key (default OPENAI_API_KEY, with
//                          azure=1 AZURE_OPENAI_API_KEY); unset is fine unless the server asks
//   system=TEXT            system prompt (chat) or text put before the prompt (completions)
//   azure=1&api_version=V  Azure deployments: BASE_URL/openai/deployments/MODEL/...?api-version=V,
//                          key in the api-key header
//   rpm=N, tpm=N           requests / tokens per minute (default: no limit); make_backend() puts a
//                          RateLimitedBackend around the backend for them (rate_limited_backend.h)
//   timeout_s=S            per-request limit in seconds (default 120)
//   retries=N              retries after the first attempt (default 4)
//   base_delay_ms=MS, max_delay_ms=MS   backoff (defaults 500, 30000)
//   price_in=USD, price_out=USD         USD per 1M prompt / completion tokens, for the run's cost
//
// Invariants:
// - The API key is read from the environment when the backend is built and goes only into a
//   request header: never into the spec, the content hash, the cache key, errors or the db (a
//   server's error text is stored with the key masked).
// - generate() sends the batch's requests one after another on the calling thread, so at most
//   --jobs requests are in flight; connections are reused per thread.
// - This backend only speaks HTTP: the response cache and the rate limits are wrappers around it
//   (caching_backend.h, rate_limited_backend.h). For the cache it keeps the key it has always had
//   (canonical_request: URL and request body) and stores the response body as received
//   (raw_response), so entries already in databases keep answering.
// - A request that fails after its retries is that example's error (naming example, URL, attempts,
//   last status and body excerpt), never an exception.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness/backends/backend.h"
#include "harness/backends/retry_policy.h"

namespace aimicius {

class HttpClient;

struct OpenAISpec {
  std::string model;
  std::string base_url;  // without a trailing '/'
  bool chat = true;
  std::string key_env = "OPENAI_API_KEY";
  std::string system;
  bool azure = false;
  std::string api_version;
  double rpm = 0, tpm = 0;  // read by make_backend() for the RateLimitedBackend around this one
  double timeout_s = 120;
  RetryPolicy retry;
  double price_in = 0, price_out = 0;  // USD per 1M tokens
  PromptStyle prompt_style;            // chat follows api=; fewshot=turns|inline (default: turns for chat)

  std::string endpoint_url() const;  // the URL requests go to (no credential in it)
};

// Throws InputError naming the spec for anything malformed or unknown.
OpenAISpec parse_openai_spec(const std::string& spec);

class OpenAIBackend final : public Backend {
 public:
  explicit OpenAIBackend(const std::string& spec);
  ~OpenAIBackend() override;

  std::string spec() const override { return spec_; }
  std::string content_hash() const override { return hash_; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override;

  PromptStyle prompt_style() const override { return parsed_.prompt_style; }

  // The JSON body sent for one prompt, or one request with its chat turns (public for tests of
  // the wire format).
  std::string request_body(const std::string& prompt, const GenerationParams& params) const;
  std::string request_body(const GenerationRequest& request, const GenerationParams& params) const;

  // The cache key's text: {"body": the request body, "url": the endpoint}.
  std::string canonical_request(const GenerationRequest& request, const GenerationParams& params) const override;
  // A stored response body read as when it came (every stop applied to its text).
  std::optional<GenerationResult> read_cache_entry(const std::string& entry,
                                                   const GenerationParams& params) const override;

 private:
  GenerationResult generate_one(const GenerationRequest& request, const GenerationParams& params);
  std::unique_ptr<HttpClient> take_client();
  void give_back(std::unique_ptr<HttpClient> client);

  std::string spec_;
  OpenAISpec parsed_;
  std::string url_;
  std::string hash_;
  std::string api_key_;  // may be empty
  std::mutex clients_mu_;
  std::vector<std::unique_ptr<HttpClient>> idle_clients_;  // one per concurrent caller, reused
  // An API that has never answered (no HTTP response at all: refused, unroutable, dropped) after
  // kUnansweredBeforeGivingUp requests spent their retries is not asked again by this backend: the
  // later requests fail at once as infrastructure errors (a run of 1,410 examples would otherwise
  // spend hours in retries and connect timeouts before saying the API is down). One response of
  // any status clears it for good.
  static constexpr int kUnansweredBeforeGivingUp = 8;
  std::atomic<bool> ever_answered_{false};
  std::atomic<int> unanswered_requests_{0};
};

}  // namespace aimicius
