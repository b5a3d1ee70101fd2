#include "training/corpus_tokenizer.h"

#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "runtime/tokenizer/sentencepiece_library.h"
#include "training/train_data.h"

namespace aimicius::runtime {

namespace {
// The trainer reads sentences of at most 65,536 bytes (sentencepiece_library.cpp sets it); longer
// documents are given in pieces cut at a newline where one is near.
constexpr size_t kMaxPiece = 60000;

void append_pieces(const std::string& text, std::vector<std::string>& out) {
  size_t start = 0;
  while (text.size() - start > kMaxPiece) {
    size_t cut = text.rfind('\n', start + kMaxPiece);
    if (cut == std::string::npos || cut <= start) cut = start + kMaxPiece;
    out.push_back(text.substr(start, cut - start));
    start = cut;
  }
  if (start < text.size()) out.push_back(text.substr(start));
}
}  // namespace

CorpusTokenizerReport train_corpus_tokenizer(const std::filesystem::path& corpus, int vocab_size,
                                             const std::filesystem::path& out_dir) {
  const auto t0 = std::chrono::steady_clock::now();
  const CorpusTexts texts = load_corpus_texts(corpus);
  CorpusTokenizerReport report;
  report.vocab_size = vocab_size;
  std::vector<std::string> sentences;
  for (const std::string& text : texts.train) {
    append_pieces(text, sentences);
    report.train_bytes += static_cast<int64_t>(text.size());
  }
  report.train_documents = static_cast<int64_t>(texts.train.size());
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw InputError(fmt::format("cannot create {}: {}", out_dir.string(), ec.message()));
  train_sentencepiece_model(sentences, {vocab_size, out_dir / "tokenizer", 1});

  const SentencePieceModel model(out_dir / "tokenizer.model");
  for (const std::string& text : texts.eval) {
    const std::vector<int> ids = model.encode(text);
    if (model.decode(ids) != text)
      throw std::logic_error(fmt::format("{}: a held-out document does not decode back to itself",
                                         (out_dir / "tokenizer.model").string()));
    report.heldout_tokens += static_cast<int64_t>(ids.size());
    report.heldout_bytes += static_cast<int64_t>(text.size());
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const nlohmann::ordered_json j = {{"corpus", corpus.string()},
                                    {"vocab_size", report.vocab_size},
                                    {"model_type", "bpe"},
                                    {"train_documents", report.train_documents},
                                    {"train_bytes", report.train_bytes},
                                    {"heldout_bytes", report.heldout_bytes},
                                    {"heldout_tokens", report.heldout_tokens}};
  std::ofstream out(out_dir / "tokenizer_report.json", std::ios::trunc);
  if (!out) throw InputError(fmt::format("cannot write {}", (out_dir / "tokenizer_report.json").string()));
  out << j.dump(2) << "\n";
  return report;
}

}  // namespace aimicius::runtime
