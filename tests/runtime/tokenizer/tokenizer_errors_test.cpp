// Bad checkpoints: every failure is an aimicius::InputError whose message names the folder or
// file, and where it applies the JSON path and the token at fault.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "common/errors.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/runtime/tokenizer/tokenizer_test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::read_fixture_json;
using aimicius::testing::TokenizerScratchDir;
using aimicius::testing::write_file;

void expect_input_error(const std::function<void()>& action, const std::vector<std::string>& fragments) {
  try {
    action();
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& error) {
    const std::string message = error.what();
    for (const auto& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos) << "'" << fragment << "' not in: " << message;
    }
  }
}

// A checkpoint folder holding the llama3 fixture's tokenizer.json after `edit`.
void write_edited_llama3(const TokenizerScratchDir& dir, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json json = read_fixture_json("llama3_bpe/tokenizer.json");
  edit(json);
  write_file(dir / "tokenizer.json", json.dump());
}

TEST(TokenizerErrors, MissingFolderIsNamed) {
  const TokenizerScratchDir dir;
  const auto missing = dir / "no-such-checkpoint";
  expect_input_error([&] { load_tokenizer(missing); }, {missing.string(), "not a checkpoint directory"});
}

TEST(TokenizerErrors, FolderWithoutTokenizerIsNamed) {
  const TokenizerScratchDir dir;
  expect_input_error([&] { load_tokenizer(dir.path()); },
                     {dir.path().string(), "no tokenizer.json or tokenizer.model"});
}

TEST(TokenizerErrors, MalformedTokenizerJsonNamesTheFile) {
  const TokenizerScratchDir dir;
  write_file(dir / "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {");
  expect_input_error([&] { load_tokenizer(dir.path()); }, {(dir / "tokenizer.json").string(), "malformed JSON"});
}

TEST(TokenizerErrors, MergeWithUnknownTokenNamesMergeAndToken) {
  const TokenizerScratchDir dir;
  write_edited_llama3(dir, [](nlohmann::json& json) {
    json["model"]["merges"][7] = nlohmann::json::array({"h", "zzz-not-a-token"});
  });
  expect_input_error([&] { load_tokenizer(dir.path()); },
                     {"tokenizer.json", "model.merges[7]", "'zzz-not-a-token'"});
}

TEST(TokenizerErrors, MergeWhoseResultIsMissingIsNamed) {
  const TokenizerScratchDir dir;
  write_edited_llama3(dir, [](nlohmann::json& json) { json["model"]["merges"].push_back("Q Z"); });
  expect_input_error([&] { load_tokenizer(dir.path()); }, {"model.merges[", "merged token 'QZ'"});
}

// Ids the post-processor adds to every text must be tokens: one past the vocabulary would fail
// every prompt later (as "token id outside the vocabulary") instead of the load now.
TEST(TokenizerErrors, PostProcessorIdOutsideTheVocabularyIsNamed) {
  const TokenizerScratchDir dir;
  write_edited_llama3(dir, [](nlohmann::json& json) {
    for (auto& processor : json["post_processor"]["processors"])
      if (processor["type"] == "TemplateProcessing")
        for (auto& [name, token] : processor["special_tokens"].items()) token["ids"] = {99999999};
  });
  expect_input_error([&] { load_tokenizer(dir.path()); },
                     {"tokenizer.json", "post_processor", "special token id 99999999 is not in the vocabulary"});
}

// An empty vocabulary would encode every text to nothing; an id far past the vocabulary's size
// would size the id table by it (2^31 - 1: 64 GB).
TEST(TokenizerErrors, EmptyOrSparseVocabularyIsNamed) {
  const TokenizerScratchDir dir;
  write_edited_llama3(dir, [](nlohmann::json& json) {
    json["model"]["vocab"] = nlohmann::json::object();
    json["model"]["merges"] = nlohmann::json::array();
  });
  expect_input_error([&] { load_tokenizer(dir.path()); }, {"tokenizer.json", "model.vocab", "an empty vocabulary"});
  write_edited_llama3(dir, [](nlohmann::json& json) { json["model"]["vocab"]["zzz-far"] = 2147483647; });
  expect_input_error([&] { load_tokenizer(dir.path()); }, {"model.vocab", "'zzz-far'", "id 2147483647 is far past"});
}

// Two tokens under one id: decoding could give back only one of them, so a text holding the other
// would not survive the round trip.
TEST(TokenizerErrors, TwoTokensWithOneIdAreNamed) {
  const TokenizerScratchDir dir;
  write_edited_llama3(dir, [](nlohmann::json& json) {
    json["model"]["vocab"]["zzz-twin"] = json["model"]["vocab"]["Q"].get<int64_t>();
  });
  expect_input_error([&] { load_tokenizer(dir.path()); }, {"tokenizer.json", "model.vocab", "'zzz-twin'", "same id"});
}

