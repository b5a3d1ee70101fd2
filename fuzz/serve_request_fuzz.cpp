// Fuzz target: `aimicius serve`'s request parser (harness/serve/openai_protocol.h): a body for
// /v1/completions or /v1/chat/completions (the first byte picks the endpoint, the rest is the
// body). Fine: ApiException (a 4xx answer: the error names the field). A request that parses must
// respect the limits it was checked against.
#include <cstdlib>

#include "fuzz/fuzz_support.h"
#include "harness/serve/openai_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aimicius;
  using namespace aimicius::serve;
  if (size == 0) return 0;
  const Endpoint endpoint = (data[0] & 1) ? Endpoint::kChatCompletions : Endpoint::kCompletions;
  const std::string body(fuzz::as_text(data + 1, size - 1));
  const RequestLimits limits;
  try {
    const ParsedRequest request = parse_request(endpoint, body, "sigma", limits);
    if (request.prompts.empty() || request.prompts.size() > limits.max_prompts) std::abort();
    if (request.params.max_new_tokens < 0 || request.params.max_new_tokens > limits.max_tokens_limit) std::abort();
  } catch (const ApiException& e) {
    if (e.error().status < 400 || e.error().status > 499) std::abort();
  }
  return 0;
}
