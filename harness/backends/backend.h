// Model backends: batch of prompts in, raw outputs out (generate), or batch of (prompt,
// continuation) pairs in, log-likelihoods out (loglikelihood). The harness never looks inside a
// backend and suites never know which backend answered.
//
// Invariants: generate() and loglikelihood() return exactly one result per request, in request
// order. A problem with one example (a missing replay line, an API error after retries, a prompt
// longer than the context) is that result's `error`, not an exception: the run stores it and goes
// on. Exceptions mean the backend itself is unusable. generate() may be called from several worker
// threads at once (--jobs).
//
// Response caching and rate limits are not part of any backend: they are wrappers around any
// Backend (caching_backend.h, rate_limited_backend.h) that make_backend() puts around the ones that
// need them. A wrapped backend takes part in caching only through canonical_request(),
// cache_entry() and read_cache_entry() below, whose defaults suit every backend.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tasks/suite.h"

namespace aimicius {

struct GenerationResult;  // below

struct GenerationParams {
  int64_t max_new_tokens = 256;
  double temperature = 0.0;  // 0: greedy
  int64_t top_k = 0;         // 0: off
  double top_p = 1.0;        // 1: off
  uint64_t seed = 0;
  std::vector<std::string> stop;  // the suite's stop sequences
  // Streaming (`aimicius serve`): when set, a backend that can stream calls it with each new piece
  // of request i's output, in order, from the thread running generate(). The pieces concatenate to a
  // prefix of that result's `output` (never text a stop string later cuts); the rest of the output
  // arrives with the result. Backends that cannot stream never call it.
  std::function<void(size_t index, const std::string& piece)> on_text;
  // Sequences a batching backend (local:) keeps in flight at once, refilling a slot as soon as its
  // sequence ends; 0: the backend's own choice. The runner sets it to --batch-size and hands such a
  // backend more requests per call (Backend::requests_per_call).
  int64_t max_active = 0;
  // When set, a backend whose requests finish at different times calls it once per request with
  // that request's final result as soon as it is done, from the thread running generate() (before
  // generate() returns, which still returns every result). The runner scores and stores each
  // example from it, so a long call keeps the GPU busy while finished examples are judged, and a
  // killed run loses only the examples still in flight. A backend may deliver none this way; it
  // must not deliver a result that differs from the one it returns.
  std::function<void(size_t index, const GenerationResult& result)> on_result;
};

// Throws InputError naming the option when a parameter is out of range: max_new_tokens >= 1,
// temperature finite and >= 0, top_k >= 0, top_p in (0, 1]. (NaN passes every comparison: it is
// checked as not finite.)
void check_generation_params(const GenerationParams& params);

// How a backend wants its prompts: as one text, or as a chat conversation (the model's chat
// template renders it), and then with the few-shot examples inline in the one user turn or as
// user/assistant turns (tasks/chat_turns.h). Chosen by the model spec; the run records it.
struct PromptStyle {
  bool chat = false;
  FewshotLayout fewshot = FewshotLayout::kInline;
};

// The style of a spec whose model is chat (`chat`) or not, with its fewshot= option's value ("":
// not given, so turns for chat and inline otherwise). Throws InputError naming the spec for a value
// other than turns or inline, and for turns without chat (a plain-text model has no turns).
PromptStyle make_prompt_style(const std::string& spec, bool chat, const std::string& fewshot);

struct GenerationRequest {
  std::string suite;
  std::string example_id;
  std::string prompt;
  // Non-empty: a chat conversation. Backends with a chat format (local: the checkpoint's template)
  // render it themselves; others answer `prompt`, which then holds a plain rendering of it.
  std::vector<ChatTurn> messages = {};
};

struct GenerationResult {
  std::string output;
  std::optional<std::string> error;
  // The error is that the prompt (with the generation budget) exceeds the model's context: a bad
  // request, not a server failure (`serve` answers it with 400 context_length_exceeded).
  bool context_exceeded = false;
  // The error is that the request cannot be served as sent (the model's chat template refused its
  // conversation: a system turn the family has none of): `serve` answers 400, not 500.
  bool invalid_request = false;
  // The error is the service's or the machine's failure, not the model's answer (an API that
  // failed after all its retries): the runner stores the example as infra_error (not judged,
  // retried by `run --resume --retry-errors`) instead of scoring an empty answer.
  bool infra_error = false;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double latency_ms = 0.0;
  bool cached = false;    // answered from the response cache: no request was made
  double cost_usd = 0.0;  // what the request cost (API backends with prices; 0 when cached)
  // "stop" (end of sequence or a stop string), "length" (max_new_tokens reached), or "" when the
  // backend does not know (replay, oracle).
  std::string finish_reason = {};
  // The answer as the backend received it, when it has such a form (an API's response body): what
  // the response cache stores for it (see Backend::cache_entry). Empty for the others.
  std::string raw_response = {};
};

// One log-likelihood request: how likely the model finds `continuation` right after `prompt`, as
// lm-evaluation-harness' loglikelihood requests. suite and example_id name it in errors.
struct LoglikelihoodRequest {
  std::string suite;
  std::string example_id;
  std::string prompt;
  std::string continuation;
};

struct LoglikelihoodResult {
  double nll = 0.0;           // -sum log p over the continuation's tokens, in nats
  int64_t tokens = 0;         // the continuation's tokens
  int64_t prompt_tokens = 0;  // the prompt's tokens (with a begin-of-text token when the model adds one)
  std::optional<std::string> error;  // set: not scored (e.g. longer than the context); nll means nothing
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string spec() const = 0;          // as the user wrote it, e.g. "replay:gpt4.jsonl"
  virtual std::string content_hash() const = 0;  // identifies what answers (file or weights hash)
  virtual bool is_oracle() const { return false; }
  // How many requests the runner hands over per generate() call for a --batch-size of
  // `batch_size`. Default: batch_size. A backend that batches itself (local: continuous batching
  // with GenerationParams::max_active sequences in flight) asks for more, so that a finished
  // sequence's slot is refilled at once instead of waiting for the slowest of its batch.
  virtual int64_t requests_per_call(int64_t batch_size) const { return batch_size; }
  // How the runner builds this backend's prompts (default: plain text, few-shot inline).
  virtual PromptStyle prompt_style() const { return {}; }
  // What computes the answers where it changes them in the last bits with the same weights and
  // prompts: a local GGUF model's CPU kernel build (e.g. "cpu avx512-amx": each build sums in its
  // own float order, which can flip a small model's greedy answers, docs/PERFORMANCE.md). Recorded
  // with the run (config "engine"), so that runs of one checkpoint on two machines can be told
  // apart. Empty (the default) where nothing of the kind applies.
  virtual std::string engine() const { return ""; }
  virtual std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                                 const GenerationParams& params) = 0;
  // The log-likelihood of each continuation after its prompt. Default: every result is the error
  // "this backend cannot score continuations" (no log-probabilities to read); local: implements it.
  virtual std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& batch);

  // --- response caching (CachingBackend) ---
  // The canonical text of a request: everything that decides its answer and never a credential;
  // the cache key is its sha256. Default: JSON of spec, content hash, suite, example id, prompt,
  // chat messages and every generation parameter (replay and oracle answer by example, and local:
  // derives each example's sampling seed from it, so the example belongs to the request).
  virtual std::string canonical_request(const GenerationRequest& request, const GenerationParams& params) const;
  // What the cache stores for a successful result: its raw_response when it has one, else the
  // result's fields as JSON. A backend that sets raw_response reads it back in read_cache_entry.
  virtual std::string cache_entry(const GenerationResult& result) const;
  // A stored entry back into the result it was made from (cached, latency and cost are the
  // cache's to set); nullopt when the entry cannot be read (the cache then asks again and
  // replaces it). Default: reads what the default cache_entry writes.
  virtual std::optional<GenerationResult> read_cache_entry(const std::string& entry,
                                                           const GenerationParams& params) const;
};

// What a backend may use besides its spec.
struct BackendOptions {
  std::string cache_db;  // database whose api_cache API backends use; empty: no response cache
  // The data folder of the run: a replay file's lines are checked against its suites and examples
  // (ReplayBackend::check_keys). Empty: not checked (serve, generate).
  std::filesystem::path data_dir;
  // The run's --limit (the first this many examples of each suite are asked for): a replay file
  // must answer at least one of those (ReplayBackend::check_keys).
  std::optional<int64_t> limit;
};

// Parses a model spec ("oracle", "replay:FILE.jsonl", "local:DIR?device=cuda&dtype=bf16",
// "openai:MODEL@URL?...") and builds its backend. The suites are
// given so that the oracle can answer with references. Throws InputError for an unknown or
// malformed spec, naming the spec and the kinds that exist.
std::unique_ptr<Backend> make_backend(const std::string& spec, const std::vector<LoadedSuite>& suites,
                                      const BackendOptions& options = {});

// One line per backend kind, for `aimicius list models`.
std::vector<std::pair<std::string, std::string>> backend_kinds();

}  // namespace aimicius
