// The OpenAI HTTP API as `aimicius serve` speaks it: request parsing and validation, and the JSON
// of responses, stream chunks and errors. Pure functions (no sockets, no backend), so every case is
// unit-testable.
//
// Invariants: a parser either returns a complete ParsedRequest or throws ApiException whose error
// names the offending field (`param`) and carries the HTTP status to answer with; fields the
// server cannot honour are refused (400), never silently ignored. Text put into JSON is first
// made valid UTF-8 (valid_utf8 of common/utf8.h: each ill-formed part becomes U+FFFD), so a model's
// raw bytes can never make a response unserialisable, and a text split between stream chunks at
// character boundaries reads back as the same text.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/backends/backend.h"

namespace aimicius::serve {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // "" is sent as null
  std::string code;   // "" is sent as null
};

class ApiException : public std::runtime_error {
 public:
  explicit ApiException(ApiError error) : std::runtime_error(error.message), error_(std::move(error)) {}
  const ApiError& error() const { return error_; }

 private:
  ApiError error_;
};

// {"error": {"message", "type", "param", "code"}}
std::string error_body(const ApiError& error);

enum class Endpoint { kCompletions, kChatCompletions };

// Limits a request is checked against (the server's options).
struct RequestLimits {
  int64_t default_max_tokens_completion = 16;  // OpenAI's default for /v1/completions
  int64_t default_max_tokens_chat = 256;       // OpenAI's is "up to the context"; a bounded one here
  int64_t max_tokens_limit = 32768;
  size_t max_prompts = 64;                     // prompts of one /v1/completions request
};

struct ParsedRequest {
  Endpoint endpoint = Endpoint::kCompletions;
  std::string model;
  // One per choice: completions' prompt(s), or chat's one conversation in plain "role: content"
  // lines (what backends without a chat format answer).
  std::vector<std::string> prompts;
  std::vector<ChatTurn> messages;  // chat only
  GenerationParams params;         // seed 0 when the request gave none
  bool seeded = false;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage: a last chunk with the usage
  // metadata.suite / metadata.example_id when given (strings): what a replay backend looks up.
  std::string suite;
  std::string example_id;
};

// Parses a request body for `endpoint`; `served_model` is the only model id accepted (404
// otherwise). Throws ApiException.
ParsedRequest parse_request(Endpoint endpoint, const std::string& body, const std::string& served_model,
                            const RequestLimits& limits = {});

// "stop" or "length" for a backend's finish reason ("" means the backend does not know: "stop").
std::string api_finish_reason(const GenerationResult& result);

// The whole (non-streamed) response: one choice per result, in order, and the summed usage.
nlohmann::json completion_response(Endpoint endpoint, const std::string& id, int64_t created, const std::string& model,
                                   const std::vector<GenerationResult>& results);

// One stream chunk of choice `index`: `text` as the new text (chat: delta.content), and
// finish_reason ("" = null). `role_chunk` (chat only): the opening delta {"role": "assistant"}.
nlohmann::json stream_chunk(Endpoint endpoint, const std::string& id, int64_t created, const std::string& model,
                            size_t index, const std::string& text, const std::string& finish_reason,
                            bool role_chunk = false);

// The last chunk of a stream asked for with stream_options.include_usage: no choices, the usage.
nlohmann::json usage_chunk(Endpoint endpoint, const std::string& id, int64_t created, const std::string& model,
                           int64_t prompt_tokens, int64_t completion_tokens);

// GET /v1/models
nlohmann::json models_response(const std::string& model, int64_t created);

// "data: JSON\n\n" (Server-Sent Events), and the stream's end "data: [DONE]\n\n".
std::string sse_event(const nlohmann::json& payload);
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

}  // namespace aimicius::serve
