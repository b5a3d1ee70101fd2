// make_backend(): a spec string to its backend, with the wrappers it needs around it. Today's
// composition, kept as it was when the cache and the limits lived inside the openai: backend:
// only openai: gets them, as CachingBackend(RateLimitedBackend(OpenAIBackend)) — the cache
// outside, so that an answer from the cache costs no rate budget; the limiter only when the spec
// says rpm= or tpm=; the cache only when the options name a database (not under --no-cache).
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/backends/backend.h"
#include "harness/backends/backend_openai.h"
#include "harness/backends/backend_oracle.h"
#include "harness/backends/backend_replay.h"
#include "harness/backends/caching_backend.h"
#include "harness/backends/rate_limited_backend.h"
#include "harness/store/response_cache.h"
#ifdef AIMICIUS_HAVE_RUNTIME
#include "harness/backends/backend_local.h"
#endif

namespace aimicius {
namespace {
#ifdef AIMICIUS_HAVE_RUNTIME
constexpr const char* kLocalHint = ", local:DIR";
#else
constexpr const char* kLocalHint = "";
#endif
}  // namespace

std::vector<std::pair<std::string, std::string>> backend_kinds() {
  return {
      {"oracle", "answers with the references (validates scorers; not a model)"},
      {"replay:FILE.jsonl", "answers from a file of {suite, example_id, output} lines"},
      {"openai:MODEL@URL[?api=completions&system=...&rpm=N&price_in=USD...]",
       "an OpenAI-compatible API (OpenAI, Azure, vLLM, SGLang, TGI); key from $OPENAI_API_KEY"},
#ifdef AIMICIUS_HAVE_RUNTIME
      {"local:DIR[?device=cuda&dtype=bf16&selective_v=K]", "the DiffQKV runtime on a checkpoint folder"},
#else
      {"local:DIR", "not in this build (LibTorch was not found at configure time)"},
#endif
  };
}

std::unique_ptr<Backend> make_backend(const std::string& spec, const std::vector<LoadedSuite>& suites,
                                      const BackendOptions& options) {
  if (spec == "oracle") return std::make_unique<OracleBackend>(suites);
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "replay") {
    if (arg.empty()) throw InputError("model spec \"replay:\" needs a file: replay:FILE.jsonl");
    auto replay = std::make_unique<ReplayBackend>(arg);
    if (!options.data_dir.empty()) replay->check_keys(options.data_dir, suites, options.limit);
    return replay;
  }
  if (kind == "openai") {
    std::unique_ptr<Backend> backend = std::make_unique<OpenAIBackend>(spec);
    const OpenAISpec parsed = parse_openai_spec(spec);  // valid: the backend parsed it already
    if (parsed.rpm > 0 || parsed.tpm > 0)
      backend = std::make_unique<RateLimitedBackend>(std::move(backend), parsed.rpm, parsed.tpm);
    if (!options.cache_db.empty())
      backend = std::make_unique<CachingBackend>(std::move(backend), std::make_shared<ResponseCache>(options.cache_db));
    return backend;
  }
#ifdef AIMICIUS_HAVE_RUNTIME
  if (kind == "local") return std::make_unique<LocalBackend>(spec);
#endif
  if (kind == "local")
    throw InputError(fmt::format("model spec \"{}\": the {}: backend is not in this build (available: "
                                 "oracle, replay:FILE.jsonl, openai:MODEL@URL{})",
                                 spec, kind, kLocalHint));
  throw InputError(fmt::format("unknown model spec \"{}\" (available: oracle, replay:FILE.jsonl, openai:MODEL@URL{})", spec, kLocalHint));
}

}  // namespace aimicius
