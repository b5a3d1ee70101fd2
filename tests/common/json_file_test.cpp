// read_json_file and friends on hand-made files: a good file, a missing one, malformed JSON with
// its exact place, key order kept, and JsonLocation's paths.
#include "common/json_file.h"
#include "common/jsonl.h"

#include <gtest/gtest.h>

#include <string>

#include "scratch_dir.h"

namespace aimicius {
namespace {

using testing::error_of;

TEST(JsonFile, ReadsAWholeFile) {
  testing::ScratchDir dir;
  testing::write_file(dir / "a.json", "{\"n\": 1, \"list\": [true, null]}\n");
  const nlohmann::json json = read_json_file(dir / "a.json");
  EXPECT_EQ(json["n"], 1);
  EXPECT_EQ(json["list"].size(), 2u);
}

// JSON leaves an object with a key twice open and nlohmann keeps the last value: a replay line
// with "example_id" twice answered another example than its first key names. Refused, named,
// at any depth; the same key in two different objects is fine.
TEST(JsonFile, AKeyTwiceInOneObjectIsMalformed) {
  testing::ScratchDir dir;
  testing::write_file(dir / "twice.json", R"({"a": {"id": 1, "b": [{"id": 2}, {"id": 3, "id": 4}]}})");
  EXPECT_EQ(error_of([&] { read_json_file(dir / "twice.json"); }),
            (dir / "twice.json").string() + ": malformed JSON: an object has the key \"id\" twice");
  EXPECT_NE(error_of([&] { read_ordered_json_file(dir / "twice.json"); }).find("\"id\" twice"), std::string::npos);
  testing::write_file(dir / "lines.jsonl", "{\"suite\": \"s\", \"id\": 1}\n{\"id\": \"t01\", \"id\": \"t02\"}\n");
  EXPECT_EQ(error_of([&] { read_jsonl_objects(dir / "lines.jsonl"); }),
            (dir / "lines.jsonl").string() + ":2: malformed JSON: an object has the key \"id\" twice");
  testing::write_file(dir / "fine.json", R"({"a": {"id": 1}, "b": {"id": 1}, "id": [1, 1]})");
  EXPECT_EQ(read_json_file(dir / "fine.json")["b"]["id"], 1);
}

TEST(JsonFile, AMissingFileIsAnInputErrorNamingIt) {
  testing::ScratchDir dir;
  const std::string error = error_of([&] { read_json_file(dir / "none.json"); });
  EXPECT_EQ(error, (dir / "none.json").string() + ": cannot read the file (it does not exist)");
}

TEST(JsonFile, MalformedJsonNamesTheFileByteLineAndColumn) {
  testing::ScratchDir dir;
  testing::write_file(dir / "bad.json", "{\n  \"a\": 1,\n  \"b\": ]\n}\n");
  const std::string error = error_of([&] { read_json_file(dir / "bad.json"); });
  EXPECT_EQ(error.rfind((dir / "bad.json").string() + ": malformed JSON at byte 20: ", 0), 0u) << error;
  EXPECT_NE(error.find("line 3, column 8"), std::string::npos) << error;
  // An empty file is malformed too, not an empty document.
  testing::write_file(dir / "empty.json", "");
  EXPECT_NE(error_of([&] { read_json_file(dir / "empty.json"); }).find("malformed JSON"), std::string::npos);
  // Issue 19, item 9: a number past double's range escaped as an internal error (exit 1).
  testing::write_file(dir / "huge.json", "{\"max_position_embeddings\": 1e999}");
  const std::string huge = error_of([&] { read_json_file(dir / "huge.json"); });
  EXPECT_EQ(huge.rfind((dir / "huge.json").string() + ": malformed JSON", 0), 0u) << huge;
}

TEST(Jsonl, ANumberPastDoublesRangeNamesTheFileAndLine) {
  testing::ScratchDir dir;
  testing::write_file(dir / "r.jsonl", "{\"id\": \"a\"}\n{\"id\": \"b\", \"x\": -1e400}\n");
  const std::string error = error_of([&] { read_jsonl_objects(dir / "r.jsonl"); });
  EXPECT_EQ(error.rfind((dir / "r.jsonl").string() + ":2: malformed JSON", 0), 0u) << error;
}

TEST(JsonFile, OrderedReadingKeepsTheKeysInFileOrder) {
  testing::ScratchDir dir;
  testing::write_file(dir / "o.json", "{\"z\": 1, \"a\": 2, \"m\": 3}");
  EXPECT_EQ(read_ordered_json_file(dir / "o.json").dump(), "{\"z\":1,\"a\":2,\"m\":3}");
  EXPECT_EQ(read_json_file(dir / "o.json").dump(), "{\"a\":2,\"m\":3,\"z\":1}");
}

TEST(JsonFile, JsonLocationNamesThePathInside) {
  const nlohmann::json doc = nlohmann::json::parse(R"({"model": {"merges": ["a b", 3]}})");
  const JsonLocation top("tokenizer.json", "");
  EXPECT_EQ(error_of([&] { top.fail("bad"); }), "tokenizer.json: (top level): bad");
  const JsonLocation merges = top.child("model").child("merges");
  EXPECT_EQ(error_of([&] { merges.index(1).fail("expected a string"); }),
            "tokenizer.json: model.merges[1]: expected a string");
  EXPECT_EQ(error_of([&] { top.child("model").require(doc["model"], "vocab", nlohmann::json::value_t::object); }),
            "tokenizer.json: model.vocab: missing");
  EXPECT_EQ(top.child("model").require(doc["model"], "merges", nlohmann::json::value_t::array).size(), 2u);
}

}  // namespace
}  // namespace aimicius
