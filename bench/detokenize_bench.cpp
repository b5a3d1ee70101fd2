// Host work a generate loop spends per sequence on its text (google-benchmark): after every new
// token, the text so far is produced and searched for stop strings, as runtime/local_model.cpp
// does for each running sequence. "whole" decodes every token generated so far at each step (the
// loop before IncrementalDecoder: O(n^2) over an answer of n tokens); "incremental" is
// runtime/tokenizer/incremental_decode.h. The tokens are a real text's encoding (the bundled
// suites' prompts, tokenized by the checkpoint's tokenizer), cut to the answer length.
//
// Usage: aimicius-bench-detokenize [TOKENIZER_DIR] [google-benchmark flags]
//        (default: the bundled checkpoints/sigma-mini)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/tokenizer/incremental_decode.h"
#include "runtime/tokenizer/tokenizer.h"

namespace {

using aimicius::runtime::IncrementalDecoder;
using aimicius::runtime::Tokenizer;

struct Input {
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<int32_t> tokens;
};

// Stop strings a suite uses (diagnostics'), none of which occur in the text.
const std::vector<std::string> kStop = {"\nQuestion:\x01", "\n\n\n\x01"};

// Walks the answer one token at a time, as a decode loop accepts them, and counts the stop hits.
template <typename Step>
void walk(benchmark::State& state, const Input& in, Step step) {
  const size_t n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    std::vector<int32_t> generated;
    generated.reserve(n);
    size_t hits = 0;
    for (size_t i = 0; i < n; ++i) {
      generated.push_back(in.tokens[i % in.tokens.size()]);
      hits += step(generated);
    }
    benchmark::DoNotOptimize(hits);
  }
  // Seconds of host work per generated token (printed with an SI prefix: 1.5u is 1.5 us).
  state.counters["per_token"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(n), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void whole(benchmark::State& state, const Input* in) {
  walk(state, *in, [&](const std::vector<int32_t>& generated) {
    const std::string text = in->tokenizer->decode(generated, true);
    size_t hit = 0;
    for (const auto& s : kStop) hit += text.find(s) != std::string::npos;
    return hit;
  });
}

void incremental(benchmark::State& state, const Input* in) {
  std::unique_ptr<IncrementalDecoder> decoder;
  size_t longest = 0;
  for (const auto& s : kStop) longest = std::max(longest, s.size());
  walk(state, *in, [&](const std::vector<int32_t>& generated) {
    if (generated.size() == 1) decoder = std::make_unique<IncrementalDecoder>();
    const size_t settled = decoder->settled();
    const std::string& text = decoder->update(*in->tokenizer, generated);
    const size_t from = settled >= longest ? settled - longest + 1 : 0;
    size_t hit = 0;
    for (const auto& s : kStop) hit += text.find(s, from) != std::string::npos;
    return hit;
  });
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = std::filesystem::path(AIMICIUS_SOURCE_DIR) / "checkpoints" / "sigma-mini";
  if (argc > 1 && argv[1][0] != '-') {
    dir = argv[1];
    for (int i = 1; i + 1 < argc; ++i) argv[i] = argv[i + 1];
    --argc;
  }
  static Input input;
  try {
    input.tokenizer = aimicius::runtime::load_tokenizer(dir);
    const std::string text = read_text(std::filesystem::path(AIMICIUS_SOURCE_DIR) / "datasets" / "optiflow" / "suite.json") +
                             read_text(std::filesystem::path(AIMICIUS_SOURCE_DIR) / "datasets" / "cmdgen" / "suite.json");
    input.tokens = input.tokenizer->encode(text, false);
  } catch (const std::exception& e) {
    std::cerr << "aimicius-bench-detokenize: " << e.what() << "\n";
    return 2;
  }
  if (input.tokens.empty()) {
    std::cerr << "aimicius-bench-detokenize: the text encoded to no tokens\n";
    return 2;
  }
  for (const int64_t n : {256, 1024, 4096}) {
    benchmark::RegisterBenchmark("whole", whole, &input)->Arg(n)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("incremental", incremental, &input)->Arg(n)->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
