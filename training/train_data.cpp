#include "training/train_data.h"

#include <string>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/jsonl.h"

namespace aimicius::runtime {

namespace {
constexpr int64_t kEvalEvery = 50;
}

CorpusTexts load_corpus_texts(const std::filesystem::path& corpus) {
  const std::filesystem::path file = std::filesystem::is_directory(corpus) ? corpus / "corpus.jsonl" : corpus;
  CorpusTexts out;
  int64_t documents = 0;
  for (const JsonlLine& doc : read_jsonl_objects(file)) {
    if (!doc.value.contains("text") || !doc.value["text"].is_string())
      throw InputError(fmt::format("{}:{}: a corpus line needs a string \"text\"", file.string(), doc.line_number));
    (documents % kEvalEvery == kEvalEvery - 1 ? out.eval : out.train).push_back(doc.value["text"].get<std::string>());
    ++documents;
  }
  if (documents == 0) throw InputError(fmt::format("the training corpus {} holds no documents", file.string()));
  return out;
}

TokenStreams load_token_streams(const std::filesystem::path& corpus, const Tokenizer& tokenizer) {
  const CorpusTexts texts = load_corpus_texts(corpus);
  const auto bos = tokenizer.bos_id();
  const auto eos = tokenizer.eos_ids();
  TokenStreams out;
  const auto append = [&](const std::string& text, std::vector<int32_t>& dst) {
    if (bos) dst.push_back(*bos);
    const std::vector<int32_t> ids = tokenizer.encode(text, /*add_bos=*/false);
    dst.insert(dst.end(), ids.begin(), ids.end());
    if (!eos.empty()) dst.push_back(eos.front());
    ++out.documents;
    out.bytes += static_cast<int64_t>(text.size());
  };
  for (const std::string& text : texts.train) append(text, out.train);
  for (const std::string& text : texts.eval) append(text, out.eval);
  return out;
}

}  // namespace aimicius::runtime
