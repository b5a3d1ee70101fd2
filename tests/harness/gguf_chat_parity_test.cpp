// Chat parity with Hugging Face on the bundled SmolLM2-135M-Instruct GGUF (issue 20): 20 real suite
// requests (the first 5 test examples of each of the four suites, few-shot as chat turns, as
// `aimicius run --model local:FILE.gguf?chat=1` sends them) rendered with the file's own chat
// template, encoded, and generated greedily by LocalModel, against transformers reading the same
// file (tests/data/gguf/smollm2_chat_parity.json, made by
// scripts/fixtures/gguf_chat_parity_fixtures.py from `aimicius prompts --chat` output). The
// fixture's transformers tokenizer has SmolLM2's individual-digit split put back: transformers 5.25
// drops it for tokenizer.ggml.pre "smollm" (the script says how), which changed 5 of the 20 prompts
// (the optiflow ones, at "):\n  0"); aimicius splits as SmolLM2's tokenizer.json and llama.cpp do.
//
// Checked: the end-of-sequence ids are transformers'; each request is still the one the fixture was made from (the sha256 of its stored
// prompt text: a changed suite says to remake the fixture); the prompt's token ids equal
// transformers' exactly, for all 20; the greedy continuations (the suite's chat stop strings, the
// end-of-sequence ids, at most the fixture's budget) equal for at least 19 of 20 (float32 summation
// order may flip a near tie on a long prompt). Each mismatch prints its first differing position.
// Label data: it needs models/smollm2/*.gguf (scripts/fetch-models.sh) and skips without it,
// unless AIMICIUS_REQUIRE_MODELS=1.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "common/sha256.h"
#include "harness/backends/backend.h"
#include "harness/runner/runner.h"
#include "model_requirements.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/gguf/gguf_tokenizer.h"
#include "runtime/local_model.h"
#include "runtime/tokenizer/chat_template.h"
#include "tasks/suite.h"

