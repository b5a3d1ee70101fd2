// A generated suite for measuring the harness rather than a model: N examples "print the number
// i" -> "echo i", scored by the command scorer without execution or embeddings (cheap, pure
// functions). Used by `aimicius bench api` and by the API backend's tests.
//
// Invariants: the folder it writes is a valid suite (manifest sealed) named `name`; the same N
// gives the same bytes; the reference of example i is exactly synthetic_answer(i).
#pragma once

#include <filesystem>
#include <string>

namespace aimicius {

// Writes DATA_DIR/NAME/{suite.json,test.jsonl} with `examples` examples.
void write_synthetic_suite(const std::filesystem::path& data_dir, const std::string& name, int examples);

// The right answer to example i ("echo i"), and the number a prompt asks for (-1 if none), so a
// fake server can answer correctly.
std::string synthetic_answer(int i);
int synthetic_number_in(const std::string& prompt);

}  // namespace aimicius
