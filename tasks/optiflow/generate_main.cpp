// aimicius-optiflow-gen: writes the optiflow dataset (example_generator.h) as
// OUT_DIR/{test,dev,fewshot}.jsonl. Usage: aimicius-optiflow-gen OUT_DIR
// The output is a pure function of the code: rerunning it must reproduce the committed files
// byte for byte (tests/tasks/optiflow checks this). After a change, reseal with
// `aimicius manifest datasets/optiflow`.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>

#include "tasks/optiflow/example_generator.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    for (const auto& [split, text] : aimicius::optiflow::generate_dataset()) {
      const std::filesystem::path file = dir / (split + ".jsonl");
      std::ofstream out(file, std::ios::binary);
      out << text;
      if (!out) {
        std::fprintf(stderr, "cannot write %s\n", file.c_str());
        return 1;
      }
      std::printf("%s: %zu bytes\n", file.c_str(), text.size());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aimicius-optiflow-gen: %s\n", e.what());
    return 1;
  }
  return 0;
}
