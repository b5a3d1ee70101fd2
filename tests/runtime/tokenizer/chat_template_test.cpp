// Chat prompts: Llama 3 and ChatML strings for a two-message conversation, the plain fallback, and
// how the format is picked (vocabulary, chat_template text).
#include <gtest/gtest.h>

#include "runtime/tokenizer/bpe_tokenizer.h"
#include "runtime/tokenizer/chat_template.h"
#include "tests/runtime/tokenizer/tokenizer_test_support.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::read_fixture_json;
using aimicius::testing::tokenizer_fixture;

const std::vector<ChatMessage> kConversation = {
    {"system", "You write shell commands."},
    {"user", "  List the GPUs.\n"},
};

// The GPT-2 fixture with the ChatML markers added as special tokens.
std::unique_ptr<BpeTokenizer> chatml_tokenizer() {
  nlohmann::json json = read_fixture_json("gpt2_bpe/tokenizer.json");
  int32_t next_id = 5000;
  for (const char* token : {"<|im_start|>", "<|im_end|>"}) {
    json["added_tokens"].push_back({{"id", next_id++}, {"content", token}, {"single_word", false},
                                    {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                                    {"special", true}});
  }
  return std::make_unique<BpeTokenizer>(json, "chatml tokenizer.json");
}

TEST(ChatTemplate, Llama3Format) {
  const auto tokenizer = BpeTokenizer::from_file(tokenizer_fixture("llama3_bpe/tokenizer.json"));
  EXPECT_EQ(detect_chat_format(*tokenizer, nullptr), ChatFormat::kLlama3);
  EXPECT_EQ(apply_chat_template(*tokenizer, nullptr, kConversation, true),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou write shell commands.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nList the GPUs.<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(apply_chat_template(*tokenizer, read_fixture_json("llama3_bpe/tokenizer_config.json"),
                                kConversation, false),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou write shell commands.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nList the GPUs.<|eot_id|>");
}

TEST(ChatTemplate, Llama3PromptEncodesItsMarkersAsSpecialTokens) {
  const auto tokenizer = BpeTokenizer::from_file(tokenizer_fixture("llama3_bpe/tokenizer.json"));
  const auto ids = tokenizer->encode(apply_chat_template(*tokenizer, nullptr, kConversation, true), false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), *tokenizer->token_to_id("<|begin_of_text|>"));
  EXPECT_EQ(std::count(ids.begin(), ids.end(), *tokenizer->token_to_id("<|eot_id|>")), 2);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), *tokenizer->token_to_id("<|start_header_id|>")), 3);
}

TEST(ChatTemplate, ChatMlFormat) {
  const auto tokenizer = chatml_tokenizer();
  EXPECT_EQ(detect_chat_format(*tokenizer, nullptr), ChatFormat::kChatMl);
  EXPECT_EQ(apply_chat_template(*tokenizer, nullptr, kConversation, true),
            "<|im_start|>system\nYou write shell commands.<|im_end|>\n"
            "<|im_start|>user\n  List the GPUs.\n<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatTemplate, PlainFallbackWithoutMarkers) {
  const auto tokenizer = BpeTokenizer::from_file(tokenizer_fixture("gpt2_bpe/tokenizer.json"));
  EXPECT_EQ(detect_chat_format(*tokenizer, nullptr), ChatFormat::kPlain);
  EXPECT_EQ(apply_chat_template(*tokenizer, nullptr, kConversation, true),
            "system: You write shell commands.\nuser:   List the GPUs.\n\nassistant:");
}

TEST(ChatTemplate, TemplateTextDecidesBeforeTheVocabulary) {
  const auto tokenizer = BpeTokenizer::from_file(tokenizer_fixture("gpt2_bpe/tokenizer.json"));
  const nlohmann::json chatml_config = {
      {"chat_template", "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"}};
  EXPECT_EQ(detect_chat_format(*tokenizer, chatml_config), ChatFormat::kChatMl);
  const nlohmann::json named_templates = {
      {"chat_template", nlohmann::json::array({{{"name", "tool_use"}, {"template", "<|im_start|>"}},
                                               {{"name", "default"}, {"template", "<|start_header_id|>"}}})}};
  EXPECT_EQ(detect_chat_format(*tokenizer, named_templates), ChatFormat::kLlama3);
}

}  // namespace
}  // namespace aimicius::runtime
