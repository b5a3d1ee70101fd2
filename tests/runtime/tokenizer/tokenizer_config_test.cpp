// tokenizer_config.json + chat_template.jinja: transformers 5 writes the chat template to the
// .jinja file, which the runtime did not read (issue 20); the file wins over the JSON's key.
#include <gtest/gtest.h>

#include "common/errors.h"
#include "runtime/tokenizer/tokenizer_config.h"
#include "tests/scratch_dir.h"

namespace aimicius::runtime {
namespace {

using aimicius::testing::ScratchDir;
using aimicius::testing::write_file;

TEST(TokenizerConfig, ChatTemplateJinjaIsReadAndWinsOverTheJsonKey) {
  ScratchDir dir;
  EXPECT_TRUE(load_tokenizer_config(dir.path()).is_null());
  write_file(dir / "chat_template.jinja", "{% for m in messages %}<|im_start|>{{ m.role }}\n{% endfor %}");
  nlohmann::json c = load_tokenizer_config(dir.path());  // the file alone (transformers 5's layout)
  EXPECT_EQ(c["chat_template"], "{% for m in messages %}<|im_start|>{{ m.role }}\n{% endfor %}");
  write_file(dir / "tokenizer_config.json", R"({"chat_template": "json template", "add_bos_token": false})");
  c = load_tokenizer_config(dir.path());
  EXPECT_EQ(c["chat_template"], "{% for m in messages %}<|im_start|>{{ m.role }}\n{% endfor %}");
  EXPECT_EQ(c["add_bos_token"], false);  // the rest of the JSON is kept
  std::filesystem::remove(dir / "chat_template.jinja");
  EXPECT_EQ(load_tokenizer_config(dir.path())["chat_template"], "json template");
  write_file(dir / "tokenizer_config.json", "[1, 2]");
  try {
    load_tokenizer_config(dir.path());
    ADD_FAILURE() << "a tokenizer_config.json that is not an object was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aimicius::runtime
