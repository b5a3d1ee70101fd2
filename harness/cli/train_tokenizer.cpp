// `aimicius train-tokenizer`: learns the SentencePiece vocabulary a small model is trained with
// (training/corpus_tokenizer.h) and prints how well it compresses the corpus' held-out documents.
#include <filesystem>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "harness/cli/all_commands.h"
#include "training/corpus_tokenizer.h"

namespace aimicius {
namespace {

struct TrainTokenizerOptions {
  std::filesystem::path corpus;
  std::filesystem::path out;
  int vocab_size = 4096;
};

int command_train_tokenizer(const TrainTokenizerOptions& o) {
  const runtime::CorpusTokenizerReport r = runtime::train_corpus_tokenizer(o.corpus, o.vocab_size, o.out);
  fmt::print("{}: {} pieces learnt from {} train documents ({} bytes) in {:.1f} s; held-out documents: {} bytes "
             "in {} tokens ({:.2f} bytes per token)\n",
             (o.out / "tokenizer.model").string(), r.vocab_size, r.train_documents, r.train_bytes, r.seconds,
             r.heldout_bytes, r.heldout_tokens,
             r.heldout_tokens > 0 ? static_cast<double>(r.heldout_bytes) / static_cast<double>(r.heldout_tokens) : 0.0);
  return 0;
}

class TrainTokenizerCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& parent) override {
    auto* cmd = parent.add_subcommand(
        "train-tokenizer", "Learn a SentencePiece BPE vocabulary from a corpus' train documents (for `train --tokenizer`)");
    cmd->add_option("--corpus", options_.corpus, "corpus.jsonl, or the folder `aimicius corpus` wrote")->required();
    cmd->add_option("--out", options_.out, "Folder to write tokenizer.model into")->required();
    cmd->add_option("--vocab", options_.vocab_size, "Pieces, bytes and specials included")
        ->check(CLI::Range(260, 1 << 20))
        ->capture_default_str();
    return cmd;
  }
  int run(const GlobalOptions&) override { return command_train_tokenizer(options_); }

 private:
  TrainTokenizerOptions options_;
};

}  // namespace

std::unique_ptr<Command> make_train_tokenizer_command() { return std::make_unique<TrainTokenizerCommand>(); }

}  // namespace aimicius
