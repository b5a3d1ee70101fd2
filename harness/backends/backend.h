// Model backends: batch of prompts in, raw outputs out. The harness never looks inside a backend
// and suites never know which backend answered.
//
// Invariants: generate() returns exactly one result per request, in request order. A problem with
// one example (a missing replay line, an API error after retries) is that result's `error`, not an
// exception: the run stores it and goes on. Exceptions mean the backend itself is unusable.
// generate() may be called from several worker threads at once (--jobs).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tasks/suite.h"

namespace aimicius {

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
};

// One turn of a chat conversation (role "system", "user" or "assistant").
struct ChatTurn {
  std::string role;
  std::string content;
};

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
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double latency_ms = 0.0;
  bool cached = false;    // answered from the response cache: no request was made
  double cost_usd = 0.0;  // what the request cost (API backends with prices; 0 when cached)
  // "stop" (end of sequence or a stop string), "length" (max_new_tokens reached), or "" when the
  // backend does not know (replay, oracle).
  std::string finish_reason = {};
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string spec() const = 0;          // as the user wrote it, e.g. "replay:gpt4.jsonl"
  virtual std::string content_hash() const = 0;  // identifies what answers (file or weights hash)
  virtual bool is_oracle() const { return false; }
  virtual std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                                 const GenerationParams& params) = 0;
};

// What a backend may use besides its spec.
struct BackendOptions {
  std::string cache_db;  // database whose api_cache API backends use; empty: no response cache
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
