// `aimicius train` (training/trainer.h): the trainable model computes the same logits as the
// inference runtime on the checkpoint it writes (so a trained model is evaluated as it was
// trained), training lowers the held-out loss on a learnable corpus, runs are deterministic, the
// schedule has its shape, and bad input is named.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <map>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "training/corpus_tokenizer.h"
#include "runtime/local_model.h"
#include "runtime/model.h"
#include "training/train_model.h"
#include "training/trainer.h"
#include "test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::ScratchDir;

// A corpus a tiny model can learn in a few dozen steps: short, repetitive system-style lines.
void write_corpus(const std::filesystem::path& file, int docs) {
  std::ofstream out(file);
  const char* tools[] = {"nvidia-smi -L", "rocm-smi --showuse", "ibstat", "nvcc --version"};
  for (int i = 0; i < docs; ++i) {
    nlohmann::json doc = {{"source", "test"}, {"id", std::to_string(i)},
                          {"text", std::string("request: list the gpus\ncommand: ") + tools[i % 4] + "\n"}};
    out << doc.dump() << "\n";
  }
}

TrainOptions tiny_options(const std::filesystem::path& corpus, const std::filesystem::path& out) {
  TrainOptions o;
  o.config = preset_config("tiny-diffqkv");
  o.corpus = corpus;
  o.out = out;
  o.steps = 60;
  o.batch = 8;
  o.seq_len = 48;
  o.lr = 1e-2;
  o.warmup = 5;
  o.eval_every = 0;
  o.eval_windows = 16;
  o.log_every = 20;
  o.save_dtype = "f32";
  return o;
}

