// `aimicius bench eval`: the wall time of a whole evaluation on a local checkpoint, the figure a
// user running `aimicius run --model local:CKPT` on every checkpoint of a training run feels.
//
// It is a real run (planning, the runner's generate/score/write pipeline, the sandbox, the store)
// into a scratch database, with the local backend's fixed_length option: every answer is exactly
// --max-new-tokens long (end-of-sequence and stop strings ignored), so that a peer can generate
// the same tokens for the same prompts. --prompts-out writes those prompts (JSONL: suite, id,
// the prompt's token ids, tokens_out) for bench/hf_eval_bench.py, the Hugging Face peer.
//
// The physical floor printed beside it counts what no implementation can avoid on this checkpoint:
// reading the weights once per decode step (at most --batch-size sequences share a step, or the
// local backend's slots where max_active=auto made more: generated tokens / that many steps at
// least), reading every cached K and V once per generated token, and the prefill's matrix FLOPs
// (2 x non-embedding parameters per token, plus causal attention); the bytes at --read-gbps and
// the FLOPs at --peak-tflops. The floor is the larger of the two times (they could overlap); the
// sum is printed too. Only in builds with the runtime.
#include <chrono>
#include <cmath>
#include <functional>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/temp_dir.h"
#include "harness/backends/backend.h"
#include "harness/backends/backend_local.h"
#include "harness/cli/all_commands.h"
#include "harness/cli/command_support.h"
#include "harness/runner/runner.h"
#include "runtime/model_config.h"
#include "runtime/tokenizer/tokenizer.h"
#include "scorers/text_embedder.h"

