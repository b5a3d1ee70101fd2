// Chat prompts: the checkpoint's chat_template rendered as written (common/jinja/), and, for a
// checkpoint without one, the fallback Llama 3 / ChatML / plain formats picked from the vocabulary.
#include <gtest/gtest.h>

#include "common/errors.h"
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
  // The fixture's own template writes no bos_token and no generation prompt: rendered as it says
  // (the old guess added <|begin_of_text|> here, which transformers does not).
  EXPECT_EQ(apply_chat_template(*tokenizer, read_fixture_json("llama3_bpe/tokenizer_config.json"),
                                kConversation, true),
            "<|start_header_id|>system<|end_header_id|>\n\nYou write shell commands.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nList the GPUs.<|eot_id|>");
}

TEST(ChatTemplate, TheCheckpointsTemplateDecidesWithItsSpecialTokens) {
  const auto tokenizer = chatml_tokenizer();
  nlohmann::json config = {
      {"bos_token", {{"content", "<|im_start|>"}, {"special", true}}},
      {"eos_token", "<|im_end|>"},
      {"chat_template",
       "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
       "{{ '<|im_start|>system\nDefault system<|im_end|>\n' }}{% endif %}"
       "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + eos_token + '\n' }}{% endfor %}"
       "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}[{{ bos_token }}]"}};
  EXPECT_EQ(apply_chat_template(*tokenizer, config, {{"user", "hi"}}, true),
            "<|im_start|>system\nDefault system<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
            "<|im_start|>assistant\n[<|im_start|>]");
  EXPECT_EQ(chat_template_special_tokens(config).dump(), R"({"bos_token":"<|im_start|>","eos_token":"<|im_end|>"})");
}

TEST(ChatTemplate, ATemplateThatRaisesIsAnInputErrorNamingIt) {
  const auto tokenizer = chatml_tokenizer();
  const nlohmann::json config = {
      {"chat_template", "{% if messages[0]['role'] != 'system' %}{{ raise_exception('system first') }}{% endif %}"}};
  try {
    apply_chat_template(*tokenizer, config, {{"user", "hi"}}, true);
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(), "template tokenizer_config.json chat_template, line 1: raise_exception: system first");
  }
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

TEST(ChatTemplate, FallbackFormatTemplateTextDecidesBeforeTheVocabulary) {
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
