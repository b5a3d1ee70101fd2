// common/utf8.h's repair and cutting functions on hand-made bytes: the two replacement rules
// (maximal subpart and per byte), the unfinished tail a stream holds back, truncation that never
// splits a character, and code point counting.
#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace aimicius {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD
const std::string kEuro = "\xE2\x82\xAC";          // U+20AC, three bytes
const std::string kGrin = "\xF0\x9F\x98\x80";      // U+1F600, four bytes

TEST(Utf8Repair, ValidTextIsUnchanged) {
  const std::string text = "a\xC3\xA9" + kEuro + kGrin;
  EXPECT_EQ(valid_utf8(text), text);
  EXPECT_EQ(valid_utf8_bytewise(text), text);
  EXPECT_EQ(valid_utf8(""), "");
}

TEST(Utf8Repair, MaximalSubpartVersusPerByte) {
  // A truncated three-byte sequence: one maximal ill-formed subpart, but two bad bytes.
  EXPECT_EQ(valid_utf8("\xE2\x82" "A"), kReplacement + "A");
  EXPECT_EQ(valid_utf8_bytewise("\xE2\x82" "A"), kReplacement + kReplacement + "A");
  // A lone invalid byte is one replacement under both rules.
  EXPECT_EQ(valid_utf8("\xFF" "A"), kReplacement + "A");
  EXPECT_EQ(valid_utf8_bytewise("\xFF" "A"), kReplacement + "A");
  // Overlong (C0 80), surrogate (ED A0 80) and above U+10FFFF (F4 90 80 80) are ill-formed.
  EXPECT_EQ(valid_utf8_bytewise("\xC0\x80"), kReplacement + kReplacement);
  EXPECT_EQ(valid_utf8_bytewise("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);
  EXPECT_EQ(valid_utf8_bytewise("\xF4\x90\x80\x80").size(), 4 * kReplacement.size());
}

TEST(Utf8Repair, PiecesCutAtBoundariesRepairToTheWhole) {
  const std::string raw = "ok" + kEuro + "\xFF" + kGrin;
  const std::string whole = valid_utf8(raw);
  for (std::size_t cut : {0u, 2u, 5u, 6u, 10u})
    EXPECT_EQ(valid_utf8(raw.substr(0, cut)) + valid_utf8(raw.substr(cut)), whole) << cut;
}

TEST(Utf8Cut, UnfinishedTailCountsOnlyAWaitingSequence) {
  EXPECT_EQ(unfinished_utf8_tail(""), 0u);
  EXPECT_EQ(unfinished_utf8_tail("abc"), 0u);
  EXPECT_EQ(unfinished_utf8_tail("a" + kEuro), 0u);            // whole
  EXPECT_EQ(unfinished_utf8_tail("a" + kEuro.substr(0, 1)), 1u);
  EXPECT_EQ(unfinished_utf8_tail("a" + kEuro.substr(0, 2)), 2u);
  EXPECT_EQ(unfinished_utf8_tail(kGrin.substr(0, 3)), 3u);
  EXPECT_EQ(unfinished_utf8_tail(kGrin), 0u);
  // Continuation bytes with no lead byte within reach: nothing to wait for.
  EXPECT_EQ(unfinished_utf8_tail("a\x80\x80\x80\x80"), 0u);
}

TEST(Utf8Cut, TruncateNeverSplitsACharacter) {
  const std::string text = "ab" + kEuro + "c";  // bytes: a b E2 82 AC c
  EXPECT_EQ(truncate_utf8(text, 100), text);
  EXPECT_EQ(truncate_utf8(text, 6), text);
  EXPECT_EQ(truncate_utf8(text, 5), "ab" + kEuro);
  EXPECT_EQ(truncate_utf8(text, 4), "ab");  // would split the euro sign: all of it goes
  EXPECT_EQ(truncate_utf8(text, 3), "ab");
  EXPECT_EQ(truncate_utf8(text, 2), "ab");
  EXPECT_EQ(truncate_utf8(text, 0), "");
  EXPECT_EQ(truncate_utf8(kGrin + kGrin, 7), kGrin);
}

TEST(Utf8Count, CodePointsWithEachBadByteCountingOne) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("a" + kEuro + kGrin), 3u);
  EXPECT_EQ(utf8_length("\xE2\x82"), 2u);
  EXPECT_EQ(utf8_length("\x80x"), 2u);
}

}  // namespace
}  // namespace aimicius
