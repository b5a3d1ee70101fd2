#include "bench/synthetic_suite.h"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "tasks/dataset.h"

namespace aimicius {
namespace {

constexpr const char* kAsk = "Print the number ";

}  // namespace

std::string synthetic_answer(int i) { return fmt::format("echo {}", i); }

int synthetic_number_in(const std::string& prompt) {
  const auto at = prompt.rfind(kAsk);
  if (at == std::string::npos) return -1;
  size_t end = 0;
  try {
    return std::stoi(prompt.substr(at + std::string(kAsk).size()), &end);
  } catch (const std::exception&) {
    return -1;
  }
}

void write_synthetic_suite(const std::filesystem::path& data_dir, const std::string& name, int examples) {
  const auto dir = data_dir / name;
  std::filesystem::create_directories(dir);
  const nlohmann::json suite = {
      {"name", name},
      {"version", "1.0.0"},
      {"description", "generated: print the number i (harness benchmarks and tests)"},
      {"provenance", "bench/synthetic_suite.cpp"},
      {"files", {{{"path", "test.jsonl"}, {"split", "test"}}}},
      {"prompt", {{"version", "synthetic-1"}, {"template", "Reply with one shell command.\n\nRequest: {{request}}\nCommand:"}}},
      {"oracle", "{{reference}}"},
      {"extractor", "command"},
      {"stop", {"\n"}},
      {"scorers", {{{"type", "command"}, {"execute", false}, {"embedding", false}}}},
      {"metrics", {{{"name", "exact_match"}, {"headline", true}}, "command_score"}}};
  {
    std::ofstream out(dir / "suite.json");
    out << suite.dump(2) << "\n";
    std::ofstream data(dir / "test.jsonl");
    for (int i = 0; i < examples; ++i)
      data << nlohmann::json{{"id", fmt::format("s{:05d}", i)},
                             {"request", fmt::format("{}{}.", kAsk, i)},
                             {"reference", synthetic_answer(i)}}
                  .dump()
           << "\n";
    if (!out || !data) throw InputError(fmt::format("cannot write the synthetic suite in {}", dir.string()));
  }
  refresh_manifest(dir);
}

}  // namespace aimicius
