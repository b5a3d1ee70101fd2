#include "harness/serve/openai_protocol.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "common/utf8.h"
#include "runtime/tokenizer/chat_template.h"

namespace aimicius::serve {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& param, const std::string& message, int status = 400,
                       const std::string& code = "") {
  ApiError e;
  e.status = status;
  e.param = param;
  e.message = message;
  e.code = code;
  throw ApiException(std::move(e));
}

bool present(const json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && !it->is_null();
}

int64_t read_int(const json& body, const char* key, int64_t fallback, int64_t lo, int64_t hi) {
  if (!present(body, key)) return fallback;
  const json& v = body.at(key);
  if (!v.is_number_integer()) fail(key, fmt::format("'{}' must be an integer", key));
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi))
    fail(key, fmt::format("'{}' must be between {} and {}", key, lo, hi));
  const int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) fail(key, fmt::format("'{}' must be between {} and {}, got {}", key, lo, hi, x));
  return x;
}

double read_number(const json& body, const char* key, double fallback, double lo, double hi, bool lo_open) {
  if (!present(body, key)) return fallback;
  const json& v = body.at(key);
  if (!v.is_number()) fail(key, fmt::format("'{}' must be a number", key));
  const double x = v.get<double>();
  if (!std::isfinite(x) || x > hi || x < lo || (lo_open && x == lo))
    fail(key, fmt::format("'{}' must be in {}{}, {}], got {}", key, lo_open ? "(" : "[", lo, hi, x));
  return x;
}

bool read_bool(const json& body, const char* key, bool fallback) {
  if (!present(body, key)) return fallback;
  if (!body.at(key).is_boolean()) fail(key, fmt::format("'{}' must be a boolean", key));
  return body.at(key).get<bool>();
}

std::string read_string(const json& v, const std::string& param) {
  if (!v.is_string()) fail(param, fmt::format("'{}' must be a string", param));
  return v.get<std::string>();
}

// Parameters the server cannot honour: refused when set to anything but their neutral value, so a
// client never gets an answer computed without what it asked for.
void refuse_unsupported(const json& body) {
  for (const char* key : {"presence_penalty", "frequency_penalty"})
    if (present(body, key) && !(body.at(key).is_number() && body.at(key).get<double>() == 0.0))
      fail(key, fmt::format("'{}' is not supported by this server (only 0)", key));
  for (const char* key : {"logprobs", "echo"})
    if (present(body, key) && !(body.at(key).is_boolean() && !body.at(key).get<bool>()))
      fail(key, fmt::format("'{}' is not supported by this server", key));
  for (const char* key : {"top_logprobs", "suffix", "tools", "functions", "tool_choice", "function_call"})
    if (present(body, key)) fail(key, fmt::format("'{}' is not supported by this server", key));
  if (present(body, "logit_bias") && !(body.at("logit_bias").is_object() && body.at("logit_bias").empty()))
    fail("logit_bias", "'logit_bias' is not supported by this server");
  if (present(body, "response_format")) {
    const json& f = body.at("response_format");
    if (!(f.is_object() && f.value("type", "") == "text"))
      fail("response_format", "'response_format' is not supported by this server (only {\"type\": \"text\"})");
  }
  for (const char* key : {"n", "best_of"})
    if (present(body, key)) {
      if (!body.at(key).is_number_integer()) fail(key, fmt::format("'{}' must be an integer", key));
      if (body.at(key).get<int64_t>() != 1) fail(key, fmt::format("only {}=1 is supported by this server", key));
    }
}

std::vector<std::string> read_stop(const json& body) {
  if (!present(body, "stop")) return {};
  const json& v = body.at("stop");
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    if (v.size() > 4) fail("stop", fmt::format("'stop' holds at most 4 sequences, got {}", v.size()));
    for (size_t i = 0; i < v.size(); ++i) out.push_back(read_string(v[i], fmt::format("stop[{}]", i)));
  } else {
    fail("stop", "'stop' must be a string or an array of strings");
  }
  std::vector<std::string> kept;
  for (auto& s : out)
    if (!s.empty()) kept.push_back(std::move(s));  // an empty stop string would end every answer at once
  return kept;
}

