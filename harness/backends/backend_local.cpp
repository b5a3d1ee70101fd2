#include "harness/backends/backend_local.h"

#include <chrono>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/input_file.h"
#include "common/sha256.h"
#include "harness/backends/spec_query.h"
#include "runtime/checkpoint_files.h"
#include "runtime/gguf/gguf_checkpoint.h"
#include "runtime/local_model.h"
#include "runtime/tokenizer/chat_template.h"

namespace aimicius {
namespace fs = std::filesystem;

namespace {

struct LocalSpec {
  fs::path dir;
  runtime::LocalModelOptions options;
  int64_t max_active = 0;  // SamplingParams::max_active of every call
  bool auto_max_active = false;
  bool prefix_reuse = true;
  bool fixed_length = false;
  PromptStyle prompt_style;
};

LocalSpec parse_local_spec(const std::string& spec) {
  const SpecParts parts = split_spec_options(spec, spec.substr(std::string("local:").size()));
  LocalSpec out;
  std::string fewshot;  // "" until given: the default follows chat
  out.dir = parts.base;
  if (out.dir.empty()) throw InputError(fmt::format("model spec \"{}\" needs a checkpoint folder: local:DIR", spec));
  for (const auto& [key, value] : parts.options) {
    if (key == "device") out.options.device = value;
    else if (key == "dtype") out.options.dtype = value;
    else if (key == "chat") out.options.chat = spec_bool(spec, key, value);
    else if (key == "selective_v") out.options.selective_v_topk = spec_int(spec, key, value);
    else if (key == "max_active" && value == "auto") out.auto_max_active = true;
    else if (key == "max_active") out.max_active = spec_int(spec, key, value);
    else if (key == "quantized") out.options.quantized = spec_bool(spec, key, value);
    else if (key == "threads") out.options.threads = static_cast<int>(spec_int(spec, key, value));
    else if (key == "prefix_reuse") out.prefix_reuse = spec_bool(spec, key, value);
    else if (key == "fixed_length") out.fixed_length = spec_bool(spec, key, value);
    else if (key == "fewshot") fewshot = value;
    else if (key == "phase_times") out.options.phase_times = spec_bool(spec, key, value);
    else if (key == "decode_ahead") out.options.decode_ahead = spec_bool(spec, key, value) ? 1 : 0;
    else if (key == "memory_share") out.options.memory_share = spec_double(spec, key, value);
    else
      throw InputError(fmt::format("model spec \"{}\": unknown option \"{}\" (device, dtype, selective_v, chat, "
                                   "max_active, prefix_reuse, fixed_length, fewshot, quantized, threads, phase_times, "
                                   "decode_ahead, memory_share)", spec, key));
  }
  if (!(out.options.memory_share > 0.0 && out.options.memory_share <= 1.0))
    throw InputError(fmt::format("model spec \"{}\": memory_share must be in (0, 1] (the share of the device's free "
                                 "memory a KV pool sized from memory may take)", spec));
  out.prompt_style = make_prompt_style(spec, out.options.chat, fewshot);
  if (out.options.threads < 0)
    throw InputError(fmt::format("model spec \"{}\": threads must be at least 0 (0: the CPUs this process may use)", spec));
  if (out.max_active < 0)
    throw InputError(fmt::format("model spec \"{}\": max_active must be at least 0 (0: the whole batch) or auto", spec));
  if (!fs::is_directory(out.dir) && !runtime::gguf::find_gguf(out.dir))
    throw InputError(fmt::format("model spec \"{}\": {} is not a folder or a .gguf file", spec, out.dir.string()));
  return out;
}

}  // namespace

LocalBackend::LocalBackend(const std::string& spec) : spec_(spec) {
  const LocalSpec parsed = parse_local_spec(spec);
  // A GGUF checkpoint is one file holding weights, tokenizer and chat template.
  const auto gguf_file = runtime::gguf::find_gguf(parsed.dir);
  // Every use of this backend is text (generate, loglikelihood): a folder without a tokenizer is
  // refused before its weights are loaded, not found example by example as a run of errors.
  // A tokenizer file that is there but unreadable (a dangling link, a folder) is named here too.
  if (!gguf_file) {
    bool has_tokenizer = false;
    for (const char* name : {"tokenizer.json", "tokenizer.model"}) {
      if (!input_file_present(parsed.dir / name)) continue;
      check_input_file(parsed.dir / name);
      has_tokenizer = true;
    }
    if (!has_tokenizer)
      throw InputError(fmt::format("{}: the checkpoint folder has no tokenizer.json or tokenizer.model; the local: "
                                   "backend generates text and needs one",
                                   parsed.dir.string()));
  }
  const fs::path checkpoint = gguf_file ? *gguf_file : parsed.dir;
  model_ = runtime::LocalModel::load(checkpoint, parsed.options);
  max_active_ = parsed.max_active;
  auto_max_active_ = parsed.auto_max_active;
  prefix_reuse_ = parsed.prefix_reuse;
  fixed_length_ = parsed.fixed_length;
  prompt_style_ = parsed.prompt_style;
  hash_ = runtime::checkpoint_content_hash(runtime::checkpoint_content_files(checkpoint));
}

LocalBackend::~LocalBackend() = default;

namespace {

GenerationResult to_result(const runtime::Generation& g) {
  GenerationResult r;
  if (!g.error.empty()) r.error = g.error;
  r.context_exceeded = g.context_exceeded;
  r.invalid_request = g.template_refused;
  r.output = g.text;
  r.tokens_in = g.prompt_tokens;
  r.tokens_out = static_cast<int64_t>(g.tokens.size());
  r.finish_reason = g.finish_reason == "length" ? "length" : "stop";  // "eos" and "stop"
  return r;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::vector<GenerationResult> LocalBackend::generate(const std::vector<GenerationRequest>& batch,
                                                     const GenerationParams& params) {
  runtime::SamplingParams sp;
  sp.max_new_tokens = params.max_new_tokens;
  sp.temperature = params.temperature;
  sp.top_k = params.top_k;
  sp.top_p = params.top_p;
  sp.seed = params.seed;
  sp.stop = params.stop;
  if (fixed_length_) {  // benchmarks: every answer is exactly max_new_tokens long
    sp.ignore_eos = true;
    sp.stop.clear();
  }
  sp.max_active = max_active_ > 0 ? max_active_ : params.max_active;
  sp.auto_max_active = auto_max_active_;
  if (auto_max_active_) sp.max_active = 0;  // memory decides, not --batch-size
  sp.prefix_reuse = prefix_reuse_;
  // Plain prompts and chat conversations go to the runtime as two calls (each batched).
  std::vector<size_t> plain, chat;
  for (size_t i = 0; i < batch.size(); ++i) (batch[i].messages.empty() ? plain : chat).push_back(i);
  std::vector<GenerationResult> out(batch.size());
  const auto start = std::chrono::steady_clock::now();
  for (const auto* part : {&plain, &chat}) {
    if (part->empty()) continue;
    runtime::SamplingParams call = sp;
    for (size_t i : *part) {
      // Each example samples from its own stream: results do not depend on batching or --jobs.
      const std::string h = sha256_hex(fmt::format("{}/{}/{}", params.seed, batch[i].suite, batch[i].example_id));
      call.prompt_seeds.push_back(std::stoull(h.substr(0, 16), nullptr, 16));
    }
    if (params.on_text)
      call.on_text = [&](size_t j, const std::string& piece) { params.on_text((*part)[j], piece); };
    // Each result is final when its sequence ends: its latency is the time from the call's start.
    call.on_done = [&](size_t j, const runtime::Generation& g) {
      GenerationResult& r = out[(*part)[j]];
      r = to_result(g);
      r.latency_ms = ms_since(start);
      if (params.on_result) params.on_result((*part)[j], r);
    };
    std::vector<runtime::Generation> generations;
    runtime::ScheduleStats stats;
    if (part == &plain) {
      std::vector<std::string> prompts;
      for (size_t i : *part) prompts.push_back(batch[i].prompt);
      generations = model_->generate(prompts, call, &stats);
    } else {
      std::vector<std::vector<runtime::ChatMessage>> conversations;
      for (size_t i : *part) {
        conversations.emplace_back();
        for (const auto& turn : batch[i].messages) conversations.back().push_back({turn.role, turn.content});
      }
      generations = model_->generate_chat(conversations, call, &stats);
    }
    record(stats);
    (void)generations;  // every result was filled by on_done, which runs once per prompt
  }
  return out;
}

void LocalBackend::record(const runtime::ScheduleStats& stats) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  totals_.add_counts(stats);
  // How a call's slots were chosen (max_active=auto, or a fixed max_active that did not fit and was
  // paged): each suite's call chooses for its own prompts, so each new choice is printed.
  if (!stats.slots_reason.empty() && stats.slots_reason != last_reason_) {
    fmt::print(stderr, "local: {}\n", stats.slots_reason);
    last_reason_ = stats.slots_reason;
  }
}

std::string LocalBackend::engine() const {
  const std::string kernels = model_->cpu_kernels();
  return kernels.empty() ? "" : "cpu " + kernels;
}

runtime::ScheduleStats LocalBackend::schedule_totals() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return totals_;
}

std::vector<LoglikelihoodResult> LocalBackend::loglikelihood(const std::vector<LoglikelihoodRequest>& batch) {
  std::vector<std::string> prompts, continuations;
  for (const auto& r : batch) {
    prompts.push_back(r.prompt);
    continuations.push_back(r.continuation);
  }
  const std::vector<runtime::ContinuationScore> scores = model_->score(prompts, continuations);
  std::vector<LoglikelihoodResult> out(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    out[i].nll = scores[i].nll;
    out[i].tokens = scores[i].tokens;
    out[i].prompt_tokens = scores[i].prompt_tokens;
    if (!scores[i].error.empty()) out[i].error = scores[i].error;
  }
  return out;
}

}  // namespace aimicius