TEST(TokenizerErrors, UnsupportedModelTypeNamesModelType) {
  const TokenizerScratchDir dir;
  write_edited_llama3(dir, [](nlohmann::json& json) { json["model"]["type"] = "Unigram"; });
  expect_input_error([&] { load_tokenizer(dir.path()); }, {"tokenizer.json", "model.type", "Unigram"});
}

TEST(TokenizerErrors, UnsupportedSplitPatternIsNamed) {
  const TokenizerScratchDir dir;
  const std::string pattern = R"(\p{L}+(?=\d)|\s+)";
  write_edited_llama3(dir, [&](nlohmann::json& json) {
    json["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = pattern;
  });
  expect_input_error([&] { load_tokenizer(dir.path()); },
                     {"tokenizer.json", "pre_tokenizer.pretokenizers[0].pattern.Regex", pattern});
}

TEST(TokenizerErrors, NonByteLevelTokenizerJsonIsRejectedWithoutTokenizerModel) {
  const TokenizerScratchDir dir;
  write_edited_llama3(dir, [](nlohmann::json& json) {
    json["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}};
  });
  expect_input_error([&] { load_tokenizer(dir.path()); }, {"pre_tokenizer.type", "Metaspace"});
}

TEST(TokenizerErrors, UnknownTokenInTokenizerConfigIsNamed) {
  const TokenizerScratchDir dir;
  write_edited_llama3(dir, [](nlohmann::json&) {});
  write_file(dir / "tokenizer_config.json", R"({"eos_token": {"content": "<|no_such_token|>"}})");
  expect_input_error([&] { load_tokenizer(dir.path()); },
                     {"tokenizer_config.json", "eos_token", "<|no_such_token|>"});
}

TEST(TokenizerErrors, EosIdOutsideVocabularyIsNamed) {
  const TokenizerScratchDir dir;
  write_edited_llama3(dir, [](nlohmann::json&) {});
  write_file(dir / "config.json", R"({"eos_token_id": [1, 999999]})");
  expect_input_error([&] { load_tokenizer(dir.path()); }, {"config.json", "eos_token_id[1]", "999999"});
}

// The files that state bos / eos: one that is there but cannot be read (a dangling symlink, a
// folder) is named, never read as "this file says nothing".
TEST(TokenizerErrors, ADanglingOrNonRegularSpecialTokenFileIsNamed) {
  for (const char* name : {"tokenizer_config.json", "config.json", "generation_config.json"}) {
    const TokenizerScratchDir dir;
    write_edited_llama3(dir, [](nlohmann::json&) {});
    std::filesystem::create_symlink(dir / "gone.json", dir / name);
    expect_input_error([&] { load_tokenizer(dir.path()); }, {name, "a symlink to a file that does not exist"});
    std::filesystem::remove(dir / name);
    std::filesystem::create_directory(dir / name);
    expect_input_error([&] { load_tokenizer(dir.path()); }, {name, "a directory, where a file is expected"});
  }
}

TEST(TokenizerErrors, CorruptSentencePieceModelNamesTheFile) {
  const TokenizerScratchDir dir;
  write_file(dir / "tokenizer.model", "this is not a protobuf");
  expect_input_error([&] { load_tokenizer(dir.path()); }, {(dir / "tokenizer.model").string()});
}

// A well-formed protobuf whose piece starts with a NUL byte: libsentencepiece throws (darts-clone,
// "zero-length key") instead of answering a status, which ended the process (fuzzer finding #7).
TEST(TokenizerErrors, ASentencePieceModelTheLibraryThrowsOnIsAnInputError) {
  const TokenizerScratchDir dir;
  const std::filesystem::path finding = std::filesystem::path(AIMICIUS_SOURCE_DIR) / "fuzz" / "corpus" /
                                        "sentencepiece" / "finding-darts-zero-length-key.model";
  write_file(dir / "tokenizer.model", aimicius::testing::read_text(finding));
  expect_input_error([&] { load_tokenizer(dir.path()); }, {(dir / "tokenizer.model").string(), "zero-length key"});
}

// A model libsentencepiece loads but cannot encode with ("all normalized characters are not
// consumed"): the failure was a std::runtime_error, i.e. exit 1 "internal error" (fuzzer finding #9).
TEST(TokenizerErrors, ASentencePieceModelThatCannotEncodeIsAnInputError) {
  const TokenizerScratchDir dir;
  const std::filesystem::path finding = std::filesystem::path(AIMICIUS_SOURCE_DIR) / "fuzz" / "corpus" /
                                        "sentencepiece" / "finding-encode-not-consumed.model";
  write_file(dir / "tokenizer.model", aimicius::testing::read_text(finding));
  expect_input_error(
      [&] { load_tokenizer(dir.path())->encode("nvidia-smi -q -d MEMORY | grep 'Used' # \u00fcn\u00efc\u00f6d\u00e9 12345\n", true); },
      {(dir / "tokenizer.model").string(), "not consumed"});
}

}  // namespace
}  // namespace aimicius::runtime
