// SentenceEncoder against sentence-transformers: every fixture text's embedding (data/embeddings.f32,
// made by data/make_fixtures.py) agrees to 1e-4 cosine, pair similarities to 1e-4, and embed() is
// batch- and thread-independent. Tests needing models/all-MiniLM-L6-v2 skip without it (or fail
// with AIMICIUS_REQUIRE_MODELS=1); the tiny-checkpoint tests always run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "common/cosine.h"
#include "runtime/encoder/sentence_encoder.h"
#include "tests/runtime/encoder/encoder_test_support.h"

namespace aimicius::runtime {
namespace {

constexpr double kCosineTolerance = 1e-4;  // the bar

struct ReferenceFixture {
  std::vector<std::string> texts;
  std::vector<std::vector<float>> embeddings;
  nlohmann::json pairs;
};

ReferenceFixture read_reference() {
  const nlohmann::json json = testing::read_json_fixture("embeddings.json");
  ReferenceFixture fixture;
  fixture.texts = json["texts"].get<std::vector<std::string>>();
  fixture.embeddings = testing::read_reference_embeddings(fixture.texts.size(), json["dim"].get<size_t>());
  fixture.pairs = json["pairs"];
  return fixture;
}

TEST(SentenceEncoder, AgreesWithSentenceTransformers) {
  AIMICIUS_NEED_ENCODER_MODEL();
  const auto encoder = SentenceEncoder::load(testing::encoder_model_dir());
  ASSERT_EQ(encoder->dim(), 384);
  ASSERT_EQ(encoder->max_seq_length(), 256);
  const ReferenceFixture reference = read_reference();
  ASSERT_GE(reference.texts.size(), 200u);
  const auto embeddings = encoder->embed(reference.texts);
  ASSERT_EQ(embeddings.size(), reference.texts.size());
  double min_cosine = 1.0;
  for (size_t i = 0; i < embeddings.size(); ++i) {
    ASSERT_EQ(embeddings[i].size(), 384u);
    const double cosine = cosine_similarity(embeddings[i], reference.embeddings[i]);
    min_cosine = std::min(min_cosine, cosine);
    EXPECT_GE(cosine, 1.0 - kCosineTolerance) << "text " << i << ": " << reference.texts[i];
  }
  RecordProperty("min_cosine", std::to_string(min_cosine));
  std::printf("min cosine over %zu fixture texts: 1 - %.3g\n", embeddings.size(), 1.0 - min_cosine);
}

TEST(SentenceEncoder, PairSimilaritiesMatchReference) {
  AIMICIUS_NEED_ENCODER_MODEL();
  const auto encoder = SentenceEncoder::load(testing::encoder_model_dir());
  const ReferenceFixture reference = read_reference();
  ASSERT_GE(reference.pairs.size(), 5u);
  for (const auto& pair : reference.pairs) {
    const auto a = pair["a"].get<size_t>(), b = pair["b"].get<size_t>();
    const auto embeddings = encoder->embed({reference.texts[a], reference.texts[b]});
    EXPECT_NEAR(cosine_similarity(embeddings[0], embeddings[1]), pair["cosine"].get<double>(), kCosineTolerance)
        << reference.texts[a] << " | " << reference.texts[b];
  }
  // And the scores order as a reader expects.
  const auto e = encoder->embed({"The GPU is running out of memory during training.",
                                 "CUDA reported an out-of-memory error while the model was being trained.",
                                 "How do I bake sourdough bread?"});
  EXPECT_GT(cosine_similarity(e[0], e[1]), cosine_similarity(e[0], e[2]) + 0.3);
}

TEST(SentenceEncoder, EmbeddingsDoNotDependOnBatchOrThread) {
  AIMICIUS_NEED_ENCODER_MODEL();
  const auto encoder = SentenceEncoder::load(testing::encoder_model_dir());
  const ReferenceFixture reference = read_reference();
  // The hand-written sentences (of different lengths) and two tokenizer cases: a small batch, so
  // this stays quick even where LibTorch falls back to the reference BLAS.
  std::vector<std::string> texts(reference.texts.begin(), reference.texts.begin() + 16);
  const auto batched = encoder->embed(texts);
  for (size_t i : {0u, 7u, 15u}) {
    const auto alone = encoder->embed({texts[i]});
    EXPECT_GE(cosine_similarity(alone[0], batched[i]), 1.0 - 1e-6) << texts[i];
  }
  std::vector<std::vector<std::vector<float>>> results(3);
  std::vector<std::thread> threads;
  for (auto& result : results) threads.emplace_back([&] { result = encoder->embed(texts); });
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) {
    ASSERT_EQ(result.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) EXPECT_GE(cosine_similarity(result[i], batched[i]), 1.0 - 1e-6);
  }
  EXPECT_TRUE(encoder->embed({}).empty());
}

double norm(const std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

TEST(SentenceEncoder, TinyCheckpointGivesUnitVectors) {
  testing::EncoderScratchDir scratch;
  testing::write_tiny_bert(scratch.path());
  const auto encoder = SentenceEncoder::load(scratch.path());
  EXPECT_EQ(encoder->dim(), 8);
  EXPECT_EQ(encoder->max_seq_length(), 16);  // no sentence_bert_config.json: the position table
  const auto e = encoder->embed({"the gpu is hot!", "", std::string(200, 'x') + " the gpus is cool"});
  ASSERT_EQ(e.size(), 3u);
  for (const auto& v : e) {
    ASSERT_EQ(v.size(), 8u);
    EXPECT_NEAR(norm(v), 1.0, 1e-5);
  }
}

TEST(SentenceEncoder, AcceptsBertPrefixedTensorNames) {
  testing::EncoderScratchDir plain, prefixed;
  testing::write_tiny_bert(plain.path());
  testing::TinyBertOptions options;
  options.prefix = "bert.";
  testing::write_tiny_bert(prefixed.path(), options);
  const auto a = SentenceEncoder::load(plain.path())->embed({"the gpu is hot!"});
  const auto b = SentenceEncoder::load(prefixed.path())->embed({"the gpu is hot!"});
  EXPECT_GE(cosine_similarity(a[0], b[0]), 1.0 - 1e-9);
}

TEST(CosineSimilarity, Basics) {
  EXPECT_DOUBLE_EQ(cosine_similarity({1, 0}, {2, 0}), 1.0);
  EXPECT_NEAR(cosine_similarity({1, 0}, {0, 3}), 0.0, 1e-12);
  EXPECT_NEAR(cosine_similarity({1, 1}, {-1, -1}), -1.0, 1e-12);
  EXPECT_EQ(cosine_similarity({0, 0}, {1, 2}), 0.0);
  EXPECT_THROW(cosine_similarity({1, 2}, {1, 2, 3}), std::invalid_argument);
}

}  // namespace
}  // namespace aimicius::runtime