namespace aimicius {
namespace {


// Where two id sequences first differ (their common length when one is a prefix of the other).
size_t first_difference(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

std::string describe_difference(const std::vector<int32_t>& got, const std::vector<int32_t>& want) {
  const size_t at = first_difference(got, want);
  const auto at_or_end = [at](const std::vector<int32_t>& v) {
    return at < v.size() ? std::to_string(v[at]) : std::string("(end)");
  };
  return "first difference at position " + std::to_string(at) + " of " + std::to_string(want.size()) +
         ": aimicius " + at_or_end(got) + ", transformers " + at_or_end(want);
}

TEST(GgufChatParity, SmolLM2SuiteChatsMatchHuggingFace) {
  AIMICIUS_NEED_SMOLLM2(file);
  std::ifstream in(std::string(AIMICIUS_TEST_DATA_DIR) + "/gguf/smollm2_chat_parity.json");
  ASSERT_TRUE(in);
  const auto fixture = nlohmann::json::parse(in);
  ASSERT_EQ(file.filename().string(), fixture["file"].get<std::string>());
  const auto& cases = fixture["cases"];
  ASSERT_EQ(cases.size(), 20u);

  // The requests, rebuilt from the bundled suites as a chat run builds them.
  const PromptStyle style{true, FewshotLayout::kTurns};
  std::map<std::string, LoadedSuite> suites;
  std::vector<std::vector<runtime::ChatMessage>> conversations;
  runtime::SamplingParams params;
  params.max_active = 4;  // four sequences at once keep the CPU cache small for 2-3k-token prompts
  for (const auto& c : cases) {
    const std::string suite = c["suite"], id = c["example_id"];
    if (!suites.count(suite)) suites.emplace(suite, load_suite(suite, AIMICIUS_BUNDLED_DATA_DIR, "test"));
    const auto& examples = suites.at(suite).examples;
    const auto ex = std::find_if(examples.begin(), examples.end(), [&](const Example& e) { return e.id == id; });
    ASSERT_NE(ex, examples.end()) << suite << "/" << id << " is no longer a test example: remake the fixture";
    const GenerationRequest request = build_request(*suites.at(suite).suite, *ex, style);
    ASSERT_EQ(sha256_hex(request.prompt), c["prompt_sha256"].get<std::string>())
        << suite << "/" << id << ": the request changed since the fixture was made: remake it "
        << "(scripts/fixtures/gguf_chat_parity_fixtures.py)";
    ASSERT_EQ(c["stop"].get<std::vector<std::string>>(), suites.at(suite).suite->stop_sequences(true)) << suite;
    std::vector<runtime::ChatMessage> messages;
    for (const auto& turn : request.messages) messages.push_back({turn.role, turn.content});
    conversations.push_back(std::move(messages));
    params.prompt_max_new_tokens.push_back(c["max_new_tokens"].get<int64_t>());
  }

  // Prompt ids: the file's template and tokenizer, as LocalModel::generate_chat encodes them.
  const auto g = runtime::gguf::GgufFile::open(file);
  const auto tok = runtime::gguf::gguf_tokenizer(*g);
  const auto config = runtime::gguf::gguf_tokenizer_config(*g);
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto ids = tok->encode(runtime::apply_chat_template(*tok, config, conversations[i], true), false);
    const auto want = cases[i]["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(ids, want) << cases[i]["suite"] << "/" << cases[i]["example_id"] << ": "
                         << describe_difference(ids, want);
  }

  // Generation, one call per suite (a call has one list of stop strings).
  runtime::LocalModelOptions options;
  options.chat = true;
  // The dequantised float32 path: transformers dequantises the file's weights to float32, so this
  // compares templates, tokenizers and the model with the same numbers. The quantised CPU path
  // (int8 activations) is checked against this one by GgufParity.SmolLM2QuantizedCpuPath*.
  options.quantized = false;
  const auto model = runtime::LocalModel::load(file, options);
  // The same end-of-sequence ids as transformers' generation config.
  std::vector<int64_t> eos = model->config().eos_token_ids;
  std::sort(eos.begin(), eos.end());
  ASSERT_EQ(eos, fixture["eos_ids"].get<std::vector<int64_t>>());
  int equal = 0;
  for (size_t begin = 0; begin < cases.size();) {
    size_t end = begin;
    while (end < cases.size() && cases[end]["suite"] == cases[begin]["suite"]) ++end;
    runtime::SamplingParams p = params;
    p.stop = cases[begin]["stop"].get<std::vector<std::string>>();
    p.prompt_max_new_tokens.assign(params.prompt_max_new_tokens.begin() + begin, params.prompt_max_new_tokens.begin() + end);
    const std::vector<std::vector<runtime::ChatMessage>> batch(conversations.begin() + begin, conversations.begin() + end);
    const auto generations = model->generate_chat(batch, p);
    for (size_t j = 0; j < generations.size(); ++j) {
      const auto& c = cases[begin + j];
      const auto& gen = generations[j];
      ASSERT_TRUE(gen.error.empty()) << c["example_id"] << ": " << gen.error;
      EXPECT_EQ(gen.prompt_tokens, static_cast<int64_t>(c["ids"].size())) << c["example_id"];
      const auto want = c["continuation"].get<std::vector<int32_t>>();
      if (gen.tokens == want) {
        ++equal;
        continue;
      }
      std::cout << c["suite"].get<std::string>() << "/" << c["example_id"].get<std::string>()
                << ": continuation differs, " << describe_difference(gen.tokens, want) << " (aimicius "
                << gen.finish_reason << ", transformers " << c["finish_reason"].get<std::string>() << ")\n";
    }
    begin = end;
  }
  std::cout << equal << " of " << cases.size() << " greedy continuations equal transformers'\n";
  EXPECT_GE(equal, 19);
}

}  // namespace
}  // namespace aimicius
