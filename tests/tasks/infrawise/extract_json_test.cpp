// The "json_object" extractor (tasks/extractors/extract_json.h).
#include "tasks/extractors/extract_json.h"

#include <gtest/gtest.h>

namespace aimicius {
namespace {

TEST(ExtractJsonObject, BareObjectIsReturnedAsIs) {
  EXPECT_EQ(extract_json_object(R"({"a": 1})"), R"({"a": 1})");
  EXPECT_EQ(extract_json_object("  \n{\"a\": {\"b\": 2}}\n"), R"({"a": {"b": 2}})");
}

TEST(ExtractJsonObject, ObjectInsideProse) {
  EXPECT_EQ(extract_json_object("Here's the DCW: {\"x\": [1, 2]} - hope it helps. {\"y\": 3}"),
            R"({"x": [1, 2]})");
  // An apostrophe in the prose before the object does not start a string.
  EXPECT_EQ(extract_json_object("It's this one: {\"x\": 1}"), R"({"x": 1})");
}

TEST(ExtractJsonObject, BracesInsideStringsDoNotCount) {
  EXPECT_EQ(extract_json_object(R"(pre {"a": "}{", "b": "\"}"} post)"), R"({"a": "}{", "b": "\"}"})");
  EXPECT_EQ(extract_json_object(R"({"a": "back\\"} tail})"), R"({"a": "back\\"})");
}

TEST(ExtractJsonObject, JsonFenceWinsOverEarlierObjects) {
  const std::string text = "Example {\"not\": \"this\"}\n```json\n{\"design\": {\"target\": \"T\"}}\n```\n";
  EXPECT_EQ(extract_json_object(text), R"({"design": {"target": "T"}})");
  EXPECT_EQ(extract_json_object("~~~JSON\n{\"a\": 1}\n~~~"), R"({"a": 1})");
}

TEST(ExtractJsonObject, FenceWithOtherInfoStringIsNotAJsonFence) {
  // A ```python block is not a json block; the first balanced object anywhere is taken.
  EXPECT_EQ(extract_json_object("```python\nd = {'k': 1}\n```\n{\"a\": 2}"), "{'k': 1}");
}

TEST(ExtractJsonObject, UnclosedFenceRunsToTheEnd) {
  EXPECT_EQ(extract_json_object("```json\n{\"a\": 1}\n"), R"({"a": 1})");
}

TEST(ExtractJsonObject, BrokenJsonBlockIsReturnedSoItScoresZero) {
  EXPECT_EQ(extract_json_object("```json\n\"design\": 1\n```\nlater {\"a\": 1}"), "\"design\": 1");
}

TEST(ExtractJsonObject, TruncatedObjectFallsBackToALaterBalancedOne) {
  EXPECT_EQ(extract_json_object("{\"a\": {\"b\": 1}"), R"({"b": 1})");
  EXPECT_EQ(extract_json_object("{\"a\": \"never closed"), "");
}

TEST(ExtractJsonObject, NoObjectGivesEmpty) {
  EXPECT_EQ(extract_json_object(""), "");
  EXPECT_EQ(extract_json_object("The target is ND H100 v5."), "");
  EXPECT_EQ(extract_json_object("[1, 2, 3]"), "");
}

}  // namespace
}  // namespace aimicius
