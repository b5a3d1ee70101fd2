// `aimicius tokenize`: the token ids of texts under a checkpoint's tokenizer, one JSON array per
// text, for checking the tokenizers (runtime/tokenizer/) against a peer.
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/input_file.h"
#include "harness/cli/all_commands.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aimicius {
namespace {

struct TokenizeOptions {
  std::filesystem::path tokenizer_dir;
  std::filesystem::path file;      // one text per line; else `texts`
  std::vector<std::string> texts;
  bool add_bos = true;
};

int command_tokenize(const TokenizeOptions& o) {
  const auto tokenizer = runtime::load_tokenizer(o.tokenizer_dir);
  std::vector<std::string> texts = o.texts;
  if (!o.file.empty()) {
    std::istringstream in(read_input_file(o.file));
    for (std::string line; std::getline(in, line);) texts.push_back(line);
  }
  if (texts.empty()) throw InputError("tokenize needs --file or at least one text");
  for (const auto& t : texts) fmt::print("{}\n", nlohmann::json(tokenizer->encode(t, o.add_bos)).dump());
  return 0;
}

class TokenizeCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand("tokenize", "Token ids of texts under a checkpoint's tokenizer (JSON, one line each)");
    cmd->add_option("--tokenizer", options_.tokenizer_dir, "Folder with tokenizer.json or tokenizer.model")->required();
    cmd->add_option("--file", options_.file, "Text file: one text per line");
    cmd->add_option("texts", options_.texts, "Texts");
    cmd->add_flag("--no-bos", no_bos_, "Do not add the beginning-of-text token");
    return cmd;
  }
  int run(const GlobalOptions&) override {
    options_.add_bos = !no_bos_;
    return command_tokenize(options_);
  }

 private:
  TokenizeOptions options_;
  bool no_bos_ = false;
};

}  // namespace

std::unique_ptr<Command> make_tokenize_command() { return std::make_unique<TokenizeCommand>(); }

}  // namespace aimicius
