// The defaults of the Backend interface (backend.h): no log-likelihoods, and the generic form of a
// request and of a result for the response cache, which every backend without an API of its own
// uses. The cached form keeps a result byte for byte: an output that is not valid UTF-8 (a
// byte-level model can emit anything) is stored as its bytes rather than with replacement
// characters.
#include "harness/backends/backend.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace aimicius {

void check_generation_params(const GenerationParams& p) {
  if (p.max_new_tokens < 1) throw InputError(fmt::format("--max-new-tokens must be at least 1 (got {})", p.max_new_tokens));
  if (!std::isfinite(p.temperature) || p.temperature < 0)
    throw InputError(fmt::format("--temperature must be a finite number >= 0 (got {})", p.temperature));
  if (p.top_k < 0) throw InputError(fmt::format("--top-k must be >= 0 (got {})", p.top_k));
  if (!std::isfinite(p.top_p) || p.top_p <= 0 || p.top_p > 1)
    throw InputError(fmt::format("--top-p must be in (0, 1] (got {})", p.top_p));
}

PromptStyle make_prompt_style(const std::string& spec, bool chat, const std::string& fewshot) {
  PromptStyle style;
  style.chat = chat;
  if (fewshot.empty()) style.fewshot = chat ? FewshotLayout::kTurns : FewshotLayout::kInline;
  else if (fewshot == "turns") style.fewshot = FewshotLayout::kTurns;
  else if (fewshot == "inline") style.fewshot = FewshotLayout::kInline;
  else throw InputError(fmt::format("model spec \"{}\": fewshot must be turns or inline (got \"{}\")", spec, fewshot));
  if (style.fewshot == FewshotLayout::kTurns && !chat)
    throw InputError(fmt::format("model spec \"{}\": fewshot=turns needs a chat model (local: chat=1, openai: api=chat)",
                                 spec));
  return style;
}

using Json = nlohmann::json;

std::vector<LoglikelihoodResult> Backend::loglikelihood(const std::vector<LoglikelihoodRequest>& batch) {
  std::vector<LoglikelihoodResult> out(batch.size());
  // The message does not name the example: whoever shows it does (as for the runtime's errors).
  for (auto& r : out)
    r.error = fmt::format("this backend ({}) cannot score continuations: it gives no log-likelihoods (local:DIR "
                          "models do)",
                          spec());
  return out;
}

std::string Backend::canonical_request(const GenerationRequest& request, const GenerationParams& params) const {
  Json messages = Json::array();
  for (const auto& turn : request.messages) messages.push_back({{"role", turn.role}, {"content", turn.content}});
  // Keys are sorted when dumped (nlohmann::json objects are ordered maps): the text is canonical.
  const Json j = {{"spec", spec()},
                  {"content_hash", content_hash()},
                  {"suite", request.suite},
                  {"example_id", request.example_id},
                  {"prompt", request.prompt},
                  {"messages", std::move(messages)},
                  {"max_new_tokens", params.max_new_tokens},
                  {"temperature", params.temperature},
                  {"top_k", params.top_k},
                  {"top_p", params.top_p},
                  {"seed", params.seed},
                  {"stop", params.stop}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Backend::cache_entry(const GenerationResult& result) const {
  if (!result.raw_response.empty()) return result.raw_response;
  Json j = {{"output", result.output},
            {"tokens_in", result.tokens_in},
            {"tokens_out", result.tokens_out},
            {"finish_reason", result.finish_reason}};
  try {
    return j.dump();
  } catch (const Json::type_error&) {
    // Not valid UTF-8: keep the exact bytes.
    j.erase("output");
    j["output_bytes"] = std::vector<uint8_t>(result.output.begin(), result.output.end());
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

std::optional<GenerationResult> Backend::read_cache_entry(const std::string& entry, const GenerationParams&) const {
  const Json j = Json::parse(entry, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  GenerationResult r;
  try {
    if (const auto text = j.find("output"); text != j.end() && text->is_string()) {
      r.output = text->get<std::string>();
    } else if (const auto bytes = j.find("output_bytes"); bytes != j.end() && bytes->is_array()) {
      const auto v = bytes->get<std::vector<uint8_t>>();
      r.output.assign(v.begin(), v.end());
    } else {
      return std::nullopt;
    }
    r.tokens_in = j.at("tokens_in").get<int64_t>();
    r.tokens_out = j.at("tokens_out").get<int64_t>();
    r.finish_reason = j.at("finish_reason").get<std::string>();
  } catch (const Json::exception&) {
    return std::nullopt;  // an entry of another shape: asked again and replaced
  }
  return r;
}

}  // namespace aimicius
