#include "harness/backends/backend_openai.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/sha256.h"
#include "harness/backends/http_client.h"
#include "harness/backends/spec_query.h"

namespace aimicius {
namespace {

using Json = nlohmann::json;

// OpenAI accepts at most four stop sequences; the rest are applied here, to the text.
constexpr size_t kMaxServerStops = 4;

std::string excerpt(const std::string& text, const std::string& secret) {
  std::string out = text.substr(0, 300);
  if (!secret.empty())
    for (size_t pos; (pos = out.find(secret)) != std::string::npos;) out.replace(pos, secret.size(), "***");
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return text.size() > 300 ? out + "..." : out;
}

std::string cut_at_stops(std::string text, const std::vector<std::string>& stops) {
  size_t cut = text.size();
  for (const auto& s : stops)
    if (!s.empty()) cut = std::min(cut, text.find(s));
  text.resize(cut);
  return text;
}

struct ParsedAnswer {
  std::string text;
  int64_t tokens_in = 0, tokens_out = 0;
};

// A token count of the response's "usage": a count is an integer in [0, 10^12]; anything else (a
// string, a fraction, 1e30, -5, 10^19) counts 0 rather than throwing nlohmann's type_error out of
// generate(), casting an out-of-range double (found writing fuzz/openai_response_fuzz.cpp) or
// storing a number whose sums overflow (no request has a trillion tokens).
int64_t usage_count(const Json& usage, const char* key) {
  constexpr uint64_t kMostTokens = 1'000'000'000'000;
  const auto it = usage.find(key);
  if (it == usage.end() || !it->is_number_integer()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>() <= kMostTokens ? static_cast<int64_t>(it->get<uint64_t>()) : 0;
  const int64_t n = it->get<int64_t>();
  return n >= 0 && static_cast<uint64_t>(n) <= kMostTokens ? n : 0;
}

// The answer in a response body; nullopt (with `why`) when it is not the JSON the API promises.
std::optional<ParsedAnswer> parse_answer(const std::string& body, bool chat, std::string& why) {
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    why = "response is not a JSON object";
    return std::nullopt;
  }
  if (j.contains("error")) {
    why = "response holds an error object";  // shown in the (masked) body excerpt
    return std::nullopt;
  }
  const auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    why = "response has no choices";
    return std::nullopt;
  }
  const Json& c = (*choices)[0];
  ParsedAnswer out;
  if (chat) {
    const auto m = c.find("message");
    if (m == c.end() || !m->is_object() || !m->contains("content")) {
      why = "choice has no message.content";
      return std::nullopt;
    }
    const Json& content = (*m)["content"];
    if (content.is_string()) out.text = content.get<std::string>();
    else if (!content.is_null()) {
      why = "message.content is not a string";
      return std::nullopt;
    }
  } else {
    const auto t = c.find("text");
    if (t == c.end() || !t->is_string()) {
      why = "choice has no text";
      return std::nullopt;
    }
    out.text = t->get<std::string>();
  }
  if (const auto u = j.find("usage"); u != j.end() && u->is_object()) {
    out.tokens_in = usage_count(*u, "prompt_tokens");
    out.tokens_out = usage_count(*u, "completion_tokens");
  }
  return out;
}

// The body for a prompt, or for chat turns when the request has them (few-shot as turns): the
// spec's system= text then opens the system turn. A request without turns gives the body it
// always gave (the response cache's keys depend on it).
Json build_request(const OpenAISpec& spec, const GenerationRequest& request, const GenerationParams& params) {
  const std::string& prompt = request.prompt;
  Json body = {{"model", spec.model},
               {"temperature", params.temperature},
               {"top_p", params.top_p},
               {"max_tokens", params.max_new_tokens},
               {"seed", params.seed}};
  if (spec.chat && !request.messages.empty()) {
    Json messages = Json::array();
    bool system_said = spec.system.empty();
    for (const auto& turn : request.messages) {
      std::string content = turn.content;
      if (!system_said && turn.role == "system") content = spec.system + "\n\n" + content;
      else if (!system_said) messages.push_back({{"role", "system"}, {"content", spec.system}});
      system_said = true;
      messages.push_back({{"role", turn.role}, {"content", std::move(content)}});
    }
    body["messages"] = std::move(messages);
  } else if (spec.chat) {
    Json messages = Json::array();
    if (!spec.system.empty()) messages.push_back({{"role", "system"}, {"content", spec.system}});
    messages.push_back({{"role", "user"}, {"content", prompt}});
    body["messages"] = std::move(messages);
  } else {
    body["prompt"] = spec.system.empty() ? prompt : spec.system + "\n\n" + prompt;
  }
  if (!params.stop.empty()) {
    const size_t n = std::min(kMaxServerStops, params.stop.size());
    body["stop"] = std::vector<std::string>(params.stop.begin(), params.stop.begin() + n);
  }
  return body;
}

uint64_t jitter_bits(const GenerationRequest& r, int attempt) {
  return std::stoull(sha256_hex(fmt::format("{}/{}/{}", r.suite, r.example_id, attempt)).substr(0, 16), nullptr, 16);
}

}  // namespace

