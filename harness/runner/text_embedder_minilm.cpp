// load_text_embedder for builds with the runtime: the SentenceEncoder (runtime/encoder) behind
// the scorers' TextEmbedder interface.
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/runner/text_embedder_loader.h"
#include "runtime/encoder/sentence_encoder.h"

namespace aimicius {
namespace {

class SentenceEncoderEmbedder final : public TextEmbedder {
 public:
  SentenceEncoderEmbedder(std::unique_ptr<runtime::SentenceEncoder> encoder, std::string name)
      : encoder_(std::move(encoder)), name_(std::move(name)) {}
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    return encoder_->embed(texts);
  }
  std::string name() const override { return name_; }

 private:
  std::unique_ptr<runtime::SentenceEncoder> encoder_;
  std::string name_;
};

}  // namespace

std::shared_ptr<const TextEmbedder> load_text_embedder(const std::filesystem::path& model_dir) {
  if (!std::filesystem::exists(model_dir / "model.safetensors"))
    throw InputError(fmt::format("the embedding model is missing at {} (suites with embedding metrics need it): "
                                 "run scripts/fetch-models.sh, or pass --encoder DIR",
                                 model_dir.string()));
  return std::make_shared<SentenceEncoderEmbedder>(runtime::SentenceEncoder::load(model_dir),
                                                   model_dir.filename().string());
}

}  // namespace aimicius
