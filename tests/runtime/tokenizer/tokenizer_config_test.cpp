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
// A checkpoint file that is there but unusable is an error naming it, not a file taken as absent
// (a dangling tokenizer_config.json used to drop the chat template without a word) nor a read that
// never ends (a FIFO or /dev/zero as chat_template.jinja).
TEST(TokenizerConfig, ADanglingOrNonRegularFileIsAnErrorNotAbsent) {
  ScratchDir dir;
  std::filesystem::create_symlink(dir / "gone.json", dir / "tokenizer_config.json");
  try {
    load_tokenizer_config(dir.path());
    ADD_FAILURE() << "loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json: a symlink to a file that does not exist"),
              std::string::npos) << e.what();
  }
  std::filesystem::remove(dir / "tokenizer_config.json");
  std::filesystem::create_symlink("/dev/zero", dir / "chat_template.jinja");
  try {
    load_tokenizer_config(dir.path());
    ADD_FAILURE() << "loaded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("chat_template.jinja: a device, where a file is expected"), std::string::npos)
        << e.what();
  }
}

}  // namespace aimicius::runtime
