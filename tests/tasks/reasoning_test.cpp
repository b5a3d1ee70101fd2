// strip_reasoning (tasks/extractors/reasoning.h): each rule on its own, and text without tags
// unchanged byte for byte.
#include <gtest/gtest.h>

#include "tasks/extractors/reasoning.h"

namespace aimicius {
namespace {

TEST(StripReasoning, TextWithoutTagsIsUnchanged) {
  for (const char* text : {"", "nvidia-smi -L", "```sql\nSELECT 1\n```\n", "a < think > b", "<thinking>x</thinking>"})
    EXPECT_EQ(strip_reasoning(text), text);
}

TEST(StripReasoning, ClosedBlocksAreRemovedWherever) {
  EXPECT_EQ(strip_reasoning("<think>plan</think>\nanswer"), "\nanswer");
  EXPECT_EQ(strip_reasoning("a<think>1</think>b<think>2</think>c"), "abc");
}

TEST(StripReasoning, AClosingTagAloneEndsReasoningThatStartedInThePrompt) {
  EXPECT_EQ(strip_reasoning("still thinking</think>answer"), "answer");
  EXPECT_EQ(strip_reasoning("x</think>y</think>z"), "z");  // the last one
}

TEST(StripReasoning, AnUnclosedBlockRunsToTheEnd) {
  EXPECT_EQ(strip_reasoning("<think>I should run nvidia-smi"), "");
  EXPECT_EQ(strip_reasoning("answer <think>afterthought"), "answer ");
}

}  // namespace
}  // namespace aimicius