std::vector<std::string> read_prompts(const json& body, const RequestLimits& limits) {
  if (!body.contains("prompt")) fail("prompt", "missing required field 'prompt'");
  const json& v = body.at("prompt");
  std::vector<std::string> prompts;
  if (v.is_string()) {
    prompts.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    if (v.empty()) fail("prompt", "'prompt' must not be an empty array");
    if (v.size() > limits.max_prompts)
      fail("prompt", fmt::format("'prompt' holds at most {} prompts, got {}", limits.max_prompts, v.size()));
    if (v[0].is_number_integer() || v[0].is_array())  // [1, 2, 3] or [[1, 2], [3]]
      fail("prompt", "'prompt' as token ids is not supported by this server: send text");
    for (size_t i = 0; i < v.size(); ++i) prompts.push_back(read_string(v[i], fmt::format("prompt[{}]", i)));
  } else {
    fail("prompt", "'prompt' must be a string or an array of strings");
  }
  for (size_t i = 0; i < prompts.size(); ++i)
    if (prompts[i].empty()) fail(v.is_array() ? fmt::format("prompt[{}]", i) : "prompt", "a prompt must not be empty");
  return prompts;
}

std::vector<ChatTurn> read_messages(const json& body) {
  if (!body.contains("messages")) fail("messages", "missing required field 'messages'");
  const json& v = body.at("messages");
  if (!v.is_array()) fail("messages", "'messages' must be an array");
  if (v.empty()) fail("messages", "'messages' must not be empty");
  std::vector<ChatTurn> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = fmt::format("messages[{}]", i);
    if (!v[i].is_object()) fail(at, fmt::format("'{}' must be an object", at));
    if (!v[i].contains("role")) fail(at + ".role", fmt::format("missing required field '{}.role'", at));
    std::string role = read_string(v[i].at("role"), at + ".role");
    if (role == "developer") role = "system";  // OpenAI's newer name for the system turn
    if (role != "system" && role != "user" && role != "assistant")
      fail(at + ".role", fmt::format("'{}.role' must be system, user or assistant, got '{}'", at, role));
    if (!v[i].contains("content") || v[i].at("content").is_null())
      fail(at + ".content", fmt::format("missing required field '{}.content'", at));
    const json& content = v[i].at("content");
    std::string text;
    if (content.is_string()) {
      text = content.get<std::string>();
    } else if (content.is_array()) {  // content parts: only text ones
      for (size_t k = 0; k < content.size(); ++k) {
        const std::string part = fmt::format("{}.content[{}]", at, k);
        if (!content[k].is_object() || content[k].value("type", "") != "text" || !content[k].contains("text"))
          fail(part, fmt::format("'{}' must be a text part {{\"type\": \"text\", \"text\": ...}}", part));
        text += read_string(content[k].at("text"), part + ".text");
      }
    } else {
      fail(at + ".content", fmt::format("'{}.content' must be a string or an array of text parts", at));
    }
    out.push_back({role, text});
  }
  return out;
}

json usage_json(int64_t prompt_tokens, int64_t completion_tokens) {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

json head(Endpoint endpoint, const std::string& id, int64_t created, const std::string& model, bool chunk) {
  const char* object = endpoint == Endpoint::kCompletions ? "text_completion"
                       : chunk                           ? "chat.completion.chunk"
                                                         : "chat.completion";
  return {{"id", id}, {"object", object}, {"created", created}, {"model", model}};
}

json finish_json(const std::string& reason) { return reason.empty() ? json(nullptr) : json(reason); }

}  // namespace

std::string error_body(const ApiError& e) {
  json err = {{"message", valid_utf8(e.message)},
              {"type", e.type},
              {"param", e.param.empty() ? json(nullptr) : json(e.param)},
              {"code", e.code.empty() ? json(nullptr) : json(e.code)}};
  return json{{"error", err}}.dump();
}

