#include "runtime/train_data.h"

#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace aimicius::runtime {

namespace {
constexpr int64_t kEvalEvery = 50;
}

TokenStreams load_token_streams(const std::filesystem::path& corpus, const Tokenizer& tokenizer) {
  const std::filesystem::path file = std::filesystem::is_directory(corpus) ? corpus / "corpus.jsonl" : corpus;
  std::ifstream in(file);
  if (!in) throw InputError(fmt::format("cannot read the training corpus {}", file.string()));
  const auto bos = tokenizer.bos_id();
  const auto eos = tokenizer.eos_ids();
  TokenStreams out;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw InputError(fmt::format("{}:{}: not JSON: {}", file.string(), line_no, e.what()));
    }
    if (!doc.is_object() || !doc.contains("text") || !doc["text"].is_string())
      throw InputError(fmt::format("{}:{}: a corpus line needs a string \"text\"", file.string(), line_no));
    const std::string text = doc["text"].get<std::string>();
    std::vector<int32_t>& dst = out.documents % kEvalEvery == kEvalEvery - 1 ? out.eval : out.train;
    if (bos) dst.push_back(*bos);
    const std::vector<int32_t> ids = tokenizer.encode(text, /*add_bos=*/false);
    dst.insert(dst.end(), ids.begin(), ids.end());
    if (!eos.empty()) dst.push_back(eos.front());
    ++out.documents;
    out.bytes += static_cast<int64_t>(text.size());
  }
  if (out.documents == 0) throw InputError(fmt::format("the training corpus {} holds no documents", file.string()));
  return out;
}

}  // namespace aimicius::runtime