std::string OpenAISpec::endpoint_url() const {
  const char* path = chat ? "chat/completions" : "completions";
  if (azure) return fmt::format("{}/openai/deployments/{}/{}?api-version={}", base_url, model, path, api_version);
  return fmt::format("{}/{}", base_url, path);
}

OpenAISpec parse_openai_spec(const std::string& spec) {
  const std::string prefix = "openai:";
  const SpecParts parts = split_spec_options(spec, spec.substr(prefix.size()));
  OpenAISpec out;
  const auto at = parts.base.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == parts.base.size())
    throw InputError(fmt::format("model spec \"{}\" needs a model and a URL: openai:MODEL@BASE_URL "
                                 "(e.g. openai:gpt-4o@https://api.openai.com/v1)",
                                 spec));
  out.model = parts.base.substr(0, at);
  out.base_url = parts.base.substr(at + 1);
  while (!out.base_url.empty() && out.base_url.back() == '/') out.base_url.pop_back();
  if (out.base_url.rfind("http://", 0) != 0 && out.base_url.rfind("https://", 0) != 0)
    throw InputError(fmt::format("model spec \"{}\": the URL must start with http:// or https://", spec));
  if (out.base_url.find('@') != std::string::npos)
    throw InputError(fmt::format("model spec \"{}\": no credentials in the URL (the spec is stored with the "
                                 "run); put the key in an environment variable named by key_env=",
                                 spec));
  bool key_env_given = false;
  std::string fewshot;  // "" until given: the default follows api
  for (const auto& [key, value] : parts.options) {
    if (key == "api") {
      if (value != "chat" && value != "completions")
        throw InputError(fmt::format("model spec \"{}\": api must be chat or completions", spec));
      out.chat = value == "chat";
    } else if (key == "key_env") {
      out.key_env = value;
      key_env_given = true;
    } else if (key == "system") out.system = value;
    else if (key == "azure") out.azure = spec_bool(spec, key, value);
    else if (key == "api_version") out.api_version = value;
    else if (key == "rpm") out.rpm = spec_double(spec, key, value);
    else if (key == "tpm") out.tpm = spec_double(spec, key, value);
    else if (key == "timeout_s") out.timeout_s = spec_double(spec, key, value);
    else if (key == "retries") out.retry.max_retries = static_cast<int>(spec_int(spec, key, value));
    else if (key == "base_delay_ms") out.retry.base_delay_ms = spec_double(spec, key, value);
    else if (key == "max_delay_ms") out.retry.max_delay_ms = spec_double(spec, key, value);
    else if (key == "price_in") out.price_in = spec_double(spec, key, value);
    else if (key == "price_out") out.price_out = spec_double(spec, key, value);
    else if (key == "fewshot") fewshot = value;
    else
      throw InputError(fmt::format("model spec \"{}\": unknown option \"{}\" (api, key_env, system, azure, "
                                   "api_version, rpm, tpm, timeout_s, retries, base_delay_ms, max_delay_ms, "
                                   "price_in, price_out, fewshot)",
                                   spec, key));
  }
  out.prompt_style = make_prompt_style(spec, out.chat, fewshot);
  if (out.azure && out.api_version.empty())
    throw InputError(fmt::format("model spec \"{}\": azure=1 needs api_version=... (e.g. 2024-06-01)", spec));
  if (out.azure && !key_env_given) out.key_env = "AZURE_OPENAI_API_KEY";
  if (out.timeout_s <= 0) throw InputError(fmt::format("model spec \"{}\": timeout_s must be positive", spec));
  if (out.retry.max_retries < 0) throw InputError(fmt::format("model spec \"{}\": retries must be >= 0", spec));
  if (out.rpm < 0 || out.tpm < 0 || out.price_in < 0 || out.price_out < 0 || out.retry.base_delay_ms < 0 ||
      out.retry.max_delay_ms < 0)
    throw InputError(fmt::format("model spec \"{}\": rpm, tpm, prices and delays cannot be negative", spec));
  return out;
}

