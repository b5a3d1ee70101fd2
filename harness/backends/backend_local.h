// The `local:` backend: the project's DiffQKV runtime on a checkpoint folder.
// Spec: local:DIR, optionally with ?device=cpu|cuda[:N]&dtype=f32|bf16|f16&selective_v=K&chat=1&max_active=N
// &fewshot=turns|inline
// (chat=1: prompts go through the checkpoint's chat format, for instruction-tuned models, with the
// few-shot examples as user/assistant turns unless fewshot=inline (backend.h PromptStyle);
// max_active=N: at most N sequences generated at once, a finished one's cache slot taking the
// next prompt of the batch at once; default: the whole batch at once).
// The content hash covers config.json and every weight file, so a resumed run refuses a
// checkpoint that changed under it.
#pragma once

#include <memory>

#include "harness/backends/backend.h"

namespace aimicius::runtime {
class LocalModel;
}

namespace aimicius {

class LocalBackend final : public Backend {
 public:
  explicit LocalBackend(const std::string& spec);
  ~LocalBackend() override;
  std::string spec() const override { return spec_; }
  std::string content_hash() const override { return hash_; }
  PromptStyle prompt_style() const override { return prompt_style_; }
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& batch,
                                         const GenerationParams& params) override;
  // LocalModel::score: each prompt encoded as generate() encodes it (the chat format under chat=1),
  // the continuation on its own; an item that does not fit the context is that result's error.
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& batch) override;

 private:
  std::string spec_;
  std::string hash_;
  std::unique_ptr<runtime::LocalModel> model_;
  int64_t max_active_ = 0;
  PromptStyle prompt_style_;
};

}  // namespace aimicius
