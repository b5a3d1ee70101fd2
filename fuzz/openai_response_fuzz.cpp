// Fuzz target: the openai: backend's reading of a response body (harness/backends/backend_openai.h),
// through read_cache_entry, which applies the same parser to a body stored in the response cache
// as to one received: chat and completions shapes, with stop strings applied. The parser returns
// std::nullopt for a body it cannot read; it is documented never to throw (a bad response is that
// example's error), so any exception is a finding.
#include "fuzz/fuzz_support.h"
#include "harness/backends/backend_openai.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  static const OpenAIBackend chat("openai:m@http://127.0.0.1:9/v1");
  static const OpenAIBackend completions("openai:m@http://127.0.0.1:9/v1?api=completions");
  const std::string body(fuzz::as_text(data, size));
  GenerationParams params;
  params.stop = {"\n\n", "</s>"};
  (void)chat.read_cache_entry(body, params);
  (void)completions.read_cache_entry(body, params);
  return 0;
}