// The trainer's forward is the DiffQKV/Llama one: a Gemma-family shape is refused by name rather
// than trained as a different model and saved under its model_type.
TEST(Train, GemmaFamilyAndQwen3ShapesAreRefused) {
  for (const char* type : {"gemma", "gemma2", "gemma3_text", "qwen3"}) {
    nlohmann::json j = preset_config("tiny-gqa").to_json();
    j["model_type"] = type;
    const ModelConfig gemma = parse_model_config(j, "gemma.json");
    try {
      TrainableModel m(gemma, torch::kCPU, 1);
      ADD_FAILURE() << type << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(type), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(TrainableModel(preset_config("tiny-gqa"), torch::kCPU, 1));
}

TEST(Train, TrainedCheckpointGivesTheRuntimeTheTrainersLogits) {
  ScratchDir dir;
  write_corpus(dir.path() / "corpus.jsonl", 200);
  TrainOptions o = tiny_options(dir.path() / "corpus.jsonl", dir.path() / "ckpt");
  o.steps = 5;
  train_model(o, [](const std::string&) {});
  // Reload the written weights into both forwards and compare on one sequence.
  auto model = Model::load(o.out, ModelOptions{});
  const torch::Tensor tokens = torch::tensor(std::vector<int64_t>{256, 114, 101, 113, 117, 101, 115, 116, 58, 32}).view({1, -1});
  KVCache cache = model->make_cache(1, 32);
  const torch::Tensor want = model->forward(tokens, cache, {0}, /*last_only=*/false);
  TrainableModel trained(o.config, torch::kCPU, 0);
  // Same weights: load the checkpoint's tensors into the trainable model's parameters.
  SafetensorsCheckpoint ckpt = SafetensorsCheckpoint::open(o.out);
  {
    torch::NoGradGuard no_grad;
    const auto params = trained.parameters();
    const auto names = trained.export_weights(torch::kFloat32);
    ASSERT_EQ(params.size(), names.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const std::vector<float> values = to_float_vector(ckpt.require(names[i].first, params[i].sizes().vec()));
      params[i].copy_(torch::tensor(values).view(params[i].sizes()));
    }
  }
  const torch::Tensor got = trained.forward(tokens);
  EXPECT_LT((got - want).abs().max().item<double>() / want.abs().max().item<double>(), 1e-5);
}

// On CUDA the trainer attends with LibTorch's fused SDPA, on the CPU with its own float32 path:
// the same weights must give the same logits either way (DiffQKV with aug-Q, and GQA).
TEST(TrainCuda, CudaAttentionPathComputesTheCpuPathsLogits) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine: GPU test skipped";
  for (const char* preset : {"tiny-diffqkv", "tiny-gqa"}) {
    SCOPED_TRACE(preset);
    ModelConfig config = preset_config(preset);
    config.head_dim_v = config.head_dim_qk;  // the fused path needs equal K and V head sizes
    TrainableModel cpu(config, torch::kCPU, 7);
    TrainableModel cuda(config, torch::kCUDA, 8);
    {
      torch::NoGradGuard no_grad;
      const auto from = cpu.parameters();
      const auto to = cuda.parameters();
      ASSERT_EQ(from.size(), to.size());
      for (size_t i = 0; i < from.size(); ++i) to[i].copy_(from[i]);
    }
    const torch::Tensor tokens = torch::randint(0, config.vocab_size, {2, 40}, torch::kLong);
    const torch::Tensor want = cpu.forward(tokens);
    const torch::Tensor got = cuda.forward(tokens.to(torch::kCUDA)).cpu();
    EXPECT_LT((got - want).abs().max().item<double>() / want.abs().max().item<double>(), 1e-4);
  }
}

TEST(Train, LossFallsOnALearnableCorpusAndRunsAreDeterministic) {
  ScratchDir dir;
  write_corpus(dir.path() / "corpus.jsonl", 300);
  TrainOptions o = tiny_options(dir.path() / "corpus.jsonl", dir.path() / "a");
  TrainOptions untrained = o;
  untrained.steps = 1;
  untrained.out = dir.path() / "u";
  const TrainReport before = train_model(untrained, [](const std::string&) {});
  const TrainReport a = train_model(o, [](const std::string&) {});
  ASSERT_FALSE(a.eval_loss.empty());
  // ln(272) = 5.6 nats for a uniform guess; the lines above are nearly deterministic after their
  // first few characters, so 60 steps must take the held-out loss far below it.
  EXPECT_GT(before.eval_loss.back().second, 4.5);
  EXPECT_LT(a.eval_loss.back().second, 0.5 * before.eval_loss.back().second);
  // `aimicius eval-loss` measures the written checkpoint on the trainer's own held-out windows.
  EXPECT_NEAR(heldout_loss(o.out, o.corpus, o.seq_len, o.eval_windows), a.eval_loss.back().second, 1e-4);
  TrainOptions again = o;
  again.out = dir.path() / "b";
  const TrainReport b = train_model(again, [](const std::string&) {});
  EXPECT_EQ(a.eval_loss.back().second, b.eval_loss.back().second);
  // The checkpoint generates with the runtime, and train_log.json records the run.
  LocalModelOptions lo;
  auto local = LocalModel::load(o.out, lo);
  SamplingParams sp;
  sp.max_new_tokens = 8;
  EXPECT_EQ(local->generate({"request: list the gpus\ncommand: "}, sp).size(), 1u);
  std::ifstream log(o.out / "train_log.json");
  const nlohmann::json j = nlohmann::json::parse(log);
  EXPECT_EQ(j["options"]["steps"], 60);
  EXPECT_EQ(j["parameters"], a.parameters);
}

TEST(Train, ScheduleWarmsUpThenDecaysToTheFloor) {
  EXPECT_DOUBLE_EQ(scheduled_lr(0, 100, 10, 1.0, 0.1), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(9, 100, 10, 1.0, 0.1), 1.0);
  EXPECT_NEAR(scheduled_lr(55, 100, 10, 1.0, 0.1), 0.55, 1e-12);  // half-way down the cosine
  EXPECT_NEAR(scheduled_lr(100, 100, 10, 1.0, 0.1), 0.1, 1e-12);
}

TEST(Train, BadCorpusLinesAndTooSmallCorporaAreNamed) {
  ScratchDir dir;
  {
    std::ofstream out(dir.path() / "bad.jsonl");
    out << "{\"text\": \"ok\"}\n{not json\n";
  }
  TrainOptions o = tiny_options(dir.path() / "bad.jsonl", dir.path() / "x");
  try {
    train_model(o, [](const std::string&) {});
    FAIL() << "a malformed line must be an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
  }
  write_corpus(dir.path() / "small.jsonl", 3);
  o.corpus = dir.path() / "small.jsonl";
  EXPECT_THROW(train_model(o, [](const std::string&) {}), InputError);
}

// Training into the folder of an existing checkpoint with a bad corpus (or a tokenizer that does
// not match the config) fails before `out` is touched: the checkpoint there stays whole.
TEST(Train, AFailedRunLeavesTheCheckpointInOutWhole) {
  ScratchDir dir;
  write_corpus(dir.path() / "corpus.jsonl", 200);
  TrainOptions o = tiny_options(dir.path() / "corpus.jsonl", dir.path() / "ckpt");
  o.steps = 2;
  train_model(o, [](const std::string&) {});
  const auto snapshot = [&] {
    std::map<std::string, std::string> files;
    for (const auto& f : std::filesystem::directory_iterator(o.out)) {
      std::ifstream in(f.path(), std::ios::binary);
      files[f.path().filename().string()] = std::string(std::istreambuf_iterator<char>(in), {});
    }
    return files;
  };
  const auto before = snapshot();
  ASSERT_TRUE(before.count("tokenizer.json") && before.count("model.safetensors"));
  {
    std::ofstream bad(dir.path() / "bad.jsonl");
    bad << "{\"text\": \"ok\"}\n{not json\n";
  }
  TrainOptions broken = o;
  broken.corpus = dir.path() / "bad.jsonl";
  EXPECT_THROW(train_model(broken, [](const std::string&) {}), InputError);
  train_corpus_tokenizer(dir.path() / "corpus.jsonl", 360, dir.path() / "tok");
  TrainOptions mismatched = o;
  mismatched.tokenizer = dir.path() / "tok";  // 360 pieces against the config's 272
  EXPECT_THROW(train_model(mismatched, [](const std::string&) {}), InputError);
  EXPECT_EQ(snapshot(), before);
}

// A checkpoint trained with a SentencePiece tokenizer (`train --tokenizer`) carries it: the runtime
// tokenizes with it, config.json names its bos/eos, and a vocabulary that does not match the
// config is named before anything trains.
TEST(Train, SentencePieceTokenizerTravelsWithTheCheckpoint) {
  ScratchDir dir;
  write_corpus(dir.path() / "corpus.jsonl", 300);
  train_corpus_tokenizer(dir.path() / "corpus.jsonl", 360, dir.path() / "tok");
  TrainOptions o = tiny_options(dir.path() / "corpus.jsonl", dir.path() / "ckpt");
  o.tokenizer = dir.path() / "tok";
  o.steps = 40;
  try {
    train_model(o, [](const std::string&) {});
    FAIL() << "vocab_size " << o.config.vocab_size << " against 360 pieces must be an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("360 pieces"), std::string::npos) << e.what();
  }
  o.config.vocab_size = 360;
  const TrainReport report = train_model(o, [](const std::string&) {});
  EXPECT_TRUE(std::filesystem::exists(o.out / "tokenizer.model"));
  EXPECT_FALSE(std::filesystem::exists(o.out / "tokenizer.json"));  // no byte-level tokenizer beside it
  std::ifstream config_file(o.out / "config.json");
  const nlohmann::json config = nlohmann::json::parse(config_file);
  EXPECT_EQ(config["bos_token_id"], 1);
  EXPECT_EQ(config["eos_token_id"], 2);
  // Far fewer tokens than bytes: the stream the model learnt from is the SentencePiece one.
  std::ifstream log_file(o.out / "train_log.json");
  const nlohmann::json log = nlohmann::json::parse(log_file);
  EXPECT_LT(log["corpus"]["train_tokens"].get<int64_t>() * 3, log["corpus"]["bytes"].get<int64_t>());
  EXPECT_NEAR(heldout_loss(o.out, o.corpus, o.seq_len, o.eval_windows), report.eval_loss.back().second, 1e-4);
  auto local = LocalModel::load(o.out, LocalModelOptions{});
  SamplingParams sp;
  sp.max_new_tokens = 6;
  const auto out = local->generate({"request: list the gpus\ncommand: "}, sp);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].error.empty()) << out[0].error;
  EXPECT_FALSE(out[0].text.empty());
}

}  // namespace
}  // namespace aimicius::runtime