namespace aimicius {
namespace {

struct BenchEvalOptions {
  RunOptions run;
  std::string prompts_out;
  bool hashing_embedder = false;
  double read_gbps = 0;    // measured read bandwidth, for the floor (0: no byte floor)
  double peak_tflops = 0;  // the GPU's dense matrix peak at the run's dtype (0: no FLOP floor)
  int64_t elem_bytes = 2;  // bytes per weight and cache element (bf16)
};

// --hashing-embedder: a stand-in for all-MiniLM-L6-v2 on machines without its files (the GPU
// machine cannot fetch them): character trigrams hashed into 384 dimensions. Its similarity
// scores mean nothing (neither do a random-weight model's); it keeps the scoring path and its cost
// in the measured wall time, minus the encoder's own forward passes (CPU, overlapped with the GPU).
class HashingEmbedder final : public TextEmbedder {
 public:
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    std::vector<std::vector<float>> out;
    for (const auto& t : texts) {
      std::vector<float> v(384, 0.0f);
      for (size_t i = 0; i + 3 <= t.size(); ++i) v[std::hash<std::string_view>{}(std::string_view(t).substr(i, 3)) % 384] += 1;
      double norm = 0;
      for (float x : v) norm += x * x;
      if (norm > 0)
        for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
      out.push_back(std::move(v));
    }
    return out;
  }
  std::string name() const override { return "hashing stand-in (bench eval only)"; }
};

// What the floor counts, from the stored examples' token counts.
struct FloorInputs {
  double prompt_tokens = 0, generated_tokens = 0;
  double kv_token_reads = 0;      // sum over generated tokens of the tokens they attend to
  double prompt_square_sum = 0;   // sum of prompt_len^2 (causal attention FLOPs of the prefill)
};

int command_bench_eval(const GlobalOptions& global, BenchEvalOptions options) {
  const std::string spec = options.run.model_spec;
  if (spec.rfind("local:", 0) != 0)
    throw InputError(fmt::format("bench eval measures the local runtime: --model must be local:DIR (got \"{}\")", spec));
  options.run.model_spec = spec + (spec.find('?') == std::string::npos ? "?" : "&") + "fixed_length=1";
  const std::string dir = spec.substr(6, spec.find('?') == std::string::npos ? std::string::npos : spec.find('?') - 6);
  const runtime::ModelConfig config = runtime::load_model_config(dir);

  TempDir scratch("aimicius-bench-eval");
  Store store = Store::open_for_write((scratch.path() / "bench.db").string());
  set_global_paths(options.run, global);
  if (options.hashing_embedder) options.run.embedder = std::make_shared<HashingEmbedder>();
  const auto t0 = std::chrono::steady_clock::now();
  RunPlan plan = plan_run(options.run);
  BackendOptions backend_options;
  backend_options.data_dir = global.data_dir;
  std::unique_ptr<Backend> backend = make_backend(plan.options.model_spec, plan.suites, backend_options);
  const int64_t run_id = create_run(store, plan, *backend);
  const auto t1 = std::chrono::steady_clock::now();
  Progress progress(stderr, Progress::style_for(stderr));
  execute_run(store, run_id, plan, *backend, progress);
  const auto t2 = std::chrono::steady_clock::now();
  const double load_s = std::chrono::duration<double>(t1 - t0).count();
  const double wall_s = std::chrono::duration<double>(t2 - t1).count();

  FloorInputs in;
  int64_t examples = 0, errors = 0;
  std::string first_error;
  std::optional<std::ofstream> prompts;
  const std::unique_ptr<runtime::Tokenizer> tokenizer = runtime::load_tokenizer(dir);
  if (!options.prompts_out.empty()) {
    prompts.emplace(options.prompts_out);
    if (!*prompts) throw InputError(fmt::format("{}: cannot write", options.prompts_out));
  }
  for (const StoredExample& e : store.stored_examples(run_id, ExampleTexts::kRead)) {
    ++examples;
    if (e.error && e.tokens_out == 0) {  // not generated (e.g. the cache did not fit): no tokens to count
      if (errors++ == 0) first_error = fmt::format("{} {}: {}", e.suite, e.example_id, *e.error);
      continue;
    }
    const double p = static_cast<double>(e.tokens_in), g = static_cast<double>(e.tokens_out);
    in.prompt_tokens += p;
    in.generated_tokens += g;
    in.kv_token_reads += g * p + g * (g - 1) / 2;  // token t of g attends to p + t cached tokens
    in.prompt_square_sum += p * p;
    if (prompts) {
      // The ids the runtime prefilled (prompts are plain text here, encoded with the beginning-of-text
      // token as generate() encodes them), so that the peer prefills exactly these tokens.
      const std::vector<int32_t> ids = tokenizer->encode(e.prompt.value_or(""), true);
      if (static_cast<int64_t>(ids.size()) != e.tokens_in)
        throw std::runtime_error(fmt::format("{} {}: {} tokens re-encoded, {} prefilled", e.suite, e.example_id,
                                             ids.size(), e.tokens_in));
      *prompts << nlohmann::json{{"suite", e.suite}, {"id", e.example_id}, {"ids", ids}, {"tokens_out", e.tokens_out}}
                      .dump()
               << "\n";
    }
  }
  if (prompts && !prompts->flush()) throw std::runtime_error(fmt::format("{}: write failed", options.prompts_out));

  // The most sequences one decode step could advance: --batch-size, or the local backend's slots
  // where it chose more (max_active=auto sizes them from memory, not from --batch-size).
  const auto* local = dynamic_cast<const LocalBackend*>(backend.get());
  const int64_t slots = local ? local->schedule_totals().slots : 0;
  const int64_t per_step = std::max<int64_t>(options.run.batch_size, slots);
  const std::string slots_note = slots > 0 && slots != options.run.batch_size ? fmt::format(", {} slots", slots) : "";
  fmt::print("bench eval: {} (batch size {}{}, max new tokens {}): {} examples ({} not generated), {:.0f} prompt "
             "tokens, {:.0f} generated; load {:.1f} s, wall {:.2f} s: {:.1f} examples/s, {:.0f} generated tokens/s\n",
             spec, options.run.batch_size, slots_note, *options.run.max_new_tokens, examples, errors, in.prompt_tokens,
             in.generated_tokens, load_s, wall_s, examples / wall_s, in.generated_tokens / wall_s);
  if (errors > 0) fmt::print("bench eval: {} examples not generated, the first: {}\n", errors, first_error);
  if (local) {
    if (const std::string& why = local->schedule_totals().slots_reason; !why.empty()) fmt::print("bench eval {}\n", why);
    fmt::print("bench eval {}\n", local->schedule_totals().prefill_summary());
    fmt::print("bench eval {}\n", local->schedule_totals().time_summary());
    if (const runtime::DecodePath path = local->decode_path(options.run.batch_size); path.graphs)
      // A replay is timed only when it ended before the next one was queued: with decode ahead,
      // only the steps the host waited for (CudaGraph::replay_time).
      fmt::print("bench eval decode graphs: {} captured ({:.2f} s of host time for their first steps), {} steps "
                 "timed ({:.2f} s of device time), decode ahead {}\n",
                 path.graph_captures, path.graph_capture_seconds, path.graph_steps, path.graph_gpu_seconds, path.ahead);
  }

  const double b = static_cast<double>(options.elem_bytes);
  const double embed = static_cast<double>(config.vocab_size) * config.hidden_size * (config.tie_word_embeddings ? 1 : 2);
  const double weights = static_cast<double>(config.parameter_count());
  // A decode step reads every weight but the input embedding table (one row per token).
  const double step_bytes = (weights - static_cast<double>(config.vocab_size) * config.hidden_size *
                                           (config.tie_word_embeddings ? 0 : 1)) * b;
  const double steps = in.generated_tokens / static_cast<double>(per_step);
  const double bytes = steps * step_bytes + in.kv_token_reads * config.kv_bytes_per_token(options.elem_bytes);
  const double flops = 2.0 * (weights - embed) * in.prompt_tokens +
                       static_cast<double>(config.num_layers) * config.num_q_heads *
                           (config.head_dim_qk + config.head_dim_v) * in.prompt_square_sum;
  const double byte_s = options.read_gbps > 0 ? bytes / (options.read_gbps * 1e9) : 0;
  const double flop_s = options.peak_tflops > 0 ? flops / (options.peak_tflops * 1e12) : 0;
  if (byte_s > 0 || flop_s > 0) {
    const double floor_s = std::max(byte_s, flop_s);
    fmt::print("bench eval floor: {:.1f} GB read ({:.0f} decode steps x {:.2f} GB weights + KV) at {:.0f} GB/s = "
               "{:.2f} s; {:.1f} TFLOP of prefill at {:.0f} TFLOPS = {:.2f} s; floor {:.2f} s (sum {:.2f} s); "
               "wall / floor {:.2f}\n",
               bytes / 1e9, steps, step_bytes / 1e9, options.read_gbps, byte_s, flops / 1e12, options.peak_tflops,
               flop_s, floor_s, byte_s + flop_s, wall_s / floor_s);
  }
  // Examples that were not generated make the figures above a different (smaller) workload: not a
  // result to quote, so the command fails, as a run in which no example could be judged does.
  if (errors > 0) {
    fmt::print(stderr, "bench eval: {} of {} examples not generated (the first: {})\n", errors, examples, first_error);
    return 2;
  }
  return 0;
}

class BenchEvalCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "eval", "Wall time of a whole run on a local checkpoint (fixed-length answers), with the physical floor");
    cmd->add_option("--model", options_.run.model_spec, "local:DIR?device=cuda...")->required();
    cmd->add_option("--suite", options_.run.suites, "Suite(s) (default: all)")->delimiter(',');
    cmd->add_option("--split", options_.run.split, "Split")->capture_default_str();
    cmd->add_option("--limit", options_.run.limit, "First N examples of each suite");
    cmd->add_option("--batch-size", options_.run.batch_size, "Sequences generated at once")->capture_default_str();
    cmd->add_option("--max-new-tokens", options_.run.max_new_tokens, "Tokens generated for every example")
        ->capture_default_str();
    cmd->add_option("--prompts-out", options_.prompts_out,
                    "Write the run's prompts and token counts (JSONL) for the Hugging Face peer");
    cmd->add_option("--read-gbps", options_.read_gbps, "Measured read bandwidth, GB/s, for the floor");
    cmd->add_option("--peak-tflops", options_.peak_tflops, "Dense matrix peak at the run's dtype, TFLOPS, for the floor");
    cmd->add_flag("--hashing-embedder", options_.hashing_embedder,
                  "Embedding metrics with a hashing stand-in, not all-MiniLM-L6-v2 (machines without its files)");
    cmd->add_option("--elem-bytes", options_.elem_bytes, "Bytes per weight and cache element")->capture_default_str();
    options_.run.max_new_tokens = 64;
    options_.run.batch_size = 64;
    return cmd;
  }
  int run(const GlobalOptions& global) override { return command_bench_eval(global, options_); }

 private:
  BenchEvalOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_bench_eval_command() { return std::make_unique<BenchEvalCommand>(); }

}  // namespace aimicius