ParsedRequest parse_request(Endpoint endpoint, const std::string& text, const std::string& served_model,
                            const RequestLimits& limits) {
  json body;
  try {
    body = json::parse(text);
  } catch (const json::parse_error& e) {
    fail("", fmt::format("malformed JSON in the request body at byte {}: {}", e.byte, e.what()), 400, "invalid_json");
  } catch (const json::exception& e) {  // a number past double's range (1e999): the client's error too
    fail("", fmt::format("malformed JSON in the request body: {}", e.what()), 400, "invalid_json");
  }
  if (!body.is_object()) fail("", "the request body must be a JSON object");

  ParsedRequest r;
  r.endpoint = endpoint;
  if (!body.contains("model")) fail("model", "missing required field 'model'");
  r.model = read_string(body.at("model"), "model");
  if (r.model != served_model)
    fail("model", fmt::format("the model '{}' does not exist: this server serves '{}'", r.model, served_model), 404,
         "model_not_found");

  refuse_unsupported(body);
  const bool chat = endpoint == Endpoint::kChatCompletions;
  if (chat) {
    r.messages = read_messages(body);
    std::vector<runtime::ChatMessage> plain;
    for (const auto& m : r.messages) plain.push_back({m.role, m.content});
    r.prompts = {runtime::format_chat(runtime::ChatFormat::kPlain, plain, true)};
  } else {
    r.prompts = read_prompts(body, limits);
  }

  GenerationParams& p = r.params;
  const char* max_key = chat && present(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  p.max_new_tokens = read_int(body, max_key, chat ? limits.default_max_tokens_chat : limits.default_max_tokens_completion,
                              1, limits.max_tokens_limit);
  p.temperature = read_number(body, "temperature", 1.0, 0.0, 2.0, false);
  p.top_p = read_number(body, "top_p", 1.0, 0.0, 1.0, true);
  p.top_k = read_int(body, "top_k", 0, -1, 1 << 30);  // vLLM's extension; -1 and 0 mean off
  if (p.top_k < 0) p.top_k = 0;
  p.stop = read_stop(body);
  if (present(body, "seed")) {
    const json& s = body.at("seed");
    if (!s.is_number_integer()) fail("seed", "'seed' must be an integer");
    p.seed = s.is_number_unsigned() ? s.get<uint64_t>() : static_cast<uint64_t>(s.get<int64_t>());
    r.seeded = true;
  }
  r.stream = read_bool(body, "stream", false);
  if (present(body, "stream_options")) {
    const json& o = body.at("stream_options");
    if (!r.stream) fail("stream_options", "'stream_options' is only allowed when 'stream' is true");
    if (!o.is_object()) fail("stream_options", "'stream_options' must be an object");
    r.include_usage = read_bool(o, "include_usage", false);
  }
  if (present(body, "metadata")) {
    const json& m = body.at("metadata");
    if (!m.is_object()) fail("metadata", "'metadata' must be an object of strings");
    if (m.contains("suite")) r.suite = read_string(m.at("suite"), "metadata.suite");
    if (m.contains("example_id")) r.example_id = read_string(m.at("example_id"), "metadata.example_id");
  }
  return r;
}

std::string api_finish_reason(const GenerationResult& result) {
  return result.finish_reason == "length" ? "length" : "stop";
}

json completion_response(Endpoint endpoint, const std::string& id, int64_t created, const std::string& model,
                         const std::vector<GenerationResult>& results) {
  json out = head(endpoint, id, created, model, false);
  json choices = json::array();
  int64_t in = 0, gen = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const std::string text = valid_utf8(results[i].output);
    json c = {{"index", i}, {"logprobs", nullptr}, {"finish_reason", api_finish_reason(results[i])}};
    if (endpoint == Endpoint::kCompletions) c["text"] = text;
    else c["message"] = {{"role", "assistant"}, {"content", text}};
    choices.push_back(std::move(c));
    in += results[i].tokens_in;
    gen += results[i].tokens_out;
  }
  out["choices"] = std::move(choices);
  out["usage"] = usage_json(in, gen);
  return out;
}

json stream_chunk(Endpoint endpoint, const std::string& id, int64_t created, const std::string& model, size_t index,
                  const std::string& text, const std::string& finish_reason, bool role_chunk) {
  json out = head(endpoint, id, created, model, true);
  json c = {{"index", index}, {"logprobs", nullptr}, {"finish_reason", finish_json(finish_reason)}};
  if (endpoint == Endpoint::kCompletions) {
    c["text"] = valid_utf8(text);
  } else {
    json delta = json::object();
    if (role_chunk) delta["role"] = "assistant";
    if (role_chunk || !text.empty() || finish_reason.empty()) delta["content"] = valid_utf8(text);
    c["delta"] = std::move(delta);
  }
  out["choices"] = json::array({std::move(c)});
  return out;
}

json usage_chunk(Endpoint endpoint, const std::string& id, int64_t created, const std::string& model,
                 int64_t prompt_tokens, int64_t completion_tokens) {
  json out = head(endpoint, id, created, model, true);
  out["choices"] = json::array();
  out["usage"] = usage_json(prompt_tokens, completion_tokens);
  return out;
}

json models_response(const std::string& model, int64_t created) {
  return {{"object", "list"},
          {"data", json::array({{{"id", model}, {"object", "model"}, {"created", created}, {"owned_by", "aimicius"}}})}};
}

std::string sse_event(const json& payload) { return "data: " + payload.dump() + "\n\n"; }

}  // namespace aimicius::serve
