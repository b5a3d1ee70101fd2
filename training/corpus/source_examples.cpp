// Corpus documents made of suite examples (the few-shot pools here; the generated train pools
// reuse add_example_documents). Two forms per example, so the model learns both the evaluation
// shape and the bare mapping:
//   prompt form  the suite's rendered prompt with an empty few-shot block, then the oracle answer
//                (exactly what a perfect model's transcript looks like at evaluation);
//   plain form   the example's field values and the answer, no template wording.
#include <cctype>

#include <fmt/format.h>

#include "common/errors.h"
#include "training/corpus/sources.h"

namespace aimicius::corpus {
namespace fs = std::filesystem;

void add_example_documents(const SuitePrompt& prompt, const std::string& source,
                           const std::vector<nlohmann::json>& examples, size_t prompt_every, CorpusBuild& build) {
  for (size_t i = 0; i < examples.size(); ++i) {
    const auto& fields = examples[i];
    const std::string id = fields.value("id", fmt::format("{}", i + 1));
    const std::string where = fmt::format("{} example {}", source, id);
    if (prompt_every > 0 && i % prompt_every == 0) {
      // The answer follows the prompt as a model's output would: after one space unless the
      // prompt ends in whitespace ("Command: nvidia-smi -L", "SQL:\n```sql ...").
      const std::string text = prompt.render_prompt(fields, where);
      const bool spaced = !text.empty() && std::isspace(static_cast<unsigned char>(text.back()));
      build.documents.push_back({source, id + "#prompt", text + (spaced ? "" : " ") + prompt.render_answer(fields, where)});
    }
    build.documents.push_back({source, id + "#plain", prompt.plain_text(fields)});
  }
}

void add_fewshot_documents(const fs::path& data_dir, const std::string& suite, const std::vector<nlohmann::json>& eval,
                           CorpusBuild& build) {
  const fs::path dir = data_dir / suite;
  const SuitePrompt prompt(dir);
  if (prompt.fewshot_split().empty()) {
    build.notes.push_back(fmt::format("{}: no few-shot pool declared", suite));
    return;
  }
  std::vector<nlohmann::json> examples;
  for (auto& ex : load_examples(dir, prompt.manifest(), prompt.fewshot_split())) examples.push_back(std::move(ex.fields));
  const size_t pool = examples.size();
  examples = decontaminate(prompt, eval, examples);
  if (examples.size() < pool)
    build.notes.push_back(fmt::format("{}: {} of {} few-shot examples left out: they share a 13-gram with a dev/test "
                                      "example (as the suite's generator makes them)",
                                      suite, pool - examples.size(), pool));
  for (const auto& f : prompt.manifest().files)
    if (f.split == prompt.fewshot_split()) build.read.push_back({suite, suite + "/" + f.path, f.split});
  add_example_documents(prompt, "fewshot/" + suite, examples, 1, build);
}

}  // namespace aimicius::corpus
