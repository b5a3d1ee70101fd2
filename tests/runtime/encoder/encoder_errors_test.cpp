// SentenceEncoder::load refuses bad model folders with an InputError that names the folder, file
// or tensor at fault: a missing folder, a missing or mis-shaped tensor, a truncated
// model.safetensors (the real model's, when present, and a tiny one's), bad config files.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/errors.h"
#include "runtime/encoder/sentence_encoder.h"
#include "tests/runtime/encoder/encoder_test_support.h"

namespace aimicius::runtime {
namespace {

// Runs load(dir) and returns the InputError's message ("" and a test failure when none is thrown).
std::string load_error(const std::filesystem::path& dir) {
  try {
    SentenceEncoder::load(dir);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "load(" << dir << ") did not throw InputError";
  return "";
}

void expect_contains(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "\"" << message << "\" does not mention \"" << part << "\"";
}

TEST(SentenceEncoderErrors, MissingModelFolder) {
  testing::EncoderScratchDir scratch;
  const std::string message = load_error(scratch.path() / "no-such-model");
  expect_contains(message, "no-such-model");
  expect_contains(message, "fetch-models.sh");
}

TEST(SentenceEncoderErrors, MissingTensorIsNamed) {
  testing::EncoderScratchDir scratch;
  testing::TinyBertOptions options;
  options.omit_tensor = "encoder.layer.1.attention.self.key.weight";
  testing::write_tiny_bert(scratch.path(), options);
  expect_contains(load_error(scratch.path()), "encoder.layer.1.attention.self.key.weight");
}

TEST(SentenceEncoderErrors, MisshapedTensorIsNamed) {
  testing::EncoderScratchDir scratch;
  testing::TinyBertOptions options;
  options.misshape_tensor = "encoder.layer.0.intermediate.dense.weight";
  testing::write_tiny_bert(scratch.path(), options);
  const std::string message = load_error(scratch.path());
  expect_contains(message, "encoder.layer.0.intermediate.dense.weight");
  expect_contains(message, "[17, 8]");
}

TEST(SentenceEncoderErrors, TruncatedTinyCheckpoint) {
  testing::EncoderScratchDir scratch;
  testing::write_tiny_bert(scratch.path());
  const auto file = scratch.path() / "model.safetensors";
  std::filesystem::resize_file(file, std::filesystem::file_size(file) - 100);
  expect_contains(load_error(scratch.path()), "model.safetensors");
}

TEST(SentenceEncoderErrors, TruncatedRealCheckpoint) {
  AIMICIUS_NEED_ENCODER_MODEL();
  testing::EncoderScratchDir scratch;
  const auto copy = scratch.path() / "all-MiniLM-L6-v2";
  std::filesystem::copy(testing::encoder_model_dir(), copy, std::filesystem::copy_options::recursive);
  const auto file = copy / "model.safetensors";
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  expect_contains(load_error(copy), "model.safetensors");
}

TEST(SentenceEncoderErrors, BadConfigFilesAreNamed) {
  testing::EncoderScratchDir scratch;
  testing::write_tiny_bert(scratch.path());
  std::filesystem::create_directories(scratch.path() / "1_Pooling");
  testing::write_file(scratch.path() / "1_Pooling" / "config.json", R"({"pooling_mode_cls_token": true})");
  expect_contains(load_error(scratch.path()), "pooling_mode_cls_token");
  std::filesystem::remove_all(scratch.path() / "1_Pooling");

  testing::write_file(scratch.path() / "sentence_bert_config.json", R"({"max_seq_length": "long"})");
  expect_contains(load_error(scratch.path()), "sentence_bert_config.json");
  std::filesystem::remove(scratch.path() / "sentence_bert_config.json");

  testing::write_file(scratch.path() / "config.json", R"({"hidden_size": 8)");
  expect_contains(load_error(scratch.path()), "config.json");
  std::filesystem::remove(scratch.path() / "config.json");
  expect_contains(load_error(scratch.path()), "config.json");
}

// A config file that is there but cannot be read (a dangling symlink) is named, never taken as
// absent: each of these changes what the encoder computes when it is read.
TEST(SentenceEncoderErrors, DanglingConfigFilesAreNamedNotSkipped) {
  for (const char* name : {"sentence_bert_config.json", "1_Pooling/config.json", "tokenizer_config.json"}) {
    testing::EncoderScratchDir scratch;
    testing::write_tiny_bert(scratch.path());
    const std::filesystem::path file = scratch.path() / name;
    std::filesystem::create_directories(file.parent_path());
    std::filesystem::remove(file);
    std::filesystem::create_symlink(scratch.path() / "gone.json", file);
    const std::string message = load_error(scratch.path());
    expect_contains(message, name);
    expect_contains(message, "a symlink to a file that does not exist");
  }
}

TEST(SentenceEncoderErrors, MissingVocabularyIsNamed) {
  testing::EncoderScratchDir scratch;
  testing::write_tiny_bert(scratch.path());
  std::filesystem::remove(scratch.path() / "vocab.txt");
  expect_contains(load_error(scratch.path()), "vocab.txt");
}

}  // namespace
}  // namespace aimicius::runtime