OpenAIBackend::OpenAIBackend(const std::string& spec)
    : spec_(spec), parsed_(parse_openai_spec(spec)), url_(parsed_.endpoint_url()) {
  // What decides the answers: the model, where it is served and how it is asked (not the limits,
  // retries or prices, which a resumed run may change).
  hash_ = sha256_hex(Json{{"kind", "openai"}, {"model", parsed_.model}, {"url", url_}, {"system", parsed_.system}}.dump());
  if (const char* key = std::getenv(parsed_.key_env.c_str()); key && *key) api_key_ = key;
}

OpenAIBackend::~OpenAIBackend() = default;

std::string OpenAIBackend::request_body(const std::string& prompt, const GenerationParams& params) const {
  return request_body(GenerationRequest{"", "", prompt}, params);
}

std::string OpenAIBackend::request_body(const GenerationRequest& request, const GenerationParams& params) const {
  return build_request(parsed_, request, params).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string OpenAIBackend::canonical_request(const GenerationRequest& request, const GenerationParams& params) const {
  // Where it goes and everything it asks (keys sorted, as nlohmann::json objects are); no
  // credential. Byte for byte the key's text since the cache was built into this backend, so
  // entries already in databases keep answering: never change it.
  return Json{{"url", url_}, {"body", build_request(parsed_, request, params)}}.dump(
      -1, ' ', false, Json::error_handler_t::replace);
}

std::optional<GenerationResult> OpenAIBackend::read_cache_entry(const std::string& entry,
                                                                const GenerationParams& params) const {
  std::string why;
  auto answer = parse_answer(entry, parsed_.chat, why);
  if (!answer) return std::nullopt;
  GenerationResult result;
  // The body is the server's, cut only by the stops it was sent: apply them all, as when it came.
  result.output = cut_at_stops(std::move(answer->text), params.stop);
  result.tokens_in = answer->tokens_in;
  result.tokens_out = answer->tokens_out;
  return result;
}

std::unique_ptr<HttpClient> OpenAIBackend::take_client() {
  {
    std::lock_guard<std::mutex> lock(clients_mu_);
    if (!idle_clients_.empty()) {
      auto c = std::move(idle_clients_.back());
      idle_clients_.pop_back();
      return c;
    }
  }
  return std::make_unique<HttpClient>();
}

void OpenAIBackend::give_back(std::unique_ptr<HttpClient> client) {
  std::lock_guard<std::mutex> lock(clients_mu_);
  idle_clients_.push_back(std::move(client));
}

std::vector<GenerationResult> OpenAIBackend::generate(const std::vector<GenerationRequest>& batch,
                                                      const GenerationParams& params) {
  std::vector<GenerationResult> out;
  out.reserve(batch.size());
  for (const auto& r : batch) out.push_back(generate_one(r, params));
  return out;
}

GenerationResult OpenAIBackend::generate_one(const GenerationRequest& request, const GenerationParams& params) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  const std::string body = request_body(request, params);
  GenerationResult result;
  std::string why;

  std::vector<std::string> headers;
  if (!api_key_.empty())
    headers.push_back(parsed_.azure ? "api-key: " + api_key_ : "Authorization: Bearer " + api_key_);
  const long timeout_ms = static_cast<long>(parsed_.timeout_s * 1000);
  const int attempts = parsed_.retry.max_retries + 1;
  if (!ever_answered_ && unanswered_requests_ >= kUnansweredBeforeGivingUp) {
    result.error = fmt::format("{}/{}: POST {} not sent: the API answered none of the first {} requests (each after "
                               "its retries), so it is taken to be down", request.suite, request.example_id, url_,
                               kUnansweredBeforeGivingUp);
    result.infra_error = true;
    return result;
  }
  std::string last;
  long last_status = 0;  // the last response's HTTP status (0: none)
  int made = 0;
  bool retry = true;  // false once the server gave an answer that retrying cannot change
  std::unique_ptr<HttpClient> client = take_client();
  for (int attempt = 0; attempt < attempts; ++attempt) {
    const HttpResponse resp = client->post_json(url_, body, headers, timeout_ms);
    ++made;
    if (resp.status != 0) ever_answered_ = true;
    std::optional<std::chrono::milliseconds> server_wait;
    if (!resp.completed()) {
      last = resp.timed_out ? fmt::format("no response within timeout_s={} ({})", parsed_.timeout_s, resp.transport_error)
                            : fmt::format("connection failed: {}", resp.transport_error);
      // More than max_tokens could have made: the server misbehaves, and asking again would
      // download as much again. Not judged (infra_error below), not retried.
      if (resp.too_large) {  // (the client's connection was cut: not given back)
        ever_answered_ = true;
        last = resp.transport_error;
        result.error = fmt::format("{}/{}: POST {}: {}", request.suite, request.example_id, url_, last);
        result.infra_error = true;
        result.latency_ms = elapsed_ms();
        return result;
      }
      // A broken connection must not be reused for the next attempt.
      client = std::make_unique<HttpClient>();
    } else if (resp.status >= 200 && resp.status < 300) {
      if (auto answer = parse_answer(resp.body, parsed_.chat, why)) {
        give_back(std::move(client));
        result.output = cut_at_stops(std::move(answer->text), params.stop);
        result.tokens_in = answer->tokens_in;
        result.tokens_out = answer->tokens_out;
        result.cost_usd = (answer->tokens_in * parsed_.price_in + answer->tokens_out * parsed_.price_out) / 1e6;
        result.latency_ms = elapsed_ms();
        result.raw_response = resp.body;  // what the response cache stores (read_cache_entry)
        return result;
      }
      last = fmt::format("HTTP {} with a malformed body ({}): {}", resp.status, why, excerpt(resp.body, api_key_));
    } else {
      last_status = resp.status;
      last = fmt::format("HTTP {}: {}", resp.status, excerpt(resp.body, api_key_));
      if ((resp.status == 401 || resp.status == 403) && api_key_.empty())
        last += fmt::format(" (the server wants an API key: set ${} or name another variable with key_env=)",
                            parsed_.key_env);
      retry = is_retryable_status(resp.status);
      server_wait = retry_after(resp.headers);
    }
    if (!retry) break;
    if (attempt + 1 < attempts)
      std::this_thread::sleep_for(backoff_delay(parsed_.retry, attempt, jitter_bits(request, attempt), server_wait));
  }
  give_back(std::move(client));
  if (!ever_answered_) ++unanswered_requests_;
  result.error = fmt::format("{}/{}: POST {} failed after {} attempt{}: {}", request.suite, request.example_id, url_,
                             made, made == 1 ? "" : "s", last);
  // Every retry spent on a failure that could pass (no connection, timeout, 429, 5xx, a malformed
  // body) is the service's failure, not the model's answer; so is a refusal of the client itself
  // (401/403: the key; 404: the model or URL; 407: a proxy), which no answer of the model's
  // caused. Any other refusal (400, 413, 422: the prompt too long, a bad parameter) is the request's.
  result.infra_error = retry || last_status == 401 || last_status == 403 || last_status == 404 || last_status == 407;
  result.latency_ms = elapsed_ms();
  return result;
}

}  // namespace aimicius
