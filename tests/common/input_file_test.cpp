// Untrusted input files (common/input_file.h): what is not a regular file, or is too large, or
// (for suite data) resolves outside its folder, is an InputError naming it before any read, and
// the readers built on the check (JSON, JSONL, SHA-256, the whole-file read) refuse the same files.
#include "common/input_file.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/json_file.h"
#include "common/jsonl.h"
#include "common/sha256.h"
#include "scratch_dir.h"

namespace aimicius {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(InputFile, WhatIsNotARegularFileIsRefusedByEveryReader) {
  testing::ScratchDir dir;
  fs::create_directory(dir / "folder.json");
  ASSERT_EQ(mkfifo((dir / "fifo.json").c_str(), 0600), 0);  // reading it would block forever
  fs::create_symlink("/dev/zero", dir / "zero.json");           // reading it would never end
  fs::create_symlink(dir / "gone.json", dir / "dangling.json");
  const std::pair<const char*, const char*> cases[] = {{"folder.json", "a directory, where a file is expected"},
                                                       {"fifo.json", "a FIFO, where a file is expected"},
                                                       {"zero.json", "a device, where a file is expected"},
                                                       {"dangling.json", "a symlink to a file that does not exist"}};
  for (const auto& [name, why] : cases) {
    const fs::path file = dir / name;
    for (const std::string& error : {error_of([&] { check_input_file(file); }), error_of([&] { read_json_file(file); }),
                                     error_of([&] { read_jsonl_objects(file); }), error_of([&] { sha256_file_hex(file); }),
                                     error_of([&] { read_input_file(file); })})
      EXPECT_TRUE(has(error, file.string() + ": " + why)) << name << ": " << error;
  }
  testing::write_file(dir / "ok.json", "{}");
  EXPECT_NO_THROW(check_input_file(dir / "ok.json"));
  EXPECT_TRUE(has(error_of([&] { check_input_file(dir / "ok.json", 1); }), "2 bytes, more than the 1 this file may have"));
  // The whole-file read returns every byte (NULs and a missing final newline included) within its bound.
  testing::write_file(dir / "bytes.txt", std::string("a\0b\r\nc", 6));
  EXPECT_EQ(read_input_file(dir / "bytes.txt"), std::string("a\0b\r\nc", 6));
  EXPECT_TRUE(has(error_of([&] { read_input_file(dir / "bytes.txt", 5); }), "6 bytes, more than the 5 this file may have"));
}

TEST(InputFile, SuiteDataMustResolveInsideItsFolder) {
  testing::ScratchDir dir;
  fs::create_directories(dir / "suite" / "data");
  testing::write_file(dir / "suite" / "data" / "a.jsonl", "{}\n");
  testing::write_file(dir / "secret.txt", "OPENAI_API_KEY=sk-canary");
  fs::create_symlink("data/a.jsonl", dir / "suite" / "inside.jsonl");
  fs::create_symlink(dir / "secret.txt", dir / "suite" / "outside.txt");
  fs::create_symlink("/proc/self/environ", dir / "suite" / "environ.txt");
  const fs::path suite = dir / "suite";
  EXPECT_EQ(file_inside(suite, "data/a.jsonl", "suite.json"), suite / "data/a.jsonl");
  EXPECT_EQ(file_inside(suite, "inside.jsonl", "suite.json"), suite / "inside.jsonl");
  for (const char* name : {"outside.txt", "environ.txt"}) {
    const std::string error = error_of([&] { file_inside(suite, name, "suite.json"); });
    EXPECT_TRUE(has(error, "outside the suite folder")) << error;
    EXPECT_FALSE(has(error, "sk-canary")) << error;
  }
  for (const char* name : {"../secret.txt", "/etc/passwd", "", "data/../../secret.txt"})
    EXPECT_TRUE(has(error_of([&] { file_inside(suite, name, "suite.json"); }), "must be a path inside the suite folder"))
        << name;
}

}  // namespace
}  // namespace aimicius
