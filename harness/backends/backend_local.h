// The `local:` backend: the project's DiffQKV runtime on a checkpoint folder.
// Spec: local:DIR, optionally with
// ?device=cpu|cuda[:N]&dtype=f32|bf16|f16&selective_v=K&chat=1&max_active=N|auto&prefix_reuse=0
// &fewshot=turns|inline&fixed_length=1
// (chat=1: prompts go through the checkpoint's chat format, for instruction-tuned models, with the
// few-shot examples as user/assistant turns unless fewshot=inline (backend.h PromptStyle);
// fixed_length=1: benchmarks only (`bench eval`): end-of-sequence tokens and stop strings are
// ignored, so every answer is exactly max_new_tokens long and a peer can generate the same tokens;
// max_active=N: at most N sequences generated at once, a finished one's cache slot taking the
// next prompt of the call at once; default: GenerationParams::max_active, which the runner sets to
// --batch-size, else the whole call at once (N slots of the call's longest sequence; where those
// run the device out of memory, a paged pool of what fits, prompts waiting for pages, said on
// stderr: runtime/slot_budget.h fixed_slot_budget); max_active=auto: the KV cache one paged pool of the
// device's free memory (off the GGUF CPU path; runtime/kv_pages.h), as many slots as it holds of the
// call's average prompt + max_new_tokens, a prompt admitted when the pool has pages for its own
// (runtime/slot_budget.h), --batch-size ignored, each call's choice and its numbers printed to stderr;
// prefix_reuse=0: every prompt prefilled whole, not from the K/V of the prefix (instruction and
// few-shot block) it shares with others (runtime/local_model.h; on by default, same answers
// within float rounding); phase_times=1: diagnostics, the time of each phase of the forwards
// (LocalModelOptions::phase_times, printed by `bench eval`; slower); decode_ahead=0|1: greedy decode
// steps queued one ahead of the host (LocalModelOptions::decode_ahead; default on for CUDA, same
// answers); memory_share=F: the share of the device's free memory (default 0.9) a pool sized from
// memory may take, divided between the runtimes of `run --devices 0,0` (replica_specs). The spec,
// with these keys, is recorded in the run's config.)
// The runner hands this backend a suite's pending examples in few large calls (requests_per_call)
// and gets each result as soon as its sequence ends (GenerationParams::on_result), so --batch-size
// means sequences on the device, not a batch that waits for its slowest member.
// The content hash covers config.json and every weight file, so a resumed run refuses a
// checkpoint that changed under it.
#pragma once

#include <memory>
#include <mutex>

#include "runtime/local_model.h"

#include "harness/backends/backend.h"

namespace aimicius {

class LocalBackend final : public Backend {
 public:
  explicit LocalBackend(const std::string& spec);
  ~LocalBackend() override;
  std::string spec() const override { return spec_; }
  std::string content_hash() const override { return hash_; }
  // Many batches' worth per call: the slots are refilled within the call, and finished examples
  // leave through on_result, so a large call costs neither latency nor what a crash loses.
  int64_t requests_per_call(int64_t batch_size) const override { return batch_size * 1024; }
  PromptStyle prompt_style() const override { return prompt_style_; }
  // "cpu " and the CPU path's kernel build (threads left out: they split work, not sums), or "".
  std::string engine() const override;
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override;
  // LocalModel::score: each prompt encoded as generate() encodes it (the chat format under chat=1),
  // the continuation on its own; an item that does not fit the context is that result's error.
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& batch) override;
  // The schedules of every generate() call so far, added up (ScheduleStats::add_counts): what
  // `bench eval` prints of prefix reuse.
  runtime::ScheduleStats schedule_totals() const;
  // How the model's decode steps of `batch` sequences run (LocalModel::decode_path): the spec's
  // device, quantized and threads options as the runtime took them.
  runtime::DecodePath decode_path(int64_t batch) const { return model_->decode_path(batch); }

 private:
  void record(const runtime::ScheduleStats& stats);
  std::string spec_;
  std::string hash_;
  std::unique_ptr<runtime::LocalModel> model_;
  int64_t max_active_ = 0;
  bool auto_max_active_ = false;
  bool prefix_reuse_ = true;
  bool fixed_length_ = false;
  mutable std::mutex stats_mu_;  // generate() runs on several worker threads
  runtime::ScheduleStats totals_;
  std::string last_reason_;  // the slot choice printed last (record())
  PromptStyle prompt_style_;
};

}  // namespace aimicius
