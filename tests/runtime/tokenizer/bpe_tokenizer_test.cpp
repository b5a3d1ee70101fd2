// Behaviour of the byte-level BPE tokenizer beyond the known answers: special token ids from the
// checkpoint's configuration, vocabulary size, added-token options, partial UTF-8 on decode,
// arbitrary bytes on encode, and concurrent use.
#include <gtest/gtest.h>

#include <thread>

#include "runtime/tokenizer/bpe_tokenizer.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/runtime/tokenizer/tokenizer_test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::read_fixture_json;
using aimicius::testing::tokenizer_fixture;

TEST(BpeTokenizer, Llama3FixtureTakesBosAndEosFromItsConfigs) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const int32_t begin_of_text = *tokenizer->token_to_id("<|begin_of_text|>");
  const int32_t eot = *tokenizer->token_to_id("<|eot_id|>");
  const int32_t end_of_text = *tokenizer->token_to_id("<|end_of_text|>");
  EXPECT_EQ(tokenizer->bos_id(), begin_of_text);
  // tokenizer_config.json's eos_token first, then config.json's list, without repeats.
  EXPECT_EQ(tokenizer->eos_ids(), (std::vector<int32_t>{eot, end_of_text}));
  EXPECT_TRUE(tokenizer->is_special(eot));
  EXPECT_FALSE(tokenizer->is_special(*tokenizer->token_to_id("<tool_call>")));
}

TEST(BpeTokenizer, Gpt2FixtureFallsBackToWellKnownTokens) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("gpt2_bpe"));
  EXPECT_FALSE(tokenizer->bos_id().has_value());
  EXPECT_EQ(tokenizer->eos_ids(), std::vector<int32_t>{*tokenizer->token_to_id("<|endoftext|>")});
}

TEST(BpeTokenizer, VocabSizeCoversAddedTokens) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const auto json = read_fixture_json("llama3_bpe/tokenizer.json");
  int64_t largest = 0;
  for (const auto& [token, id] : json["model"]["vocab"].items()) largest = std::max<int64_t>(largest, id.get<int64_t>());
  for (const auto& added : json["added_tokens"]) largest = std::max<int64_t>(largest, added["id"].get<int64_t>());
  EXPECT_EQ(tokenizer->vocab_size(), largest + 1);
}

TEST(BpeTokenizer, NormalAddedTokenSurvivesSkipSpecial) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const auto ids = tokenizer->encode("<|eot_id|>x<tool_call>", false);
  EXPECT_EQ(tokenizer->decode(ids, true), "x<tool_call>");
  EXPECT_EQ(tokenizer->decode(ids, false), "<|eot_id|>x<tool_call>");
}

TEST(BpeTokenizer, AddedTokenStripOptionsTakeTheWhitespaceBeside) {
  nlohmann::json json = read_fixture_json("llama3_bpe/tokenizer.json");
  for (auto& added : json["added_tokens"]) {
    if (added["content"] == "<tool_call>") added["lstrip"] = added["rstrip"] = true;
  }
  const BpeTokenizer tokenizer(json, "stripping tokenizer.json");
  const int32_t tool_call = *tokenizer.token_to_id("<tool_call>");
  std::vector<int32_t> expected = tokenizer.encode("a", false);
  expected.push_back(tool_call);
  const auto b = tokenizer.encode("b", false);
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(tokenizer.encode("a  <tool_call> \n b", false), expected);
}

TEST(BpeTokenizer, DecodeKeepsATruncatedCharacterAsBytes) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const std::string emoji = "\xF0\x9F\x98\x80";  // 😀, not in the training text's merges as a whole
  const auto ids = tokenizer->encode(emoji, false);
  ASSERT_GT(ids.size(), 1u);
  std::string streamed;
  for (const int32_t id : ids) streamed += tokenizer->decode({id}, false);  // each a partial character
  EXPECT_EQ(streamed, emoji);
  const std::string head = tokenizer->decode({ids.front()}, false);
  EXPECT_EQ(head, emoji.substr(0, head.size()));
}

TEST(BpeTokenizer, EncodesArbitraryBytes) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const std::string bytes = "\xFF\xFE ok \xC3\x28 \xE2\x82";
  EXPECT_EQ(tokenizer->decode(tokenizer->encode(bytes, false), false), bytes);
}

TEST(BpeTokenizer, UnknownIdsAreSkippedOnDecode) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const auto ids = tokenizer->encode("Hi", false);
  std::vector<int32_t> with_unknown = ids;
  with_unknown.push_back(static_cast<int32_t>(tokenizer->vocab_size()) + 5);
  with_unknown.push_back(-1);
  EXPECT_EQ(tokenizer->decode(with_unknown, false), "Hi");
}

TEST(BpeTokenizer, ConcurrentEncodesAgree) {
  const auto tokenizer = load_tokenizer(tokenizer_fixture("llama3_bpe"));
  const auto strings = read_fixture_json("expected_ids.json")["strings"].get<std::vector<std::string>>();
  std::vector<std::vector<int32_t>> reference;
  for (const auto& s : strings) reference.push_back(tokenizer->encode(s, false));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < strings.size(); ++i) {
          if (tokenizer->encode(strings[i], false) != reference[i]) ++mismatches[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace aimicius::runtime
