// The bundled default model (checkpoints/sigma-mini): its shape is training/configs/sigma-mini.json
// (what scripts/gpu/run-train.sh trained), it loads in the runtime, and it is trained: on text of
// the corpus' formats its loss is far below that of the same shape with random weights.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "runtime/checkpoint_writer.h"
#include "runtime/model.h"
#include "runtime/tokenizer/tokenizer.h"
#include "test_support.h"

namespace aimicius::runtime {
namespace {

const std::filesystem::path kBundled = std::filesystem::path(AIMICIUS_SOURCE_DIR) / "checkpoints" / "sigma-mini";

// Mean next-token loss (nats per token) of `text` under the checkpoint in `dir`.
double loss_on(const std::filesystem::path& dir, const std::string& text) {
  auto model = Model::load(dir, ModelOptions{});
  auto tokenizer = load_tokenizer(dir);
  const std::vector<int32_t> ids = tokenizer->encode(text, true);
  const torch::Tensor tokens = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).view({1, -1});
  KVCache cache = model->make_cache(1, tokens.size(1));
  const torch::Tensor logits = model->forward(tokens, cache, {0}, false)[0];  // [T, vocab]
  const int64_t T = tokens.size(1) - 1;
  return torch::nn::functional::cross_entropy(logits.narrow(0, 0, T), tokens[0].narrow(0, 1, T)).item<double>();
}

TEST(BundledCheckpoint, IsTheTrainingConfigsShapeAndIsTrained) {
  std::ifstream in(std::filesystem::path(AIMICIUS_SOURCE_DIR) / "training" / "configs" / "sigma-mini.json");
  const ModelConfig trained_shape = parse_model_config(nlohmann::json::parse(in), "sigma-mini.json");
  const ModelConfig bundled = load_model_config(kBundled);
  EXPECT_EQ(bundled.to_json().dump(), trained_shape.to_json().dump());
  // Its tokenizer is the SentencePiece vocabulary it was trained with, and the config names its specials.
  const auto tokenizer = load_tokenizer(kBundled);
  EXPECT_EQ(tokenizer->vocab_size(), bundled.vocab_size);
  EXPECT_EQ(tokenizer->bos_id().value_or(-1), bundled.bos_token_ids.at(0));
  EXPECT_EQ(bundled.num_k_heads, 1);
  EXPECT_GT(bundled.aug_q_size, 0);

  // A few-shot diagnostics example in the corpus' plain form (the question, then its SQL).
  std::ifstream fewshot(std::filesystem::path(AIMICIUS_SOURCE_DIR) / "datasets" / "diagnostics" / "fewshot.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(fewshot, line));
  const nlohmann::json ex = nlohmann::json::parse(line);
  const std::string text = ex.at("question").get<std::string>() + "\n" + ex.at("reference").get<std::string>();
  ASSERT_GT(text.size(), 40u);

  aimicius::testing::ScratchDir random_dir;
  write_random_checkpoint(trained_shape, random_dir.path(), CheckpointOptions{});
  const double random_loss = loss_on(random_dir.path(), text);
  const double trained_loss = loss_on(kBundled, text);
  EXPECT_GT(random_loss, std::log(static_cast<double>(bundled.vocab_size)) - 0.5);  // a uniform guess
  EXPECT_LT(trained_loss, 0.6 * random_loss) << "trained " << trained_loss << " vs random " << random_loss;
}

}  // namespace
}  // namespace aimicius::runtime
