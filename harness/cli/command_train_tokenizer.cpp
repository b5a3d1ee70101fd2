// `aimicius train-tokenizer`: learns the SentencePiece vocabulary a small model is trained with
// (training/corpus_tokenizer.h) and prints how well it compresses the corpus' held-out documents.
#include <fmt/format.h>

#include "harness/cli/commands.h"
#include "training/corpus_tokenizer.h"

namespace aimicius {

int command_train_tokenizer(const TrainTokenizerOptions& o) {
  const runtime::CorpusTokenizerReport r = runtime::train_corpus_tokenizer(o.corpus, o.vocab_size, o.out);
  fmt::print("{}: {} pieces learnt from {} train documents ({} bytes) in {:.1f} s; held-out documents: {} bytes "
             "in {} tokens ({:.2f} bytes per token)\n",
             (o.out / "tokenizer.model").string(), r.vocab_size, r.train_documents, r.train_bytes, r.seconds,
             r.heldout_bytes, r.heldout_tokens,
             r.heldout_tokens > 0 ? static_cast<double>(r.heldout_bytes) / static_cast<double>(r.heldout_tokens) : 0.0);
  return 0;
}

}  // namespace aimicius
