// The dataset loader: manifests pin data by checksum and count; malformed data is an InputError
// that names the file and line.
#include <gtest/gtest.h>

#include "common/errors.h"
#include "common/sha256.h"
#include "tasks/suite.h"
#include "test_support.h"

namespace aimicius {
namespace {

using testing::ScratchDir;

using aimicius::testing::error_of;

TEST(Dataset, LoadsFixtureInFileOrderWithOrigins) {
  const auto loaded = load_suite("cmdgen", testing::fixture_data_dir(), "test");
  ASSERT_EQ(loaded.examples.size(), 10u);
  EXPECT_EQ(loaded.examples.front().id, "t01");
  EXPECT_EQ(loaded.examples.back().id, "t10");
  EXPECT_NE(loaded.examples[1].origin.find("test.jsonl:2"), std::string::npos);
  EXPECT_EQ(loaded.manifest.version, "0.0.1-test");
  EXPECT_EQ(loaded.manifest.data_sha256().size(), 64u);
}

TEST(Dataset, MalformedLineNamesFileAndLine) {
  ScratchDir dir;
  const auto suites = testing::copy_fixture_suites(dir);
  const auto file = suites / "cmdgen" / "test.jsonl";
  std::string text = testing::read_file(file);
  text.insert(text.find("\n", text.find("t03")) + 1, "{\"id\": \"bad\", \"request\": \n");
  testing::write_file(file, text);
  // Seal the broken file by hand (refresh_manifest itself refuses malformed data): the checksum
  // and count are right, only the JSON is wrong.
  const auto manifest_path = suites / "cmdgen" / "suite.json";
  auto manifest = nlohmann::json::parse(testing::read_file(manifest_path));
  manifest["files"][0]["sha256"] = sha256_file_hex(file);
  manifest["files"][0]["count"] = 11;
  testing::write_file(manifest_path, manifest.dump());
  const std::string err = error_of([&] { load_suite("cmdgen", suites, "test"); });
  EXPECT_NE(err.find("test.jsonl:4"), std::string::npos) << err;
  EXPECT_NE(err.find("malformed JSON"), std::string::npos) << err;
}

TEST(Dataset, ChecksumMismatchIsAnError) {
  ScratchDir dir;
  const auto suites = testing::copy_fixture_suites(dir);
  const auto file = suites / "cmdgen" / "test.jsonl";
  std::string text = testing::read_file(file);
  text.replace(text.find("nvidia-smi -L"), 13, "nvidia-smi -q");
  testing::write_file(file, text);
  const std::string err = error_of([&] { load_suite("cmdgen", suites, "test"); });
  EXPECT_NE(err.find("checksum mismatch"), std::string::npos) << err;
  EXPECT_NE(err.find("test.jsonl"), std::string::npos) << err;
}

// Suite data is untrusted: a data file that is a symlink out of the suite folder (here to the
// process's environment, where API keys live) is refused by name even when suite.json's checksum
// was sealed over it; `manifest` refuses it too.
TEST(Dataset, ADataFileLinkedOutOfTheSuiteFolderIsRefused) {
  ScratchDir dir;
  const auto suites = testing::copy_fixture_suites(dir);
  const auto file = suites / "cmdgen" / "test.jsonl";
  std::filesystem::remove(file);
  std::filesystem::create_symlink("/proc/self/environ", file);
  const auto manifest_path = suites / "cmdgen" / "suite.json";
  auto manifest = nlohmann::json::parse(testing::read_file(manifest_path));
  manifest["files"][0]["sha256"] = sha256_file_hex(file);
  testing::write_file(manifest_path, manifest.dump());
  for (const std::string& err : {error_of([&] { load_suite("cmdgen", suites, "test"); }),
                                 error_of([&] { refresh_manifest(suites / "cmdgen"); })}) {
    EXPECT_NE(err.find("outside the suite folder"), std::string::npos) << err;
    EXPECT_NE(err.find("test.jsonl"), std::string::npos) << err;
  }
}

TEST(Dataset, MissingSuiteAndUnknownSuite) {
  ScratchDir dir;
  EXPECT_NE(error_of([&] { load_suite("cmdgen", dir.path(), "test"); }).find("unknown suite \"cmdgen\""),
            std::string::npos);
  const std::string err = error_of([&] { load_suite("nosuch", testing::fixture_data_dir(), "test"); });
  EXPECT_NE(err.find("unknown suite \"nosuch\""), std::string::npos) << err;
  EXPECT_NE(err.find("cmdgen"), std::string::npos) << err;
}

TEST(Dataset, DuplicateIdAndMissingFieldNameTheLine) {
  ScratchDir dir;
  const auto suites = testing::copy_fixture_suites(dir);
  const auto file = suites / "cmdgen" / "test.jsonl";
  std::string text = testing::read_file(file);
  text += "{\"id\": \"t02\", \"platform\": \"amd\", \"request\": \"x\", \"reference\": \"y\"}\n";
  testing::write_file(file, text);
  refresh_manifest(suites / "cmdgen");
  std::string err = error_of([&] { load_suite("cmdgen", suites, "test"); });
  EXPECT_NE(err.find("test.jsonl:11"), std::string::npos) << err;
  EXPECT_NE(err.find("duplicate example id \"t02\""), std::string::npos) << err;

  text = testing::read_file(file);
  text.replace(text.find("{\"id\": \"t02\", \"platform\": \"amd\""), std::string::npos,
               "{\"id\": \"t11\", \"platform\": \"amd\", \"request\": \"x\"}\n");
  testing::write_file(file, text);
  refresh_manifest(suites / "cmdgen");
  err = error_of([&] { load_suite("cmdgen", suites, "test"); });
  EXPECT_NE(err.find("test.jsonl:11"), std::string::npos) << err;
  EXPECT_NE(err.find("\"reference\""), std::string::npos) << err;
}

TEST(Dataset, CountMismatchIsAnError) {
  ScratchDir dir;
  const auto suites = testing::copy_fixture_suites(dir);
  const auto manifest_path = suites / "cmdgen" / "suite.json";
  auto j = nlohmann::json::parse(testing::read_file(manifest_path));
  j["files"][0]["count"] = 11;
  testing::write_file(manifest_path, j.dump());
  const std::string err = error_of([&] { load_suite("cmdgen", suites, "test"); });
  EXPECT_NE(err.find("suite.json says 11 examples, file has 10"), std::string::npos) << err;
}

TEST(Dataset, BundledSuitesLoadAndMeetTheirSize) {
  // The bundled cmdgen suite: at least 150 examples over NVIDIA, AMD and Linux tools.
  const auto loaded = load_suite("cmdgen", testing::bundled_data_dir(), "test");
  EXPECT_GE(loaded.examples.size(), 150u);
  std::set<std::string> platforms;
  for (const auto& ex : loaded.examples) platforms.insert(ex.fields.at("platform").get<std::string>());
  EXPECT_EQ(platforms, (std::set<std::string>{"amd", "linux", "nvidia"}));
}

}  // namespace
}  // namespace aimicius
